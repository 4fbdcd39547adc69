#!/usr/bin/env bash
# The diff page of `compare --html`: the recommendation outage against itself with the cure as
# --set-b (a 50 ms optional recommend call). One self-contained file (no network references),
# holding the comparison and replication 0 of each side, whose reports are what `run --seed
# seeds[0]` writes; then the browser test (tests/browser/diff_test.js: headless Chromium through
# playwright-core), screenshot in out/diff.png, and tests/browser/diff_width_test.js (a consolidated
# run against one at 5 s windows: one time axis; service groups). Without Chromium or playwright-core the browser
# checks are counted as skipped, never as passed.
cd "$(dirname "$0")/.." || exit 3
. tests/cli.sh
F=$FAULTLINE
mkdir -p out
SKIPPED=0
D=out/diff.html
RO=scenarios/recommendation_outage.lua
CURE=(--set-b gateway.endpoints.home.calls.recommend.timeout=50ms --set-b gateway.endpoints.home.calls.recommend.optional=true)

expect_exit compare_html_is_written_and_the_cure_regresses_nothing 0 "$F" compare "$RO" "${CURE[@]}" --reps 2 -j 2 --html "$D"
expect_output compare_html_names_its_file "html diff: $D"
if [ -s "$D" ] && head -c 200 "$D" | grep -qi '<!doctype html>'; then t_ok compare_html_is_an_html_page
else t_fail compare_html_is_an_html_page "$(head -c 200 "$D" 2>&1)"; fi
refs=$(grep -oiE '<(script|link|img|iframe)[^>]*(src|href)="[^"]*"' "$D" | grep -viE '(src|href)="data:' | head -3)
if [ -z "$refs" ]; then t_ok compare_html_loads_nothing_from_outside
else t_fail compare_html_loads_nothing_from_outside "$refs"; fi
# replication 0 of A is `run --seed seeds[0]`, and B the same plus the cure
seed=$(python3 -c "import json,re,sys; h=open(sys.argv[1]).read(); print(json.loads(re.search(r'id=\"fl-compare\">(.*?)</script>', h, re.S).group(1))['seeds'][0])" "$D" 2>/dev/null)
"$F" run "$RO" -q --seed "$seed" --json "$TMP/a.json" > /dev/null 2>&1
"$F" run "$RO" -q --seed "$seed" --set gateway.endpoints.home.calls.recommend.timeout=50ms \
  --set gateway.endpoints.home.calls.recommend.optional=true --json "$TMP/b.json" > /dev/null 2>&1
same=$(python3 - "$D" "$TMP/a.json" "$TMP/b.json" <<'PY' 2>&1
import json, re, sys
html = open(sys.argv[1]).read()
def emb(i): return json.loads(re.search(r'<script type="application/json" id="%s">(.*?)</script>' % i, html, re.S).group(1))
ok = True
for side, f in (("a", sys.argv[2]), ("b", sys.argv[3])):
    r = json.load(open(f)); r.pop("run")
    ok = ok and emb("fl-report-" + side) == r and all("x" in s for s in emb("fl-graph-" + side)["services"])
print("yes" if ok else "no")
PY
)
if [ "$same" = yes ]; then t_ok compare_html_embeds_replication_0_of_each_side_as_run_reports_it
else t_fail compare_html_embeds_replication_0_of_each_side_as_run_reports_it "$same"; fi
expect_exit compare_html_into_a_missing_folder_fails_before_the_runs 2 "$F" compare "$RO" "${CURE[@]}" --reps 2 --html "$TMP/no/such/d.html"
expect_output compare_html_into_a_missing_folder_names_it "faultline: error: cannot write '$TMP/no/such/d.html'"
expect_exit compare_html_without_file_exits_2 2 "$F" compare "$RO" "${CURE[@]}" --html
expect_exit sweep_has_no_html 2 "$F" sweep "$RO" --html "$TMP/s.html"

# ---- the browser ----
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ] && command -v node > /dev/null 2>&1 && [ -f reports/web/node_modules/playwright-core/package.json ] && [ -s "$D" ]; then
  CHROMIUM=$CHROMIUM OUT=out NODE_PATH=reports/web/node_modules timeout 120 node tests/browser/diff_test.js "$D" > "$TMP/browser.out" 2>&1
  grep -E '^(ok|FAIL) ' "$TMP/browser.out" || true
  grep -E '^# diff page:' "$TMP/browser.out"
  line=$(grep -E '^# diff_test: [0-9]+ passed, [0-9]+ failed$' "$TMP/browser.out")
  if [ -n "$line" ]; then
    T_PASSED=$((T_PASSED + $(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')))
    T_FAILED=$((T_FAILED + $(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')))
  else
    t_fail diff_browser_test_ran "$(tail -5 "$TMP/browser.out")"
  fi
  # entries of different lengths (a consolidated run against one at 5 s windows) and groups
  FAULTLINE=$F CHROMIUM=$CHROMIUM OUT=out NODE_PATH=reports/web/node_modules timeout 180 node tests/browser/diff_width_test.js > "$TMP/width.out" 2>&1
  tally_results diff_width_test "$TMP/width.out"
else
  SKIPPED=$((SKIPPED + 42))
  echo "# skipped: $SKIPPED browser checks: need $CHROMIUM, node, reports/web/node_modules/playwright-core (make deps) and the page"
fi
[ "$SKIPPED" -gt 0 ] && echo "# cli_diff.sh: $SKIPPED skipped"
finish
