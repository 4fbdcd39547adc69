#!/usr/bin/env bash
# Interrupts: SIGINT or SIGTERM during a long run (Black Friday, tens of seconds) stops it at the
# current window and writes a partial report: valid JSON, "complete": false, the windows run so
# far; a second signal ends the process at once. A report file is whole or absent whatever the
# moment of the signal, even SIGKILL: an old report is never left half overwritten.
cd "$(dirname "$0")/.." || exit 3
. tests/cli.sh
F=$FAULTLINE
BF=scenarios/black_friday.lua

# check_partial NAME FILE: the report is a valid partial one
check_partial() {
  local out
  out=$(python3 - "$2" <<'PY' 2>&1
import json, sys
d = json.load(open(sys.argv[1]))
assert d.get("complete") is False, "complete is %r" % d.get("complete")
t = d["series"]["t"]
assert 0 < len(t) < 720, "%d windows (the full run has 720)" % len(t)
for name, svc in d["series"]["services"].items():
    assert len(svc["arrivals"]) == len(t), "%s: %d arrivals for %d windows" % (name, len(svc["arrivals"]), len(t))
# the windows run so far hold arrivals (the totals may still be 0: they start after the warm-up)
assert sum(sum(s["arrivals"]) for s in d["series"]["services"].values()) > 0, "no arrivals in the series"
assert "run" in d and d["run"]["wall_seconds"] > 0
print("ok")
PY
)
  if [ "$out" = ok ]; then t_ok "$1"; else t_fail "$1" "$out"; fi
}

# whole_or_absent NAME FILE: the file does not exist or is valid JSON
whole_or_absent() {
  if [ ! -e "$2" ] || python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$2" 2> /dev/null; then t_ok "$1"
  else t_fail "$1" "$2 is neither absent nor whole ($(wc -c < "$2") bytes)"; fi
}

# interrupt NAME SIGNAL: a run of Black Friday sent SIGNAL after 1.5 s
interrupt() {
  local name=$1 sig=$2
  "$F" run "$BF" -q --json "$TMP/$name.json" > "$TMP/$name.out" 2> "$TMP/$name.err" &
  local pid=$!
  sleep 1.5
  kill -"$sig" "$pid"
  local start=$SECONDS
  wait "$pid"; local rc=$?
  if [ "$rc" = 0 ] || [ "$rc" = 1 ]; then t_ok "${name}_exits_as_a_run_does"
  else t_fail "${name}_exits_as_a_run_does" "exit $rc: $(head -c 300 "$TMP/$name.err")"; fi
  if [ $((SECONDS - start)) -le 10 ]; then t_ok "${name}_stops_within_a_window"
  else t_fail "${name}_stops_within_a_window" "took $((SECONDS - start)) s"; fi
  if grep -q 'interrupted at t=.*the report is partial ("complete": false)' "$TMP/$name.err"; then t_ok "${name}_says_the_report_is_partial"
  else t_fail "${name}_says_the_report_is_partial" "$(head -c 300 "$TMP/$name.err")"; fi
  check_partial "${name}_writes_a_valid_partial_report" "$TMP/$name.json"
}

interrupt sigint INT
interrupt sigterm TERM
if [ -z "$(find "$TMP" -name '*.tmp*')" ]; then t_ok interrupted_runs_leave_no_temporary_file
else t_fail interrupted_runs_leave_no_temporary_file "$(find "$TMP" -name '*.tmp*')"; fi

# A second signal does not wait for the window: one window of 2 h is the whole run.
echo '{"old": "report"}' > "$TMP/second.json"
"$F" run "$BF" -q --set scenario.window=2h --set scenario.warmup=0s --json "$TMP/second.json" > /dev/null 2> "$TMP/second.err" &
pid=$!
sleep 1
kill -INT "$pid"; sleep 0.5; kill -INT "$pid"
start=$SECONDS
wait "$pid"; rc=$?
if [ "$rc" = 130 ] && [ $((SECONDS - start)) -le 5 ]; then t_ok a_second_sigint_ends_the_run_at_once
else t_fail a_second_sigint_ends_the_run_at_once "exit $rc after $((SECONDS - start)) s"; fi
if [ "$(cat "$TMP/second.json")" = '{"old": "report"}' ]; then t_ok a_run_ended_at_once_leaves_the_old_report_alone
else t_fail a_run_ended_at_once_leaves_the_old_report_alone "$(head -c 200 "$TMP/second.json")"; fi

# Whole or absent, whatever the moment: signals at several points of a run of about a second,
# the last ones during or after the writing of the report (a 2 h run shortened to 20 min).
for sig in INT KILL; do
  for delay in 0.05 0.3 0.6 0.9 1.2 1.6; do
    f="$TMP/w_${sig}_$delay.json"
    [ "$sig" = KILL ] && echo '{"old": "report"}' > "$f"
    "$F" run "$BF" -q --set scenario.duration=20m --json "$f" > /dev/null 2>&1 &
    pid=$!
    sleep "$delay"
    kill -"$sig" "$pid" 2> /dev/null
    wait "$pid" 2> /dev/null
    whole_or_absent "sig${sig}_after_${delay}s_leaves_the_report_whole_or_absent" "$f"
  done
done

finish
