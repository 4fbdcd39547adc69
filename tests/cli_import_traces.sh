#!/usr/bin/env bash
# faultline import traces: the round trip. tests/import/make_traces.py samples 20000 traces from a
# known model (a gateway with two endpoints, a parallel group, a call on 30% of requests, a callee
# called 2.5 times per request, 1% errors at pricing) in Jaeger's and OTLP's JSON; each is
# imported, checked and run for 50 simulated minutes (about 120000 requests), and the simulated
# p50 and p99 of every operation must be within 5% of the traces' own, and the calls per request
# of every caller -> callee within 4 standard errors of the difference of the two means (+10
# requests in flight at the end). The same round trip from traces that `faultline run --traces`
# wrote of that model (tests/import/shop_model.lua). Then the small fixtures, the notes, and bad input (exit 2,
# file:line).
cd "$(dirname "$0")/.." || exit 3
. tests/cli.sh
F=$FAULTLINE
D=tests/import
if ! command -v python3 > /dev/null 2>&1; then echo "skip cli_import_traces.sh: no python3"; finish; exit $?; fi

# round_trip NAME: $TMP/NAME.json imported, checked, run; the run held against the traces
round_trip() {
  expect_exit ${1}_imports 0 "$F" import traces "$TMP/$1.json" --duration 3000s --out "$TMP/$1.lua"
  expect_exit ${1}_checks 0 "$F" check "$TMP/$1.lua"
  expect_output ${1}_has_the_model "ok: 5 services, 6 endpoints, 2 journeys"
  expect_exit ${1}_runs 0 "$F" run "$TMP/$1.lua" --set scenario.warmup=0 --json "$TMP/$1.report.json" -q
  expect_exit ${1}_matches_the_traces 0 python3 $D/make_traces.py compare "$TMP/$1.json" "$TMP/$1.report.json"
  [ -n "${FAULTLINE_IMPORT_VERBOSE:-}" ] && cat "$TMP/out"
}
for fmt in jaeger otlp; do
  seed=1; [ $fmt = otlp ] && seed=2
  python3 $D/make_traces.py gen $fmt 20000 $seed "$TMP/round_trip_$fmt.json"
  round_trip round_trip_$fmt
done
# the same model simulated (tests/import/shop_model.lua), its traces written by `run --traces`
# (all 20000 entry requests), imported, run again: the same bounds against the written traces
for fmt in otlp jaeger; do
  expect_exit run_traces_${fmt}_written 0 "$F" run $D/shop_model.lua --traces "$TMP/run_traces_$fmt.json" --traces-format $fmt --sample 1 -q
  round_trip run_traces_$fmt
done
expect_exit same_traces_same_scenario 0 cmp <("$F" import traces "$TMP/round_trip_jaeger.json" --duration 3000s 2>/dev/null) "$TMP/round_trip_jaeger.lua"

# ---- the fixtures (40 traces each) ----
expect_exit jaeger_fixture_imports 0 "$F" import traces $D/shop.traces.jaeger.json --out "$TMP/fx.lua"
expect_exit jaeger_fixture_checks 0 "$F" check "$TMP/fx.lua"
expect_exit jaeger_fixture_runs 0 "$F" run "$TMP/fx.lua" --set duration=1m --set warmup=5s -q
expect_exit otlp_fixture_imports 0 "$F" import traces $D/shop.traces.otlp.json
expect_output otlp_client_spans_are_folded "122 client spans folded into the calls they make"
expect_output otlp_parallel_group 'parallel {  -- derived: these overlapped in time'
expect_output otlp_optional_share 'call "recommend.for_user" { p = '
expect_output entry_rate_from_root_spans 'derived: 40 root spans, the first and the last'
expect_output work_as_percentiles 'work = percentiles { p20 = "2.8ms"'
expect_exit window_sets_the_rate 0 "$F" import traces $D/shop.traces.otlp.json --window 10s
expect_output window_gives_roots_over_it 'traffic { rate = "4/s"'
# JSON Lines (the collector's file exporter): one export request per line
{ python3 -c "import json,sys; d=json.load(open(sys.argv[1])); [print(json.dumps({'resourceSpans': [r]})) for r in d['resourceSpans']]" $D/shop.traces.otlp.json; } > "$TMP/lines.json"
expect_exit json_lines_are_read 0 "$F" import traces "$TMP/lines.json"
expect_output json_lines_same_tree 'call "recommend.for_user" { p = '
# a client span without a traced callee: the service its peer attribute names
cat > "$TMP/peer.json" <<'JSON'
{"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "api"}}]},
 "scopeSpans": [{"spans": [
  {"traceId": "t1", "spanId": "a", "name": "GET /items", "kind": 2, "startTimeUnixNano": "1000000000", "endTimeUnixNano": "1010000000"},
  {"traceId": "t1", "spanId": "b", "parentSpanId": "a", "name": "SELECT items", "kind": 3, "startTimeUnixNano": "1002000000", "endTimeUnixNano": "1008000000",
   "attributes": [{"key": "db.system", "value": {"stringValue": "postgresql"}}], "status": {"code": 2}},
  {"traceId": "t2", "spanId": "c", "name": "GET /items", "kind": "SPAN_KIND_SERVER", "startTimeUnixNano": "2000000000", "endTimeUnixNano": "2004000000"}]}]}]}
JSON
expect_exit peer_becomes_a_service 0 "$F" import traces "$TMP/peer.json" --out "$TMP/peer.lua"
if grep -q 'service "postgresql"' "$TMP/peer.lua" && grep -q 'call "postgresql.SELECT items" { p = 0.5, optional = true }' "$TMP/peer.lua"; then t_ok peer_call_is_written
else t_fail peer_call_is_written "$(grep -n 'postgresql' "$TMP/peer.lua" | head -3)"; fi
expect_exit peer_scenario_checks 0 "$F" check "$TMP/peer.lua"
grep -q '"GET /items"' "$TMP/peer.lua" && t_ok operation_names_with_spaces_are_endpoint_names || t_fail operation_names_with_spaces_are_endpoint_names "$(head -c 300 "$TMP/peer.lua")"

# ---- bad input ----
printf '{"data": [\n  {"traceID": "a", "spans": [}\n]}\n' > "$TMP/bad.json"
expect_exit invalid_json_exits_2 2 "$F" import traces "$TMP/bad.json"
expect_output invalid_json_has_line_and_column "$TMP/bad.json:2:"
printf '{"data": [{"traceID": "a", "processes": {"p1": {"serviceName": "s"}}, "spans": [\n {"traceID": "a", "spanID": "1", "operationName": "x",\n  "startTime": -5, "duration": 1, "processID": "p1"}]}]}\n' > "$TMP/neg.json"
expect_exit negative_time_exits_2 2 "$F" import traces "$TMP/neg.json"
expect_output negative_time_has_its_path "$TMP/neg.json:3: data[0].spans[0].startTime: expected a time"
expect_exit dependencies_are_not_traces 2 "$F" import traces $D/shop.jaeger.json
expect_output dependencies_say_which_import "faultline import jaeger reads them"
expect_exit nothing_written_on_error 2 "$F" import traces "$TMP/bad.json" --out "$TMP/never.lua"
if [ -e "$TMP/never.lua" ]; then t_fail no_output_file_on_error "$TMP/never.lua exists"; else t_ok no_output_file_on_error; fi
expect_exit drop_is_not_for_traces 2 "$F" import traces $D/shop.traces.otlp.json --drop 'a->b'
expect_exit at_is_not_for_traces 2 "$F" import traces $D/shop.traces.otlp.json --at 1m
finish
