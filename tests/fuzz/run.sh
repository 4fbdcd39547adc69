#!/usr/bin/env bash
# make fuzz: links each libFuzzer target (tests/fuzz/fuzz_*.c) against $BUILD/libfaultline.a (built
# by clang with -fsanitize=fuzzer-no-link,address,undefined) and runs it for FUZZ_SECONDS (30)
# from its seed corpus tests/fuzz/<target>/. New inputs go to $BUILD/corpus/<target>/, crashes to
# $BUILD/crashes/ (copy one into tests/fuzz/<target>/ once fixed: test_fuzz_corpus replays it in
# every `make test`). FUZZ_TARGETS="units scenario" runs only those. Prints "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 3
BUILD=${BUILD:-build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-30}
TARGETS=${FUZZ_TARGETS:-"units scenario trace import"}
CLANG=${FUZZ_CC:-clang}
SAN="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
if ! command -v "$CLANG" > /dev/null 2>&1; then
  echo "fuzz: no $CLANG (apt-get install clang): skipped"
  echo "# fuzz: 0 passed, 0 failed"
  exit 0
fi
mkdir -p "$BUILD/crashes"
passed=0; failed=0
for t in $TARGETS; do
  bin="$BUILD/fuzz_$t"
  if ! $CLANG -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 $SAN -Iinclude ${PKG_CFLAGS:-} -o "$bin" "tests/fuzz/fuzz_$t.c" \
       "$BUILD/libfaultline.a" ${LDLIBS:-} 2> "$BUILD/fuzz_$t.build.log"; then
    tail -20 "$BUILD/fuzz_$t.build.log"
    echo "FAIL fuzz_$t: does not build"; failed=$((failed + 1)); continue
  fi
  mkdir -p "$BUILD/corpus/$t"
  dict=""; [ -f "tests/fuzz/$t.dict" ] && dict="-dict=tests/fuzz/$t.dict"
  # the scenarios of the repository seed the loader as they are, not as copies that go stale
  seeds=""; [ "$t" = scenario ] && seeds="scenarios tests/scenarios"
  # -timeout: a scenario may legitimately run up to the 200M-instruction limit (seconds under ASan)
  log="$BUILD/fuzz_$t.log"
  "$bin" -max_total_time="$SECONDS_EACH" -timeout=60 -rss_limit_mb=4096 -print_final_stats=1 $dict \
    -artifact_prefix="$BUILD/crashes/$t-" "$BUILD/corpus/$t" "tests/fuzz/$t" $seeds > "$log" 2>&1
  rc=$?
  runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
  if [ "$rc" = 0 ]; then
    echo "ok   fuzz_$t: ${runs:-?} runs in ${SECONDS_EACH}s, corpus $(ls "$BUILD/corpus/$t" | wc -l) new inputs"
    passed=$((passed + 1))
  else
    grep -E 'ERROR|SUMMARY|fuzz:|Test unit written|runtime error' "$log" | head -20
    echo "FAIL fuzz_$t: exit $rc (log: $log; crashing input in $BUILD/crashes/)"
    failed=$((failed + 1))
  fi
done
echo "# fuzz: $passed passed, $failed failed"
[ "$failed" = 0 ]
