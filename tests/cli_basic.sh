#!/usr/bin/env bash
# The command line: run and check, exit codes, error messages, the JSON report (valid, its keys,
# the same for the same seed apart from "run"), -q, no escape codes when piped or under NO_COLOR,
# and no half-written report when it cannot be written.
cd "$(dirname "$0")/.." || exit 3
. tests/cli.sh
F=$FAULTLINE

cat > "$TMP/small.lua" <<'EOF'
-- two services, one call: a second of simulated time is plenty
scenario { name = "small", duration = "30s", seed = 3, warmup = "2s" }
service "front" { instances = 2, workers = 4, work = exp "5ms", calls = { call "back" } }
service "back" { instances = 1, workers = 8, work = exp "10ms" }
traffic { rate = "100/s", mix = { front = 1 } }
EOF
cat > "$TMP/bad.lua" <<'EOF'
scenario { duration = "10s" }
service "front" { work = "12 parsecs" }
traffic { rate = "100/s", mix = { front = 1 } }
EOF

# ---- run and check ----
expect_exit run_small_scenario_exits_0 0 "$F" run "$TMP/small.lua"
expect_output run_prints_a_summary_naming_the_services "front"
expect_exit check_exits_0 0 "$F" check "$TMP/small.lua"
expect_output check_prints_the_model "service front: 2 instances x 4 workers"
expect_output check_prints_the_call "front.default"
expect_output check_ends_with_ok "ok: 2 services, 2 endpoints, 1 journey"
expect_exit check_with_set_exits_0 0 "$F" check "$TMP/small.lua" --set front.instances=7 --set traffic.rate=50/s
expect_output check_shows_the_set_value "service front: 7 instances"
expect_exit help_exits_0 0 "$F" --help
expect_output help_shows_usage "usage: faultline"

# ---- errors: exit 2 and "faultline: error:" ----
expect_exit broken_scenario_exits_2 2 "$F" run "$TMP/bad.lua"
expect_output broken_scenario_says_file_line "faultline: error: $TMP/bad.lua:2: service \"front\": work: cannot read '12 parsecs' as a duration"
expect_exit broken_scenario_check_exits_2 2 "$F" check "$TMP/bad.lua"
expect_output broken_scenario_check_says_file_line "faultline: error: $TMP/bad.lua:2:"
expect_exit unknown_option_exits_2 2 "$F" run "$TMP/small.lua" --frobnicate
expect_output unknown_option_is_named "faultline: error: unknown option --frobnicate"
expect_output unknown_option_hints_at_the_verbs_help "try 'faultline run --help'"
out=$("$F" run "$TMP/small.lua" --frobnicate 2>&1)
if [ "$(printf '%s\n' "$out" | wc -l)" -eq 2 ]; then t_ok unknown_option_is_two_lines_not_the_usage; else t_fail unknown_option_is_two_lines_not_the_usage "$out"; fi
expect_exit run_help_exits_0 0 "$F" run --help
expect_output run_help_lists_its_options "--junit FILE"
expect_exit run_help_after_the_scenario_exits_0 0 "$F" run "$TMP/small.lua" --help
expect_exit check_help_exits_0 0 "$F" check --help
expect_output check_help_shows_its_usage "usage: faultline check SCENARIO.lua"
expect_exit serve_help_exits_0 0 "$F" serve --help
expect_output serve_help_lists_the_speed "--speed X|max"
expect_exit graph_help_exits_0 0 "$F" graph --help
expect_exit unknown_command_exits_2 2 "$F" frob "$TMP/small.lua"
expect_output unknown_command_is_named "faultline: error: unknown command frob"
expect_exit missing_file_exits_2 2 "$F" run "$TMP/nope.lua"
expect_output missing_file_is_named "faultline: error: cannot open scenario '$TMP/nope.lua'"
expect_exit no_arguments_exit_2 2 "$F"
expect_output no_arguments_say_what_is_missing "faultline: error: missing command"
expect_exit missing_scenario_argument_exits_2 2 "$F" run
expect_exit bad_seed_exits_2 2 "$F" run "$TMP/small.lua" --seed -4
expect_output bad_seed_is_named "--seed needs a non-negative whole number, got -4"
expect_exit bad_set_exits_2 2 "$F" run "$TMP/small.lua" --set front.instances=0
expect_output bad_set_is_explained "faultline: error: --set front.instances=0: expected a whole number from 1 to 100000, got '0'"
expect_exit json_without_file_exits_2 2 "$F" run "$TMP/small.lua" --json

# ---- the JSON report ----
expect_exit run_with_json_exits_0 0 "$F" run "$TMP/small.lua" --json "$TMP/a.json" -q
if python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/a.json" 2>"$TMP/err"; then
  t_ok json_report_is_valid_json
else
  t_fail json_report_is_valid_json "$(head -c 300 "$TMP/err")"
fi
missing=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
want = ["faultline", "scenario", "services", "journeys", "series", "run"]
print(" ".join(k for k in want if k not in d))
print(" ".join(k for k in ["front", "back"] if k not in d.get("services", {})))
' "$TMP/a.json" 2>&1)
if [ -z "$(echo "$missing" | tr -d ' \n')" ]; then t_ok json_report_has_the_top_level_keys_and_services
else t_fail json_report_has_the_top_level_keys_and_services "missing: $missing"; fi

# ---- -q ----
"$F" run "$TMP/small.lua" -q > "$TMP/q.out" 2> "$TMP/q.err"; rc=$?
if [ "$rc" = 0 ] && [ ! -s "$TMP/q.out" ]; then t_ok quiet_prints_nothing_on_stdout
else t_fail quiet_prints_nothing_on_stdout "exit $rc, stdout: $(head -c 200 "$TMP/q.out")"; fi
"$F" run "$TMP/small.lua" -q --json "$TMP/q.json" > "$TMP/q.out" 2>&1; rc=$?
if [ "$rc" = 0 ] && [ ! -s "$TMP/q.out" ] && [ -s "$TMP/q.json" ]; then t_ok quiet_with_json_writes_only_the_report
else t_fail quiet_with_json_writes_only_the_report "exit $rc, output: $(head -c 200 "$TMP/q.out")"; fi

# ---- determinism: the same seed gives byte-identical JSON apart from "run" ----
# strip_run FILE: the report's text with the top-level "run" object cut out (byte for byte).
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
"$F" run "$TMP/small.lua" -q --seed 11 --json "$TMP/s1.json" && "$F" run "$TMP/small.lua" -q --seed 11 --json "$TMP/s2.json" \
  && "$F" run "$TMP/small.lua" -q --seed 12 --json "$TMP/s3.json"
strip_run "$TMP/s1.json" > "$TMP/s1.txt"; strip_run "$TMP/s2.json" > "$TMP/s2.txt"; strip_run "$TMP/s3.json" > "$TMP/s3.txt"
if [ -s "$TMP/s1.txt" ] && cmp -s "$TMP/s1.txt" "$TMP/s2.txt"; then t_ok same_seed_gives_identical_json_apart_from_run
else t_fail same_seed_gives_identical_json_apart_from_run "$(diff "$TMP/s1.txt" "$TMP/s2.txt" | head -5)"; fi
if ! cmp -s "$TMP/s1.json" "$TMP/s2.json"; then t_ok run_object_differs_between_two_runs
else t_fail run_object_differs_between_two_runs "the wall-clock facts were identical too (is run filled?)"; fi
same_services=$(python3 -c '
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
print(a["services"] == b["services"] and a["journeys"] == b["journeys"])
' "$TMP/s1.json" "$TMP/s3.json" 2>&1)
if [ "$same_services" = False ]; then t_ok different_seed_gives_different_numbers
else t_fail different_seed_gives_different_numbers "seeds 11 and 12: services and journeys equal ($same_services)"; fi
seed_in_report=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["scenario"]["seed"])' "$TMP/s3.json" 2>&1)
if [ "$seed_in_report" = 12 ]; then t_ok report_records_the_seed_given
else t_fail report_records_the_seed_given "scenario.seed is $seed_in_report"; fi

# ---- colour: none when piped or under NO_COLOR ----
esc=$(printf '\033')
"$F" run "$TMP/small.lua" > "$TMP/piped.out" 2>&1
if ! grep -q "$esc" "$TMP/piped.out"; then t_ok piped_output_has_no_escape_codes
else t_fail piped_output_has_no_escape_codes "found ESC in piped output"; fi
NO_COLOR=1 "$F" run "$TMP/small.lua" > "$TMP/nocolor.out" 2>&1
if ! grep -q "$esc" "$TMP/nocolor.out"; then t_ok no_color_output_has_no_escape_codes
else t_fail no_color_output_has_no_escape_codes "found ESC"; fi
# on a terminal (script(1) gives one) the summary is coloured, unless NO_COLOR is set
if command -v script > /dev/null 2>&1; then
  env -u NO_COLOR script -qec "$F run $TMP/small.lua" /dev/null > "$TMP/tty.out" 2>&1 < /dev/null
  if grep -q "$esc" "$TMP/tty.out"; then t_ok terminal_output_is_coloured
  else t_fail terminal_output_is_coloured "no ESC on a terminal: the NO_COLOR test below proves nothing"; fi
  NO_COLOR=1 script -qec "$F run $TMP/small.lua" /dev/null > "$TMP/tty.out" 2>&1 < /dev/null
  if grep -q "front" "$TMP/tty.out" && ! grep -q "$esc" "$TMP/tty.out"; then t_ok no_color_on_a_terminal_has_no_escape_codes
  else t_fail no_color_on_a_terminal_has_no_escape_codes "$(head -c 200 "$TMP/tty.out" | od -c | head -3)"; fi
fi

# ---- reports are whole or absent ----
expect_exit report_into_a_missing_folder_fails 2 "$F" run "$TMP/small.lua" -q --json "$TMP/no/such/dir/r.json"
expect_output report_into_a_missing_folder_names_it "faultline: error: cannot write '$TMP/no/such/dir/r.json'"
if [ ! -e "$TMP/no" ] && [ -z "$(find "$TMP" -name '*.tmp*')" ]; then t_ok report_into_a_missing_folder_leaves_nothing
else t_fail report_into_a_missing_folder_leaves_nothing "$(find "$TMP" -name '*.tmp*' -o -name no)"; fi
expect_exit junit_into_a_missing_folder_fails_before_the_run 2 "$F" run "$TMP/small.lua" -q --junit "$TMP/no/such/dir/r.xml"
expect_output junit_into_a_missing_folder_names_it "faultline: error: cannot write '$TMP/no/such/dir/r.xml'"
mkdir -p "$TMP/adir"
"$F" run "$TMP/small.lua" -q --json "$TMP/adir" > "$TMP/out" 2>&1; rc=$?
if [ "$rc" != 0 ] && [ -d "$TMP/adir" ] && [ -z "$(find "$TMP" -name '*.tmp*')" ]; then t_ok report_onto_a_folder_fails_and_leaves_no_temp_file
else t_fail report_onto_a_folder_fails_and_leaves_no_temp_file "exit $rc: $(find "$TMP" -name '*.tmp*')"; fi
expect_output report_onto_a_folder_names_it "faultline: error: cannot write '$TMP/adir'"
# an existing report is replaced whole, never truncated when the new one fails
cp "$TMP/a.json" "$TMP/keep.json"
chmod 500 "$TMP/adir"
if [ "$(id -u)" != 0 ]; then
  "$F" run "$TMP/small.lua" -q --json "$TMP/adir/r.json" > "$TMP/out" 2>&1; rc=$?
  if [ "$rc" != 0 ]; then t_ok report_into_a_read_only_folder_fails
  else t_fail report_into_a_read_only_folder_fails "exit 0"; fi
fi
chmod 700 "$TMP/adir"
"$F" run "$TMP/small.lua" -q --json "$TMP/keep.json" > "$TMP/out" 2>&1
if python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/keep.json" 2>/dev/null && [ -z "$(find "$TMP" -name '*.tmp*')" ]; then
  t_ok report_over_an_old_one_is_whole_and_leaves_no_temp_file
else t_fail report_over_an_old_one_is_whole_and_leaves_no_temp_file "$(find "$TMP" -name '*.tmp*')"; fi

# a call to a service without endpoints is shown as written, not as its one endpoint "default"
cat > "$TMP/authv.lua" <<'EOF2'
scenario { duration = "10s" }
service "front" { endpoints = { get = { work = exp "1ms", calls = { call "auth.verify" } } } }
service "auth" { work = exp "1ms" }
traffic { rate = 10, mix = { ["front.get"] = 1 } }
EOF2
expect_exit check_of_a_call_to_an_implicit_endpoint_exits_0 0 "$F" check "$TMP/authv.lua"
expect_output a_call_is_shown_as_written "→ auth.verify"
expect_exit run_with_a_call_to_an_implicit_endpoint_exits_0 0 "$F" run "$TMP/authv.lua" -q --json "$TMP/authv.json"
if python3 -c "import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if 'front.get -> auth.verify' in r['calls'] else 1)" "$TMP/authv.json"; then
  t_ok the_report_names_the_call_site_as_written; else t_fail the_report_names_the_call_site_as_written "$(head -c 300 "$TMP/authv.json")"; fi

# -q hides the summary, never a failed expectation: its FAIL line goes to stderr
"$FAULTLINE" run scenarios/recommendation_outage.lua -q > "$TMP/q.stdout" 2> "$TMP/out"
expect_output quiet_run_still_prints_fail_lines_on_stderr "FAIL checkout survives the recommendation outage — wanted success_rate >= 99.5%"
if [ -s "$TMP/q.stdout" ]; then t_fail quiet_run_prints_nothing_on_stdout "$(head -c 200 "$TMP/q.stdout")"; else t_ok quiet_run_prints_nothing_on_stdout; fi
finish
