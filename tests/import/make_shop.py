#!/usr/bin/env python3
"""Writes the example shop (12 services) in two formats, with the same counts over one hour:
shop.jaeger.json (Jaeger's GET /api/dependencies answer) and shop.prom (two scrapes, one hour
apart, of the OpenTelemetry service graph connector's metrics through the Prometheus exporter).
Run it from this folder; its outputs are committed, it is only needed to change them."""
import json, math

WINDOW = 3600
# (client, server, calls in the hour, failed)
EDGES = [
    ("frontend", "auth", 540000, 0), ("frontend", "catalog", 324000, 0), ("frontend", "search", 108000, 0),
    ("frontend", "recommend", 270000, 0), ("frontend", "cart", 162000, 0), ("frontend", "checkout", 27000, 324),
    ("mobile", "auth", 180000, 0), ("mobile", "catalog", 144000, 0), ("mobile", "cart", 36000, 0),
    ("mobile", "checkout", 9000, 108),
    ("search", "catalog", 108000, 0),
    ("catalog", "currency", 1152000, 0), ("catalog", "inventory", 288000, 288),
    ("checkout", "cart", 36000, 0), ("checkout", "payment", 34200, 342), ("checkout", "shipping", 34200, 0),
    ("checkout", "currency", 54000, 0), ("checkout", "inventory", 36000, 36),
    ("cart", "inventory", 117000, 117), ("cart", "currency", 58500, 0),
    ("shipping", "currency", 34200, 0),
]
ENTRY = [("user", "frontend", 540000, 0), ("user", "mobile", 180000, 0)]
# the latency each service shows its callers: lognormal median (seconds), sigma
LATENCY = {"frontend": (0.060, 0.5), "mobile": (0.045, 0.5), "auth": (0.002, 0.5), "catalog": (0.012, 0.6),
           "search": (0.025, 0.7), "recommend": (0.015, 0.8), "cart": (0.008, 0.6), "checkout": (0.150, 0.5),
           "payment": (0.060, 0.7), "shipping": (0.020, 0.6), "inventory": (0.003, 0.5), "currency": (0.0015, 0.4)}
# the connector's default latency_histogram_buckets
BUCKETS = [0.002, 0.004, 0.006, 0.008, 0.01, 0.05, 0.1, 0.2, 0.4, 0.8, 1, 1.4, 2, 5, 10, 15]
NETWORK = 0.0005   # the client sees the server's latency plus this

def cdf(x, median, sigma):
    if x <= 0: return 0.0
    return 0.5 * (1 + math.erf(math.log(x / median) / (sigma * math.sqrt(2))))

def jaeger():
    data = [{"parent": c, "child": s, "callCount": n} for c, s, n, _ in EDGES]
    doc = {"data": data, "total": 0, "limit": 0, "offset": 0, "errors": None}
    with open("shop.jaeger.json", "w") as f:
        f.write('{\n  "data": [\n')
        f.write(",\n".join("    " + json.dumps(d) for d in data))
        f.write('\n  ],\n  "total": 0,\n  "limit": 0,\n  "offset": 0,\n  "errors": null\n}\n')
    assert json.load(open("shop.jaeger.json")) == doc

def prom():
    t0 = 1700000000000
    scrapes = [(t0, 0.37), (t0 + WINDOW * 1000, 1.37)]   # counts so far: a share of the hour, then one hour more
    out = []
    edges = ENTRY + EDGES
    def labels(c, s, extra=""):
        return 'client="%s",connection_type="",server="%s"%s' % (c, s, extra)
    out.append("# HELP otelcol_process_uptime Uptime of the process")
    out.append("# TYPE otelcol_process_uptime counter")
    for t, k in scrapes:
        out.append("otelcol_process_uptime %.0f %d" % (k * WINDOW, t))
    out.append("# HELP traces_service_graph_request_total Total count of requests between two nodes")
    out.append("# TYPE traces_service_graph_request_total counter")
    for t, k in scrapes:
        for c, s, n, _ in edges:
            out.append("traces_service_graph_request_total{%s} %d %d" % (labels(c, s), round(n * k), t))
    out.append("# HELP traces_service_graph_request_failed_total Total count of failed requests between two nodes")
    out.append("# TYPE traces_service_graph_request_failed_total counter")
    for t, k in scrapes:
        for c, s, n, failed in edges:
            if failed: out.append("traces_service_graph_request_failed_total{%s} %d %d" % (labels(c, s), round(failed * k), t))
    for side, shift in (("server", 0.0), ("client", NETWORK)):
        name = "traces_service_graph_request_%s_seconds" % side
        out.append("# HELP %s Time for a request between two nodes as seen from the %s" % (name, side))
        out.append("# TYPE %s histogram" % name)
        for t, k in scrapes:
            for c, s, n, _ in edges:
                if side == "client" and c == "user": continue   # no instrumented client
                med, sig = LATENCY[s]
                for le in BUCKETS:
                    out.append('%s_bucket{%s} %d %d' % (name, labels(c, s, ',le="%g"' % le), round(n * k * cdf(le - shift, med, sig)), t))
                out.append('%s_bucket{%s} %d %d' % (name, labels(c, s, ',le="+Inf"'), round(n * k), t))
                mean = med * math.exp(sig * sig / 2) + shift
                out.append("%s_sum{%s} %.6f %d" % (name, labels(c, s), n * k * mean, t))
                out.append("%s_count{%s} %d %d" % (name, labels(c, s), round(n * k), t))
    out.append("# HELP traces_service_graph_unpaired_spans_total Total count of unpaired spans")
    out.append("# TYPE traces_service_graph_unpaired_spans_total counter")
    for t, k in scrapes:
        out.append('traces_service_graph_unpaired_spans_total{client="frontend",connection_type=""} %d %d' % (round(12 * k), t))
    with open("shop.prom", "w") as f:
        f.write("\n".join(out) + "\n")

jaeger()
prom()
