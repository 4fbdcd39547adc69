#!/usr/bin/env bash
# The HTML report: one self-contained file (no network references, the data and scripts inline),
# then the browser test (tests/browser/report_test.js: headless Chromium through playwright-core)
# on the recommendation outage and, outside sanitizer builds, on Black Friday (size under 2 MB,
# opens in under 2 s), tests/browser/diagram_test.js (zoom, pan, fit, jump to the fault on a
# generated 200-service model), tests/browser/faults_test.js, tests/browser/timeline_test.js (a flapping
# service is one timeline entry), tests/browser/groups_test.js (collapsing a group lays the diagram
# out again) and, outside sanitizer builds,
# tests/browser/scale_test.js (a 1,000-service model in 20 groups: under 5 MB, every group drawn,
# decimated series, search, jump to fault, collapsing a group and the re-layout). Screenshots go to out/. Without Chromium or playwright-core the browser
# checks are counted as skipped, never as passed.
cd "$(dirname "$0")/.." || exit 3
. tests/cli.sh
F=$FAULTLINE
mkdir -p out
SKIPPED=0
RO=out/recommendation_outage.html

expect_exit html_report_of_the_outage_is_written 1 "$F" run scenarios/recommendation_outage.lua -q --html "$RO"
if [ -s "$RO" ] && head -c 200 "$RO" | grep -qi '<!doctype html>'; then t_ok html_report_is_an_html_page
else t_fail html_report_is_an_html_page "$(head -c 200 "$RO" 2>&1)"; fi
refs=$(grep -oiE '<(script|link|img|iframe)[^>]*(src|href)="[^"]*"' "$RO" | grep -viE '(src|href)="data:' | head -3)
if [ -z "$refs" ]; then t_ok html_report_loads_nothing_from_outside
else t_fail html_report_loads_nothing_from_outside "$refs"; fi
if grep -q 'id="fl-report"' "$RO" && grep -q 'id="fl-graph"' "$RO" && grep -q 'FL.dashboard' "$RO"; then t_ok html_report_embeds_the_data_and_the_script
else t_fail html_report_embeds_the_data_and_the_script "missing fl-report, fl-graph or the dashboard script"; fi
# the embedded report is the JSON report (apart from "run")
"$F" run scenarios/recommendation_outage.lua -q --json "$TMP/ro.json" > /dev/null 2>&1
same=$(python3 - "$RO" "$TMP/ro.json" <<'PY' 2>&1
import json, re, sys
html = open(sys.argv[1]).read()
m = re.search(r'<script type="application/json" id="fl-report">(.*?)</script>', html, re.S)
a = json.loads(m.group(1)); b = json.load(open(sys.argv[2]))
a.pop("run"); b.pop("run")
g = json.loads(re.search(r'<script type="application/json" id="fl-graph">(.*?)</script>', html, re.S).group(1))
ok = a == b and all("x" in s and "w" in s for s in g["services"]) and len(g["edges"]) >= 3 and all(len(e["path"]) >= 8 for e in g["edges"])
print("yes" if ok else "no")
PY
)
if [ "$same" = yes ]; then t_ok html_embeds_the_json_report_and_the_laid_out_graph
else t_fail html_embeds_the_json_report_and_the_laid_out_graph "$same"; fi
expect_exit html_into_a_missing_folder_fails_before_the_run 2 "$F" run scenarios/recommendation_outage.lua -q --html "$TMP/no/such/r.html"
expect_output html_into_a_missing_folder_names_it "faultline: error: cannot write '$TMP/no/such/r.html'"
expect_exit html_without_file_exits_2 2 "$F" run scenarios/recommendation_outage.lua --html

# names that could break out of the page are escaped
cat > "$TMP/odd.lua" <<'LUA'
scenario { name = "</script><b>odd & \"quoted\"", duration = "20s", seed = 1, warmup = "2s" }
service "front" { instances = 1, workers = 4, work = exp "5ms", calls = { call "back" } }
service "back" { instances = 1, workers = 4, work = exp "5ms" }
traffic { rate = "50/s", mix = { front = 1 } }
LUA
expect_exit html_with_odd_names_is_written 0 "$F" run "$TMP/odd.lua" -q --html "$TMP/odd.html"
n_close=$(grep -o '</script>' "$TMP/odd.html" | wc -l); n_open=$(grep -o '<script' "$TMP/odd.html" | wc -l)
if [ "$n_close" = "$n_open" ] && ! grep -q '<b>odd' "$TMP/odd.html"; then t_ok html_escapes_names_in_data_and_title
else t_fail html_escapes_names_in_data_and_title "$n_open <script, $n_close </script>"; fi

# ---- the browser ----
BF=out/black_friday.html
bf_arg=""
if [ "${FAULTLINE_SANITIZED:-0}" != 1 ]; then
  "$F" run scenarios/black_friday.lua -q --html "$BF" > "$TMP/bf.out" 2>&1; rc=$?
  if [ "$rc" -le 1 ] && [ -s "$BF" ]; then t_ok black_friday_html_report_is_written
  else t_fail black_friday_html_report_is_written "exit $rc: $(head -c 300 "$TMP/bf.out")"; fi
  size=$(stat -c %s "$BF" 2>/dev/null || echo 0)
  echo "# black_friday.html: $size bytes"
  if [ "$size" -gt 0 ] && [ "$size" -lt 2097152 ]; then t_ok black_friday_html_report_is_under_2_MB
  else t_fail black_friday_html_report_is_under_2_MB "$size bytes"; fi
  bf_arg=$BF
else
  echo "# skipped: the Black Friday report (too slow under sanitizers)"; SKIPPED=$((SKIPPED + 5))
fi
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ] && command -v node > /dev/null 2>&1 && [ -f reports/web/node_modules/playwright-core/package.json ]; then
  # runs browser test $1 (tests/browser/$1.js, the rest its arguments) and adds its counts
  browser_test() {
    local name=$1; shift
    FAULTLINE=$F CHROMIUM=$CHROMIUM OUT=out NODE_PATH=reports/web/node_modules timeout 300 node "tests/browser/$name.js" "$@" > "$TMP/$name.out" 2>&1
    grep -E '^(ok|FAIL) ' "$TMP/$name.out" || true
    grep -E '^# [^:]*(report|page)[^:]*:' "$TMP/$name.out" || true
    local line
    line=$(grep -E "^# $name: [0-9]+ passed, [0-9]+ failed\$" "$TMP/$name.out")
    if [ -n "$line" ]; then
      T_PASSED=$((T_PASSED + $(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')))
      T_FAILED=$((T_FAILED + $(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')))
    else
      t_fail "${name}_ran" "$(tail -5 "$TMP/$name.out")"
    fi
  }
  browser_test report_test "$RO" $bf_arg
  # the diagram's zoom, pan, fit and jump to the fault on a generated 200-service model
  browser_test diagram_test
  # endpoint and link faults: a badge naming the endpoint, a badge on the link's edge, the callee unbadged
  browser_test faults_test
  # a flapping service's changes folded into one timeline entry (scenarios/retry_storm.lua)
  browser_test timeline_test
  # collapsing a group lays the diagram out again (5 groups of 7 services, Graphviz's layout)
  browser_test groups_test
  # 1,000 services in 20 groups: size, groups, decimation, search, jump to fault, collapse
  if [ "${FAULTLINE_SANITIZED:-0}" != 1 ]; then browser_test scale_test
  else echo "# skipped: the 1,000-service page (too slow under sanitizers)"; SKIPPED=$((SKIPPED + 25)); fi
else
  SKIPPED=$((SKIPPED + 93))
  echo "# skipped: $SKIPPED browser checks: need $CHROMIUM, node and reports/web/node_modules/playwright-core (make deps)"
fi
[ "$SKIPPED" -gt 0 ] && echo "# cli_html.sh: $SKIPPED skipped"
finish
