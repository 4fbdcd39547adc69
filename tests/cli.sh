# Helpers for shell tests of the command line: source it, call check/expect_*, then finish.
# Each test prints "ok NAME" or "FAIL NAME: why"; finish prints "# FILE: N passed, N failed".
FAULTLINE=${FAULTLINE:-build/faultline}
T_PASSED=0; T_FAILED=0
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
t_ok() { echo "ok   $1"; T_PASSED=$((T_PASSED + 1)); }
t_fail() { echo "FAIL $1: $2"; T_FAILED=$((T_FAILED + 1)); }
# expect_exit NAME CODE CMD...: the command exits with CODE; its stdout+stderr are in $TMP/out
expect_exit() {
  local name=$1 code=$2; shift 2
  "$@" > "$TMP/out" 2>&1; local rc=$?
  if [ "$rc" = "$code" ]; then t_ok "$name"; else t_fail "$name" "exit $rc, expected $code: $(head -c 400 "$TMP/out")"; fi
}
# expect_output NAME TEXT: the last command's output contains TEXT (fixed string)
expect_output() {
  if grep -qF -- "$2" "$TMP/out"; then t_ok "$1"; else t_fail "$1" "output lacks '$2': $(head -c 400 "$TMP/out")"; fi
}
# add_counts FILE NAME: the ok/FAIL lines of a helper's output FILE, and its closing line
# "# NAME: N passed, N failed" folded into ours
add_counts() {
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
finish() { echo "# $(basename "$0"): $T_PASSED passed, $T_FAILED failed"; [ "$T_FAILED" = 0 ]; }
# tally_results NAME FILE: adds the "# NAME: N passed, N failed" line of FILE (a node browser test's
# output) to this script's counts, its ok/FAIL lines echoed; a missing line is a failure
tally_results() {
  grep -E '^(ok|FAIL) ' "$2" || true
  local line; line=$(grep -E "^# $1: [0-9]+ passed, [0-9]+ failed$" "$2")
  if [ -z "$line" ]; then t_fail "${1}_ran" "$(tail -5 "$2")"; return; fi
  T_PASSED=$((T_PASSED + $(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')))
  T_FAILED=$((T_FAILED + $(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')))
}
