#!/usr/bin/env bash
# Runs every test binary of $BUILD and every tests/cli_*.sh script, then prints
# "N passed, N failed" (and appends the counts to $BUILD/test-counts for `make test`'s total).
set -u
BUILD=${BUILD:-build}
export BUILD FAULTLINE="$BUILD/faultline"
# Every run of the suite checks the run state's invariants after each window (fl_sim_check_invariants).
export FAULTLINE_CHECK_INVARIANTS=1
passed=0; failed=0
: > "$BUILD/test-counts"
run_one() {
  local name=$1; shift
  local out
  out=$("$@" 2>&1); local rc=$?
  local line
  line=$(printf '%s\n' "$out" | grep -E '^# .*: [0-9]+ passed, [0-9]+ failed$' | tail -1)
  if [ -z "$line" ]; then
    printf '%s\n' "$out" | tail -20
    echo "FAIL $name: no result line (exit $rc)"
    failed=$((failed + 1)); return
  fi
  local p f
  p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
  f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')
  if [ "$f" != 0 ] || [ "$rc" != 0 ]; then
    printf '%s\n' "$out" | grep -vE '^ok ' | tail -40
    [ "$f" = 0 ] && f=1
  fi
  echo "$line"
  passed=$((passed + p)); failed=$((failed + f))
}
for t in "$BUILD"/tests/test_*; do
  [ -x "$t" ] || continue
  run_one "$(basename "$t")" "$t"
done
for t in tests/cli_*.sh; do
  [ -f "$t" ] || continue
  run_one "$(basename "$t")" bash "$t"
done
echo "$passed $failed" > "$BUILD/test-counts"
echo "$BUILD: $passed passed, $failed failed"
[ "$failed" = 0 ]
