#!/usr/bin/env bash
# Runs every test binary of $BUILD and every tests/cli_*.sh script, then prints
# "N passed, N failed" (and appends the counts to $BUILD/test-counts for `make test`'s total).
# Tests run $FAULTLINE_TEST_JOBS at a time (default: the number of cores), the slowest first when an
# earlier run left their times in $BUILD/test-times; each test's output is printed whole, in the
# suite's order, after it ends.
set -u
BUILD=${BUILD:-build}
export BUILD FAULTLINE="$BUILD/faultline"
# Every run of the suite checks the run state's invariants after each window (fl_sim_check_invariants).
export FAULTLINE_CHECK_INVARIANTS=1
JOBS=${FAULTLINE_TEST_JOBS:-$(nproc 2>/dev/null || echo 1)}
OUTS=$(mktemp -d); trap 'rm -rf "$OUTS"' EXIT

names=(); cmds=()
for t in "$BUILD"/tests/test_*; do
  [ -x "$t" ] || continue
  names+=("$(basename "$t")"); cmds+=("$t")
done
for t in tests/cli_*.sh; do
  [ -f "$t" ] || continue
  names+=("$(basename "$t")"); cmds+=("bash $t")
done

# Start order: longest first by the last run's times (unknown ones first: they may be slow).
order=$(for i in "${!names[@]}"; do
  s=$(awk -v n="${names[$i]}" '$1 == n { print $2 }' "$BUILD/test-times" 2>/dev/null)
  echo "${s:-100000} $i"
done | sort -k1,1nr -k2,2n | awk '{ print $2 }')

for i in $order; do
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
  (
    start=$EPOCHREALTIME
    # shellcheck disable=SC2086
    ${cmds[$i]} > "$OUTS/$i.out" 2>&1
    echo $? > "$OUTS/$i.rc"
    awk -v n="${names[$i]}" -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%s %.1f\n", n, b - a }' > "$OUTS/$i.time"
  ) &
done
wait

passed=0; failed=0
: > "$BUILD/test-counts"
for i in "${!names[@]}"; do
  name=${names[$i]}
  out=$(cat "$OUTS/$i.out" 2>/dev/null); rc=$(cat "$OUTS/$i.rc" 2>/dev/null || echo 99)
  line=$(printf '%s\n' "$out" | grep -E '^# .*: [0-9]+ passed, [0-9]+ failed$' | tail -1)
  if [ -z "$line" ]; then
    printf '%s\n' "$out" | tail -20
    echo "FAIL $name: no result line (exit $rc)"
    failed=$((failed + 1)); continue
  fi
  p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
  f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')
  if [ "$f" != 0 ] || [ "$rc" != 0 ]; then
    printf '%s\n' "$out" | grep -vE '^ok ' | tail -40
    [ "$f" = 0 ] && f=1
  fi
  echo "$line"
  passed=$((passed + p)); failed=$((failed + f))
done
cat "$OUTS"/*.time 2>/dev/null | sort -k2,2nr > "$BUILD/test-times"
echo "slowest: $(head -5 "$BUILD/test-times" | awk '{ printf "%s%s %.0f s", (NR > 1 ? ", " : ""), $1, $2 }')"
echo "$passed $failed" > "$BUILD/test-counts"
echo "$BUILD: $passed passed, $failed failed"
[ "$failed" = 0 ]
