#!/usr/bin/env bash
# faultline import: the shop of tests/import/ imported from Jaeger and OpenTelemetry with --out is
# accepted by check and runs; bad input exits 2 with file:line; a cycle is explained; Toxiproxy and
# Chaos Mesh files give fault lines that a scenario accepts; usage errors exit 2.
cd "$(dirname "$0")/.." || exit 3
. tests/cli.sh
F=$FAULTLINE
D=tests/import

# ---- service graphs ----
expect_exit jaeger_import_exits_0 0 "$F" import jaeger $D/shop.jaeger.json --window 1h --out "$TMP/shop.lua"
expect_output jaeger_import_says_where_it_wrote "faultline: wrote $TMP/shop.lua"
expect_exit jaeger_import_is_accepted_by_check 0 "$F" check "$TMP/shop.lua"
expect_output check_sees_the_twelve_services "ok: 12 services, 12 endpoints, 2 journeys"
expect_exit jaeger_import_runs 0 "$F" run "$TMP/shop.lua" --set duration=2m --set warmup=10s -q
expect_exit jaeger_import_to_stdout 0 "$F" import jaeger $D/shop.jaeger.json
expect_output jaeger_import_marks_guesses "-- guessed"
expect_output jaeger_import_guesses_the_window "no --window: the counts are taken to cover 1d"
expect_exit otel_import_exits_0 0 "$F" import otel $D/shop.prom --out "$TMP/shop_otel.lua" --duration 2m --name "shop from otel"
expect_exit otel_import_is_accepted_by_check 0 "$F" check "$TMP/shop_otel.lua"
expect_exit otel_import_runs 0 "$F" run "$TMP/shop_otel.lua" -q
if grep -qF 'scenario { name = "shop from otel", duration = "2m"' "$TMP/shop_otel.lua"; then t_ok otel_import_takes_name_and_duration
else t_fail otel_import_takes_name_and_duration "$(grep -F 'scenario {' "$TMP/shop_otel.lua")"; fi
if "$F" graph --help >/dev/null 2>&1 || "$F" --help | grep -q "graph SCENARIO"; then
  expect_exit graph_draws_the_import 0 "$F" graph "$TMP/shop.lua"
  expect_output graph_shows_a_call "checkout"
fi

# one scrape without timestamps: --window gives the time the counters cover
cat > "$TMP/one.prom" <<'EOF'
# TYPE traces_service_graph_request_total counter
traces_service_graph_request_total{client="user",server="web",connection_type=""} 3600
traces_service_graph_request_total{client="web",server="db",connection_type="database"} 7200
EOF
expect_exit otel_single_scrape_with_window 0 "$F" import otel "$TMP/one.prom" --window 1h
expect_output otel_single_scrape_rate 'traffic { rate = "1/s", mix = { ["web"] = 1 } }'
expect_output otel_calls_per_request 'call "db", call "db",  -- read: 7200 calls (2/s): 2 per request'

# ---- bad input: exit 2, file:line ----
printf '{"data": [\n  {"parent": "a", "child": "b", "callCount": 10},\n  {"parent": "b", "child": "c" "callCount": 5}\n]}\n' > "$TMP/bad.json"
expect_exit invalid_json_exits_2 2 "$F" import jaeger "$TMP/bad.json"
expect_output invalid_json_has_line_and_column "faultline: error: $TMP/bad.json:3:32: invalid JSON"
printf '[\n  {"parent": "a", "child": "b", "callCount": -1}\n]\n' > "$TMP/neg.json"
expect_exit negative_count_exits_2 2 "$F" import jaeger "$TMP/neg.json"
expect_output negative_count_has_its_path "$TMP/neg.json:2: [0].callCount: negative count -1"
printf 'traces_service_graph_request_total{client="a",peer="b"} 1\n' > "$TMP/labels.prom"
expect_exit wrong_labels_exit_2 2 "$F" import otel "$TMP/labels.prom"
expect_output wrong_labels_are_named "$TMP/labels.prom:1: traces_service_graph_request_total has no label 'server'"
printf '[{"parent": "a", "child": "b", "callCount": 9}, {"parent": "b", "child": "a", "callCount": 1}]\n' > "$TMP/cycle.json"
expect_exit cycle_exits_2 2 "$F" import jaeger "$TMP/cycle.json" --keep-cycles
expect_output cycle_is_named "the service graph has a cycle: a -> b -> a"
expect_output cycle_says_how_to_break_it "--drop 'b->a'"
expect_exit cycle_broken_by_drop 0 "$F" import jaeger "$TMP/cycle.json" --drop 'b->a' --out "$TMP/cycle.lua"
expect_exit cycle_broken_is_accepted 0 "$F" check "$TMP/cycle.lua"
expect_exit missing_file_exits_2 2 "$F" import jaeger "$TMP/nothing.json"
expect_output missing_file_is_named "cannot open '$TMP/nothing.json'"
expect_exit nothing_written_on_error 2 "$F" import jaeger "$TMP/bad.json" --out "$TMP/never.lua"
if [ -e "$TMP/never.lua" ]; then t_fail no_output_file_on_error "$TMP/never.lua exists"; else t_ok no_output_file_on_error; fi

# ---- chaos experiments ----
expect_exit toxiproxy_import_exits_0 0 "$F" import toxiproxy $D/toxiproxy.json
expect_output toxiproxy_latency_becomes_a_fault 'target = "payment", kind = "latency", latency = "300ms"'
expect_output toxiproxy_says_what_has_no_equivalent '-- no equivalent: proxy "redis_cache"'
# HTTPChaos on one path: a fault on the endpoint the path names (with a scenario that has it)
cat > "$TMP/httpchaos.yaml" <<'YAML'
apiVersion: chaos-mesh.org/v1alpha1
kind: HTTPChaos
metadata: { name: slow-get }
spec:
  mode: all
  selector: { labelSelectors: { app: catalog } }
  target: Request
  port: 8080
  method: GET
  path: /api/catalog/get
  delay: 300ms
  duration: 5m
YAML
printf 'scenario { name = "cat", duration = "10m" }\nservice "web" { work = const "1ms", calls = { call "catalog.get", call "catalog.list" } }\nservice "catalog" { endpoints = { get = { work = const "1ms" }, list = { work = const "1ms" } } }\ntraffic { rate = "1/s", mix = { web = 1 } }\n' > "$TMP/cat.lua"
expect_exit httpchaos_path_with_scenario 0 "$F" import chaos-mesh "$TMP/httpchaos.yaml" --scenario "$TMP/cat.lua"
expect_output httpchaos_path_names_an_endpoint 'target = "catalog.get", kind = "latency", latency = "300ms"'
expect_output httpchaos_path_says_so 'the path /api/catalog/get is the endpoint catalog.get'
expect_exit httpchaos_path_without_scenario 0 "$F" import chaos-mesh "$TMP/httpchaos.yaml"
expect_output httpchaos_path_without_scenario_hits_the_service 'target = "catalog", kind = "latency"'
expect_output httpchaos_path_without_scenario_says_how 'with --scenario, a path naming one of its endpoints'
# one host on two ports: a fault on the endpoint each port stands for; a disabled port fails its calls only
cat > "$TMP/ports.json" <<'JSON'
[ { "name": "cart_http", "listen": "0.0.0.0:18080", "upstream": "cart:8080", "enabled": false },
  { "name": "cart_grpc", "listen": "0.0.0.0:19090", "upstream": "cart:9090",
    "toxics": [ { "type": "latency", "attributes": { "latency": 40 } } ] } ]
JSON
expect_exit toxiproxy_ports_exit_0 0 "$F" import toxiproxy "$TMP/ports.json"
expect_output toxiproxy_disabled_port_fails_its_endpoint 'target = "cart.http", kind = "errors", rate = "100%"'
expect_output toxiproxy_slow_port_slows_its_endpoint 'target = "cart.grpc", kind = "latency", latency = "40ms"'
if grep -q 'target = "cart",' "$TMP/out" || grep -q 'kind = "crash"' "$TMP/out"; then t_fail toxiproxy_ports_leave_the_service_whole "$(grep 'fault {' "$TMP/out")"
else t_ok toxiproxy_ports_leave_the_service_whole; fi
expect_exit chaos_mesh_import_exits_0 0 "$F" import chaos-mesh $D/chaos-mesh.yaml --at 30s --out "$TMP/mesh.lua"
{ "$F" import jaeger $D/shop.jaeger.json --window 1h --duration 5m; cat "$TMP/mesh.lua"; } > "$TMP/shop_mesh.lua" 2>/dev/null
expect_exit chaos_mesh_faults_fit_the_shop 0 "$F" check "$TMP/shop_mesh.lua"
expect_exit chaos_mesh_faults_run_in_the_shop 0 "$F" run "$TMP/shop_mesh.lua"
expect_output chaos_mesh_faults_act "cascade of fault 'payment-delay' (latency on payment at t=30s)"
expect_exit chaos_mesh_against_a_scenario 0 "$F" import chaos-mesh $D/chaos-mesh.yaml --scenario "$TMP/shop.lua"
expect_output chaos_mesh_partition_written 'from = "checkout", to = "inventory", kind = "partition"'
# an HTTPChaos path that names one endpoint of the scenario's service: an endpoint fault
printf 'kind: HTTPChaos\nmetadata:\n  name: getproduct-abort\nspec:\n  mode: all\n  selector:\n    labelSelectors:\n      app: catalog\n  target: Request\n  path: /hipstershop.ProductCatalogService/GetProduct\n  abort: true\n' > "$TMP/getproduct.yaml"
printf 'scenario { name = "hipster", duration = "10m" }\nservice "front" { work = const "1ms", calls = { call "catalog.GetProduct", call "catalog.ListProducts" } }\nservice "catalog" { endpoints = { GetProduct = { work = const "2ms" }, ListProducts = { work = const "2ms" } } }\ntraffic { rate = "10/s", mix = { front = 1 } }\n' > "$TMP/hipster.lua"
expect_exit chaos_mesh_http_path_against_a_scenario 0 "$F" import chaos-mesh "$TMP/getproduct.yaml" --scenario "$TMP/hipster.lua"
expect_output chaos_mesh_http_path_becomes_an_endpoint_fault 'target = "catalog.GetProduct", kind = "errors"'
printf 'kind: PodChaos\nspec:\n  action: pod-kill\n  mode: [\n' > "$TMP/bad.yaml"
expect_exit bad_yaml_exits_2 2 "$F" import chaos-mesh "$TMP/bad.yaml"
expect_output bad_yaml_has_a_line "$TMP/bad.yaml:5: invalid YAML"

# ---- usage ----
expect_exit unknown_format_exits_2 2 "$F" import zipkin x.json
expect_output unknown_format_is_named "faultline: error: import: unknown format zipkin"
expect_exit window_needs_a_duration 2 "$F" import jaeger $D/shop.jaeger.json --window soon
expect_exit at_is_not_for_graphs 2 "$F" import jaeger $D/shop.jaeger.json --at 1m
expect_exit import_help_exits_0 0 "$F" import --help
expect_output import_help_lists_formats "chaos-mesh"
finish
