#!/usr/bin/env python3
"""Traces sampled from a known model, for `faultline import traces` and its round trip.

  make_traces.py gen FORMAT N SEED OUT      FORMAT jaeger (Jaeger's { "data": [...] }, server spans
                                            only) or otlp (OTLP JSON, with a client span around each
                                            call, 0.2 ms of network each way); N traces
  make_traces.py compare TRACES REPORT      the traces' own per-operation p50/p99 and calls per
                                            request against a faultline JSON report of the imported
                                            scenario; prints each and exits 1 on a miss

The model (deterministic: Python's random.Random(SEED)), Poisson arrivals at 40/s:
  gateway.home (70%): 2 ms of its own work (half before its calls, half after), then catalog.list,
      then reviews.top and pricing.quote in parallel, then recommend.for_user on 30% of requests
  gateway.search (30%): exp work of mean 1 ms, then catalog.list 2 times, a third time on half
  catalog.list: lognormal median 5 ms, p99 30 ms; reviews.top: lognormal median 8 ms, p99 40 ms;
  pricing.quote: exp mean 3 ms, 1% errors (a failed quote fails the gateway's request, which then
      skips recommend: faultline's required call); recommend.for_user: lognormal median 20 ms, p99 100 ms.
The small fixtures of tests/import/ (shop.traces.jaeger.json, shop.traces.otlp.json) are
`gen jaeger 40 7` and `gen otlp 40 7`."""
import json, math, random, sys

RATE = 40.0
Z99 = 2.3263478740408408
NET = 0.0002


def lognormal(r, median, p99):
    return median * math.exp(r.gauss(0, 1) * math.log(p99 / median) / Z99)


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.ids = 0

    def new_id(self):
        self.ids += 1
        return "%016x" % self.ids

    def leaf(self, spans, svc, op, t0, parent):
        r = self.r
        if op == "list": d = lognormal(r, 0.005, 0.030)
        elif op == "top": d = lognormal(r, 0.008, 0.040)
        elif op == "quote": d = r.expovariate(1 / 0.003)
        else: d = lognormal(r, 0.020, 0.100)
        err = op == "quote" and r.random() < 0.01
        sid = self.new_id()
        spans.append(dict(id=sid, parent=parent, svc=svc, op=op, start=t0, end=t0 + d, error=err, kind="server"))
        return t0 + d, err

    def call(self, spans, svc, op, t0, parent, client):
        """A call from 'parent': with a client span (otlp) around the callee's server span."""
        if not client:
            return self.leaf(spans, svc, op, t0, parent)
        cid = self.new_id()
        cs = dict(id=cid, parent=parent, svc="gateway", op="call " + svc, start=t0, end=None, error=False, kind="client")
        spans.append(cs)
        end, err = self.leaf(spans, svc, op, t0 + NET, cid)
        cs["end"] = end + NET
        cs["error"] = err
        return end + NET, err

    def trace(self, t0, client):
        r = self.r
        spans = []
        root = dict(id=self.new_id(), parent=None, svc="gateway", start=t0, kind="server", error=False)
        spans.append(root)
        if r.random() < 0.7:
            root["op"] = "home"
            t = t0 + 0.001
            t, _ = self.call(spans, "catalog", "list", t, root["id"], client)
            e1, _ = self.call(spans, "reviews", "top", t, root["id"], client)
            e2, err = self.call(spans, "pricing", "quote", t, root["id"], client)
            if err:   # fails at once: the other call goes on, orphaned
                root["error"] = True
                t = e2
            else:
                t = max(e1, e2)
                if r.random() < 0.3:
                    t, _ = self.call(spans, "recommend", "for_user", t, root["id"], client)
                t += 0.001
        else:
            root["op"] = "search"
            t = t0 + r.expovariate(1 / 0.001)
            n = 2 + (r.random() < 0.5)
            for _ in range(n):
                t, _ = self.call(spans, "catalog", "list", t, root["id"], client)
        root["end"] = t
        return spans


def gen(fmt, n, seed, out):
    g = Gen(seed)
    t = 1700000000.0
    traces = []
    for i in range(n):
        t += g.r.expovariate(RATE)
        traces.append(("%032x" % (i + 1), g.trace(t, fmt == "otlp")))
    with open(out, "w") as f:
        if fmt == "jaeger":
            procs = {"gateway": "p1", "catalog": "p2", "reviews": "p3", "pricing": "p4", "recommend": "p5"}
            f.write('{"data": [\n')
            for k, (tid, spans) in enumerate(traces):
                used = sorted({s["svc"] for s in spans}, key=lambda s: procs[s])
                js = []
                for s in spans:
                    tags = [{"key": "span.kind", "type": "string", "value": s["kind"]}]
                    if s["error"]: tags.append({"key": "error", "type": "bool", "value": True})
                    js.append({"traceID": tid, "spanID": s["id"], "operationName": s["op"],
                               "references": [{"refType": "CHILD_OF", "traceID": tid, "spanID": s["parent"]}] if s["parent"] else [],
                               "startTime": round(s["start"] * 1e6), "duration": round(s["end"] * 1e6) - round(s["start"] * 1e6),
                               "tags": tags, "logs": [], "processID": procs[s["svc"]], "warnings": None})
                doc = {"traceID": tid, "spans": js, "processes": {procs[s]: {"serviceName": s, "tags": []} for s in used}, "warnings": None}
                f.write("  " + json.dumps(doc) + (",\n" if k + 1 < len(traces) else "\n"))
            f.write('], "total": 0, "limit": 0, "offset": 0, "errors": null}\n')
        else:
            by_svc = {}
            for tid, spans in traces:
                for s in spans:
                    o = {"traceId": tid, "spanId": s["id"], "parentSpanId": s["parent"] or "", "name": s["op"],
                         "kind": 3 if s["kind"] == "client" else 2,
                         "startTimeUnixNano": str(round(s["start"] * 1e9)), "endTimeUnixNano": str(round(s["end"] * 1e9)),
                         "status": {"code": 2} if s["error"] else {}}
                    by_svc.setdefault(s["svc"], []).append(o)
            doc = {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": svc}}]},
                                      "scopeSpans": [{"scope": {"name": "make_traces"}, "spans": spans}]}
                                     for svc, spans in by_svc.items()]}
            json.dump(doc, f, indent=1)
            f.write("\n")


# ---- compare ----

def read_spans(path):
    """(id, parent, service, operation, start, end, error, client) of every span, any format."""
    doc = json.load(open(path))
    out = []
    if "resourceSpans" in doc:
        for rs in doc["resourceSpans"]:
            svc = [a["value"]["stringValue"] for a in rs["resource"]["attributes"] if a["key"] == "service.name"][0]
            for sc in rs["scopeSpans"]:
                for s in sc["spans"]:
                    out.append((s["traceId"] + "/" + s["spanId"], s["traceId"] + "/" + s["parentSpanId"] if s.get("parentSpanId") else None,
                                svc, s["name"], int(s["startTimeUnixNano"]) * 1e-9, int(s["endTimeUnixNano"]) * 1e-9,
                                s.get("status", {}).get("code") == 2, s.get("kind") == 3))
    else:
        for tr in doc["data"]:
            for s in tr["spans"]:
                tags = {t["key"]: t["value"] for t in s["tags"]}
                refs = [r["spanID"] for r in s["references"] if r["refType"] == "CHILD_OF"]
                out.append((s["traceID"] + "/" + s["spanID"], s["traceID"] + "/" + refs[0] if refs else None,
                            tr["processes"][s["processID"]]["serviceName"], s["operationName"], s["startTime"] * 1e-6,
                            (s["startTime"] + s["duration"]) * 1e-6, tags.get("error") is True, tags.get("span.kind") == "client"))
    return out


def quantile(v, q):
    v = sorted(v)
    h = (len(v) - 1) * q
    lo = int(math.floor(h))
    return v[lo] if lo >= len(v) - 1 else v[lo] + (h - lo) * (v[lo + 1] - v[lo])


def compare(traces, report):
    spans = read_spans(traces)
    by_id = {s[0]: s for s in spans}
    lat, per_parent = {}, {}
    calls = {}
    for s in spans:
        if s[7]: continue   # client spans: the call, not an operation
        ep = s[2] + "." + s[3]
        per_parent[ep] = per_parent.get(ep, 0) + 1
        if not s[6]: lat.setdefault(ep, []).append(s[5] - s[4])
        p = by_id.get(s[1]) if s[1] else None
        if p and p[7]: p = by_id.get(p[1])
        if p:
            key = (p[2] + "." + p[3], ep, p[0])
            calls[key] = calls.get(key, 0) + 1
    rep = json.load(open(report))
    ok = True
    print("latency (traces -> simulated), within 5%:")
    for ep in sorted(lat):
        svc = ep.split(".")[0]
        sim = rep["journeys"][ep]["latency"] if ep in rep["journeys"] else rep["services"][svc]["latency"]
        for q, k in ((0.5, "p50"), (0.99, "p99")):
            want, got = quantile(lat[ep], q), sim[k]
            miss = abs(got - want) > 0.05 * want
            ok &= not miss
            print("  %-20s %s %8.3fms %8.3fms %+6.2f%%%s" % (ep, k, want * 1e3, got * 1e3, 100 * (got / want - 1), "  MISS" if miss else ""))
    # calls per request: mean and variance over the parent's spans, against the simulated call sites
    print("calls per request (traces -> simulated), within 4 standard errors of the difference (+10 requests in flight):")
    pairs = {}
    for (pe, ce, pid), c in calls.items():
        pairs.setdefault((pe, ce), []).append(c)
    for (pe, ce) in sorted(pairs):
        v = pairs[(pe, ce)] + [0] * (per_parent[pe] - len(pairs[(pe, ce)]))
        n = len(v)
        mean = sum(v) / n
        var = sum((x - mean) ** 2 for x in v) / (n - 1)
        # a callee called k times is k call sites: "a -> b", "a -> b #12", ...
        site_calls = sum(v["calls"] for k, v in rep["calls"].items() if k == pe + " -> " + ce or k.startswith(pe + " -> " + ce + " #"))
        svc, ep = pe.split(".")
        sim_n = rep["journeys"][pe]["arrivals"] if pe in rep["journeys"] else rep["services"][svc]["arrivals"]
        got = site_calls / sim_n
        # 4 standard errors of the difference of the two means, plus 10 requests' worth for the
        # simulated requests still in flight at the end (counted as arrivals, calls not yet made)
        bound = 4 * math.sqrt(var * (1 / n + 1 / sim_n)) + 10 / sim_n
        miss = abs(got - mean) > bound
        ok &= not miss
        print("  %-16s -> %-18s %.4f %.4f (bound %.4f, %d spans, %d simulated)%s" % (pe, ce, mean, got, bound, n, sim_n, "  MISS" if miss else ""))
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "gen":
        gen(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)
