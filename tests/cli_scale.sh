#!/usr/bin/env bash
# Scale: memory grows with requests in flight and with windows kept, never with requests simulated.
# The fan-out benchmark (a gateway calling three services in parallel, 70% load) runs 1 million
# and 10 million requests (service visits) with the same number of windows (100, so that the
# series weigh the same); their peak RSS (the report's run.peak_rss_mb) agree within 20%.
cd "$(dirname "$0")/.." || exit 3
. tests/cli.sh
F=$FAULTLINE

# fanout SECONDS: runs the benchmark for that long with 100 windows; prints "requests peak_rss_mb"
fanout() {
  "$F" run tests/bench/fanout.lua -q --set "scenario.duration=${1}s" --set "scenario.window=$(python3 -c "print($1 / 100)")s" \
    --set scenario.warmup=0s --json "$TMP/fanout$1.json" > "$TMP/fanout$1.out" 2>&1 || return
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["run"]; print(r["requests"], r["peak_rss_mb"])' "$TMP/fanout$1.json"
}

read -r req1 rss1 <<< "$(fanout 250)"
read -r req10 rss10 <<< "$(fanout 2500)"
echo "1M requests: ${req1:-?} requests, ${rss1:-?} MB; 10M requests: ${req10:-?} requests, ${rss10:-?} MB"
verdict=$(python3 -c '
import sys
r1, m1, r10, m10 = (float(x) for x in sys.argv[1:5])
if not (0.95e6 <= r1 <= 1.05e6 and 0.95e7 <= r10 <= 1.05e7): print("requests %d and %d, not 1M and 10M" % (r1, r10))
elif abs(m10 - m1) > 0.2 * min(m1, m10): print("peak RSS %.1f MB at 1M, %.1f MB at 10M: more than 20%% apart" % (m1, m10))
else: print("ok")' "${req1:-0}" "${rss1:-0}" "${req10:-0}" "${rss10:-0}" 2>&1)
if [ "$verdict" = ok ]; then t_ok peak_rss_at_10m_requests_is_within_20_percent_of_1m
else t_fail peak_rss_at_10m_requests_is_within_20_percent_of_1m "$verdict $(head -c 300 "$TMP/fanout250.out" "$TMP/fanout2500.out" 2>/dev/null)"; fi

finish
