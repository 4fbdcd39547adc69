# faultline serve: options it refuses (a FIFO as the scenario, bad values), the warning off
# loopback, then the HTTP, SSE and control tests (tests/serve_test.py) and the live page in
# headless Chromium (tests/browser/live_test.js). Adds their counts to this file's closing line.
. tests/cli.sh
# a FIFO as the scenario is refused at once (opening it would wait for a writer)
mkfifo "$TMP/pipe.lua"
expect_exit serve_refuses_a_fifo_scenario 2 timeout 10 "$FAULTLINE" serve "$TMP/pipe.lua" --port 0
expect_output serve_says_a_fifo_is_not_a_regular_file "not a regular file"
expect_exit serve_port_must_be_a_number 2 "$FAULTLINE" serve "$TMP/pipe.lua" --port 80x
expect_output serve_hint_after_a_bad_option "try 'faultline serve --help'"
# listening beyond loopback: a loud warning on stderr
printf 'scenario { name = "w", duration = "1m" }\nservice "a" { work = const "1ms" }\ntraffic { rate = "10/s", mix = { a = 1 } }\n' > "$TMP/w.lua"
timeout -s INT 2 "$FAULTLINE" serve "$TMP/w.lua" --host 0.0.0.0 --port 0 > "$TMP/out" 2>&1
expect_output serve_warns_when_not_on_loopback "WARNING: listening on 0.0.0.0, which is not a loopback address"
timeout -s INT 2 "$FAULTLINE" serve "$TMP/w.lua" --port 0 > "$TMP/out" 2>&1
if grep -q WARNING "$TMP/out"; then t_fail serve_is_quiet_on_loopback "$(head -c 300 "$TMP/out")"; else t_ok serve_is_quiet_on_loopback; fi
expect_output serve_prints_its_api_token "API token "
if command -v python3 > /dev/null 2>&1; then
  FAULTLINE=$FAULTLINE timeout 180 python3 tests/serve_test.py > "$TMP/serve.out" 2>&1
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
