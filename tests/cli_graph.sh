#!/usr/bin/env bash
# faultline graph (DOT accepted by Graphviz's dot, Mermaid flowchart syntax, JSON with a layout,
# colours from a report) and run --csv (one file per series, numbers equal to the JSON report's).
cd "$(dirname "$0")/.." || exit 3
. tests/cli.sh
F=$FAULTLINE
RO=scenarios/recommendation_outage.lua
BFS=scenarios/black_friday.lua

# ---- graph ----
expect_exit graph_dot_exits_0 0 "$F" graph "$BFS" --format dot
cp "$TMP/out" "$TMP/bf.dot"
expect_output graph_dot_is_a_digraph "digraph"
expect_output graph_dot_has_a_call_edge '"gateway" -> "catalog"'
if command -v dot > /dev/null 2>&1; then
  if dot -Tsvg "$TMP/bf.dot" -o "$TMP/bf.svg" 2> "$TMP/dot.err" && grep -q '<svg' "$TMP/bf.svg"; then t_ok graph_dot_is_accepted_by_graphviz
  else t_fail graph_dot_is_accepted_by_graphviz "$(head -c 300 "$TMP/dot.err")"; fi
else
  echo "# skipped: graphviz's dot is not installed (make deps)"
fi
expect_exit graph_defaults_to_dot 0 "$F" graph "$RO"
expect_output graph_default_output_is_dot "digraph"
expect_exit graph_mermaid_exits_0 0 "$F" graph "$BFS" --format mermaid
cp "$TMP/out" "$TMP/bf.mmd"
# Mermaid flowchart grammar, the subset we write: a header, node shapes, edges, classes, comments
bad=$(python3 - "$TMP/bf.mmd" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
ID = r'[A-Za-z0-9_]+'
pats = [r'%%.*', r'flowchart (LR|TB|TD|RL|BT)',
        ID + r'\["[^"]*"\]', ID + r'\(\["[^"]*"\]\)',
        ID + r' (-->|-\.->|-\. [a-z]+ \.->) ' + ID,
        r'classDef (ok|degraded|down) fill:#[0-9a-f]{6},stroke:#[0-9a-f]{6}', r'class ' + ID + r'(,' + ID + r')* (ok|degraded|down)']
if not lines or not lines[1].startswith("flowchart "): print("no flowchart header")
for l in lines:
    if not any(re.fullmatch(p, l.strip()) for p in pats): print("bad line:", l)
ids = {m.group(1) for l in lines for m in [re.match(r'\s*(' + ID + r')[\[(]', l)] if m}
for l in lines:
    m = re.fullmatch(r'\s*(' + ID + r') \S+( [a-z]+ \.->)? (' + ID + r')', l)
    if m and (m.group(1) not in ids or m.group(3) not in ids): print("edge to an undeclared node:", l)
PY
)
if [ -z "$bad" ] && grep -q "flowchart LR" "$TMP/bf.mmd" && [ "$(grep -c -- '-->' "$TMP/bf.mmd")" -ge 10 ]; then t_ok graph_mermaid_follows_the_flowchart_syntax
else t_fail graph_mermaid_follows_the_flowchart_syntax "$(echo "$bad" | head -3)"; fi
expect_exit graph_json_exits_0 0 "$F" graph "$BFS" --format json -o "$TMP/bf.json"
lay=$(python3 - "$TMP/bf.json" <<'PY' 2>&1
import json, sys
g = json.load(open(sys.argv[1]))
s = g["services"]; names = [x["name"] for x in s]
assert len(s) == 10, len(s)
# boxes do not overlap
for i, a in enumerate(s):
    for b in s[i + 1:]:
        if abs(a["x"] - b["x"]) * 2 < a["w"] + b["w"] and abs(a["y"] - b["y"]) * 2 < a["h"] + b["h"]:
            print("overlap", a["name"], b["name"])
# entry points first: every journey left of every service; layers grow with call depth
jx = max(j["x"] for j in g["journeys"]); sx = min(x["x"] for x in s)
if not jx < sx: print("journeys are not first")
by = {x["name"]: x for x in s}
for e in g["edges"]:
    if by[e["to"]]["depth"] > by[e["from"]]["depth"] and not by[e["to"]]["x"] > by[e["from"]]["x"]: print("edge goes backwards", e["from"], e["to"])
print("ok")
PY
)
if [ "$lay" = ok ]; then t_ok graph_json_lays_out_entry_points_first_without_overlaps
else t_fail graph_json_lays_out_entry_points_first_without_overlaps "$lay"; fi
expect_exit graph_bad_format_exits_2 2 "$F" graph "$RO" --format png
expect_output graph_bad_format_is_named "--format must be dot, mermaid or json, got png"
expect_exit graph_missing_scenario_exits_2 2 "$F" graph "$TMP/nope.lua"
expect_exit graph_missing_report_exits_2 2 "$F" graph "$RO" --report "$TMP/nope.json"
expect_output graph_missing_report_is_named "cannot open report '$TMP/nope.json'"

# 40 services, 6 layers deep: readable (no overlapping boxes)
python3 - > "$TMP/forty.lua" <<'PY'
print('scenario { name = "forty", duration = "10s", seed = 1 }')
import random
random.seed(4)
layers = [[f"s{l}_{i}" for i in range(n)] for l, n in enumerate([2, 6, 8, 10, 8, 6])]
for l, names in enumerate(layers):
    for n in names:
        calls = ""
        if l + 1 < len(layers):
            tg = random.sample(layers[l + 1], 2) + ([random.choice(layers[l + 2])] if l + 2 < len(layers) else [])
            calls = ", calls = { " + ", ".join(f'call "{t}"' for t in tg) + " }"
        print(f'service "{n}" {{ instances = 1, workers = 4, work = exp "1ms"{calls} }}')
print('traffic { rate = "10/s", mix = { s0_0 = 0.5, s0_1 = 0.5 } }')
PY
expect_exit graph_of_40_services_exits_0 0 "$F" graph "$TMP/forty.lua" --format json -o "$TMP/forty.json"
ov=$(python3 - "$TMP/forty.json" <<'PY' 2>&1
import json, sys
g = json.load(open(sys.argv[1])); s = g["services"]
n = sum(1 for i, a in enumerate(s) for b in s[i + 1:]
        if abs(a["x"] - b["x"]) * 2 < a["w"] + b["w"] + 4 and abs(a["y"] - b["y"]) * 2 < a["h"] + b["h"] + 4)
print(len(s), n)
PY
)
if [ "$ov" = "40 0" ]; then t_ok graph_of_40_services_has_no_overlapping_boxes
else t_fail graph_of_40_services_has_no_overlapping_boxes "services, overlaps: $ov"; fi

# ---- a report colours the graph by the worst health reached ----
"$F" run "$RO" -q --json "$TMP/ro.json" --csv "$TMP/csv" > "$TMP/run.out" 2>&1; rc=$?
if [ "$rc" = 1 ]; then t_ok outage_run_with_csv_exits_1; else t_fail outage_run_with_csv_exits_1 "exit $rc: $(head -c 300 "$TMP/run.out")"; fi
expect_exit graph_with_report_exits_0 0 "$F" graph "$RO" --report "$TMP/ro.json"
expect_output graph_with_report_colours_recommend_down '"recommend" [label="recommend\n4 x 16", fillcolor="#f7c6c2"'
expect_output graph_with_report_leaves_catalog_ok '"catalog" [label="catalog\n2 x 32", fillcolor="#d5f0dc"'
expect_exit graph_mermaid_with_report_exits_0 0 "$F" graph "$RO" --format mermaid --report "$TMP/ro.json"
if grep -qE '^  class ([a-z0-9_]+,)*s2_recommend(,[a-z0-9_]+)* down$' "$TMP/out" && grep -qE '^  class .*s1_catalog.* ok$' "$TMP/out"; then
  t_ok graph_mermaid_with_report_has_classes; else t_fail graph_mermaid_with_report_has_classes "$(grep class "$TMP/out")"; fi
if command -v dot > /dev/null 2>&1; then
  "$F" graph "$RO" --report "$TMP/ro.json" | dot -Tsvg > /dev/null 2> "$TMP/dot.err"
  if [ $? = 0 ]; then t_ok coloured_dot_is_accepted_by_graphviz; else t_fail coloured_dot_is_accepted_by_graphviz "$(head -c 200 "$TMP/dot.err")"; fi
fi

# ---- CSV ----
csvcheck=$(python3 - "$TMP/ro.json" "$TMP/csv" <<'PY' 2>&1
import csv, json, os, sys
d = json.load(open(sys.argv[1])); dirp = sys.argv[2]; ser = d["series"]
bad = []
def check(kind, name, s):
    path = os.path.join(dirp, f"{kind}-{name}.csv")
    rows = list(csv.DictReader(open(path)))
    if len(rows) != len(ser["t"]): bad.append(f"{path}: {len(rows)} rows"); return
    for i, r in enumerate(rows):
        if float(r["t"]) != ser["t"][i]: bad.append(f"{path}: t row {i}")
        for k, v in r.items():
            if k == "t": continue
            want = s["failures_by_cause"][k][i] if k in s["failures_by_cause"] else s[k][i]
            if float(v) != want: bad.append(f"{path}: {k} row {i}: {v} != {want}")
for n, s in ser["services"].items(): check("service", n, s)
for n, s in ser["journeys"].items(): check("journey", n, s)
rows = list(csv.DictReader(open(os.path.join(dirp, "edges.csv"))))
if len(rows) != len(ser["t"]) * len(ser["edges"]): bad.append(f"edges.csv: {len(rows)} rows")
idx = {(e["from"], e["to"]): e for e in ser["edges"]}
for r in rows:
    e = idx[(r["from"], r["to"])]; w = ser["t"].index(float(r["t"]))
    if float(r["calls"]) != e["calls"][w] or float(r["failures"]) != e["failures"][w]: bad.append(f"edges.csv {r}")
hdr = open(os.path.join(dirp, "service-gateway.csv")).readline().strip()
if hdr != "t,arrivals,successes,degraded,failures,rejected,timeout,unavailable,error,breaker_open,deadline,p50,p99,busy_workers,queue,instances,health,utilization":
    bad.append("service header: " + hdr)
print("ok" if not bad else "; ".join(bad[:4]))
PY
)
if [ "$csvcheck" = ok ]; then t_ok csv_files_parse_back_to_the_json_numbers
else t_fail csv_files_parse_back_to_the_json_numbers "$csvcheck"; fi
n=$(ls "$TMP/csv" | wc -l)
if [ "$n" = 7 ]; then t_ok csv_has_one_file_per_service_and_journey_and_the_edges
else t_fail csv_has_one_file_per_service_and_journey_and_the_edges "$n files: $(ls "$TMP/csv" | tr '\n' ' ')"; fi
expect_exit csv_into_a_missing_parent_fails_before_the_run 2 "$F" run "$RO" -q --csv "$TMP/no/such/dir"
expect_output csv_into_a_missing_parent_names_it "faultline: error: cannot write '$TMP/no/such/dir'"
touch "$TMP/afile"
expect_exit csv_onto_a_file_fails 2 "$F" run "$RO" -q --csv "$TMP/afile"
expect_output csv_onto_a_file_says_so "not a folder"

# ---- groups: written, or from a name's prefix; boxes around their services; the grid above 300 ----
cat > "$TMP/groups.lua" <<'LUA'
scenario { name = "groups", duration = "10s", seed = 1 }
service "edge/gw" { workers = 8, work = exp "1ms", calls = { call "ledger", call "fx", call "cat" } }
service "ledger" { group = "payments", workers = 8, work = exp "1ms" }
service "fx" { group = "payments", workers = 8, work = exp "1ms" }
service "cat" { workers = 8, work = exp "1ms" }
traffic { rate = "10/s", mix = { ["edge/gw"] = 1 } }
LUA
expect_exit check_with_groups_passes 0 "$F" check "$TMP/groups.lua"
expect_output check_names_a_written_group "service ledger: 1 instance x 8 workers, queue 100, round_robin, blocking, group payments"
expect_output check_names_a_group_from_the_name "group edge (from its name)"
"$F" graph "$TMP/groups.lua" --format dot > "$TMP/groups.dot" 2>&1
if grep -q 'subgraph "cluster_1" {' "$TMP/groups.dot" && [ "$(grep -c '^    "' "$TMP/groups.dot")" = 4 ]; then t_ok dot_draws_each_group_as_a_cluster
else t_fail dot_draws_each_group_as_a_cluster "$(cat "$TMP/groups.dot")"; fi
sed 's/group = "payments", workers = 8/group = 7, workers = 8/' "$TMP/groups.lua" > "$TMP/badgroup.lua"
expect_exit a_group_that_is_not_a_string_is_refused 2 "$F" check "$TMP/badgroup.lua"
expect_output a_bad_group_names_the_line_and_what_was_expected 'badgroup.lua:3: service "ledger": group must be a non-empty string'
# a group's box holds its services, in the dot layout and in the grid (400 services in 8 groups)
python3 - "$TMP/big.lua" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write('scenario { name = "big", duration = "10s", seed = 1 }\n')
    for g in range(8):
        for i in range(50):
            calls = [c for c in (2 * i + 1, 2 * i + 2) if c < 50]
            if g == 0 and i == 0: calls = ["t%d/s0" % h for h in range(1, 8)] + ["t0/s%d" % c for c in calls]
            else: calls = ["t%d/s%d" % (g, c) for c in calls]
            c = ", calls = { %s }" % ", ".join('call "%s"' % x for x in calls) if calls else ""
            f.write('service "t%d/s%d" { workers = 8, work = exp "1ms"%s }\n' % (g, i, c))
    f.write('traffic { rate = "10/s", mix = { ["t0/s0"] = 1 } }\n')
PY
for lua in groups big; do
  "$F" graph "$TMP/$lua.lua" --format json -o "$TMP/$lua.json" > /dev/null 2>&1
  res=$(python3 - "$TMP/$lua.json" <<'PY'
import json, sys
g = json.load(open(sys.argv[1])); bad = []
boxes = {b["name"]: b for b in g.get("groups", [])}
for s in g["services"]:
    b = boxes.get(s.get("group"))
    if s.get("group") and not b: bad.append("no box for " + s["group"])
    elif b and (abs(s["x"] - b["x"]) + s["w"] / 2 > b["w"] / 2 or abs(s["y"] - b["y"]) + s["h"] / 2 > b["h"] / 2): bad.append(s["name"] + " outside " + b["name"])
ss = g["services"]
for i in range(len(ss)):
    for k in range(i + 1, len(ss)):
        a, b = ss[i], ss[k]
        if abs(a["x"] - b["x"]) < (a["w"] + b["w"]) / 2 and abs(a["y"] - b["y"]) < (a["h"] + b["h"]) / 2: bad.append(a["name"] + " overlaps " + b["name"])
gl = list(boxes.values())
for i in range(len(gl)):
    for k in range(i + 1, len(gl)):
        a, b = gl[i], gl[k]
        if abs(a["x"] - b["x"]) < (a["w"] + b["w"]) / 2 and abs(a["y"] - b["y"]) < (a["h"] + b["h"]) / 2: bad.append(a["name"] + " overlaps " + b["name"])
lay = g["layout"]
if any(len(e.get("path", [])) < 8 or len(e.get("arrow", [])) != 4 for e in g["edges"]): bad.append("an edge without a path")
print("ok" if not bad else "; ".join(bad[:4]), len(boxes), lay["engine"], round(lay["width"] / lay["height"], 2))
PY
)
  case $lua in
    groups) want="ok 2 graphviz dot";;
    big) want="ok 8 faultline grid";;
  esac
  if [ "${res% *}" = "$want" ]; then t_ok "${lua}_layout_puts_each_group_in_its_box_without_overlaps"
  else t_fail "${lua}_layout_puts_each_group_in_its_box_without_overlaps" "$res"; fi
  if [ "$lua" = big ]; then
    aspect=${res##* }
    if python3 -c "import sys; sys.exit(0 if 1.0 <= $aspect <= 2.5 else 1)"; then t_ok the_grid_is_wider_than_tall_not_one_column
    else t_fail the_grid_is_wider_than_tall_not_one_column "width/height $aspect"; fi
  fi
done

# ---- depths, edges and drawing order on a deep generated graph ----
# A chain of 600 services (the grid's size) where c_i calls c_i+1 and, when i is a multiple of 3,
# also c_i+3 (optional, p = 0): the shortest call path to c_i has i // 3 + i % 3 steps. Beside it
# a diamond (top calls left and right, both call bottom; right's call optional, so the edge
# right -> bottom is optional and left -> bottom is not), a service top calls that calls bottom
# from two endpoints and twice from one (one edge, its three calls), and one no journey reaches
# (depth -1). The chain's groups interleave. The generator's own list of calls is the reference: the
# edges in order of first appearance, their calls, breadth-first depths, the groups' order.
python3 - "$TMP/deep.lua" "$TMP/deep.ref" <<'PY'
import json, sys
from collections import deque
N = 600
svcs = []   # (name, group, {endpoint: [(target, optional, extra)]})
for i in range(N):
    calls = [("c%d" % (i + 1), False, "")] if i + 1 < N else []
    if i % 3 == 0 and i + 3 < N: calls.append(("c%d" % (i + 3), True, "optional = true, p = 0"))
    svcs.append(("c%d" % i, "g%d" % (i * 7 % 5), {"default": calls}))
svcs.append(("top", None, {"default": [("left", False, ""), ("right", False, ""), ("twice.a", False, "")]}))
svcs.append(("left", None, {"default": [("bottom", False, "")]}))
svcs.append(("right", None, {"default": [("bottom", True, "optional = true")]}))
svcs.append(("bottom", None, {"default": []}))
svcs.append(("twice", "g1", {"a": [("bottom", True, "optional = true"), ("bottom", False, "")], "b": [("bottom", True, "optional = true")]}))
svcs.append(("orphan", None, {"default": [("bottom", False, "")]}))
lines = ['scenario { name = "deep", duration = "2s", seed = 1, window = "1s" }']
for name, group, eps in svcs:
    def calls(cs): return ", ".join('call "%s"%s' % (t, " { %s }" % x if x else "") for t, _, x in cs)
    g = ' group = "%s",' % group if group else ""
    if list(eps) == ["default"]:
        c = calls(eps["default"])
        lines.append('service "%s" {%s workers = 4, queue = math.huge, blocking = false, work = "1ms"%s }' % (name, g, ", calls = { %s }" % c if c else ""))
    else:
        e = ", ".join('%s = { work = "1ms", calls = { %s } }' % (k, calls(v)) for k, v in eps.items())
        lines.append('service "%s" {%s workers = 4, queue = math.huge, blocking = false, endpoints = { %s } }' % (name, g, e))
lines.append('traffic { rate = "5/s", mix = { c0 = 0.5, top = 0.5 } }')
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
index = {s[0]: i for i, s in enumerate(svcs)}
edges, where = [], {}
for name, _, eps in svcs:
    for ep, cs in eps.items():
        for t, opt, _ in cs:
            k = (name, t.split(".")[0])
            if k not in where: where[k] = len(edges); edges.append({"from": name, "to": k[1], "optional": True, "calls": []})
            e = edges[where[k]]
            e["optional"] = e["optional"] and opt
            e["calls"].append(["%s.%s" % (name, ep), t if "." in t else t + ".default", opt])
depth = {s[0]: -1 for s in svcs}
q = deque()
for entry in ("c0", "top"):
    if depth[entry] < 0: depth[entry] = 0; q.append(entry)
out = {}
for e in edges: out.setdefault(e["from"], []).append(e["to"])
while q:
    s = q.popleft()
    for t in out.get(s, []):
        if depth[t] < 0: depth[t] = depth[s] + 1; q.append(t)
assert all(depth["c%d" % i] == i // 3 + i % 3 for i in range(N))
groups = []
for name, g, _ in svcs:
    if g and g not in groups: groups.append(g)
order = [s[0] for s in svcs if not s[1]] + [s[0] for g in groups for s in svcs if s[1] == g]
sites = ["%s.%s -> %s" % (name, ep, t if "." in t else t + ".default") for name, _, eps in svcs for ep, cs in eps.items() for t, _, _ in cs]
json.dump({"edges": edges, "depth": depth, "groups": groups, "order": order, "sites": sites}, open(sys.argv[2], "w"))
PY
for fmt in json dot mermaid; do "$F" graph "$TMP/deep.lua" --format $fmt -o "$TMP/deep.$fmt" 2> "$TMP/deep.err" || echo "graph --format $fmt failed: $(head -c 300 "$TMP/deep.err")" >> "$TMP/deep.fail"; done
res=$(python3 - "$TMP/deep.json" "$TMP/deep.dot" "$TMP/deep.mermaid" "$TMP/deep.ref" <<'PY' 2>&1
import json, re, sys
g, dot, mmd, ref = json.load(open(sys.argv[1])), open(sys.argv[2]).read(), open(sys.argv[3]).read(), json.load(open(sys.argv[4]))
bad = []
got = [{"from": e["from"], "to": e["to"], "optional": e["optional"], "calls": [[c["from"], c["to"], c["optional"]] for c in e["calls"]]} for e in g["edges"]]
if got != ref["edges"]: bad.append("edges differ: first %s" % next(((a, b) for a, b in zip(got, ref["edges"]) if a != b), (len(got), len(ref["edges"]))))
d = {s["name"]: s["depth"] for s in g["services"]}
wrong = [(k, d.get(k), v) for k, v in ref["depth"].items() if d.get(k) != v]
if wrong: bad.append("depths differ (name, got, want): %s" % wrong[:3])
if (d["c599"], d["bottom"], d["twice"], d["orphan"]) != (201, 2, 1, -1): bad.append("known depths: %s" % [d["c599"], d["bottom"], d["twice"], d["orphan"]])
if g["layout"]["engine"] != "faultline grid": bad.append("engine " + g["layout"]["engine"])
if [x["name"] for x in g["groups"]] != ref["groups"]: bad.append("layout groups %s" % [x["name"] for x in g["groups"]][:6])
nodes = [x for x in re.findall(r'^\s*"([^"]+)" \[label=', dot, re.M) if not x.startswith("journey:")]
if nodes != ref["order"]: bad.append("DOT node order differs at %s" % next((i for i, (a, b) in enumerate(zip(nodes, ref["order"])) if a != b), len(nodes)))
if re.findall(r'label="(g\d)";', dot) != ref["groups"]: bad.append("DOT clusters %s" % re.findall(r'label="(g\d)";', dot))
want = ['"%s" -> "%s"%s;' % (e["from"], e["to"], " [style=dotted" if e["optional"] else "") for e in ref["edges"]]
dedges = re.findall(r'^  ("[^"]+" -> "[^"]+"(?: \[style=dotted)?)', dot, re.M)
dedges = [x + ";" if "[" not in x else x for x in dedges if not x.startswith('"journey:')]
if dedges != [w.rstrip(";") + ";" if "[" not in w else w.rstrip(";") for w in want]: bad.append("DOT edges differ")
medges = re.findall(r'^  s\d+_(\w+) (-->|-\. optional \.->) s\d+_(\w+)$', mmd, re.M)
if medges != [(e["from"], " -. optional .-> ".strip() if e["optional"] else "-->", e["to"]) for e in ref["edges"]]: bad.append("Mermaid edges differ")
print("ok" if not bad else "; ".join(bad))
PY
)
if [ "$res" = ok ] && [ ! -e "$TMP/deep.fail" ]; then t_ok graph_edges_depths_and_order_match_a_reference_on_a_deep_chain_and_a_diamond
else t_fail graph_edges_depths_and_order_match_a_reference_on_a_deep_chain_and_a_diamond "$res $(cat "$TMP/deep.fail" 2> /dev/null)"; fi
# The report names each call site once: in model order, twice.a's second call to bottom with its
# id (its place in that order) appended.
"$F" run "$TMP/deep.lua" -q --json "$TMP/deep.rep.json" 2> "$TMP/deep.err"
res=$(python3 - "$TMP/deep.rep.json" "$TMP/deep.ref" <<'PY' 2>&1
import json, sys
c, sites = json.load(open(sys.argv[1]))["calls"], json.load(open(sys.argv[2]))["sites"]
want = [s if s not in sites[:i] else "%s #%d" % (s, i) for i, s in enumerate(sites)]
print("ok" if list(c) == want and sum(v["calls"] for v in c.values()) > 0 else "calls: %d, %s" % (len(c), [k for k in c if "#" in k]))
PY
)
if [ "$res" = ok ]; then t_ok the_report_names_a_repeated_call_site_by_its_id
else t_fail the_report_names_a_repeated_call_site_by_its_id "$res"; fi

finish
