#!/usr/bin/env python3
"""GET /metrics of `faultline serve`, read by the Prometheus client library's own parser
(prometheus_client.parser.text_string_to_metric_families), checked against the JSON report of
the same run at the same instant (the run paused): requests, answers and failures by cause of
every service and journey, the latency histograms (cumulative, +Inf = count = answered requests,
mean within the report's), the call sites' counts; gauges within the model's bounds; then, the
run resumed, a second scrape whose counters did not go down. Uses tests/serve_test.py's client.
Prints "ok NAME" / "FAIL NAME: why" and "# metrics_test: N passed, N failed"."""
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_test as st   # noqa: E402
from prometheus_client.parser import text_string_to_metric_families   # noqa: E402

SCENARIO = """scenario { name = "metrics test", duration = "2h", seed = 4, window = "5s", warmup = "10s" }
service "front" { instances = 2, workers = 20, queue = 100, work = exp "5ms",
  calls = { call "back" { timeout = "30ms", retries = 1 }, call "extras" { optional = true, fallback = "1ms" },
            call "events" { async = true } } }
service "back" { instances = 3, workers = 10, queue = 50, work = exp "8ms", error_rate = "2%" }
service "extras" { instances = 1, workers = 10, work = "2ms", error_rate = "10%" }
service "events" { kind = "broker", consumers = { "audit" } }
service "audit" { instances = 1, workers = 4, work = exp "20ms" }
traffic { rate = "150/s", mix = { front = 1 } }
"""


def scrape(port):
    code, hdr, body = st.request(port, "GET", "/metrics")
    fams = {f.name: f for f in text_string_to_metric_families(body.decode())}
    return code, hdr, body.decode(), fams


def value(fams, family, name, **labels):
    for s in fams[family].samples:
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    raise KeyError("%s%s" % (name, labels))


def main():
    tmp = tempfile.mkdtemp(prefix="fl_metrics_")
    scen = os.path.join(tmp, "m.lua")
    with open(scen, "w") as f:
        f.write(SCENARIO)
    proc, port = st.start(scen, "--speed", "120")
    try:
        time.sleep(1.5)
        m = re.search(rb'content="([0-9a-f]{32})"', st.request(port, "GET", "/")[2])
        st.TOKEN = m.group(1).decode() if m else ""
        st.check("pause_for_a_still_run", st.request(port, "POST", "/api/pause", "{}")[0] == 200)
        time.sleep(0.3)
        code, hdr, text, fams = scrape(port)
        st.check("metrics_answers_200_in_text_format_0_0_4", code == 200 and "version=0.0.4" in hdr.get("content-type", ""), str(hdr))
        _, rep = st.get_json(port, "/api/report")
        st.check("report_of_the_same_instant", rep is not None and "services" in rep)
        # every family has its HELP and TYPE lines, names prefixed
        for name, f in fams.items():
            if not name.startswith("faultline_") or not f.documentation or f.type not in ("counter", "gauge", "histogram"):
                st.fail("families_have_help_and_type", name)
                break
        else:
            st.ok("families_have_help_and_type")
        st.check("help_and_type_lines_present", text.count("# HELP ") == text.count("# TYPE ") == len(fams), "%d %d %d" % (text.count("# HELP "), text.count("# TYPE "), len(fams)))
        # services and journeys against the report
        bad = []
        for kind, key in (("service", "services"), ("journey", "journeys")):
            for who, r in rep[key].items():
                lab = {kind: who}
                got = value(fams, "faultline_%s_requests" % kind, "faultline_%s_requests_total" % kind, **lab)
                if got != r["arrivals"]: bad.append("%s %s requests %s != %s" % (kind, who, got, r["arrivals"]))
                for out in ("success", "degraded"):
                    want = r["successes"] if out == "success" else r["degraded"]
                    got = value(fams, "faultline_%s_answers" % kind, "faultline_%s_answers_total" % kind, outcome=out, **lab)
                    if got != want: bad.append("%s %s %s %s != %s" % (kind, who, out, got, want))
                for cause, n in r["failures"].items():
                    if cause == "total": continue
                    got = value(fams, "faultline_%s_failures" % kind, "faultline_%s_failures_total" % kind, cause=cause, **lab)
                    if got != n: bad.append("%s %s failures %s %s != %s" % (kind, who, cause, got, n))
                h = "faultline_%s_latency_seconds" % kind
                buckets = [(float(s.labels["le"]), s.value) for s in fams[h].samples if s.name == h + "_bucket" and s.labels[kind] == who]
                count = value(fams, h, h + "_count", **lab)
                total = value(fams, h, h + "_sum", **lab)
                answered = r["successes"] + r["degraded"]
                if count != answered: bad.append("%s %s histogram count %s != answered %s" % (kind, who, count, answered))
                if [b for b in buckets if b[0] == float("inf")] != [(float("inf"), count)]: bad.append("%s %s +Inf bucket" % (kind, who))
                if any(buckets[i][1] > buckets[i + 1][1] for i in range(len(buckets) - 1)): bad.append("%s %s buckets not cumulative" % (kind, who))
                if count and abs(total / count - r["latency"]["mean"]) > 1e-6 * max(1, r["latency"]["mean"]):
                    bad.append("%s %s mean %s != report %s" % (kind, who, total / count, r["latency"]["mean"]))
        st.check("services_and_journeys_match_the_report", not bad, "; ".join(bad[:5]))
        failures = sum(value(fams, "faultline_service_failures", "faultline_service_failures_total", service="back", cause=c) for c in ("error", "timeout"))
        st.check("failures_are_counted_by_cause", failures > 0, str(failures))
        bad = []
        for site, r in rep["calls"].items():
            caller, callee = site.split(" -> ")
            for fam, key in (("calls", "calls"), ("attempts", "attempts"), ("retries", "retries"), ("hedges", "hedges"),
                             ("breaker_rejected", "breaker_rejected"), ("bulkhead_rejected", "bulkhead_rejected")):
                got = value(fams, "faultline_call_" + fam, "faultline_call_%s_total" % fam, caller=caller, callee=callee)
                if got != r[key]: bad.append("%s %s %s != %s" % (site, fam, got, r[key]))
        st.check("call_sites_match_the_report", not bad and rep["calls"], "; ".join(bad[:5]))
        inst = {s.labels["service"]: s.value for s in fams["faultline_service_instances"].samples}
        st.check("instances_gauge_is_the_models", inst == {"front": 2, "back": 3, "extras": 1, "events": 1, "audit": 1}, str(inst))
        busy = {s.labels["service"]: s.value for s in fams["faultline_service_busy_workers"].samples}
        st.check("busy_workers_within_the_pool", 0 <= busy["back"] <= 30 and 0 <= busy["front"] <= 40, str(busy))
        lag = [s for s in fams["faultline_broker_lag"].samples if s.labels["service"] == "events"]
        st.check("broker_lag_is_exposed", len(lag) == 1 and lag[0].value >= 0, str(lag))
        t1 = value(fams, "faultline_sim_time_seconds", "faultline_sim_time_seconds")
        # resumed: counters only go up
        st.request(port, "POST", "/api/resume", "{}")
        time.sleep(1.0)
        _, _, _, fams2 = scrape(port)
        down = []
        for name, f in fams.items():
            if f.type not in ("counter", "histogram"): continue
            after = {(s.name, tuple(sorted(s.labels.items()))): s.value for s in fams2[name].samples}
            for s in f.samples:
                if after[(s.name, tuple(sorted(s.labels.items())))] < s.value: down.append(s.name + str(s.labels))
        st.check("counters_do_not_go_down", not down, str(down[:3]))
        t2 = value(fams2, "faultline_sim_time_seconds", "faultline_sim_time_seconds")
        grew = value(fams2, "faultline_service_requests", "faultline_service_requests_total", service="front") > \
            value(fams, "faultline_service_requests", "faultline_service_requests_total", service="front")
        st.check("the_run_went_on", t2 > t1 and grew, "%s -> %s" % (t1, t2))
        code, _, _ = st.request(port, "POST", "/metrics", "{}")
        st.check("metrics_is_get_only", code == 405, str(code))
    finally:
        st.stop(proc)
    # a name with a quote, a backslash and a newline: escaped, and read back whole by the parser
    weird = os.path.join(tmp, "weird.lua")
    with open(weird, "w") as f:
        f.write('scenario { name = "w", duration = "1h" }\nservice "a\\"b\\\\c\\nd" { work = "1ms" }\n'
                'traffic { rate = "10/s", mix = { ["a\\"b\\\\c\\nd"] = 1 } }\n')
    proc, port = st.start(weird, "--speed", "60")
    try:
        time.sleep(1.0)
        _, _, text, fams = scrape(port)
        names = {s.labels.get("service") for s in fams["faultline_service_requests"].samples}
        st.check("label_values_are_escaped", names == {'a"b\\c\nd'} and 'service="a\\"b\\\\c\\nd"' in text, "%r" % names)
    finally:
        st.stop(proc)
    print("# metrics_test: %d passed, %d failed" % (st.passed, st.failed))
    return 1 if st.failed else 0


if __name__ == "__main__":
    sys.exit(main())
