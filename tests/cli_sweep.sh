#!/usr/bin/env bash
# sweep, merge and compare from the command line: -j 1 and -j 2 give byte-identical JSON (minus
# "run"), a replication replays with `run --seed`, CSV rows, usage errors (exit 2), shards run
# through GNU parallel and merged equal the unsharded sweep, merge refuses missing or foreign
# parts, compare pairs the variants (a scenario against itself differs by exactly 0, CRN narrows
# the interval), changed verdicts and exit codes, the progress bar only on a terminal, and an
# interrupted sweep writing what completed.
cd "$(dirname "$0")/.." || exit 3
. tests/cli.sh
F=$FAULTLINE

# small: back's pool decides whether front answers in time (about 3000 requests a run)
small() {
  cat <<EOF
scenario { name = "small", duration = "20s", seed = 3, warmup = "2s" }
service "front" { instances = 2, workers = 4, work = exp "5ms", calls = { call "back" { timeout = "60ms" } } }
service "back" { instances = 1, workers = $1, queue = 16, work = exp "10ms" }
traffic { rate = "150/s", mix = { front = 1 } }
expect "front answers" { journey = "front", success_rate = ">= 99%" }
EOF
}
small 2 > "$TMP/small.lua"
small 2 > "$TMP/a.lua"
small 8 > "$TMP/b.lua"
GRID=(--set back.workers=1,4 --set traffic.rate=100/s,200/s)

# strip_run FILE: the JSON text with the top-level "run" object cut out, byte for byte.
strip_run() {
  python3 - "$1" <<'EOF'
import json, sys
text = open(sys.argv[1]).read()
d = json.loads(text)
assert "run" in d, "no run object"
start = text.index('"run":')
depth, i = 0, text.index('{', start)
while True:
    if text[i] == '{': depth += 1
    elif text[i] == '}':
        depth -= 1
        if depth == 0: break
    i += 1
sys.stdout.write(text[:start] + text[i + 1:])
EOF
}
# py NAME SCRIPT ARGS...: the script prints "ok" or what is wrong
py() {
  local name=$1 script=$2; shift 2
  local out
  out=$(python3 -c "$script" "$@" 2>&1)
  if [ "$out" = ok ]; then t_ok "$name"; else t_fail "$name" "$(echo "$out" | tail -3)"; fi
}

# ---- sweep: determinism across -j, the output's shape ----
expect_exit sweep_exits_1_when_a_run_fails_an_expectation 1 "$F" sweep "$TMP/small.lua" "${GRID[@]}" --reps 3 -j 1 -q --json "$TMP/j1.json"
expect_output sweep_counts_the_failed_runs_on_stderr "runs failed an expectation"
"$F" sweep "$TMP/small.lua" "${GRID[@]}" --reps 3 -j 2 -q --json "$TMP/j2.json" 2> /dev/null
strip_run "$TMP/j1.json" > "$TMP/j1.txt"; strip_run "$TMP/j2.json" > "$TMP/j2.txt"
if [ -s "$TMP/j1.txt" ] && cmp -s "$TMP/j1.txt" "$TMP/j2.txt"; then t_ok sweep_json_is_byte_identical_for_j1_and_j2
else t_fail sweep_json_is_byte_identical_for_j1_and_j2 "$(diff "$TMP/j1.txt" "$TMP/j2.txt" | head -5)"; fi
py sweep_json_has_a_summary_per_point_journey_service_and_expectation '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["kind"] == "sweep" and d["complete"] is True and d["replications"] == 3, d["kind"]
assert d["run"]["threads"] == 1 and d["run"]["runs"] == 12, d["run"]
assert len(set(d["seeds"])) == 3 and all(0 <= s < 2**53 for s in d["seeds"])
assert [p["path"] for p in d["parameters"]] == ["back.workers", "traffic.rate"]
r = d["results"]
assert [p["set"] for p in r] == [{"back.workers": w, "traffic.rate": t} for w in ("1", "4") for t in ("100/s", "200/s")], r
for p in r:
    for m in ("success_ratio", "p99", "latency_mean"):
        c = p["journeys"]["front"][m]
        assert c["n"] == 3 and c["lo"] <= c["mean"] <= c["hi"] and abs(c["hi"] - c["lo"] - 2 * c["ci95"]) < 1e-12, (m, c)
    for s in ("front", "back"):
        for m in ("peak_utilization", "utilization"):
            assert 0 <= p["services"][s][m]["mean"] <= 1, (s, m)
        assert p["services"][s]["peak_utilization"]["mean"] >= p["services"][s]["utilization"]["mean"]
    x = p["expectations"][0]
    assert x["name"] == "front answers" and x["of"] == 3 and x["held"] == round(3 * x["passed"]["mean"]), x
    # the pass share: an exact binomial interval, never of width 0
    assert x["passed"]["interval"] == "clopper-pearson" and x["passed"]["lo"] <= x["passed"]["mean"] <= x["passed"]["hi"], x
    assert x["passed"]["hi"] - x["passed"]["lo"] > 0.3, x
    # what it observed inside its own during, against its threshold
    o = x["observed"]["success_rate"]
    assert o["wanted"] == 0.99 and o["n"] == 3 and 0 < o["mean"] <= 1, o
    assert "p99" not in x["observed"], x
    assert p["journeys"]["front"]["p99"]["resolution"] > 0
    assert p["all_expectations"]["of"] == 3
# one back worker is worse than four
assert r[0]["journeys"]["front"]["success_ratio"]["mean"] < r[2]["journeys"]["front"]["success_ratio"]["mean"]
print("ok")' "$TMP/j1.json"
py sweep_run_object_records_the_threads '
import json, sys
print("ok" if json.load(open(sys.argv[1]))["run"]["threads"] == 2 else "threads != 2")' "$TMP/j2.json"

# a replication is `faultline run --seed seeds[r]` with the point's settings
"$F" sweep "$TMP/small.lua" --set back.workers=4 --reps 1 -q --json "$TMP/one.json" 2> /dev/null
seed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seeds"][0])' "$TMP/one.json")
"$F" run "$TMP/small.lua" --seed "$seed" --set back.workers=4 -q --json "$TMP/replay.json" 2> /dev/null
py sweep_replication_replays_with_run_seed '
import json, sys
s, r = (json.load(open(p)) for p in sys.argv[1:3])
a = s["results"][0]["journeys"]["front"]["latency_mean"]["mean"]
b = r["journeys"]["front"]["latency"]["mean"]
print("ok" if a == b and s["results"][0]["journeys"]["front"]["success_ratio"]["mean"] == r["journeys"]["front"]["success_ratio"] else "%r != %r" % (a, b))' "$TMP/one.json" "$TMP/replay.json"

"$F" sweep "$TMP/small.lua" "${GRID[@]}" --reps 2 -q --csv "$TMP/s.csv" 2> /dev/null
py sweep_csv_has_a_row_per_point_subject_and_metric '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
# 4 points x (1 journey x 3 + 2 services x 2 + 1 expectation (passed, success_rate) + all)
assert len(rows) == 4 * 10, len(rows)
assert set(rows[0]) == {"point", "back.workers", "traffic.rate", "kind", "subject", "metric", "n", "mean", "ci95", "lo", "hi", "sd", "resolution"}, rows[0]
assert {r["kind"] for r in rows} == {"journey", "service", "expectation", "all"}
assert {r["metric"] for r in rows if r["kind"] == "expectation"} == {"passed", "success_rate"}
assert all(r["resolution"] for r in rows if r["metric"] == "p99")
assert all(r["ci95"] == "" and r["sd"] == "" for r in rows if r["metric"] == "passed")
assert all(r["n"] == "2" and float(r["lo"]) <= float(r["mean"]) <= float(r["hi"]) for r in rows)
print("ok")' "$TMP/s.csv"

expect_exit sweep_without_set_replicates_one_point 0 "$F" sweep "$TMP/b.lua" --reps 2
expect_output sweep_prints_mean_and_interval "success"
expect_output sweep_prints_the_replication_count "1 point x 2 replications"

# ---- usage errors: exit 2 before any run ----
expect_exit sweep_bad_value_exits_2 2 "$F" sweep "$TMP/small.lua" --set back.workers=1,0
expect_output sweep_bad_value_is_named "back.workers=0"
expect_exit sweep_empty_value_exits_2 2 "$F" sweep "$TMP/small.lua" --set back.workers=1,,2
expect_exit sweep_same_path_twice_exits_2 2 "$F" sweep "$TMP/small.lua" --set back.workers=1 --set back.workers=2
expect_exit sweep_unknown_path_exits_2 2 "$F" sweep "$TMP/small.lua" --set back.wrokers=1,2
expect_exit sweep_zero_reps_exits_2 2 "$F" sweep "$TMP/small.lua" --reps 0
expect_exit sweep_bad_jobs_exits_2 2 "$F" sweep "$TMP/small.lua" -j x
expect_exit sweep_bad_shard_exits_2 2 "$F" sweep "$TMP/small.lua" --shard 3/2
expect_output sweep_bad_shard_is_explained "--shard needs I/N"
expect_exit sweep_unknown_option_exits_2 2 "$F" sweep "$TMP/small.lua" --frobnicate
expect_exit sweep_missing_scenario_exits_2 2 "$F" sweep
expect_exit sweep_missing_file_exits_2 2 "$F" sweep "$TMP/nope.lua"
{ small 2; echo 'at("5s", function(sim) error("boom") end)'; } > "$TMP/hook.lua"
expect_exit sweep_with_a_failing_hook_exits_2 2 "$F" sweep "$TMP/hook.lua" --reps 2
expect_output sweep_with_a_failing_hook_says_where "boom"
expect_exit sweep_into_a_missing_folder_exits_2 2 "$F" sweep "$TMP/small.lua" --json "$TMP/no/such/r.json"

# ---- shards through GNU parallel, merged, equal the unsharded sweep ----
if command -v parallel > /dev/null 2>&1; then
  # a shard's failed expectations are no verdict (merge gives it): every shard exits 0
  parallel --will-cite -j 2 "$F" sweep "$TMP/small.lua" "${GRID[@]}" --reps 3 -q --shard {}/3 --json "$TMP/part{}.json" ::: 1 2 3 2> "$TMP/parallel.err"
  rc=$?
  if [ "$rc" = 0 ] && [ -s "$TMP/part1.json" ] && [ -s "$TMP/part2.json" ] && [ -s "$TMP/part3.json" ]; then t_ok parallel_runs_the_three_shards
  else t_fail parallel_runs_the_three_shards "exit $rc: $(head -c 300 "$TMP/parallel.err")"; fi
  "$F" merge "$TMP/part3.json" "$TMP/part1.json" "$TMP/part2.json" > "$TMP/merged.json" 2> "$TMP/merge.err"
  strip_run "$TMP/merged.json" > "$TMP/merged.txt"
  if [ -s "$TMP/merged.txt" ] && cmp -s "$TMP/merged.txt" "$TMP/j1.txt"; then t_ok merged_shards_equal_the_unsharded_sweep
  else t_fail merged_shards_equal_the_unsharded_sweep "$(head -c 300 "$TMP/merge.err"; diff "$TMP/merged.txt" "$TMP/j1.txt" | head -5)"; fi
else
  t_fail parallel_runs_the_three_shards "GNU parallel is missing (make deps installs it)"
fi
py shard_holds_its_share_of_the_runs '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["shard"] == {"index": 2, "of": 3} and "results" not in d
jobs = [s[0] for s in d["samples"]]
assert jobs == [1, 4, 7, 10], jobs
print("ok")' "$TMP/part2.json"
"$F" sweep "$TMP/small.lua" "${GRID[@]}" --reps 3 --shard 1/2 > "$TMP/stdout1.json" 2> "$TMP/shard.err"; rc=$?
"$F" sweep "$TMP/small.lua" "${GRID[@]}" --reps 3 --shard 2/2 > "$TMP/stdout2.json" 2>> "$TMP/shard.err"
if [ "$rc" = 0 ] && [ ! -s "$TMP/shard.err" ]; then t_ok shard_on_stdout_exits_0_and_keeps_stderr_empty
else t_fail shard_on_stdout_exits_0_and_keeps_stderr_empty "exit $rc: $(head -c 300 "$TMP/shard.err")"; fi
expect_exit merge_exits_1_when_a_run_failed_an_expectation 1 "$F" merge "$TMP/stdout1.json" "$TMP/stdout2.json" --json "$TMP/m2.json"
expect_output merge_with_json_prints_the_table "point 4/4"
strip_run "$TMP/m2.json" > "$TMP/m2.txt"
if cmp -s "$TMP/m2.txt" "$TMP/j1.txt"; then t_ok shards_on_stdout_merge_into_the_same_result
else t_fail shards_on_stdout_merge_into_the_same_result "$(head -c 300 "$TMP/out")"; fi
expect_exit merge_missing_a_shard_exits_2 2 "$F" merge "$TMP/part1.json" "$TMP/part3.json"
expect_output merge_names_the_missing_shard "missing shard 2/3"
expect_exit merge_same_shard_twice_exits_2 2 "$F" merge "$TMP/part1.json" "$TMP/part1.json" "$TMP/part2.json" "$TMP/part3.json"
expect_output merge_names_the_duplicate "shard 1/3 is given twice"
expect_exit merge_shards_of_different_sweeps_exits_2 2 "$F" merge "$TMP/part1.json" "$TMP/stdout2.json"
expect_exit merge_a_whole_result_exits_2 2 "$F" merge "$TMP/j1.json"
echo '{"kind": ' > "$TMP/broken.json"
expect_exit merge_broken_json_exits_2 2 "$F" merge "$TMP/broken.json"
expect_exit merge_nothing_exits_2 2 "$F" merge

# ---- compare ----
expect_exit compare_improvement_exits_0 0 "$F" compare "$TMP/a.lua" "$TMP/b.lua" --reps 4 -j 2 --json "$TMP/c.json"
expect_output compare_prints_the_difference "B-A"
expect_output compare_prints_the_changed_verdict "changed: failed -> held"
py compare_json_pairs_the_variants '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["kind"] == "compare" and d["common_random_numbers"] is True and d["replications"] == 4
m = d["journeys"]["front"]["success_ratio"]
assert abs(m["diff"]["mean"] - (m["b"]["mean"] - m["a"]["mean"])) < 1e-12 and m["diff"]["mean"] > 0 and m["significant"], m
assert d["services"]["back"]["peak_utilization"]["diff"]["mean"] < 0
x = d["expectations"][0]
assert x["a"]["verdict"] == "failed" and x["b"]["verdict"] == "held" and x["changed"] and d["changed"] == ["front answers"], x
assert x["held_in_b_only"] == 4 and x["held_in_a_only"] == 0
print("ok")' "$TMP/c.json"
expect_exit compare_with_set_b_exits_0 0 "$F" compare "$TMP/small.lua" --set-b back.workers=8 --reps 3 -j 2 --json "$TMP/cb.json"
expect_output compare_with_set_b_names_the_change "--set-b back.workers=8"
py compare_with_set_b_compares_a_scenario_with_itself_plus_a_change '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["a"]["file"] == d["b"]["file"] and d["a"]["set"] == [] and d["b"]["set"] == ["back.workers=8"], (d["a"], d["b"])
x = d["expectations"][0]
assert x["a"]["passed"]["interval"] == "clopper-pearson"
o = x["observed"]["success_rate"]
assert o["wanted"] == 0.99 and o["diff"]["mean"] > 0, o
print("ok")' "$TMP/cb.json"
expect_exit compare_one_file_without_set_b_exits_2 2 "$F" compare "$TMP/small.lua"
expect_output compare_one_file_without_set_b_says_how "--set-b"
expect_exit compare_help_exits_0 0 "$F" compare --help
expect_output compare_help_lists_set_b "--set-b PATH=VALUE"
expect_exit sweep_help_exits_0 0 "$F" sweep --help
expect_output sweep_help_shows_its_usage "usage: faultline sweep SCENARIO.lua"
expect_exit merge_help_exits_0 0 "$F" merge --help
expect_exit merge_unknown_option_exits_2 2 "$F" merge --frobnicate
expect_output merge_unknown_option_gives_a_hint_not_the_usage "try 'faultline merge --help'"
expect_exit compare_regression_exits_1 1 "$F" compare "$TMP/b.lua" "$TMP/a.lua" --reps 4 -q
expect_output compare_regression_is_named "1 expectation fares worse in B than in A"
"$F" compare "$TMP/a.lua" "$TMP/a.lua" --reps 3 -q --json "$TMP/same.json"
py compare_of_a_scenario_with_itself_differs_by_exactly_zero '
import json, sys
d = json.load(open(sys.argv[1]))
for kind in ("journeys", "services"):
    for name, ms in d[kind].items():
        for m, v in ms.items():
            # exactly zero; a latency quantile is known to its two histogram buckets, no better
            assert v["diff"]["mean"] == 0 and v["diff"]["ci95"] == v["diff"].get("resolution", 0) / 2, (kind, name, m, v["diff"])
assert d["changed"] == []
print("ok")' "$TMP/same.json"
# CRN against independent seeds, same pair, same replications: the paired interval is narrower
"$F" compare "$TMP/a.lua" "$TMP/b.lua" --reps 10 -q --json "$TMP/crn.json"
"$F" compare "$TMP/a.lua" "$TMP/b.lua" --reps 10 -q --independent --json "$TMP/ind.json"
py compare_with_crn_gives_a_narrower_interval_than_independent_seeds '
import json, sys
c, i = (json.load(open(p)) for p in sys.argv[1:3])
assert c["common_random_numbers"] and not i["common_random_numbers"] and "seeds_b" in i and not set(i["seeds"]) & set(i["seeds_b"])
for kind, name, m in (("journeys", "front", "latency_mean"), ("journeys", "front", "success_ratio"), ("services", "front", "utilization")):
    wc, wi = c[kind][name][m]["diff"]["ci95"], i[kind][name][m]["diff"]["ci95"]
    assert wc < wi, (name, m, wc, wi)
print("ok")' "$TMP/crn.json" "$TMP/ind.json"
expect_exit compare_needs_two_files 2 "$F" compare "$TMP/a.lua"
expect_exit compare_broken_b_exits_2 2 "$F" compare "$TMP/a.lua" "$TMP/nope.lua"

# ---- progress: on a terminal only ----
"$F" sweep "$TMP/small.lua" --reps 2 -q > /dev/null 2> "$TMP/err"
if ! grep -q "ETA" "$TMP/err"; then t_ok sweep_progress_is_silent_when_stderr_is_not_a_terminal
else t_fail sweep_progress_is_silent_when_stderr_is_not_a_terminal "$(head -c 200 "$TMP/err")"; fi
if command -v script > /dev/null 2>&1; then
  script -qec "$F sweep $TMP/small.lua --reps 2 -q" /dev/null > "$TMP/tty.out" 2>&1 < /dev/null
  if grep -q "ETA" "$TMP/tty.out"; then t_ok sweep_shows_progress_on_a_terminal
  else t_fail sweep_shows_progress_on_a_terminal "$(head -c 200 "$TMP/tty.out")"; fi
fi

# ---- an interrupted sweep writes the points it completed, marked incomplete ----
cat > "$TMP/long.lua" <<'EOF'
scenario { name = "long", duration = "5000000s", seed = 1, window = "1000s" }
service "s" { instances = 1, workers = 1, queue = math.huge, work = exp "1s" }
traffic { rate = 0.8, mix = { s = 1 } }
EOF
"$F" sweep "$TMP/long.lua" --set s.workers=1,2,3,4 --reps 20 -j 2 -q --json "$TMP/int.json" > /dev/null 2> "$TMP/int.err" &
pid=$!
sleep 1
kill -INT "$pid"
wait "$pid"; rc=$?
py interrupted_sweep_writes_an_incomplete_result '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["complete"] is False and len(d["results"]) < 4, (d["complete"], len(d["results"]))
print("ok")' "$TMP/int.json"
if [ "$rc" = 0 ] && grep -q "interrupted" "$TMP/int.err"; then t_ok interrupted_sweep_says_so
else t_fail interrupted_sweep_says_so "exit $rc: $(head -c 200 "$TMP/int.err")"; fi
"$F" sweep "$TMP/long.lua" --set s.workers=1,2,3,4 --reps 20 -j 2 --shard 1/2 --json "$TMP/int1.json" > /dev/null 2>&1 &
pid=$!
sleep 1
kill -INT "$pid"
wait "$pid"; rc=$?
if [ "$rc" = 3 ]; then t_ok interrupted_shard_exits_3_so_that_a_scheduler_retries_it
else t_fail interrupted_shard_exits_3_so_that_a_scheduler_retries_it "exit $rc"; fi
"$F" sweep "$TMP/long.lua" --set s.workers=1,2,3,4 --reps 20 --shard 2/2 --json "$TMP/int2.json" > /dev/null 2>&1 &
pid=$!
sleep 0.3
kill -INT "$pid"
wait "$pid"
expect_exit merge_refuses_an_incomplete_shard 2 "$F" merge "$TMP/int1.json" "$TMP/int2.json"
expect_output merge_says_which_shard_is_incomplete "is incomplete"

finish
