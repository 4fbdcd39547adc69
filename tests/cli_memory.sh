#!/usr/bin/env bash
# Memory within a budget (README 3.2): `check` states what a run keeps, `run --memory` honours the
# budget (a series past it consolidates: the JSON gains series.width, the CSV a width column, the
# sums stay the totals), a budget too small for even the fewest entries is refused up front (exit
# 2, saying what is needed), and the HTML report of a consolidated run reads its widths
# (tests/browser/consolidated_test.js, skipped without Chromium).
cd "$(dirname "$0")/.." || exit 3
. tests/cli.sh
F=$FAULTLINE
cat > "$TMP/long.lua" <<'LUA'
scenario { name = "long", duration = "20000s", window = "1s", seed = 5 }
service "api" { workers = 4, queue = 50, work = exp "20ms", calls = { call "db" } }
service "db" { workers = 4, queue = 50, work = exp "10ms" }
traffic { rate = 5, mix = { api = 1 } }
fault { name = "db-slow", target = "db", kind = "slowdown", factor = 20, at = 8000, duration = 600 }
LUA

expect_exit check_states_the_memory_a_run_keeps 0 "$F" check "$TMP/long.lua"
expect_output check_says_every_window_is_kept "series 8.2 MB: 20000 windows, every one kept"
expect_output check_names_the_default_budget "within a budget of 1024 MB (the default)"
expect_exit check_with_a_small_budget 0 "$F" check "$TMP/long.lua" --memory 17MB
expect_output check_says_the_series_consolidate "20000 windows, consolidated to at most 1962 entries (16 windows each at the end)"
expect_exit a_budget_below_the_fewest_entries_is_refused 2 "$F" run "$TMP/long.lua" --memory 16MB -q
expect_output the_refusal_says_what_is_needed "the run needs at least 17 MB of memory, more than the --memory budget of 16 MB"
expect_exit check_refuses_it_too 2 "$F" check "$TMP/long.lua" --memory 16MB
expect_exit a_bad_size_is_a_usage_error 2 "$F" run "$TMP/long.lua" --memory 12parsecs
expect_output the_usage_error_names_the_value "--memory needs a size such as 500MB or 2GB, got 12parsecs"

expect_exit a_consolidated_run_writes_its_reports 0 "$F" run "$TMP/long.lua" --memory 17MB -q --json "$TMP/c.json" --csv "$TMP/csv" --html "$TMP/c.html"
expect_exit a_dense_run_of_the_same_scenario 0 "$F" run "$TMP/long.lua" -q --json "$TMP/d.json"
if python3 - "$TMP/c.json" "$TMP/d.json" > "$TMP/py.out" 2>&1 <<'PY'
import json, sys
c, d = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
sc, sd = c["series"], d["series"]
assert "width" not in sd and len(sd["t"]) == 20000, "dense: %d entries, width %s" % (len(sd["t"]), "width" in sd)
n, w = len(sc["t"]), sc["width"]
assert len(w) == n and n == 1250 and all(x == w[0] for x in w), (n, w[:3], w[-3:])
assert sum(w) == 20000 and all(abs(sc["t"][i] - i * w[0]) < 1e-9 for i in range(n)), "times and widths"
for name in ("api", "db"):
    for k in ("arrivals", "successes", "failures"):
        want = c["services"][name][k] if k != "failures" else c["services"][name]["failures"]["total"]
        assert sum(sc["services"][name][k]) == want == sum(sd["services"][name][k]), (name, k)
    assert max(sc["services"][name]["p99"]) == max(sd["services"][name]["p99"]), name
e0, e1 = sc["edges"][0], sd["edges"][0]
assert sum(e0["calls"]) == sum(e1["calls"]) > 0
assert c["timeline"] == d["timeline"] and c["expectations"] == d["expectations"] and c["faults"] == d["faults"]
for x, y in zip(c["cascade"], d["cascade"]):   # effects' medians are over entries (README 3.2); the rest is exact
    fx, fy = x.pop("effects"), y.pop("effects")
    assert x == y and [(e["subject"], e["measure"], e["peak"]) for e in fx] == [(e["subject"], e["measure"], e["peak"]) for e in fy]
print("ok: %d entries of %gs" % (n, w[0]))
PY
then t_ok consolidated_json_has_widths_sums_and_the_dense_runs_timeline; else t_fail consolidated_json_has_widths_sums_and_the_dense_runs_timeline "$(tail -3 "$TMP/py.out")"; fi
head -1 "$TMP/csv/service-api.csv" > "$TMP/h"
if grep -q '^t,width,arrivals,' "$TMP/h" && [ "$(sed -n 2p "$TMP/csv/service-api.csv" | cut -d, -f2)" = 16 ]; then t_ok consolidated_csv_has_a_width_column
else t_fail consolidated_csv_has_a_width_column "$(head -2 "$TMP/csv/service-api.csv")"; fi

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ] && command -v node > /dev/null 2>&1 && [ -f reports/web/node_modules/playwright-core/package.json ]; then
  CHROMIUM=$CHROMIUM OUT=out NODE_PATH=reports/web/node_modules timeout 120 node tests/browser/consolidated_test.js "$TMP/c.html" > "$TMP/browser.out" 2>&1
  tally_results consolidated_test "$TMP/browser.out"
else
  echo "# skipped: the browser check of a consolidated report (no Chromium or playwright-core)"
fi
finish
