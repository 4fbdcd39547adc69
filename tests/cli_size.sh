#!/usr/bin/env bash
# faultline size from the command line: usage errors (exit 2), the Black Friday shop sized
# within its budget (a wrapper scenario that includes scenarios/black_friday.lua and adds
# expectations, compressed in time with --set) whose answer passes a `run` while one instance
# fewer of any service above its floor fails, the JSON's shape, -j 1 and -j 2 giving the same
# result, the verdicts' exit codes (infeasible: 1), and a malformed trace reported as file:line.
cd "$(dirname "$0")/.." || exit 3
. tests/cli.sh
F=$FAULTLINE

py() {
  local name=$1 script=$2; shift 2
  local out
  out=$(python3 -c "$script" "$@" 2>&1)
  if [ "$out" = ok ]; then t_ok "$name"; else t_fail "$name" "$(echo "$out" | tail -3)"; fi
}

cat > "$TMP/mmc.lua" <<'EOF'
scenario { name = "M/M/c", duration = "4000s", seed = 7, warmup = "200s", window = "100s" }
service "s" { instances = 1, workers = 14, queue = math.huge, work = exp "1s" }
traffic { rate = 8, mix = { s = 1 } }
expect "p99 under 5.5s" { journey = "s", p99 = "< 5.5s" }
EOF

# ---- usage ----
expect_exit size_without_a_scenario_exits_2 2 "$F" size
expect_output size_without_a_scenario_says_so "missing scenario file"
expect_exit size_with_an_unknown_option_exits_2 2 "$F" size "$TMP/mmc.lua" --bogus
expect_output size_points_at_its_help "try 'faultline size --help'"
expect_exit size_help_exits_0 0 "$F" size --help
expect_output size_help_prints_its_usage "usage: faultline size SCENARIO.lua"
expect_output size_help_lists_confidence "--confidence C"
expect_exit size_with_a_bad_confidence_exits_2 2 "$F" size "$TMP/mmc.lua" --confidence 1.5%x
expect_output size_explains_the_confidence "--confidence needs a level"
expect_exit size_with_a_bad_vary_exits_2 2 "$F" size "$TMP/mmc.lua" --vary cpus
expect_exit size_with_a_budget_below_one_candidate_exits_2 2 "$F" size "$TMP/mmc.lua" --reps 5 --budget 4
expect_output size_explains_the_budget "--budget 4 cannot pay for one candidate"
expect_exit size_of_an_unknown_service_exits_2 2 "$F" size "$TMP/mmc.lua" --services s,nope
expect_output size_names_the_unknown_service "no service named 'nope'"
expect_exit size_with_a_bad_set_exits_2 2 "$F" size "$TMP/mmc.lua" --set s.nope=3
cat > "$TMP/noexp.lua" <<'EOF'
scenario { duration = "60s" }
service "s" { work = exp "1ms" }
traffic { rate = 1, mix = { s = 1 } }
EOF
expect_exit size_without_expectations_exits_2 2 "$F" size "$TMP/noexp.lua"
expect_output size_without_expectations_says_so "no expectations to size against"

# ---- the same answer whatever -j ----
"$F" size "$TMP/mmc.lua" --vary workers --reps 3 -j 1 -q --json "$TMP/j1.json" 2> /dev/null; rc1=$?
"$F" size "$TMP/mmc.lua" --vary workers --reps 3 -j 2 -q --json "$TMP/j2.json" 2> /dev/null; rc2=$?
if [ "$rc1" = 0 ] && [ "$rc2" = 0 ]; then t_ok size_exits_0_when_it_finds_sizes; else t_fail size_exits_0_when_it_finds_sizes "exit $rc1 / $rc2"; fi
py size_json_is_the_same_for_j1_and_j2 '
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
ra, rb = a.pop("run"), b.pop("run")
assert a == b, "differ"
assert ra["threads"] == 1 and rb["threads"] == 2, (ra, rb)
assert rb["runs"] >= a["simulations"], (rb, a["simulations"])
print("ok")' "$TMP/j1.json" "$TMP/j2.json"
py size_json_has_the_answer_the_search_and_the_seeds '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["kind"] == "size" and d["vary"] == "workers" and d["stopped"] == "converged" and d["found"] is True, d["stopped"]
assert d["replications"] == 3 and d["seeds"] == [7, 8, 9], d["seeds"]
assert d["simulations"] <= d["budget"] == 200
s = d["services"][0]
assert s["name"] == "s" and s["field"] == "workers" and s["initial"] == 14 and s["value"] == 10 and s["minimal"], s
assert abs(s["headroom"] + s["peak_utilization"] - 1) < 1e-12 and 0 < s["headroom"] < 0.3, s
assert s["binding"]["expectation"] == "p99 under 5.5s" and s["binding"]["at"] == 9, s["binding"]
assert s["set"] == "s.workers=10"
# how sure: 3 of 3 replications held, P(pass) >= 0.05^(1/3) at 95% (one-sided Clopper-Pearson)
pp = d["pass_probability"]
assert d["confidence"] == 0.95 and pp["held"] == pp["of"] == 3 and abs(pp["lower"] - 0.05 ** (1 / 3)) < 1e-9, pp
ev = d["evaluations"]
assert sum(e["simulations"] for e in ev) == d["simulations"] and len(ev) == d["candidates"]
assert ev[0]["sizes"] == {"s": 14} and ev[0]["passed"] and ev[0]["simulations"] == 3
fails = [e for e in ev if not e["passed"]]
assert fails and all(e["failed"][0]["expectation"] == "p99 under 5.5s" for e in fails)
print("ok")' "$TMP/j1.json"

# ---- seeds are exact integers: any replication replays with run --seed ----
# Base seed 2^53: replication 1 runs with 2^53 + 1, which a double cannot hold. The observed text
# of a failing expectation is the terminal's and JUnit's (6 digits): the replay prints the same.
cat > "$TMP/big.lua" <<'EOF'
scenario { name = "M/M/c with errors", duration = "4000s", seed = 7, warmup = "200s", window = "100s" }
service "s" { instances = 1, workers = 14, queue = math.huge, work = exp "1s", error_rate = 0.01 }
traffic { rate = 8, mix = { s = 1 } }
expect "fast and mostly right" { journey = "s", success_rate = ">= 98.5%", p99 = "< 5.5s" }
EOF
"$F" size "$TMP/big.lua" --vary workers --reps 2 --seed 9007199254740992 -q --json "$TMP/big.json" 2> /dev/null
py size_seeds_are_exact_integers_that_replay_with_run_seed '
import json, re, subprocess, sys
d = json.load(open(sys.argv[1]))
assert d["seeds"] == [2**53, 2**53 + 1] and all(type(s) is int for s in d["seeds"]), d["seeds"]
assert d["scenario"]["seed"] == 2**53 and type(d["scenario"]["seed"]) is int, d["scenario"]["seed"]
assert "e+15" not in open(sys.argv[1]).read(), "a seed printed as floating point"
fails = [e for e in d["evaluations"] if not e["passed"] and e["failed"]]
assert fails, "no failing candidate to replay"
for e in fails:
    f = e["failed"][0]
    args = [sys.argv[2], "run", sys.argv[3], "--seed", str(d["seeds"][f["replication"]])]
    for name, n in e["sizes"].items(): args += ["--set", "%s.workers=%d" % (name, n)]
    out = subprocess.run(args, capture_output=True, text=True)
    assert out.returncode == 1, (args, out.returncode, out.stderr)
    assert "observed " + f["observed"] + "\n" in out.stdout, (f["observed"], [l for l in out.stdout.splitlines() if "observed" in l])
    rate = re.match(r"success_rate ([0-9.]+)%", f["observed"])
    assert rate and len(rate.group(1).replace(".", "").lstrip("0")) > 4, f["observed"]
print("ok")' "$TMP/big.json" "$F" "$TMP/big.lua"

# ---- verdicts ----
cat > "$TMP/impossible.lua" <<'EOF'
scenario { duration = "30s", seed = 1 }
service "s" { instances = 2, workers = 2, work = const "10ms" }
traffic { rate = 20, mix = { s = 1 } }
expect "impossible" { journey = "s", p99 = "< 1ms" }
EOF
expect_exit size_infeasible_exits_1 1 "$F" size "$TMP/impossible.lua" --reps 1 --max 8
expect_output size_infeasible_says_why "infeasible: the expectations fail even with every sized service at its cap"
expect_exit size_with_confidence_exits_0 0 "$F" size "$TMP/mmc.lua" --vary workers --reps 3 --confidence 90%
expect_output size_says_how_sure_it_is "holds in 3/3 replications; P(pass) >= 0.46 at 90%"
expect_exit size_out_of_budget_with_a_passing_answer_exits_0 0 "$F" size "$TMP/mmc.lua" --vary workers --reps 1 --budget 2
expect_output size_out_of_budget_says_so "the budget of 2 simulations is spent"

# ---- a malformed trace: file:line, exit 2 ----
printf 'time,rate\n0,10\n60,lots\n' > "$TMP/bad.csv"
cat > "$TMP/badtrace.lua" <<'EOF'
scenario { duration = "60s" }
service "s" { work = exp "1ms" }
traffic { rate = trace "bad.csv", mix = { s = 1 } }
expect "x" { journey = "s", success_rate = ">= 99%" }
EOF
expect_exit trace_malformed_run_exits_2 2 "$F" run "$TMP/badtrace.lua"
expect_output trace_malformed_names_file_and_line "bad.csv:3: cannot read 'lots' as a rate"
expect_exit trace_malformed_size_exits_2 2 "$F" size "$TMP/badtrace.lua"

# ---- Black Friday ----
# The shop of scenarios/black_friday.lua in time-lapse (tests/black_friday_timelapse.lua: its
# evening 30x faster, a tenth of the traffic on a tenth of the workers per instance; the search
# runs whole simulations and this keeps it to seconds), with its own expectations and, added by
# this wrapper, the journeys' success and the services' SLOs.
cp scenarios/black_friday.lua tests/black_friday_timelapse.lua "$TMP/"
cat > "$TMP/bf_sized.lua" <<'EOF'
include "black_friday_timelapse.lua"
expect "search answers" { journey = "gateway.search", success_rate = ">= 99%" }
expect "home answers" { journey = "gateway.home", success_rate = ">= 99%", p99 = "< 400ms" }
expect "product answers" { journey = "gateway.product", success_rate = ">= 99%", p99 = "< 400ms" }
expect "cart answers" { journey = "gateway.cart", success_rate = ">= 99.5%", p99 = "< 100ms" }
expect "recommend within its SLO" { service = "recommend", p99 = "< 120ms", during = "steady" }
expect "catalog within its SLO" { service = "catalog", p99 = "< 50ms" }
expect "search within its SLO" { service = "search", p99 = "< 250ms" }
EOF
SERVICES=()
# under the sanitizers (several times slower) the hot path of the shop only
[ "${FAULTLINE_SANITIZED:-0}" = 1 ] && SERVICES=(--services gateway,recommend,checkout,payment)
BUDGET=60
"$F" size "$TMP/bf_sized.lua" "${SERVICES[@]}" --reps 1 --budget $BUDGET -j 2 --json "$TMP/bf.json" > "$TMP/out" 2>&1; rc=$?
if [ "$rc" = 0 ]; then t_ok size_black_friday_exits_0; else t_fail size_black_friday_exits_0 "exit $rc: $(head -c 400 "$TMP/out")"; fi
expect_output size_black_friday_prints_the_table "binds at one fewer"
expect_output size_black_friday_says_how_many_simulations "simulations ("
py size_black_friday_converges_within_its_budget '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["stopped"] == "converged", d["reason"]
assert d["simulations"] <= int(sys.argv[2]), d["simulations"]
for s in d["services"]:
    assert s["minimal"], s
    assert (s["binding"] is None) == (s["value"] == s["floor"]), s
print("ok")' "$TMP/bf.json" $BUDGET
# the answer, replayed with `run`, holds every expectation; one instance fewer of any service
# above its floor fails one
mapfile -t ANSWER < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for s in d["services"]: print(s["name"], s["field"], s["value"], s["floor"])' "$TMP/bf.json")
SETS=()
for line in "${ANSWER[@]}"; do read -r name field value floor <<< "$line"; SETS+=(--set "$name.$field=$value"); done
expect_exit size_black_friday_answer_passes_a_run 0 "$F" run "$TMP/bf_sized.lua" "${SETS[@]}" -q
fewer=0
for line in "${ANSWER[@]}"; do
  read -r name field value floor <<< "$line"
  [ "$value" -gt "$floor" ] || continue
  fewer=$((fewer + 1))
  expect_exit "size_black_friday_one_${name}_fewer_fails" 1 "$F" run "$TMP/bf_sized.lua" "${SETS[@]}" --set "$name.$field=$((value - 1))" -q
done
if [ "$fewer" -gt 0 ]; then t_ok size_black_friday_has_services_above_their_floor; else t_fail size_black_friday_has_services_above_their_floor "every service at 1"; fi

finish
