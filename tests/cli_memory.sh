#!/usr/bin/env bash
# Memory within a budget (README 3.2): `check` states what a run keeps, `run --memory` honours the
# budget (a series past it consolidates: the JSON gains series.width, the CSV a width column, the
# sums stay the totals), a budget too small for even the fewest entries is refused up front (exit
# 2, saying what is needed), and the HTML report of a consolidated run reads its widths
# (tests/browser/consolidated_test.js, skipped without Chromium). sweep, compare and size share
# --memory among the runs they hold at once (their results are those of `run` with that share,
# and of no budget: consolidation changes no summary), refuse a share too small for a run before
# running, naming the budget that fits; serve gives it to each run, and serves its consolidated
# series.
cd "$(dirname "$0")/.." || exit 3
. tests/cli.sh
F=$FAULTLINE
cat > "$TMP/long.lua" <<'LUA'
scenario { name = "long", duration = "20000s", window = "1s", seed = 5 }
service "api" { workers = 4, queue = 50, work = exp "20ms", calls = { call "db" } }
service "db" { workers = 4, queue = 50, work = exp "10ms" }
traffic { rate = 5, mix = { api = 1 } }
fault { name = "db-slow", target = "db", kind = "slowdown", factor = 20, at = 8000, duration = 600 }
LUA

expect_exit check_states_the_memory_a_run_keeps 0 "$F" check "$TMP/long.lua"
expect_output check_says_every_window_is_kept "series 8.2 MB: 20000 windows, every one kept"
expect_output check_names_the_default_budget "within a budget of 1024 MB (the default)"
expect_output check_counts_the_health_changes_bound "the process about 16 MB (the health changes at most 1.9 MB of it: 10000 kept, the rest counted)"
expect_exit check_with_a_small_budget 0 "$F" check "$TMP/long.lua" --memory 17MB
expect_output check_says_the_series_consolidate "20000 windows, consolidated to at most 1960 entries (16 windows each at the end)"
expect_exit a_budget_below_the_fewest_entries_is_refused 2 "$F" run "$TMP/long.lua" --memory 16MB -q
expect_output the_refusal_says_what_is_needed "the run needs at least 17 MB of memory, more than the --memory budget of 16 MB"
expect_exit check_refuses_it_too 2 "$F" check "$TMP/long.lua" --memory 16MB
expect_exit a_bad_size_is_a_usage_error 2 "$F" run "$TMP/long.lua" --memory 12parsecs
expect_output the_usage_error_names_the_value "--memory needs a size such as 500MB or 2GB, got 12parsecs"

expect_exit a_consolidated_run_writes_its_reports 0 "$F" run "$TMP/long.lua" --memory 17MB -q --json "$TMP/c.json" --csv "$TMP/csv" --html "$TMP/c.html"
expect_exit a_dense_run_of_the_same_scenario 0 "$F" run "$TMP/long.lua" -q --json "$TMP/d.json"
if python3 - "$TMP/c.json" "$TMP/d.json" > "$TMP/py.out" 2>&1 <<'PY'
import json, sys
c, d = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
sc, sd = c["series"], d["series"]
assert "width" not in sd and len(sd["t"]) == 20000, "dense: %d entries, width %s" % (len(sd["t"]), "width" in sd)
n, w = len(sc["t"]), sc["width"]
assert len(w) == n and n == 1250 and all(x == w[0] for x in w), (n, w[:3], w[-3:])
assert sum(w) == 20000 and all(abs(sc["t"][i] - i * w[0]) < 1e-9 for i in range(n)), "times and widths"
for name in ("api", "db"):
    for k in ("arrivals", "successes", "failures"):
        want = c["services"][name][k] if k != "failures" else c["services"][name]["failures"]["total"]
        assert sum(sc["services"][name][k]) == want == sum(sd["services"][name][k]), (name, k)
    assert max(sc["services"][name]["p99"]) == max(sd["services"][name]["p99"]), name
e0, e1 = sc["edges"][0], sd["edges"][0]
assert sum(e0["calls"]) == sum(e1["calls"]) > 0
assert c["timeline"] == d["timeline"] and c["expectations"] == d["expectations"] and c["faults"] == d["faults"]
for x, y in zip(c["cascade"], d["cascade"]):   # effects' medians are over entries (README 3.2); the rest is exact
    fx, fy = x.pop("effects"), y.pop("effects")
    assert x == y and [(e["subject"], e["measure"], e["peak"]) for e in fx] == [(e["subject"], e["measure"], e["peak"]) for e in fy]
print("ok: %d entries of %gs" % (n, w[0]))
PY
then t_ok consolidated_json_has_widths_sums_and_the_dense_runs_timeline; else t_fail consolidated_json_has_widths_sums_and_the_dense_runs_timeline "$(tail -3 "$TMP/py.out")"; fi
head -1 "$TMP/csv/service-api.csv" > "$TMP/h"
if grep -q '^t,width,arrivals,' "$TMP/h" && [ "$(sed -n 2p "$TMP/csv/service-api.csv" | cut -d, -f2)" = 16 ]; then t_ok consolidated_csv_has_a_width_column
else t_fail consolidated_csv_has_a_width_column "$(head -2 "$TMP/csv/service-api.csv")"; fi

# ---- the batch commands: the budget is the whole command's, shared by the runs held at once ----
# py NAME SCRIPT ARGS...: the script prints "ok" or what is wrong
py() {
  local name=$1 script=$2; shift 2
  local out
  out=$(python3 -c "$script" "$@" 2>&1)
  if [ "$out" = ok ]; then t_ok "$name"; else t_fail "$name" "$(echo "$out" | tail -3)"; fi
}
{ cat "$TMP/long.lua"; echo 'expect "api answers" { journey = "api", success_rate = ">= 90%" }'; } > "$TMP/longx.lua"
# 40MB over two runs at once: 20 MB each, consolidated (a run alone needs 16.2 MB)
expect_exit sweep_with_a_budget_shared_by_two_runs 0 "$F" sweep "$TMP/longx.lua" --set api.workers=1,4 --reps 2 -j 2 --memory 40MB -q --json "$TMP/sm.json"
expect_exit the_same_sweep_without_a_budget 0 "$F" sweep "$TMP/longx.lua" --set api.workers=1,4 --reps 2 -j 2 -q --json "$TMP/sd.json"
for p in 0 1; do
  for r in 0 1; do
    seed=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['seeds'][$r])" "$TMP/sm.json")
    "$F" run "$TMP/longx.lua" -q --memory 20MB --seed "$seed" --set api.workers=$((p * 3 + 1)) --json "$TMP/r$p$r.json" > /dev/null 2>&1
  done
done
py sweep_results_are_those_of_runs_with_half_the_budget_and_of_no_budget '
import json, sys
t = sys.argv[1]
m, d = json.load(open(t + "/sm.json")), json.load(open(t + "/sd.json"))
assert m["run"]["memory_per_run"] == 20 * 2**20 and "memory_per_run" not in d["run"], (m["run"], d["run"])
m.pop("run"); d.pop("run")
assert m == d, "the budget changed the sweep"
for p in (0, 1):
    runs = [json.load(open(t + "/r%d%d.json" % (p, r))) for r in (0, 1)]
    for r in runs:
        assert len(r["series"]["t"]) == 5000 and set(r["series"]["width"]) == {4}, "a 20 MB run: 5000 entries of 4 windows"
    res = m["results"][p]
    assert res["set"] == {"api.workers": str(p * 3 + 1)}, res["set"]
    def same(got, want, what):
        assert abs(got - want) <= 1e-9 * max(1, abs(want)), (p, what, got, want)
    j = res["journeys"]["api"]
    same(j["success_ratio"]["mean"], sum(r["journeys"]["api"]["success_ratio"] for r in runs) / 2, "success_ratio")
    same(j["p99"]["mean"], sum(r["journeys"]["api"]["latency"]["p99"] for r in runs) / 2, "p99")
    same(j["latency_mean"]["mean"], sum(r["journeys"]["api"]["latency"]["mean"] for r in runs) / 2, "latency_mean")
    for s in ("api", "db"):
        same(res["services"][s]["utilization"]["mean"], sum(r["services"][s]["utilization"] for r in runs) / 2, s)
    assert res["expectations"][0]["held"] == sum(r["expectations"][0]["passed"] for r in runs)
print("ok")
' "$TMP"
expect_exit one_run_at_a_time_fits_in_20MB 0 "$F" sweep "$TMP/longx.lua" --reps 2 -j 1 --memory 20MB
expect_output the_sweep_header_says_each_runs_share "2 replications, base seed 5, 1 thread, 20.0 MB a run,"
expect_exit two_runs_at_once_do_not 2 "$F" sweep "$TMP/longx.lua" --reps 2 -j 2 --memory 20MB -q
expect_output the_sweep_refusal_names_the_budget_that_fits "scenario: 2 runs at once need at least 33 MB of memory, more than the --memory budget of 20 MB: each run needs at least 16.2 MB and gets 10.0 MB"
expect_output the_sweep_refusal_offers_fewer_threads "give --memory 33MB or more, or -j 1"
expect_exit a_sweep_share_below_one_run 2 "$F" sweep "$TMP/longx.lua" --reps 4 -j 4 --memory 10MB -q
expect_output the_refusal_names_one_runs_need_too "give --memory 65MB or more (17MB with -j 1)"
expect_exit one_run_at_a_time_below_its_need_is_refused_as_run_refuses_it 2 "$F" sweep "$TMP/longx.lua" --reps 2 -j 1 --memory 16MB -q
expect_output the_sweep_says_it_as_run_says_it "the run needs at least 17 MB of memory, more than the --memory budget of 16 MB"
expect_exit a_sweep_bad_size_is_a_usage_error 2 "$F" sweep "$TMP/longx.lua" --memory 12parsecs
expect_output the_sweep_usage_error_names_the_value "--memory needs a size such as 500MB or 2GB, got 12parsecs"
expect_exit a_sweep_memory_without_a_size 2 "$F" sweep "$TMP/longx.lua" --memory
expect_output the_sweep_says_it_needs_a_size "--memory needs a size"

# compare: the --html page's runs are replication 0 of each side as `run` with the share gives them
expect_exit compare_with_a_budget 0 "$F" compare "$TMP/longx.lua" --set-b api.workers=8 --reps 2 -j 2 --memory 40MB -q --json "$TMP/cm.json" --html "$TMP/cm.html"
expect_exit compare_without_a_budget 0 "$F" compare "$TMP/longx.lua" --set-b api.workers=8 --reps 2 -j 2 -q --json "$TMP/cd.json"
seed=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['seeds'][0])" "$TMP/cm.json")
"$F" run "$TMP/longx.lua" -q --memory 20MB --seed "$seed" --json "$TMP/ca.json" > /dev/null 2>&1
"$F" run "$TMP/longx.lua" -q --memory 20MB --seed "$seed" --set api.workers=8 --json "$TMP/cb.json" > /dev/null 2>&1
py compare_html_embeds_the_runs_with_half_the_budget_and_the_budget_changes_no_result '
import json, re, sys
t = sys.argv[1]
m, d = json.load(open(t + "/cm.json")), json.load(open(t + "/cd.json"))
assert m["run"]["memory_per_run"] == 20 * 2**20, m["run"]
m.pop("run"); d.pop("run")
assert m == d, "the budget changed the comparison"
html = open(t + "/cm.html").read()
def emb(i): return json.loads(re.search(r"<script type=\"application/json\" id=\"%s\">(.*?)</script>" % i, html, re.S).group(1))
for side in ("a", "b"):
    got, want = emb("fl-report-" + side), json.load(open(t + "/c%s.json" % side))
    want.pop("run")
    assert got == want, side + ": the page differs from run --memory 20MB"
    assert len(got["series"]["t"]) == 5000 and set(got["series"]["width"]) == {4}, side + ": not consolidated"
print("ok")
' "$TMP"
expect_exit compare_holds_a_pair_even_with_j1 2 "$F" compare "$TMP/longx.lua" --set-b api.workers=8 --reps 2 -j 1 --memory 20MB -q
expect_output the_compare_refusal_names_the_pair "2 runs at once need at least 33 MB of memory, more than the --memory budget of 20 MB"
expect_exit a_compare_bad_size_is_a_usage_error 2 "$F" compare "$TMP/longx.lua" --set-b api.workers=8 --memory -5MB
expect_output the_compare_usage_error_names_the_value "--memory needs a size such as 500MB or 2GB, got -5MB"

# size: a candidate's replications run at once and share the budget
SIZE=(size "$TMP/longx.lua" --services db --reps 2 --budget 8 -q)
expect_exit size_with_a_budget 0 "$F" "${SIZE[@]}" -j 2 --memory 40MB --json "$TMP/zm.json"
expect_exit size_without_a_budget 0 "$F" "${SIZE[@]}" -j 2 --json "$TMP/zd.json"
py size_results_do_not_depend_on_the_budget '
import json, sys
m, d = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert m["run"]["memory_per_run"] == 20 * 2**20, m["run"]
m.pop("run"); d.pop("run")
assert m == d, "the budget changed the answer"
assert m["evaluations"], "nothing evaluated"
print("ok")
' "$TMP/zm.json" "$TMP/zd.json"
expect_exit size_one_replication_at_a_time_fits_20MB 0 "$F" "${SIZE[@]}" -j 1 --memory 20MB
expect_exit size_two_at_once_do_not 2 "$F" "${SIZE[@]}" -j 2 --memory 20MB
expect_output the_size_refusal_names_the_budget_that_fits "2 runs at once need at least 33 MB of memory, more than the --memory budget of 20 MB"
expect_exit a_size_bad_size_is_a_usage_error 2 "$F" size "$TMP/longx.lua" --memory 1.5parsecs
expect_output the_size_usage_error_names_the_value "--memory needs a size such as 500MB or 2GB, got 1.5parsecs"

# serve: each run it builds has the budget; the report it serves is run's with that budget
expect_exit serve_refuses_a_budget_below_a_run 2 timeout 10 "$F" serve "$TMP/longx.lua" --port 0 --memory 16MB
expect_output serve_says_what_a_run_needs "the run needs at least 17 MB of memory, more than the --memory budget of 16 MB"
expect_exit a_serve_bad_size_is_a_usage_error 2 "$F" serve "$TMP/longx.lua" --memory lots
expect_output the_serve_usage_error_names_the_value "--memory needs a size such as 500MB or 2GB, got lots"
"$F" run "$TMP/longx.lua" -q --memory 20MB --json "$TMP/sv_run.json" > /dev/null 2>&1
"$F" serve "$TMP/longx.lua" --port 0 --speed max --memory 20MB > "$TMP/serve.out" 2>&1 &
SERVE_PID=$!
py served_report_is_the_run_with_the_budget '
import json, re, sys, time, urllib.request
out, want = sys.argv[1], json.load(open(sys.argv[2]))
port = None
for _ in range(200):   # the first line says where it listens
    m = re.search(r"http://127\.0\.0\.1:(\d+)/", open(out).read())
    if m: port = int(m.group(1)); break
    time.sleep(0.05)
assert port, "no port: " + open(out).read()[:300]
def get(path): return json.load(urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10))
for _ in range(1200):   # a run of 20000 windows at full speed: until it is over
    if get("/api/status")["complete"]: break
    time.sleep(0.05)
got = get("/api/report")
assert got["complete"] is True, "the run did not end"
assert len(got["series"]["t"]) == 5000 and set(got["series"]["width"]) == {4}, "not consolidated: %d entries" % len(got["series"]["t"])
assert got["series"] == want["series"], "the served series differ from run --memory 20MB"
assert got["services"] == want["services"] and got["expectations"] == want["expectations"]
print("ok")
' "$TMP/serve.out" "$TMP/sv_run.json"
kill -INT "$SERVE_PID" 2> /dev/null; wait "$SERVE_PID" 2> /dev/null

for cmd in sweep compare size serve; do
  expect_exit ${cmd}_help 0 "$F" $cmd --help
  expect_output ${cmd}_help_lists_memory "--memory SIZE"
done

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ] && command -v node > /dev/null 2>&1 && [ -f reports/web/node_modules/playwright-core/package.json ]; then
  CHROMIUM=$CHROMIUM OUT=out NODE_PATH=reports/web/node_modules timeout 120 node tests/browser/consolidated_test.js "$TMP/c.html" > "$TMP/browser.out" 2>&1
  tally_results consolidated_test "$TMP/browser.out"
else
  echo "# skipped: the browser check of a consolidated report (no Chromium or playwright-core)"
fi
finish
