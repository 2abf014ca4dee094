#!/bin/bash
# prep.sh PORT -> writes ${PERF_DIR:-/tmp}/env-PORT with cookies, refs and the CSRF token
PORT=$1; BASE=http://127.0.0.1:$PORT
C=$($(dirname "$0")/login.sh $BASE portal alice@acme.example demo-customer-1)
A=$($(dirname "$0")/login.sh $BASE staff demo-agent-1@example.com demo-agent-1)
HOME_HTML=$(curl -s -H "$C" "$BASE/portal")
REFS=($(echo "$HOME_HTML" | grep -o 'href="/portal/tickets/T-[0-9]*"' | sed 's/.*tickets\///;s/"//' | uniq | grep -v -x T-1001 | grep -v -x T-1007))
T200=T-1001
for r in "${REFS[@]}"; do
  if [ "$(curl -s -H "$C" "$BASE/portal/tickets/$r" | grep -c 'class="message')" = 10 ]; then T10=$r; break; fi
done
OPEN=($(curl -s -H "$C" "$BASE/portal?status=open" | grep -o 'href="/portal/tickets/T-[0-9]*"' | sed 's/.*tickets\///;s/"//' | uniq | grep -v -x T-1001 | grep -v -x $T10))
TREPLY=${OPEN[0]}
OPENREFS=$(IFS=,; echo "${OPEN[*]}")
PAGE=$(curl -s -H "$C" "$BASE/portal/tickets/$T200")
CSRF=$(echo "$PAGE" | grep -o 'name="_csrf" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"//')
N=$(echo "$PAGE" | grep -c 'class="message')
# Grow T200's thread to 200 messages with real replies.
while [ $N -lt 200 ]; do
  curl -s -o /dev/null -H "$C" -H "Origin: $BASE" --data-urlencode "_csrf=$CSRF" --data-urlencode "body=Reply number $N with a few words in it" "$BASE/portal/tickets/$T200/reply"
  N=$((N+1))
done
N=$(curl -s -H "$C" "$BASE/portal/tickets/$T200" | grep -c 'class="message')
N10=$(curl -s -H "$C" "$BASE/portal/tickets/$T10" | grep -c 'class="message')
cat > ${PERF_DIR:-/tmp}/env-$PORT <<EOT
BASE=$BASE
COOKIE="${C#Cookie: }"
AGENT="${A#Cookie: }"
T10=$T10
T200=$T200
TREPLY=$TREPLY
OPENREFS=$OPENREFS
CSRF=$CSRF
EOT
echo "T10=$T10 ($N10 msgs) T200=$T200 ($N msgs) TREPLY=$TREPLY"
# Reopen Alice's first 20 tickets through the desk (as an agent would), so that replies can be
# spread over open tickets.
if [ "$(echo "$OPENREFS" | tr ',' '\n' | wc -l)" -lt 10 ]; then
  DESK=$(curl -s -H "$A" "$BASE/desk/tickets/$TREPLY")
  ACSRF=$(echo "$DESK" | grep -o 'name="_csrf" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"//')
  STAGE=$(echo "$DESK" | tr '\n' ' ' | grep -o '<select id="side-stage".*</select>' | grep -o '<option value="[0-9]*"[^>]*>[^<(]*</option>' | head -1 | grep -o 'value="[0-9]*"' | grep -o '[0-9]*')
  for r in $(echo "$HOME_HTML" | grep -o 'href="/portal/tickets/T-[0-9]*"' | sed 's/.*tickets\///;s/"//' | uniq | grep -v -x T-1001 | grep -v -x $T10 | head -20); do
    curl -s -o /dev/null -H "$A" -H "Origin: $BASE" --data "_csrf=$ACSRF&stage=$STAGE" "$BASE/desk/tickets/$r/properties"
  done
  OPEN=($(curl -s -H "$C" "$BASE/portal?status=open" | grep -o 'href="/portal/tickets/T-[0-9]*"' | sed 's/.*tickets\///;s/"//' | uniq | grep -v -x T-1001 | grep -v -x $T10))
  OPENREFS=$(IFS=,; echo "${OPEN[*]}")
  sed -i "s/^OPENREFS=.*/OPENREFS=$OPENREFS/" ${PERF_DIR:-/tmp}/env-$PORT
fi
echo "open tickets for replies: $(echo "$OPENREFS" | tr ',' '\n' | wc -l)"
