#!/usr/bin/env bash
# make bench: runs the fixed benchmark scenarios and prints simulated requests (arrivals) per wall
# second, all requests (every service visit) per second, events per second and peak memory; then
# the growth curves (tests/bench/curves.py: services, instances per balancer, duration, reports,
# and `graph` / `run --html` at 1,000 and 5,000 services), each point as a ratio to its curve's smallest. FAULTLINE_BENCH_BIG=0 skips the big run and the curves'
# largest points; FAULTLINE_BENCH_CURVES=0 skips the curves.
set -eu
BUILD=${BUILD:-build}
BIN="$BUILD/faultline"
OUT=$(mktemp -d); trap 'rm -rf "$OUT"' EXIT
printf '%-12s %12s %14s %14s %12s %10s %14s %12s\n' scenario arrivals "arrivals/s" "requests/s" "events/s" "peak MB" "in-flight peak" "bytes/req"
for f in tests/bench/mm1.lua tests/bench/fanout.lua ${FAULTLINE_BENCH_EXTRA:-}; do
  "$BIN" run "$f" -q --json "$OUT/r.json"
  python3 - "$f" "$OUT/r.json" <<'PY'
import json, sys, os
r = json.load(open(sys.argv[2]))
run = r["run"]
arr = sum(j["arrivals"] for j in r["journeys"].values())
w = run["wall_seconds"]
print("%-12s %12d %14.0f %14.0f %12.0f %10.1f %14d %12d" % (os.path.basename(sys.argv[1]), arr, arr / w, run["requests_per_second"],
      run["events_per_second"], run["peak_rss_mb"], run["peak_requests_in_flight"], run.get("request_bytes", 0)))
PY
done

# The 100-million-request run: Black Friday's whole evening (2 h simulated, about 110 million
# requests, i.e. service visits), its peak RSS printed; half a minute or so. FAULTLINE_BENCH_BIG=0 skips it.
if [ "${FAULTLINE_BENCH_BIG:-1}" != 0 ]; then
  "$BIN" run scenarios/black_friday.lua -q --json "$OUT/bf.json" || [ $? = 1 ]   # 1: an expectation failed
  python3 - "$OUT/bf.json" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))["run"]
print("\n%-12s %14s %10s %14s %12s %10s %14s" % ("big run", "requests", "wall", "requests/s", "events/s", "peak MB", "in-flight peak"))
print("%-12s %14d %9.1fs %14.0f %12.0f %10.1f %14d" % ("black_friday", run["requests"], run["wall_seconds"],
      run["requests_per_second"], run["events_per_second"], run["peak_rss_mb"], run["peak_requests_in_flight"]))
PY
fi

# The sweep's speed-up from -j 1 to -j 2: the same 8 replications of the M/M/1 benchmark at a
# million arrivals each (the results are identical; only the wall time differs).
printf '\n%-12s %6s %12s %12s %9s\n' sweep runs "-j 1 wall" "-j 2 wall" speed-up
for j in 1 2; do
  "$BIN" sweep tests/bench/mm1.lua --set scenario.duration=1250000s --reps 8 -j "$j" -q --json "$OUT/sweep$j.json"
done
python3 - "$OUT/sweep1.json" "$OUT/sweep2.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
w1, w2 = a["run"]["wall_seconds"], b["run"]["wall_seconds"]
same = a["results"] == b["results"]
print("%-12s %6d %11.2fs %11.2fs %8.2fx%s" % ("mm1 x 8", a["run"]["runs"], w1, w2, w1 / w2, "" if same else "  (results differ!)"))
PY

# The growth curves (issue 19): cost per request and memory as services, instances and duration grow.
if [ "${FAULTLINE_BENCH_CURVES:-1}" != 0 ]; then
  python3 tests/bench/curves.py "$BIN" "$OUT"
fi
