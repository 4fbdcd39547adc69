# Reports written as streams: an allocation that fails while one report is written (injected by
# FAULTLINE_FAIL_ALLOC_AFTER=N: the allocation after the first N made by report writers fails)
# costs that report only. The summary is printed first, the failed file is not there (nor any
# temporary file), the message names it, the exit status is 3, and every other report is written
# whole and reads as the run's (the same bytes as an undisturbed run's, but for "run").
. tests/cli.sh
S=scenarios/incidents/cache_flush.lua
# the failed writer's allocations stay allocated (the process is short of memory and ends):
# leak checking would only report those
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

# the same report without "run" (the wall clock), for comparing two runs' files
norun() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("run",None); print(json.dumps(d,sort_keys=True))' "$1"; }


# run_injected N DIR ARGS...: a run whose N+1-th report allocation fails, in folder DIR
F=$(cd "$(dirname "$FAULTLINE")" && pwd)/$(basename "$FAULTLINE")
ROOT=$(pwd)
run_injected() {
  local n=$1 d=$2; shift 2
  rm -rf "$d"; mkdir -p "$d"
  (cd "$d" && FAULTLINE_FAIL_ALLOC_AFTER=$n "$F" run "$ROOT/$S" "$@" > stdout 2> stderr; echo $? > rc)
}

# the undisturbed run, the scenario named as the injected runs name it (the report holds the path)
mkdir -p "$TMP/ref"
(cd "$TMP/ref" && "$F" run "$ROOT/$S" -q --json r.json --csv csv > /dev/null 2>&1)
norun "$TMP/ref/r.json" > "$TMP/ref/r.norun"

# check_one NAME DIR FAILED [quiet]: in DIR, only FAILED (out.json, out.html or csv) is missing;
# the summary was printed unless the run was quiet (-q)
check_one() {
  local name=$1 d=$2 failed=$3 quiet=${4:-} why=""
  [ "$(cat "$d/rc")" = 3 ] || why="exit $(cat "$d/rc"), expected 3; "
  [ -n "$quiet" ] || grep -q "^services " "$d/stdout" || why="${why}no summary on stdout; "
  grep -qF "cannot write" "$d/stderr" && grep -qF "$failed" "$d/stderr" || why="${why}stderr does not name $failed: $(head -c 200 "$d/stderr"); "
  [ -e "$d/$failed" ] && why="${why}$failed exists; "
  ls "$d" | grep -q '\.tmp-' && why="${why}a temporary file is left: $(ls "$d" | tr '\n' ' '); "
  for f in out.json out.html csv; do
    [ "$f" = "$failed" ] && continue
    [ -e "$d/$f" ] || { why="${why}$f is missing; "; continue; }
  done
  if [ "$failed" != out.json ] && [ -e "$d/out.json" ]; then
    norun "$d/out.json" > "$d/norun"
    cmp -s "$d/norun" "$TMP/ref/r.norun" || why="${why}out.json is not the run's report; "
  fi
  if [ "$failed" != csv ] && [ -d "$d/csv" ]; then
    diff -r "$d/csv" "$TMP/ref/csv" > /dev/null || why="${why}the CSV files differ from the run's; "
  fi
  if [ "$failed" != out.html ] && [ -e "$d/out.html" ]; then
    grep -q '</html>' "$d/out.html" || why="${why}out.html is cut short; "
  fi
  grep -qF "$failed" "$d/stdout" && why="${why}stdout announces $failed; "
  if [ -z "$why" ]; then t_ok "$name"; else t_fail "$name" "$why"; fi
}

run_injected 0 "$TMP/a" --json out.json --html out.html --csv csv
check_one out_of_memory_in_the_json_report_keeps_the_summary_html_and_csv "$TMP/a" out.json

run_injected 0 "$TMP/b" --html out.html --csv csv
check_html() {
  local d=$1 why=""
  [ "$(cat "$d/rc")" = 3 ] || why="exit $(cat "$d/rc"); "
  grep -q "^services " "$d/stdout" || why="${why}no summary; "
  grep -qF "out.html" "$d/stderr" || why="${why}stderr does not name out.html; "
  [ -e "$d/out.html" ] && why="${why}out.html exists; "
  ls "$d" | grep -q '\.tmp-' && why="${why}a temporary file is left; "
  diff -r "$d/csv" "$TMP/ref/csv" > /dev/null 2>&1 || why="${why}the CSV files are not the run's; "
  echo "$why"
}
why=$(check_html "$TMP/b")
if [ -z "$why" ]; then t_ok out_of_memory_in_the_html_report_keeps_the_summary_and_csv; else t_fail out_of_memory_in_the_html_report_keeps_the_summary_and_csv "$why"; fi

run_injected 0 "$TMP/c" --csv csv
why=""
[ "$(cat "$TMP/c/rc")" = 3 ] || why="exit $(cat "$TMP/c/rc"); "
grep -q "^services " "$TMP/c/stdout" || why="${why}no summary; "
grep -qF "'csv'" "$TMP/c/stderr" || why="${why}stderr does not name csv: $(cat "$TMP/c/stderr"); "
[ -e "$TMP/c/csv" ] && why="${why}csv exists; "
[ "$(ls "$TMP/c" | grep -c tmp)" = 0 ] || why="${why}a temporary folder is left: $(ls "$TMP/c" | tr '\n' ' '); "
if [ -z "$why" ]; then t_ok out_of_memory_in_the_csv_series_leaves_no_folder_and_keeps_the_summary; else t_fail out_of_memory_in_the_csv_series_leaves_no_folder_and_keeps_the_summary "$why"; fi

# allocations through the JSON writer and on into the page's (sampled): one report lost each time
lost_json=0 lost_html=0 bad=""
for n in 1 2 3 7 20 60 150 400 900 1500 2000 2150; do
  run_injected $n "$TMP/n" --json out.json --html out.html --csv csv -q
  # past the writers' last allocation nothing fails: all three are written
  [ "$(cat "$TMP/n/rc")" = 0 ] && [ -e "$TMP/n/out.json" ] && [ -e "$TMP/n/out.html" ] && [ -d "$TMP/n/csv" ] && continue
  if [ -e "$TMP/n/out.json" ]; then f=out.html; lost_html=$((lost_html + 1)); else f=out.json; lost_json=$((lost_json + 1)); fi
  out=$(check_one "n$n" "$TMP/n" "$f" quiet | grep '^FAIL')
  [ -n "$out" ] && bad="$bad $out;"
done
if [ -z "$bad" ] && [ "$lost_json" -gt 0 ]; then
  t_ok every_failed_allocation_costs_one_report_only
else t_fail every_failed_allocation_costs_one_report_only "json lost $lost_json times, html $lost_html times;$bad"; fi

finish
