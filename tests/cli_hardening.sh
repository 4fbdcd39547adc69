#!/usr/bin/env bash
# Hardening, round two (issue 20): writes never replace a device or an input (3), a full disk is an
# error (9), hostile names give valid DOT, Mermaid, CSV, JUnit XML, UTF-8 JSON and a clean
# terminal (10), outside numbers never convert out of range (11), YAML depth and Toxiproxy
# renaming stay fast (12), --csv never leaves a mix of old and new files (13).
cd "$(dirname "$0")/.." || exit 3
. tests/cli.sh
F=$FAULTLINE
RO=scenarios/recommendation_outage.lua
S="$TMP/tiny.lua"
printf '%s\n' 'scenario { name = "tiny", duration = "5s", window = "1s", warmup = "0s", seed = 1 }' \
  'service "a" { instances = 1, workers = 4, work = exp "1ms" }' \
  'traffic { rate = "20/s", mix = { ["a"] = 1 } }' > "$S"

# ---- 3: a device stays a device; no output is an input or another output ----
if mknod "$TMP/null" c 1 3 2> /dev/null; then   # a private node: never the real /dev/null
  expect_exit json_onto_a_character_device_exits_0 0 "$F" run "$S" -q --json "$TMP/null" --junit "$TMP/null"
  if [ -c "$TMP/null" ]; then t_ok json_onto_a_character_device_leaves_it_a_device
  else t_fail json_onto_a_character_device_leaves_it_a_device "$(ls -l "$TMP/null")"; fi
else
  echo "# skipped: mknod needs root"
fi
mkfifo "$TMP/fifo"
( timeout 60 cat "$TMP/fifo" > "$TMP/fifo.out" ) &
reader=$!
expect_exit json_into_a_fifo_exits_0 0 timeout 60 "$F" run "$S" -q --json "$TMP/fifo"
[ -p "$TMP/fifo" ] || kill "$reader" 2> /dev/null   # replaced by a file: the reader waits for nobody
wait "$reader"
if [ -p "$TMP/fifo" ] && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/fifo.out"; then t_ok json_into_a_fifo_is_read_whole_and_stays_a_fifo
else t_fail json_into_a_fifo_is_read_whole_and_stays_a_fifo "$(ls -l "$TMP/fifo")"; fi
cp "$RO" "$TMP/s.lua"
expect_exit json_onto_the_scenario_is_refused 2 "$F" run "$TMP/s.lua" -q --json "$TMP/s.lua"
expect_output json_onto_the_scenario_says_why "is an input of this run"
if cmp -s "$RO" "$TMP/s.lua"; then t_ok json_onto_the_scenario_leaves_it_unchanged; else t_fail json_onto_the_scenario_leaves_it_unchanged "changed"; fi
expect_exit json_and_html_one_file_is_refused 2 "$F" run "$RO" -q --json "$TMP/r.out" --html "$TMP/./r.out"
expect_output json_and_html_one_file_says_why "name the same file"
cp tests/import/shop.jaeger.json "$TMP/shop.json"
expect_exit import_out_onto_its_input_is_refused 2 "$F" import jaeger "$TMP/shop.json" --out "$TMP/shop.json"
expect_exit graph_out_onto_the_scenario_is_refused 2 "$F" graph "$TMP/s.lua" -o "$TMP/s.lua"
ln -s "$TMP/s.lua" "$TMP/link.json"
expect_exit json_onto_a_link_to_the_scenario_is_refused 2 "$F" run "$TMP/s.lua" -q --json "$TMP/link.json"
expect_exit json_report_written 0 "$F" run "$S" -q --json "$TMP/ok.json"
left=$(ls "$TMP" | grep -c '\.tmp' || true)
if [ "$left" = 0 ]; then t_ok no_temporary_file_is_left; else t_fail no_temporary_file_is_left "$(ls "$TMP")"; fi

# ---- 9: a full disk is an error ----
if [ -w /dev/full ]; then
  "$F" import jaeger tests/import/shop.jaeger.json > /dev/full 2> "$TMP/out"; rc=$?
  if [ "$rc" != 0 ]; then t_ok import_to_a_full_disk_exits_non_zero; else t_fail import_to_a_full_disk_exits_non_zero "exit 0"; fi
  expect_output import_to_a_full_disk_says_so "cannot write to stdout"
  "$F" graph "$RO" > /dev/full 2> /dev/null; rc=$?
  if [ "$rc" != 0 ]; then t_ok graph_to_a_full_disk_exits_non_zero; else t_fail graph_to_a_full_disk_exits_non_zero "exit 0"; fi
else
  echo "# skipped: no /dev/full"
fi

# ---- 10: hostile names ----
H="$TMP/hostile.lua"
# the scenario name: a newline then a DOT attribute, OSC 52 (clipboard), a cursor move, Latin-1 bytes
printf '%s\n' \
  'scenario { name = "evil\n  image=\"/etc/passwd\"; \27]52;c;ZXZpbA==\7\27[2A caf\233", duration = "20s", window = "1s", warmup = "0s", seed = 1 }' \
  'service "a b" { instances = 1, workers = 4, work = exp "1ms", calls = { call "+SUM(1)" } }' \
  'service "a_b" { instances = 1, workers = 4, work = exp "1ms" }' \
  'service "+SUM(1)" { instances = 1, workers = 4, work = exp "1ms", calls = { call "@x\27[31m`#\n" } }' \
  'service "@x\27[31m`#\n" { instances = 1, workers = 4, work = exp "1ms" }' \
  'traffic { rate = "50/s", mix = { ["a b"] = 0.5, ["a_b"] = 0.5 } }' \
  'expect "ctl\1\2 <&> caf\233\n" { journey = "a b", success_rate = ">= 1%" }' \
  'at("1s", function(sim) sim:log("\27]52;c;aGk=\7 log \27[2J") end)' > "$H"
expect_exit hostile_scenario_runs 0 "$F" run "$H" --json "$TMP/h.json" --junit "$TMP/h.xml" --csv "$TMP/hcsv" --html "$TMP/h.html"
if NO_COLOR=1 "$F" run "$H" | python3 -c 'import sys; b=sys.stdin.buffer.read(); sys.exit(any(c < 32 and c not in (9, 10) or c == 127 for c in b))'; then
  t_ok piped_summary_has_no_terminal_escapes
else t_fail piped_summary_has_no_terminal_escapes "control bytes on stdout"; fi
if "$F" check "$H" | python3 -c 'import sys; b=sys.stdin.buffer.read(); sys.exit(any(c < 32 and c not in (9, 10) for c in b))'; then
  t_ok check_printout_has_no_terminal_escapes
else t_fail check_printout_has_no_terminal_escapes "control bytes on stdout"; fi
if python3 -c 'import json,sys; json.loads(open(sys.argv[1],"rb").read().decode("utf-8"))' "$TMP/h.json" 2> "$TMP/err"; then t_ok hostile_json_is_utf8
else t_fail hostile_json_is_utf8 "$(tail -1 "$TMP/err")"; fi
if python3 -c 'import sys; open(sys.argv[1],"rb").read().decode("utf-8")' "$TMP/h.html"; then t_ok hostile_html_is_utf8
else t_fail hostile_html_is_utf8 "not UTF-8"; fi
if python3 -c 'import sys, xml.dom.minidom as m; d=m.parse(sys.argv[1]); assert len(d.getElementsByTagName("testcase")) == 1' "$TMP/h.xml" 2> "$TMP/err"; then
  t_ok hostile_junit_is_parsed_by_an_xml_parser
else t_fail hostile_junit_is_parsed_by_an_xml_parser "$(tail -1 "$TMP/err")"; fi
bad=$(python3 - "$TMP/hcsv" <<'PY'
import csv, os, sys
d = sys.argv[1]
files = sorted(os.listdir(d))
if len(files) != 4 + 2 + 1: print("files:", files)
for f in files:
    for row in csv.reader(open(os.path.join(d, f), encoding="utf-8", errors="replace")):
        for cell in row:
            if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not cell.lstrip("-").replace(".", "", 1).replace("e", "", 1).replace("-", "").isdigit():
                print(f, "formula cell:", repr(cell))
PY
)
if [ -z "$bad" ]; then t_ok hostile_csv_has_no_formula_cells_and_a_file_per_service; else t_fail hostile_csv_has_no_formula_cells_and_a_file_per_service "$bad"; fi
expect_exit hostile_graph_dot 0 "$F" graph "$H" -o "$TMP/h.dot"
if command -v dot > /dev/null 2>&1; then
  if dot -Tcanon "$TMP/h.dot" > "$TMP/h.canon" 2> "$TMP/err" && ! grep -qF 'image="/etc/passwd"' "$TMP/h.canon"; then t_ok hostile_dot_is_valid_and_injects_nothing
  else t_fail hostile_dot_is_valid_and_injects_nothing "$(head -c 300 "$TMP/err") $(grep image "$TMP/h.canon")"; fi
fi
if head -1 "$TMP/h.dot" | grep -q '^// ' && [ "$(grep -c '^  image' "$TMP/h.dot")" = 0 ]; then t_ok hostile_dot_comment_stays_one_line
else t_fail hostile_dot_comment_stays_one_line "$(head -3 "$TMP/h.dot")"; fi
expect_exit hostile_graph_mermaid 0 "$F" graph "$H" --format mermaid -o "$TMP/h.mmd"
bad=$(python3 - "$TMP/h.mmd" <<'PY'
import re, sys
text = open(sys.argv[1], "rb").read()
try: text = text.decode("utf-8")
except UnicodeDecodeError as e: print("not UTF-8:", e); sys.exit()
lines = text.splitlines()
ID = r'[A-Za-z0-9_]+'
pats = [r'%%.*', r'flowchart LR', ID + r'\["[^"`\x00-\x1f]*"\]', ID + r'\(\["[^"`\x00-\x1f]*"\]\)', ID + r' (-->|-\.->|-\. [a-z]+ \.->) ' + ID]
if len(lines) < 2 or lines[1] != "flowchart LR": print("the comment is not one line:", lines[:3])
for l in lines:
    if not any(re.fullmatch(p, l.strip()) for p in pats): print("bad line:", repr(l))
PY
)
if [ -z "$bad" ]; then t_ok hostile_mermaid_keeps_the_flowchart_grammar; else t_fail hostile_mermaid_keeps_the_flowchart_grammar "$bad"; fi

# ---- 11: numbers from outside (merge) ----
expect_exit shard_1_of_2 0 "$F" sweep "$S" --set a.workers=2,4 --reps 2 --shard 1/2 --json "$TMP/p1.json"
for edit in 'r["shard"]["of"]=2**31' 'r["seeds"][0]=-1' 'r["seeds"][0]=1e300' 'r["scenario"]["seed"]=1e300' 'r["replications"]=1e300' 'r["samples"][0][0]=1e300'; do
  python3 -c "import json,sys; r=json.load(open(sys.argv[1])); $edit; json.dump(r, open(sys.argv[2],'w'))" "$TMP/p1.json" "$TMP/bad.json"
  expect_exit "merge_refuses_${edit//[^a-z0-9]/_}" 2 "$F" merge "$TMP/bad.json"
done

# ---- 12: super-linear parsing ----
python3 -c "open('$TMP/deep.yaml','w').write('apiVersion: chaos-mesh.org/v1alpha1\nkind: NetworkChaos\nmetadata: {name: x}\nspec: ' + '['*30000 + ']'*30000 + '\n')"
start=$(date +%s%N)
expect_exit deep_yaml_is_refused 2 timeout 20 "$F" import chaos-mesh "$TMP/deep.yaml"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_output deep_yaml_says_why "nested more than 64 levels"
if [ "$ms" -lt 2000 ]; then t_ok deep_yaml_is_refused_fast; else t_fail deep_yaml_is_refused_fast "${ms} ms"; fi
python3 -c "
import json
print(json.dumps([{'name':'p','listen':'127.0.0.1:1','upstream':'u:1','enabled':True,'toxics':[{'name':'t','type':'latency','stream':'downstream','toxicity':1,'attributes':{'latency':100}} for i in range(3000)]}]))" > "$TMP/tox.json"
start=$(date +%s%N)
expect_exit toxiproxy_3000_toxics_of_one_name 0 timeout 60 "$F" import toxiproxy "$TMP/tox.json" --out "$TMP/tox.lua"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
if [ "$ms" -lt 5000 ]; then t_ok toxiproxy_renaming_is_fast; else t_fail toxiproxy_renaming_is_fast "${ms} ms"; fi
n=$(grep -o 'name = "p/t[#0-9]*"' "$TMP/tox.lua" | sort -u | wc -l)
if [ "$n" = 3000 ]; then t_ok toxiproxy_names_are_distinct; else t_fail toxiproxy_names_are_distinct "$n distinct"; fi

# ---- 13: --csv swaps a fresh folder in whole ----
expect_exit csv_first_run 0 "$F" run "$H" -q --csv "$TMP/series"
expect_exit csv_second_run_of_another_scenario 0 "$F" run "$S" -q --csv "$TMP/series"
got=$(ls "$TMP/series" | tr '\n' ' ')
if [ "$got" = "edges.csv journey-a.csv service-a.csv " ]; then t_ok csv_folder_holds_only_the_new_run
else t_fail csv_folder_holds_only_the_new_run "$got"; fi
left=$(ls "$TMP" | grep -c 'series\.' || true)
if [ "$left" = 0 ]; then t_ok csv_swap_leaves_no_side_folder; else t_fail csv_swap_leaves_no_side_folder "$(ls "$TMP")"; fi
touch "$TMP/series/notes.txt"
expect_exit csv_into_a_folder_of_other_files_is_refused 2 "$F" run "$S" -q --csv "$TMP/series"
expect_output csv_into_a_folder_of_other_files_says_why "give --csv a folder of its own"
if [ -f "$TMP/series/notes.txt" ]; then t_ok csv_refusal_keeps_the_other_files; else t_fail csv_refusal_keeps_the_other_files "gone"; fi

finish
