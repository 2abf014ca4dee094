#!/bin/bash
# start.sh sqlite|pg PORT
ENGINE=$1; PORT=$2
if [ $ENGINE = pg ]; then export DATABASE_URL=${PERF_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/perf?sslmode=disable}; export PORTICO_DATA_DIR=${PERF_DIR:-/tmp}/perf-pg; else export PORTICO_DATA_DIR=${PERF_DIR:-/tmp}/perf-sqlite; fi
PORTICO_DB_MAX_CONNS=${PORTICO_DB_MAX_CONNS:-20} PORTICO_ADDR=127.0.0.1:$PORT PORTICO_BASE_URL=http://127.0.0.1:$PORT PORTICO_LOG_LEVEL=error PORTICO_LOGIN_MAX_FAILURES=1000 ${PORTICO_BIN:-./portico} > ${PERF_DIR:-/tmp}/srv-$ENGINE.log 2>&1 &
for i in $(seq 50); do curl -sf http://127.0.0.1:$PORT/healthz >/dev/null && break; sleep 0.2; done
