# Golden reports: scenarios/X.lua against tests/golden/X.json (the report minus its "run" object).
# A difference is either a bug or an intended change of the numbers or the report: after an
# intended one, `make golden` writes the files anew, and the diff goes into the commit.
. tests/cli.sh
for g in tests/golden/*.json; do
  name=$(basename "$g" .json)
  "$FAULTLINE" run "scenarios/$name.lua" -q --json "$TMP/$name.json" > /dev/null 2>&1
  if python3 - "$g" "$TMP/$name.json" > "$TMP/diff" <<'PY'
import json, sys
want, got = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
got.pop("run", None)
def first(x, y, p=""):
    if type(x) != type(y): return p + ": " + repr(x)[:60] + " became " + repr(y)[:60]
    if isinstance(x, dict):
        for k in sorted(set(x) | set(y)):
            if k not in x or k not in y: return p + "/" + k + (" is new" if k not in x else " is gone")
            d = first(x[k], y[k], p + "/" + k)
            if d: return d
    elif isinstance(x, list):
        if len(x) != len(y): return p + ": %d items became %d" % (len(x), len(y))
        for i, (u, v) in enumerate(zip(x, y)):
            d = first(u, v, "%s[%d]" % (p, i))
            if d: return d
    elif x != y: return p + ": " + repr(x) + " became " + repr(y)
    return None
d = first(want, got)
print(d or "")
sys.exit(1 if d else 0)
PY
  then t_ok "golden_${name}"; else t_fail "golden_${name}" "$(cat "$TMP/diff") (make golden rewrites tests/golden/ after an intended change)"; fi
done
finish
