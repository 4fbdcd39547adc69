#!/usr/bin/env bash
# valgrind memcheck on the command line: Black Friday shortened to 2 simulated minutes (run with a
# JSON report, and check), and a scenario that fails loading (a memory bomb), each with no memory
# error and no definite leak. Skipped when valgrind is missing, and in the sanitizer build
# (FAULTLINE_SANITIZED=1, or a binary linked with libasan), where valgrind cannot run.
cd "$(dirname "$0")/.." || exit 3
. tests/cli.sh
F=$FAULTLINE

if ! command -v valgrind > /dev/null 2>&1; then
  echo "skip: no valgrind (apt-get install valgrind)"; finish; exit
fi
if [ "${FAULTLINE_SANITIZED:-0}" = 1 ] || { command -v ldd > /dev/null && ldd "$F" 2>/dev/null | grep -q libasan; }; then
  echo "skip: $F is built with the sanitizers"; finish; exit
fi

# vg NAME WANT_EXIT ARGS...: runs faultline under memcheck; passes when it exits WANT_EXIT with a
# clean memcheck (error 99 is memcheck's: an invalid access, an uninitialised read or a definite leak)
vg() {
  local name=$1 want=$2; shift 2
  valgrind --tool=memcheck --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
    --show-leak-kinds=definite -q "$F" "$@" > "$TMP/$name.out" 2> "$TMP/$name.err"
  local rc=$?
  if [ "$rc" = "$want" ] && ! grep -q '^==[0-9]*==' "$TMP/$name.err"; then t_ok "$name"
  else t_fail "$name" "exit $rc (want $want): $(grep -m 12 '^==[0-9]*==' "$TMP/$name.err" | cut -c1-160)"; fi
}

# 2 minutes of Black Friday: its expectations need the whole evening, so exit 1
vg black_friday_run_is_memcheck_clean 1 run scenarios/black_friday.lua --set scenario.duration=2m \
  --set scenario.warmup=30s -q --json "$TMP/bf.json"
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["services"]' "$TMP/bf.json" 2> /dev/null; then
  t_ok black_friday_report_under_memcheck_is_whole
else t_fail black_friday_report_under_memcheck_is_whole "no valid report"; fi
vg black_friday_check_is_memcheck_clean 0 check scenarios/black_friday.lua
printf 'scenario { duration = "10s" }\nlocal s = "x"\nfor i = 1, 40 do s = s .. s end\n' > "$TMP/bomb.lua"
vg a_failed_load_is_memcheck_clean 2 check "$TMP/bomb.lua"
if grep -qF "bomb.lua:3: the scenario used more than 256 MiB of memory" "$TMP/a_failed_load_is_memcheck_clean.err"; then
  t_ok a_failed_load_under_memcheck_says_why
else t_fail a_failed_load_under_memcheck_says_why "$(head -c 300 "$TMP/a_failed_load_is_memcheck_clean.err")"; fi

finish
