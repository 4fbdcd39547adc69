#!/usr/bin/env bash
# faultline serve's GET /metrics: scraped and parsed by the Prometheus client library's parser
# (python3-prometheus-client, installed by make deps), checked against the JSON report of the
# same paused run, then scraped again after it ran on (tests/metrics_test.py). Adds its counts to
# this file's closing line.
cd "$(dirname "$0")/.." || exit 3
. tests/cli.sh
PY=""
for p in python3 /usr/bin/python3; do
  if command -v "$p" > /dev/null 2>&1 && "$p" -c 'import prometheus_client.parser' 2> /dev/null; then PY=$p; break; fi
done
if [ -z "$PY" ]; then
  t_fail metrics_test_ran "no python3 with prometheus_client (make deps installs python3-prometheus-client)"
  finish; exit $?
fi
FAULTLINE=$FAULTLINE timeout 180 "$PY" tests/metrics_test.py > "$TMP/metrics.out" 2>&1
add_counts "$TMP/metrics.out" metrics_test
finish
