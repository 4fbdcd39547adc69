# faultline serve: the HTTP, SSE and control tests (tests/serve_test.py) and the live page in
# headless Chromium (tests/browser/live_test.js). Adds their counts to this file's closing line.
. tests/cli.sh
add_counts() {   # add_counts FILE NAME: fold a "# NAME: N passed, N failed" line into ours
  local line
  line=$(grep -E "^# $2: [0-9]+ passed, [0-9]+ failed$" "$1")
  grep -E '^(ok|FAIL) ' "$1" || true
  if [ -n "$line" ]; then
    T_PASSED=$((T_PASSED + $(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')))
    T_FAILED=$((T_FAILED + $(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')))
  else
    t_fail "$2_ran" "$(tail -5 "$1")"
  fi
}
if command -v python3 > /dev/null 2>&1; then
  FAULTLINE=$FAULTLINE timeout 120 python3 tests/serve_test.py > "$TMP/serve.out" 2>&1
  add_counts "$TMP/serve.out" serve_test
else
  t_fail serve_test_ran "python3 is missing (make deps installs it)"
fi
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ] && command -v node > /dev/null 2>&1 && [ -f reports/web/node_modules/playwright-core/package.json ]; then
  FAULTLINE=$FAULTLINE CHROMIUM=$CHROMIUM OUT=out NODE_PATH=reports/web/node_modules timeout 180 node tests/browser/live_test.js > "$TMP/live.out" 2>&1
  add_counts "$TMP/live.out" live_test
else
  echo "# cli_serve.sh: 22 skipped (need $CHROMIUM, node and reports/web/node_modules/playwright-core: make deps)"
fi
finish
