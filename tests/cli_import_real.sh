#!/usr/bin/env bash
# faultline import on the real files of ../shared/real-inputs/ (138 public files, beside the
# repository; skipped when missing): every file lands in its expected class (S a runnable
# scenario, F fault lines a scenario accepts, L links ready for faults (commented fault lines a
# scenario accepts once uncommented), C comments only, R refused with exit 2 and file:line), none
# crashes; then the numbers of issue 18's files. None of the real files holds spans: `import
# traces` refuses each with file:line (and names the import that reads it).
cd "$(dirname "$0")/.." || exit 3
. tests/cli.sh
F=$FAULTLINE
R=../shared/real-inputs
if [ ! -d "$R" ]; then
  echo "skip cli_import_real.sh: $R is missing (the real inputs live beside the repository)"
  finish; exit $?
fi

# A scenario with every service the fault lines name, so that check can read them.
stub_check() {   # stub_check NAME FAULTFILE
  local names
  names=$(grep -o -E '(target|from|to) = "[^"]*"' "$2" | sed -E 's/^[a-z]+ = "(.*)"$/\1/' | sort -u)
  {
    echo 'scenario { name = "stub", duration = "10m", seed = 1 }'
    local calls="" svcs
    # a target "svc.ep" is an endpoint: its service gets one endpoint per such target
    svcs=$(sed 's/\..*//' <<< "$names" | sort -u)
    while IFS= read -r s; do
      [ -n "$s" ] || continue
      local eps
      eps=$(grep -F "$s." <<< "$names" | grep "^$s\." | sed "s/^$s\.//")
      if [ -n "$eps" ]; then
        printf 'service "%s" { instances = 10, workers = 4, endpoints = {' "$s"
        while IFS= read -r e; do printf ' ["%s"] = { work = exp "1ms" },' "$e"; calls="$calls call \"$s.$e\","; done <<< "$eps"
        printf ' } }\n'
      else
        printf 'service "%s" { instances = 10, workers = 4, work = exp "1ms" }\n' "$s"
        calls="$calls call \"$s\","
      fi
    done <<< "$svcs"
    echo "service \"stub_client\" { instances = 1, workers = 4, work = exp \"1ms\", calls = { $calls } }"
    echo 'traffic { rate = "1/s", mix = { stub_client = 1 } }'
    cat "$2"
  } > "$TMP/stub.lua"
  "$F" check "$TMP/stub.lua" > "$TMP/check.out" 2>&1 || { t_fail "$1" "check of its faults: $(head -c 300 "$TMP/check.out")"; return 1; }
  return 0
}

while read -r class file; do
  [ -n "$class" ] || continue
  fmt=${file%%/*}
  name="real_${file//[^A-Za-z0-9]/_}"
  "$F" import "$fmt" "$R/$file" > "$TMP/imp.out" 2> "$TMP/imp.err"; rc=$?
  if [ "$rc" -gt 2 ]; then t_fail "$name" "exit $rc (crash?): $(head -c 300 "$TMP/imp.err")"; continue; fi
  nf=$(grep -c '^fault {' "$TMP/imp.out"); nt=$(grep -c '^-- fault {' "$TMP/imp.out"); ns=$(grep -c '^service ' "$TMP/imp.out")
  if [ "$rc" = 2 ]; then got=R; elif [ "$ns" -gt 0 ]; then got=S; elif [ "$nf" -gt 0 ]; then got=F; elif [ "$nt" -gt 0 ]; then got=L; else got=C; fi
  if [ "$got" != "$class" ]; then t_fail "$name" "class $got, expected $class: $(head -c 300 "$TMP/imp.err")"; continue; fi
  case $class in
    R) grep -qE "^faultline: error: $R/$file:[0-9]+(:[0-9]+)?: " "$TMP/imp.err" || { t_fail "$name" "refused without file:line: $(head -c 300 "$TMP/imp.err")"; continue; } ;;
    S) "$F" check "$TMP/imp.out" > "$TMP/check.out" 2>&1 || { t_fail "$name" "check: $(head -c 300 "$TMP/check.out")"; continue; } ;;
    F) stub_check "$name" "$TMP/imp.out" || continue ;;
    L) sed 's/^-- fault {/fault {/' "$TMP/imp.out" > "$TMP/uncommented.lua"; stub_check "$name" "$TMP/uncommented.lua" || continue ;;
    C) grep -q '^-- no equivalent: ' "$TMP/imp.out" || { t_fail "$name" "no comment says what has no equivalent"; continue; } ;;
  esac
  if grep -q "no per-link faults" "$TMP/imp.out"; then t_fail "$name" "a stale comment: faultline has per-link faults"; continue; fi
  t_ok "$name"
done <<'TABLE'
  C chaos-mesh/cm-blockchaos__blockchaos-delay-example.yaml
  C chaos-mesh/cm-blockchaos__hostpath-persistent-volume.yaml
  C chaos-mesh/cm-blockchaos__pod.yaml
  C chaos-mesh/cm-burn-cpu.yaml
  C chaos-mesh/cm-cause-pod-oom.yaml
  C chaos-mesh/cm-config__samples__chaosoperator_v1alpha1_iochaos.yaml
  R chaos-mesh/cm-config__samples__chaosoperator_v1alpha1_networkchaos.yaml
  R chaos-mesh/cm-config__samples__chaosoperator_v1alpha1_podchaos.yaml
  F chaos-mesh/cm-container-kill-example.yaml
  C chaos-mesh/cm-dashboard__ingress-subpath.yaml
  C chaos-mesh/cm-dns-chaos-example.yaml
  C chaos-mesh/cm-etcd__etcd-iochaos.yaml
  C chaos-mesh/cm-etcd__etcd.yaml
  C chaos-mesh/cm-io-attr-example.yaml
  C chaos-mesh/cm-io-delay-example.yaml
  C chaos-mesh/cm-io-errno-example.yaml
  C chaos-mesh/cm-jvm__app.yaml
  C chaos-mesh/cm-jvm__jvm-exception-example.yaml
  C chaos-mesh/cm-jvm__jvm-return-example.yaml
  C chaos-mesh/cm-jvm__jvm-rule-data-example.yaml
  C chaos-mesh/cm-network-bandwidth-example.yaml
  C chaos-mesh/cm-network-corrupt-example.yaml
  F chaos-mesh/cm-network-delay-example.yaml
  C chaos-mesh/cm-network-delay-with-external-target-example.yaml
  F chaos-mesh/cm-network-delay-with-target-example.yaml
  C chaos-mesh/cm-network-duplicate-example.yaml
  F chaos-mesh/cm-network-loss-example.yaml
  F chaos-mesh/cm-network-netem-example.yaml
  F chaos-mesh/cm-network-netem-with-target-example.yaml
  F chaos-mesh/cm-network-partition-example.yaml
  C chaos-mesh/cm-network-partition-with-external-targets-example.yaml
  C chaos-mesh/cm-nginx__http-patch-response.yaml
  C chaos-mesh/cm-nginx__nginx.yaml
  C chaos-mesh/cm-physicalmachinechaos__network-delay-physicalmachinechaos-example.yaml
  C chaos-mesh/cm-physicalmachinechaos__network-delay-physicalmachinechaos-labelselectors-example.yaml
  C chaos-mesh/cm-physicalmachinechaos__physicalmachine-example.yaml
  F chaos-mesh/cm-pod-failure-example.yaml
  F chaos-mesh/cm-pod-kill-example.yaml
  C chaos-mesh/cm-remote-cluster.yaml
  C chaos-mesh/cm-remote-cluster__deployment.yaml
  C chaos-mesh/cm-remote-cluster__remote-cluster.yaml
  F chaos-mesh/cm-remote-cluster__remote-podchaos.yaml
  F chaos-mesh/cm-schedule-podchaos.yaml
  C chaos-mesh/cm-statuscheck-example.yaml
  F chaos-mesh/cm-test__integration_test__auth-rbac-webhook__podchaos-example.yaml
  C chaos-mesh/cm-test__integration_test__aws__aws_chaos.yaml
  C chaos-mesh/cm-test__integration_test__aws__aws_chaos_template.yaml
  F chaos-mesh/cm-test__integration_test__network__delay_chaos.yaml
  C chaos-mesh/cm-test__integration_test__physical_machine__chaos.yaml
  C chaos-mesh/cm-test__integration_test__physical_machine__chaos_selector.yaml
  C chaos-mesh/cm-test__integration_test__physical_machine__schedule.yaml
  C chaos-mesh/cm-test__integration_test__physical_machine__workflow.yaml
  C chaos-mesh/cm-time-chaos-example.yaml
  F chaos-mesh/cm-web-show__network-delay.yaml
  F chaos-mesh/cm-web-show__pod-failure.yaml
  F chaos-mesh/cm-web-show__pod-kill.yaml
  C chaos-mesh/cm-workflow__custom-task.yaml
  F chaos-mesh/cm-workflow__parallel.yaml
  F chaos-mesh/cm-workflow__serial.yaml
  F chaos-mesh/cm-workflow__status-check.yaml
  F chaos-mesh/web-create-chaos-mesh-workflow-01-Workflow.yaml
  F chaos-mesh/web-define-scheduling-rules-01-Schedule.yaml
  F chaos-mesh/web-define-scheduling-rules-02-NetworkChaos.yaml
  F chaos-mesh/web-integrate-chaos-mesh-into-github-actions-01-NetworkChaos.yaml
  C chaos-mesh/web-remote-cluster-management-02-StressChaos.yaml
  F chaos-mesh/web-run-a-chaos-experiment-01-NetworkChaos.yaml
  F chaos-mesh/web-run-a-chaos-experiment-02-Schedule.yaml
  F chaos-mesh/web-run-serial-or-parallel-experiments-01-Workflow.yaml
  F chaos-mesh/web-run-serial-or-parallel-experiments-02-Workflow.yaml
  C chaos-mesh/web-simulate-aws-chaos-01-AWSChaos.yaml
  C chaos-mesh/web-simulate-aws-chaos-02-AWSChaos.yaml
  C chaos-mesh/web-simulate-aws-chaos-03-AWSChaos.yaml
  C chaos-mesh/web-simulate-azure-chaos-01-AzureChaos.yaml
  C chaos-mesh/web-simulate-azure-chaos-02-AzureChaos.yaml
  C chaos-mesh/web-simulate-azure-chaos-03-AzureChaos.yaml
  C chaos-mesh/web-simulate-block-chaos-on-kubernetes-01-BlockChaos.yaml
  C chaos-mesh/web-simulate-dns-chaos-on-kubernetes-01-DNSChaos.yaml
  C chaos-mesh/web-simulate-gcp-chaos-01-GCPChaos.yaml
  C chaos-mesh/web-simulate-gcp-chaos-02-GCPChaos.yaml
  C chaos-mesh/web-simulate-gcp-chaos-03-GCPChaos.yaml
  C chaos-mesh/web-simulate-heavy-stress-on-kubernetes-01-StressChaos.yaml
  F chaos-mesh/web-simulate-http-chaos-on-kubernetes-01-HTTPChaos.yaml
  F chaos-mesh/web-simulate-http-chaos-on-kubernetes-02-HTTPChaos.yaml
  C chaos-mesh/web-simulate-http-chaos-on-kubernetes-03-HTTPChaos.yaml
  F chaos-mesh/web-simulate-http-chaos-on-kubernetes-04-HTTPChaos.yaml
  F chaos-mesh/web-simulate-http-chaos-on-kubernetes-05-HTTPChaos.yaml
  C chaos-mesh/web-simulate-io-chaos-on-kubernetes-01-IOChaos.yaml
  C chaos-mesh/web-simulate-io-chaos-on-kubernetes-02-IOChaos.yaml
  C chaos-mesh/web-simulate-io-chaos-on-kubernetes-03-IOChaos.yaml
  C chaos-mesh/web-simulate-io-chaos-on-kubernetes-04-IOChaos.yaml
  C chaos-mesh/web-simulate-jvm-application-chaos-01-JVMChaos.yaml
  C chaos-mesh/web-simulate-kernel-chaos-on-kubernetes-01-KernelChaos.yaml
  F chaos-mesh/web-simulate-network-chaos-on-kubernetes-01-NetworkChaos.yaml
  F chaos-mesh/web-simulate-network-chaos-on-kubernetes-02-NetworkChaos.yaml
  C chaos-mesh/web-simulate-network-chaos-on-kubernetes-03-NetworkChaos.yaml
  F chaos-mesh/web-simulate-network-chaos-on-kubernetes-04-NetworkChaos.yaml
  C chaos-mesh/web-simulate-physical-machine-chaos-01-PhysicalMachineChaos.yaml
  F chaos-mesh/web-simulate-pod-chaos-on-kubernetes-01-PodChaos.yaml
  F chaos-mesh/web-simulate-pod-chaos-on-kubernetes-02-PodChaos.yaml
  F chaos-mesh/web-simulate-pod-chaos-on-kubernetes-03-PodChaos.yaml
  C chaos-mesh/web-simulate-time-chaos-on-kubernetes-01-TimeChaos.yaml
  L toxiproxy/ALEX-MUTHOMI__DARASA-API__toxiproxy.json
  L toxiproxy/Cooble__KafkaForwarder__toxiproxy.json
  L toxiproxy/DariaGuzich__marketplace-infra__toxiproxy.json
  L toxiproxy/GoldExtremal__rate-limiter__toxiproxy.json
  L toxiproxy/KiranJinka45__multiAgent__toxiproxy-config.json
  L toxiproxy/Ledger-Lenz__Ledgerlens-core__toxiproxy.json
  L toxiproxy/OlegKonyk__agentic-development__config.json
  L toxiproxy/Shopify__toxiproxy__README-config-example.json
  L toxiproxy/Shopify__toxiproxy__config.json
  L toxiproxy/aherrmann__bazel-remote-retry-testing__toxiproxy-config.json
  F toxiproxy/evalece__Quick_ToxyProxy__toxiproxy.json
  L toxiproxy/floxy-project__floxy-stress-test__toxiproxy.json
  L toxiproxy/fraven01__NOESIS-2__toxiproxy.json
  L toxiproxy/hirosystems__stacks-regtest-env__toxiproxy.json
  F toxiproxy/ihsw__toxiproxy-php-client__disable-proxy.json
  F toxiproxy/lion0913__rest-vs-grpc-performance__toxiproxy.json
  L toxiproxy/michaelahli__clickhouse-toxic-cluster__config.json
  F toxiproxy/mveeprojects__NginxToxiproxyByEndpoint__toxiproxy.json
  L toxiproxy/purple4reina__sample-apps__toxiproxy.json
  L toxiproxy/rburketaylor__BahnVision__toxiproxy.json
  L toxiproxy/robertgardunia__knightsrook-distributed-fleet-forge__toxiproxy.json
  L toxiproxy/rybalkin-an__chaos-testing__toxiproxy.json
  L toxiproxy/sirupsen__toxiproxy-rails-example__toxiproxy.json
  L toxiproxy/tanistheta__raft-kv__toxiproxy.json
  R toxiproxy/zhengziyi0117__raft-kv-rs__toxiproxy.json
  R jaeger/jaeger-es-get_dependencies.json
  R jaeger/jaeger-es-write_dependencies.json
  S jaeger/jaeger-ui-sample-large.json
  S jaeger/jaeger-ui-sample-small.json
  S otel/agent-servicegraph-dropped-spans.prom
  S otel/agent-servicegraph-happy-case.prom
  S otel/agent-servicegraph-success-codes.prom
  R otel/agent-servicegraph-unpaired-spans.prom
  R otel/alloy-docs-servicegraph-mimir-example.prom
  S otel/otelcol-contrib-virtual-node-label-expected-metrics.yaml
  S otel/tempo-docs-service-graph-view.prom
  S otel/tempo-docs-service-graphs-index.prom
TABLE

# 12: none of the real files is traces: `import traces` refuses each with file:line, no crash
for file in "$R"/jaeger/* "$R"/otel/*; do
  name="real_traces_${file##*/}"; name=${name//[^A-Za-z0-9]/_}
  "$F" import traces "$file" > "$TMP/imp.out" 2> "$TMP/imp.err"; rc=$?
  if [ "$rc" = 2 ] && grep -qE "^faultline: error: $file:[0-9]+(:[0-9]+)?: " "$TMP/imp.err"; then t_ok "$name"
  else t_fail "$name" "exit $rc: $(head -c 300 "$TMP/imp.err")"; fi
done
expect_exit real_dependencies_as_traces_say_which_import 2 "$F" import traces $R/jaeger/jaeger-ui-sample-small.json
expect_output real_dependencies_as_traces_name_jaeger "faultline import jaeger reads them"

# 1: a service that fails its own draw makes no calls, so its calls are written per request that
# passes it: app fails 2 of 3 requests and calls db on each, so 3 calls per passing request
expect_exit otel_failing_service_keeps_edge_rate 0 "$F" import otel $R/otel/agent-servicegraph-happy-case.prom
expect_output otel_failing_service_calls_three_times 'call "db", call "db", call "db",'
expect_output otel_failing_service_says_why "so the call keeps its observed rate"
# 2: OTLP metrics
expect_exit otlp_metrics_are_read 0 "$F" import otel $R/otel/otelcol-contrib-virtual-node-label-expected-metrics.yaml
expect_output otlp_metrics_name_their_source "OTLP"
expect_output otlp_metrics_read_the_window "from the points' startTimeUnixNano to their timeUnixNano"
# 3: two proxies to one host on two ports do not add up: a fault on the endpoint each port stands for
expect_exit two_ports_import 0 "$F" import toxiproxy $R/toxiproxy/lion0913__rest-vs-grpc-performance__toxiproxy.json
n=$(grep -c '^fault {.*target = "service-b.http", kind = "latency", latency = "2ms"' "$TMP/out")
m=$(grep -c '^fault {.*target = "service-b.grpc", kind = "latency", latency = "10ms"' "$TMP/out")
if [ "$n" = 1 ] && [ "$m" = 1 ] && ! grep -q 'target = "service-b"' "$TMP/out"; then t_ok two_ports_one_endpoint_fault_each
else t_fail two_ports_one_endpoint_fault_each "$n on http, $m on grpc"; fi
expect_output two_ports_say_why "each carries only the calls on its own port, so this is a fault on the endpoint service-b.grpc"
# ... with a scenario whose service-b has those endpoints: kept; without them: one fault, the other an alternative
printf 'scenario { name = "eps", duration = "10m" }\nservice "a" { work = const "1ms", calls = { call "service-b.http", call "service-b.grpc" } }\nservice "service-b" { endpoints = { http = { work = const "1ms" }, grpc = { work = const "1ms" } } }\ntraffic { rate = "1/s", mix = { a = 1 } }\n' > "$TMP/eps.lua"
expect_exit two_ports_with_endpoints 0 "$F" import toxiproxy $R/toxiproxy/lion0913__rest-vs-grpc-performance__toxiproxy.json --scenario "$TMP/eps.lua"
if [ "$(grep -c '^fault {.*target = "service-b\.\(http\|grpc\)"' "$TMP/out")" = 2 ]; then t_ok two_ports_with_endpoints_keep_them; else t_fail two_ports_with_endpoints_keep_them "$(grep 'fault {' "$TMP/out")"; fi
printf 'scenario { name = "noeps", duration = "10m" }\nservice "a" { work = const "1ms", calls = { call "service-b" } }\nservice "service-b" { work = const "1ms" }\ntraffic { rate = "1/s", mix = { a = 1 } }\n' > "$TMP/noeps.lua"
expect_exit two_ports_without_endpoints 0 "$F" import toxiproxy $R/toxiproxy/lion0913__rest-vs-grpc-performance__toxiproxy.json --scenario "$TMP/noeps.lua"
n=$(grep -c '^fault {.*target = "service-b"' "$TMP/out"); m=$(grep -c '^-- fault {.*target = "service-b"' "$TMP/out")
if [ "$n" = 1 ] && [ "$m" = 1 ]; then t_ok two_ports_one_fault_one_alternative; else t_fail two_ports_one_fault_one_alternative "$n active, $m commented"; fi
expect_output two_ports_say_they_would_add_up "both would add up (2ms + 10ms on every call)"
# 4, 5, 6: Schedules of other kinds, other objects, external targets
expect_exit schedule_of_iochaos_is_read 0 "$F" import chaos-mesh $R/chaos-mesh/cm-etcd__etcd-iochaos.yaml
expect_output schedule_of_iochaos_is_a_comment '-- no equivalent: IOChaos "io-delay-example"'
expect_exit schedule_of_physicalmachinechaos_is_read 0 "$F" import chaos-mesh $R/chaos-mesh/cm-test__integration_test__physical_machine__schedule.yaml
expect_exit configmap_beside_experiments 0 "$F" import chaos-mesh $R/chaos-mesh/cm-nginx__nginx.yaml
expect_output configmap_is_a_comment 'not a Chaos Mesh object'
expect_exit external_targets_only 0 "$F" import chaos-mesh $R/chaos-mesh/cm-network-delay-with-external-target-example.yaml
if ! grep -q '^fault {' "$TMP/out"; then t_ok external_targets_only_write_no_fault; else t_fail external_targets_only_write_no_fault "$(grep '^fault' "$TMP/out")"; fi
# 7: request_headers
expect_exit http_host_outside 0 "$F" import chaos-mesh $R/chaos-mesh/web-simulate-http-chaos-on-kubernetes-03-HTTPChaos.yaml
expect_output http_host_outside_is_a_comment "Host: example.com is outside the cluster"
expect_exit http_host_itself 0 "$F" import chaos-mesh $R/chaos-mesh/web-simulate-http-chaos-on-kubernetes-04-HTTPChaos.yaml
expect_output http_host_itself_is_server_side 'target = "nginx", kind = "errors"'
expect_exit http_forwarded_host 0 "$F" import chaos-mesh $R/chaos-mesh/web-simulate-http-chaos-on-kubernetes-05-HTTPChaos.yaml
expect_output http_forwarded_host_is_said "X-Forwarded-Host: nginx.host.org narrows the hit"
cat > "$TMP/client.yaml" <<'YAML'
apiVersion: chaos-mesh.org/v1alpha1
kind: HTTPChaos
metadata: { name: client-side }
spec:
  mode: all
  selector: { labelSelectors: { app: checkout } }
  target: Request
  port: 80
  request_headers: { Host: payment.shop.svc.cluster.local }
  abort: true
YAML
expect_exit http_client_side 0 "$F" import chaos-mesh "$TMP/client.yaml"
expect_output http_client_side_is_a_link_fault 'from = "checkout", to = "payment", kind = "errors"'
# 8: per-link faults
expect_exit network_delay_with_target 0 "$F" import chaos-mesh $R/chaos-mesh/cm-network-delay-with-target-example.yaml
expect_output network_delay_with_target_is_a_link_fault 'from = '
# 9: the big Jaeger graph in one command, checked and run
expect_exit big_jaeger_imports_in_one_command 0 "$F" import jaeger $R/jaeger/jaeger-ui-sample-large.json --out "$TMP/large.lua"
expect_output big_jaeger_breaks_its_cycles "268 calls left out, each the least traffic on its cycle"
expect_exit big_jaeger_checks 0 "$F" check "$TMP/large.lua"
expect_exit big_jaeger_runs 0 "$F" run "$TMP/large.lua" --set scenario.duration=20s --set scenario.warmup=2s -q
if grep -q 'left out to break a cycle: call "[^"]*", [0-9]* calls, the least traffic on a cycle of' "$TMP/large.lua"; then t_ok big_jaeger_comments_each_cut
else t_fail big_jaeger_comments_each_cut "no comment"; fi
expect_exit keep_cycles_stops 2 "$F" import jaeger $R/jaeger/jaeger-ui-sample-large.json --keep-cycles
expect_output keep_cycles_explains "the service graph has a cycle"
# 10: proxies without toxics are links ready for faults
expect_exit toxiproxy_links 0 "$F" import toxiproxy $R/toxiproxy/DariaGuzich__marketplace-infra__toxiproxy.json
expect_output toxiproxy_link_ready_for_faults '-- fault { name = "bff_to_api", from = "bff", to = "api", kind = "latency"'
expect_exit toxiproxy_capitalised_fields 0 "$F" import toxiproxy $R/toxiproxy/Shopify__toxiproxy__config.json
expect_output toxiproxy_capitalised_fields_are_read 'target = "mavdv-ccweb-05"'
# 11: every run of a Schedule, Workflows as timed steps
expect_exit workflow_serial 0 "$F" import chaos-mesh $R/chaos-mesh/cm-workflow__serial.yaml
expect_output workflow_serial_places_the_step 'kind = "latency", latency = "90ms", at = "1.5m", duration = "20s"'
expect_output workflow_schedule_runs_every_2s 'name = "workflow-pod-chaos run 19"'
expect_exit workflow_parallel 0 "$F" import chaos-mesh $R/chaos-mesh/web-run-serial-or-parallel-experiments-02-Workflow.yaml
expect_output workflow_parallel_starts_together 'at = "1m", duration = "20s"'
expect_exit schedule_cron 0 "$F" import chaos-mesh $R/chaos-mesh/web-run-a-chaos-experiment-02-Schedule.yaml --duration 10s
expect_output schedule_cron_runs_at_the_minute 'at = "5m"'
expect_exit schedule_every_runs 0 "$F" import chaos-mesh $R/chaos-mesh/cm-schedule-podchaos.yaml
finish
