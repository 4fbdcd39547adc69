#!/usr/bin/env bash
# make bench: runs the fixed benchmark scenarios and prints simulated requests (arrivals) per wall
# second, all requests (every service visit) per second, events per second and peak memory.
set -eu
BUILD=${BUILD:-build}
BIN="$BUILD/faultline"
OUT=$(mktemp -d); trap 'rm -rf "$OUT"' EXIT
printf '%-12s %12s %14s %14s %12s %10s %14s\n' scenario arrivals "arrivals/s" "requests/s" "events/s" "peak MB" "in-flight peak"
for f in tests/bench/mm1.lua tests/bench/fanout.lua ${FAULTLINE_BENCH_EXTRA:-}; do
  "$BIN" run "$f" -q --json "$OUT/r.json"
  python3 - "$f" "$OUT/r.json" <<'PY'
import json, sys, os
r = json.load(open(sys.argv[2]))
run = r["run"]
arr = sum(j["arrivals"] for j in r["journeys"].values())
w = run["wall_seconds"]
print("%-12s %12d %14.0f %14.0f %12.0f %10.1f %14d" % (os.path.basename(sys.argv[1]), arr, arr / w, run["requests_per_second"],
      run["events_per_second"], run["peak_rss_mb"], run["peak_requests_in_flight"]))
PY
done
