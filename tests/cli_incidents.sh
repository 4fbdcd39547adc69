#!/usr/bin/env bash
# The incident library as a regression suite: every scenario of scenarios/incidents/ and
# scenarios/black_friday_autoscale.lua passes its expectations as written (exit 0: the defended
# architecture), and fails them (exit 1) with the --set arguments of its header's marker line
#   -- incident: --set a=b --set c=d
# (the architecture as it was on the day). The runs go in parallel: they are independent.
cd "$(dirname "$0")/.." || exit 3
. tests/cli.sh
F=$FAULTLINE

FILES=(scenarios/incidents/*.lua scenarios/black_friday_autoscale.lua)
# Under sanitizers (about twice as slow) the Black Friday pair, the longest runs, is left out:
# the flash-sale incident covers the same autoscaler and hooks.
[ "${FAULTLINE_SANITIZED:-0}" = 1 ] && FILES=(scenarios/incidents/*.lua)
n_incidents=$(ls scenarios/incidents/*.lua 2>/dev/null | wc -l)
if [ "$n_incidents" -ge 5 ]; then t_ok incident_library_has_at_least_five_scenarios
else t_fail incident_library_has_at_least_five_scenarios "found $n_incidents in scenarios/incidents/"; fi

# incident_args FILE: the words after "-- incident:" on the file's marker line (one per line).
incident_args() {
  local line
  line=$(grep -m1 -E '^-- incident:' "$1") || return 1
  line=${line#-- incident:}
  local -a words
  read -ra words <<< "$line"
  [ "${#words[@]}" -gt 0 ] || return 1
  printf '%s\n' "${words[@]}"
}

# start NAME CMD...: runs CMD in the background; its output goes to $TMP/NAME.out, its exit code
# to $TMP/NAME.rc
start() {
  local name=$1; shift
  ( "$@" > "$TMP/$name.out" 2>&1; echo $? > "$TMP/$name.rc" ) &
}

names=()
for f in "${FILES[@]}"; do
  name=$(basename "$f" .lua)
  if ! mapfile -t args < <(incident_args "$f") || [ "${#args[@]}" = 0 ]; then
    t_fail "${name}_has_an_incident_marker" "no '-- incident: --set ...' line in $f"
    continue
  fi
  # the marker holds --set PATH=VALUE pairs only
  bad=""
  for ((i = 0; i < ${#args[@]}; i += 2)); do
    [ "${args[i]}" = --set ] && [[ "${args[i + 1]:-}" == *=* ]] || bad="${args[*]}"
  done
  if [ -n "$bad" ]; then t_fail "${name}_incident_marker_is_set_pairs" "$f: $bad"; continue; fi
  t_ok "${name}_has_an_incident_marker"
  names+=("$name")
  start "$name.as_written" "$F" run "$f"
  start "$name.incident" "$F" run "$f" "${args[@]}"
done
wait

# check NAME VARIANT CODE: the run exited with CODE; on a mismatch, show its expectations
check() {
  local name=$1 variant=$2 want=$3 rc
  rc=$(cat "$TMP/$name.$variant.rc" 2>/dev/null || echo "?")
  if [ "$rc" = "$want" ]; then t_ok "${name}_${variant}_exits_$want"
  else t_fail "${name}_${variant}_exits_$want" "exit $rc: $(grep -E 'FAIL|PASS|error' "$TMP/$name.$variant.out" | head -c 600)"; fi
}
for name in "${names[@]}"; do
  check "$name" as_written 0
  check "$name" incident 1
  # exit 1 must come from a failed expectation, not from something else
  if grep -q '^  FAIL ' "$TMP/$name.incident.out"; then t_ok "${name}_incident_fails_an_expectation"
  else t_fail "${name}_incident_fails_an_expectation" "no FAIL line: $(tail -c 300 "$TMP/$name.incident.out")"; fi
  if grep -q '^  FAIL ' "$TMP/$name.as_written.out"; then
    t_fail "${name}_as_written_passes_every_expectation" "$(grep '^  FAIL ' "$TMP/$name.as_written.out" | head -c 400)"
  else t_ok "${name}_as_written_passes_every_expectation"; fi
done
finish
