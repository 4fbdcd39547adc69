# The examples of the design contract keep working: the Black Friday example and the smallest
# scenario, an M/M/1 queue whose mean response is 5 s in theory.
. tests/cli.sh
D=tests/scenarios/design_example.lua
expect_exit design_example_checks 0 "$FAULTLINE" check "$D"
expect_output design_example_has_nine_services "ok: 9 services"
# the first 50 simulated minutes: the recommend crash at 40m and the scaling hook at 45m
expect_exit design_example_runs 0 "$FAULTLINE" run "$D" --set scenario.duration=50m --set traffic.rate.peak=600/s \
  --set traffic.rate.base=300/s --json "$TMP/d.json" -q
if python3 - "$TMP/d.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
scaled = [e for e in r["scaling"] if e["service"] == "recommend" and e["to"] == 6 and abs(e["t"] - 2700) < 1]
crash = [c for c in r["timeline"] if c.get("service") == "recommend" and c["to"] == "down"]
ok = scaled and crash and r["expectations"][0]["passed"]
sys.exit(0 if ok else 1)
PY
then t_ok design_example_crashes_recommend_and_scales_it_at_45m; else t_fail design_example_crashes_recommend_and_scales_it_at_45m "$(head -c 300 "$TMP/d.json")"; fi
cat > "$TMP/mm1.lua" <<'LUA'
scenario { duration = "200000s", seed = 1, warmup = "1000s" }
service "s" { instances = 1, workers = 1, queue = math.huge, work = exp "1s" }
traffic { rate = 0.8, mix = { s = 1 } }
LUA
expect_exit smallest_scenario_runs 0 "$FAULTLINE" run "$TMP/mm1.lua" --json "$TMP/mm1.json" -q
mean=$(python3 -c "import json; print(json.load(open('$TMP/mm1.json'))['services']['s']['latency']['mean'])")
# 159,000 arrivals at rho 0.8: the standard error of the mean is about 1.3%; 4% is 3 of them
if python3 -c "import sys; sys.exit(0 if abs($mean - 5) / 5 < 0.04 else 1)"; then t_ok smallest_scenario_mean_response_is_5s
else t_fail smallest_scenario_mean_response_is_5s "mean $mean"; fi
finish
