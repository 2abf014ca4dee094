#!/bin/bash
# final.sh: every figure, 30 s runs at 16 and 64 connections, SQLite then PostgreSQL.
OUT=${PERF_DIR:-/tmp}/final.txt
: > $OUT
for engine in sqlite pg; do
  if [ $engine = sqlite ]; then PORT=8091; else PORT=8092; fi
  pkill -f ${PORTICO_BIN:-./portico}; sleep 1
  $(dirname "$0")/start.sh $engine $PORT
  # This machine runs PostgreSQL with autovacuum off: vacuum and analyze as autovacuum would.
  [ $engine = pg ] && psql -h 127.0.0.1 -U postgres -d perf -Atc "VACUUM ANALYZE" >/dev/null
  $(dirname "$0")/prep.sh $PORT >> $OUT
  echo "== $engine" >> $OUT
  $(dirname "$0")/bench.sh $PORT 30s 16 64 >> $OUT
  source ${PERF_DIR:-/tmp}/env-$PORT
  for conns in 16 64; do
    out=$(REFS="$OPENREFS" COOKIE="$COOKIE" CSRF="$CSRF" ORIGIN="$BASE" wrk -t2 -c$conns -d30s --latency -s $(dirname "$0")/reply.lua "$BASE/portal/tickets/$TREPLY/reply" 2>&1)
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}'); p50=$(echo "$out" | awk '$1=="50%" {print $2}'); p99=$(echo "$out" | awk '$1=="99%" {print $2}')
    bad=$(echo "$out" | awk '/Non-2xx/ {print $5}')
    printf "%-10s c=%-3s %9s req/s  p50 %-9s p99 %-9s %s\n" reply $conns $rps $p50 $p99 "${bad:+non2xx=$bad}" >> $OUT
  done
done
pkill -f ${PORTICO_BIN:-./portico}
echo done >> $OUT
