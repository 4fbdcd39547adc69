# Determinism and common random numbers: the same scenario and seed give byte-identical reports
# (apart from "run"), and in the fan-out benchmark changing one leaf's work distribution leaves
# the other leaves' numbers identical, because every entity draws from its own stream.
. tests/cli.sh
F=tests/bench/fanout.lua
strip_run() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); r.pop('run'); print(json.dumps(r, sort_keys=True))" "$1"; }
for i in 1 2; do "$FAULTLINE" run scenarios/black_friday.lua --set scenario.duration=20m -q --json "$TMP/bf$i.json"; done
if [ "$(strip_run "$TMP/bf1.json")" = "$(strip_run "$TMP/bf2.json")" ] && [ -s "$TMP/bf1.json" ]; then t_ok black_friday_twice_is_byte_identical_but_for_run
else t_fail black_friday_twice_is_byte_identical_but_for_run "reports differ"; fi
# the raw files differ only inside "run"
if diff <(sed '/"run":/,$d' "$TMP/bf1.json") <(sed '/"run":/,$d' "$TMP/bf2.json") > /dev/null; then t_ok the_files_match_up_to_run
else t_fail the_files_match_up_to_run "diff before the run object"; fi
sed 's/service "a" { workers = 2, queue = math.huge, work = exp "1.4ms" }/service "a" { workers = 2, queue = math.huge, work = lognormal { median = "1ms", p99 = "9ms" } }/' "$F" > "$TMP/fanout_b.lua"
if grep -q lognormal "$TMP/fanout_b.lua"; then t_ok variant_changes_leaf_a; else t_fail variant_changes_leaf_a "sed did not apply"; fi
"$FAULTLINE" run "$F" --set scenario.duration=300s -q --json "$TMP/f1.json"
"$FAULTLINE" run "$TMP/fanout_b.lua" --set scenario.duration=300s -q --json "$TMP/f2.json"
python3 - "$TMP/f1.json" "$TMP/f2.json" > "$TMP/crn.out" <<'PY'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
for leaf in ("b", "c"):
    same = a["services"][leaf] == b["services"][leaf] and a["series"]["services"][leaf] == b["series"]["services"][leaf]
    print("ok" if same else "FAIL", leaf)
changed = a["services"]["a"]["latency"] != b["services"]["a"]["latency"]
print("ok" if changed else "FAIL", "a")
PY
grep -q "^ok b" "$TMP/crn.out" && t_ok other_leaf_b_is_identical || t_fail other_leaf_b_is_identical "$(cat "$TMP/crn.out")"
grep -q "^ok c" "$TMP/crn.out" && t_ok other_leaf_c_is_identical || t_fail other_leaf_c_is_identical "$(cat "$TMP/crn.out")"
grep -q "^ok a" "$TMP/crn.out" && t_ok the_changed_leaf_differs || t_fail the_changed_leaf_differs "$(cat "$TMP/crn.out")"
"$FAULTLINE" run "$F" --set scenario.duration=300s --seed 2 -q --json "$TMP/f3.json"
if [ "$(strip_run "$TMP/f1.json")" != "$(strip_run "$TMP/f3.json")" ]; then t_ok another_seed_gives_other_numbers
else t_fail another_seed_gives_other_numbers "same report"; fi
finish
