#!/usr/bin/env bash
# faultline run --traces: the files parse (OTLP JSON's encoding rules, Jaeger's JSON, one tree
# per trace: tests/traces_check.py), say what the run counted (at --sample 1 the spans of each
# service are its arrivals and the spans in error its failures), sample the share asked for, name
# the fault that hit a visit and the policies (retries, abandoned attempts, fallbacks), leave the
# report byte-identical but for its "run" object, and are the same twice. The round trip through
# `faultline import traces` is in tests/cli_import_traces.sh.
cd "$(dirname "$0")/.." || exit 3
. tests/cli.sh
F=$FAULTLINE
if ! command -v python3 > /dev/null 2>&1; then echo "skip cli_traces.sh: no python3"; finish; exit $?; fi
C="python3 tests/traces_check.py"
no_run() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); r.pop('run'); print(json.dumps(r, sort_keys=True))" "$1"; }

cat > "$TMP/pol.lua" <<'LUA'
scenario { name = "policies", duration = "60s", warmup = "0s", seed = 5, window = "1s" }
service "gateway" {
  instances = 2, workers = 100, work = "1ms",
  calls = {
    call "backend" { timeout = "50ms", retries = 2, retry_on = { "timeout", "error" } },
    call "extras" { optional = true, fallback = "2ms" },
  },
}
service "backend" { instances = 2, workers = 100, work = exp "10ms", error_rate = "5%" }
service "extras" { instances = 1, workers = 50, work = "3ms", error_rate = "20%" }
fault { name = "slow", target = "backend", kind = "slowdown", factor = 10, at = "20s", duration = "20s" }
traffic { rate = "50/s", mix = { gateway = 1 } }
LUA

for fmt in otlp jaeger; do
  expect_exit ${fmt}_run_writes_traces 0 "$F" run "$TMP/pol.lua" --traces "$TMP/pol.$fmt.json" --traces-format $fmt --sample 1 --json "$TMP/pol.$fmt.report.json"
  expect_output ${fmt}_run_says_how_many "traces: $TMP/pol.$fmt.json ("
  expect_exit ${fmt}_follows_the_format 0 $C $fmt "$TMP/pol.$fmt.json"
  expect_exit ${fmt}_spans_are_the_reports_arrivals_and_failures 0 $C counts "$TMP/pol.$fmt.json" "$TMP/pol.$fmt.report.json"
  expect_exit ${fmt}_spans_name_the_fault_that_hit_them 0 $C faults "$TMP/pol.$fmt.json" slow backend 20 40
  expect_exit ${fmt}_spans_tell_retries_timeouts_and_fallbacks 0 $C policies "$TMP/pol.$fmt.json"
done
# hedges and retries together: every attempt is a span, each past the first a retry or a hedge
cat > "$TMP/hedge.lua" <<'LUA'
scenario { name = "hedge", duration = "20s", warmup = "0s", seed = 5, window = "1s" }
service "gateway" { instances = 2, workers = 100, work = "1ms",
  calls = { call "backend" { timeout = "200ms", retries = 1, hedge = { after = "20ms", max = 1 } } } }
service "backend" { instances = 4, workers = 100, work = exp "10ms", error_rate = "5%" }
traffic { rate = "50/s", mix = { gateway = 1 } }
LUA
"$F" run "$TMP/hedge.lua" --traces "$TMP/hedge.otlp.json" --sample 1 -q --json "$TMP/hedge.json"
expect_exit attempts_are_the_reports_attempts 0 $C calls "$TMP/hedge.otlp.json" "$TMP/hedge.json"
expect_exit pol_attempts_are_the_reports_attempts 0 $C calls "$TMP/pol.otlp.json" "$TMP/pol.otlp.report.json"
# the format from the file's name
"$F" run "$TMP/pol.lua" --traces "$TMP/named.jaeger.json" --sample 0.1 -q
expect_exit jaeger_json_name_writes_jaeger 0 $C jaeger "$TMP/named.jaeger.json"
"$F" run "$TMP/pol.lua" --traces "$TMP/named.json" --sample 0.1 -q
expect_exit other_names_write_otlp 0 $C otlp "$TMP/named.json"

# the run is the same with and without traces (the sampling draws nothing from the run's streams)
"$F" run scenarios/recommendation_outage.lua --set duration=6m --set scenario.warmup=0 -q --json "$TMP/plain.json" 2>/dev/null
"$F" run scenarios/recommendation_outage.lua --set duration=6m --set scenario.warmup=0 -q --json "$TMP/traced.json" --traces "$TMP/ro.otlp.json" --sample 0.05 2>/dev/null
if cmp -s <(no_run "$TMP/plain.json") <(no_run "$TMP/traced.json"); then t_ok report_is_the_same_with_traces
else t_fail report_is_the_same_with_traces "the reports differ beyond run"; fi
expect_exit fault_scenario_traces_follow_the_format 0 $C otlp "$TMP/ro.otlp.json"
expect_exit the_sampled_share_is_binomial 0 $C sample "$TMP/ro.otlp.json" "$TMP/traced.json" 0.05
"$F" run scenarios/recommendation_outage.lua --set duration=6m --set scenario.warmup=0 -q --traces "$TMP/ro2.otlp.json" --sample 0.05 2>/dev/null
expect_exit same_run_same_traces 0 cmp "$TMP/ro.otlp.json" "$TMP/ro2.otlp.json"
"$F" run scenarios/recommendation_outage.lua --set duration=6m --set scenario.warmup=0 -q --traces "$TMP/ro3.otlp.json" --sample 0.05 --seed 8 2>/dev/null
if cmp -s "$TMP/ro.otlp.json" "$TMP/ro3.otlp.json"; then t_fail another_seed_other_traces "identical"; else t_ok another_seed_other_traces; fi
# requests in flight at the end are written, unfinished, ending at the run's end
python3 - "$TMP/ro.otlp.json" > "$TMP/out" <<'PY'
import json, sys
end = 1767225600 * 10**9 + 360 * 10**9
n = bad = 0
for rs in json.load(open(sys.argv[1]))["resourceSpans"]:
    for s in rs["scopeSpans"][0]["spans"]:
        a = {x["key"]: list(x["value"].values())[0] for x in s["attributes"]}
        if a["faultline.outcome"] == "unfinished":
            n += 1
            bad += int(s["endTimeUnixNano"]) != end or "code" in s["status"]
print("unfinished", n, "bad", bad)
PY
if grep -qE "^unfinished [1-9][0-9]* bad 0$" "$TMP/out"; then t_ok unfinished_spans_end_at_the_run_end; else t_fail unfinished_spans_end_at_the_run_end "$(cat "$TMP/out")"; fi

# memory: a trace is held only until its last span ends. Ten times the run (120,000 traces of 4
# spans, about 30 MB if they were held) leaves the peak within 4 MB (not under the sanitizers,
# whose quarantine keeps freed memory)
if [ "${FAULTLINE_SANITIZED:-0}" = 1 ] || { command -v ldd > /dev/null && ldd "$F" 2>/dev/null | grep -q libasan; }; then
  echo "# skipped traces_do_not_pile_up_in_memory under the sanitizers"
else
for d in 300 3000; do
  "$F" run tests/import/shop_model.lua --set duration=${d}s --traces /dev/null --sample 1 -q --json "$TMP/rss$d.json"
done
python3 - "$TMP/rss300.json" "$TMP/rss3000.json" > "$TMP/out" <<'PY'
import json, sys
a, b = (json.load(open(p))["run"]["peak_rss_mb"] for p in sys.argv[1:3])
print("peak %.1f MB -> %.1f MB" % (a, b))
sys.exit(0 if b - a < 4 else 1)
PY
if [ $? = 0 ]; then t_ok traces_do_not_pile_up_in_memory; else t_fail traces_do_not_pile_up_in_memory "$(cat "$TMP/out")"; fi
fi

# usage
expect_exit sample_zero_is_refused 2 "$F" run "$TMP/pol.lua" --traces "$TMP/x.json" --sample 0
expect_output sample_says_its_range "--sample needs a share of the entry requests in (0, 1]"
expect_exit sample_above_one_is_refused 2 "$F" run "$TMP/pol.lua" --traces "$TMP/x.json" --sample 1.5
expect_exit sample_needs_a_number 2 "$F" run "$TMP/pol.lua" --traces "$TMP/x.json" --sample abc
expect_exit sample_needs_traces 2 "$F" run "$TMP/pol.lua" --sample 0.5
expect_output sample_says_it_goes_with_traces "go with --traces FILE"
expect_exit unknown_traces_format 2 "$F" run "$TMP/pol.lua" --traces "$TMP/x.json" --traces-format zipkin
expect_exit traces_in_a_missing_folder 2 "$F" run "$TMP/pol.lua" --traces "$TMP/nope/x.json"
expect_exit traces_over_the_scenario 2 "$F" run "$TMP/pol.lua" --traces "$TMP/pol.lua"
# written through a temporary file renamed at the end; a device is written in place
expect_exit traces_to_dev_null 0 "$F" run "$TMP/pol.lua" --traces /dev/null --sample 1 -q
if [ -c /dev/null ]; then t_ok dev_null_stays_a_device; else t_fail dev_null_stays_a_device "replaced"; fi
if ls "$TMP" | grep -q 'tmp-'; then t_fail no_temporary_file_left "$(ls "$TMP")"; else t_ok no_temporary_file_left; fi
# a run that fails (a hook error) leaves no traces file
printf 'scenario { name = "h", duration = "10s" }\nservice "a" { work = "1ms" }\ntraffic { rate = "10/s", mix = { a = 1 } }\nat("5s", function(sim) error("boom") end)\n' > "$TMP/hook.lua"
expect_exit failed_run_exits_2 2 "$F" run "$TMP/hook.lua" --traces "$TMP/hook.json" --sample 1
if ls "$TMP" | grep -q '^hook\.json'; then t_fail failed_run_leaves_no_traces "$(ls "$TMP" | grep hook)"; else t_ok failed_run_leaves_no_traces; fi
finish
