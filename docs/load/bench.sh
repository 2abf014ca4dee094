#!/bin/bash
# bench.sh PORT DURATION CONNS... : one wrk run per endpoint and connection count
PORT=$1; DUR=$2; shift 2
source ${PERF_DIR:-/tmp}/env-$PORT
for conns in "$@"; do
for spec in "mine|$BASE/portal|$COOKIE" "org|$BASE/portal?view=org|$COOKIE" "detail10|$BASE/portal/tickets/$T10|$COOKIE" "detail200|$BASE/portal/tickets/$T200|$COOKIE" "search|$BASE/portal?q=printer|$COOKIE" "desk|$BASE/desk|$AGENT"; do
  IFS='|' read name url cookie <<< "$spec"
  out=$(wrk -t2 -c$conns -d$DUR --latency -H "Cookie: $cookie" "$url" 2>&1)
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  bad=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  printf "%-10s c=%-3s %9s req/s  p50 %-9s p99 %-9s %s\n" $name $conns $rps $p50 $p99 "${bad:+non2xx=$bad}"
done
done
