#!/usr/bin/env python3
"""Checks of the traces `faultline run --traces` writes (tests/cli_traces.sh).

  traces_check.py otlp FILE            the OTLP JSON encoding's rules (ExportTraceServiceRequest:
                                       resourceSpans > resource + scopeSpans > spans; traceId 32 hex,
                                       spanId 16 hex, times as decimal strings, AnyValue with one
                                       field, enums in range) and one tree per trace; prints
                                       "traces N spans N"
  traces_check.py jaeger FILE          Jaeger's query JSON ({"data": [{traceID, spans, processes}]}),
                                       same tree rules
  traces_check.py counts FILE REPORT   spans per service == the report's arrivals and spans in
                                       error == its failures (a run with --sample 1, no warm-up)
  traces_check.py sample FILE REPORT R the traces are a binomial(R) share of the entry requests
  traces_check.py faults FILE FAULT SERVICE FROM TO
                                       spans naming FAULT are SERVICE's and overlap [FROM, TO]
                                       (seconds of simulated time); some do
  traces_check.py calls FILE REPORT    per call site, spans == the report's attempts and spans past
                                       the first attempt == its retries + hedges (--sample 1)
  traces_check.py policies FILE        retries and hedges carry attempt > 1, abandoned spans end in
                                       their caller's timeout, optional calls say so
Exit 1 with a message on the first broken rule."""
import json, math, re, sys

EPOCH = 1767225600 * 10**9   # 2026-01-01T00:00:00Z
HEX32, HEX16, DIGITS = re.compile(r"^[0-9a-f]{32}$"), re.compile(r"^[0-9a-f]{16}$"), re.compile(r"^[0-9]+$")


def fail(msg):
    print("traces_check: " + msg)
    sys.exit(1)


def anyvalue(v, where):
    kinds = {"stringValue": str, "boolValue": bool, "intValue": str, "doubleValue": (int, float)}
    if not isinstance(v, dict) or len(v) != 1 or next(iter(v)) not in kinds:
        fail("%s: an AnyValue has exactly one of %s, got %r" % (where, sorted(kinds), v))
    k, x = next(iter(v.items()))
    if not isinstance(x, kinds[k]) or (k == "intValue" and not re.match(r"^-?[0-9]+$", x)):
        fail("%s: %s %r" % (where, k, x))
    return int(x) if k == "intValue" else x


def read_otlp(path):
    """[(trace, span, parent, service, name, start_ns, end_ns, error, attrs)], checked on the way."""
    doc = json.load(open(path))
    if set(doc) != {"resourceSpans"} or not isinstance(doc["resourceSpans"], list):
        fail("the top level is {\"resourceSpans\": [...]}, got keys %s" % sorted(doc))
    out = []
    for i, rs in enumerate(doc["resourceSpans"]):
        w = "resourceSpans[%d]" % i
        attrs = {a["key"]: anyvalue(a["value"], w) for a in rs["resource"]["attributes"]}
        if not isinstance(attrs.get("service.name"), str) or not attrs["service.name"]:
            fail(w + ": no service.name resource attribute")
        for j, ss in enumerate(rs["scopeSpans"]):
            if not isinstance(ss.get("scope", {}).get("name"), str): fail(w + ": scope without a name")
            for k, s in enumerate(ss["spans"]):
                ws = "%s.scopeSpans[%d].spans[%d]" % (w, j, k)
                if not HEX32.match(s["traceId"]) or s["traceId"] == "0" * 32: fail(ws + ": traceId " + s["traceId"])
                if not HEX16.match(s["spanId"]) or s["spanId"] == "0" * 16: fail(ws + ": spanId " + s["spanId"])
                if "parentSpanId" in s and not HEX16.match(s["parentSpanId"]): fail(ws + ": parentSpanId")
                for t in ("startTimeUnixNano", "endTimeUnixNano"):
                    if not isinstance(s[t], str) or not DIGITS.match(s[t]): fail("%s: %s %r is not a decimal string" % (ws, t, s[t]))
                if not isinstance(s["kind"], int) or not 0 <= s["kind"] <= 5: fail(ws + ": kind")
                code = s.get("status", {}).get("code", 0)
                if code not in (0, 1, 2): fail(ws + ": status code")
                a = {x["key"]: anyvalue(x["value"], ws) for x in s.get("attributes", [])}
                out.append((s["traceId"], s["spanId"], s.get("parentSpanId"), attrs["service.name"], s["name"],
                            int(s["startTimeUnixNano"]), int(s["endTimeUnixNano"]), code == 2, a))
    return out


def read_jaeger(path):
    doc = json.load(open(path))
    if not isinstance(doc.get("data"), list): fail("the top level is {\"data\": [...]}")
    out = []
    for i, tr in enumerate(doc["data"]):
        w = "data[%d]" % i
        if not HEX32.match(tr["traceID"]): fail(w + ": traceID")
        for k, s in enumerate(tr["spans"]):
            ws = "%s.spans[%d]" % (w, k)
            if s["traceID"] != tr["traceID"] or not HEX16.match(s["spanID"]): fail(ws + ": ids")
            if s["processID"] not in tr["processes"]: fail(ws + ": processID " + s["processID"])
            if not isinstance(s["startTime"], int) or not isinstance(s["duration"], int) or s["duration"] < 0: fail(ws + ": times")
            refs = s["references"]
            if len(refs) > 1 or any(r["refType"] not in ("CHILD_OF", "FOLLOWS_FROM") or r["traceID"] != tr["traceID"] for r in refs):
                fail(ws + ": references")
            tags = {t["key"]: t["value"] for t in s["tags"]}
            out.append((tr["traceID"], s["spanID"], refs[0]["spanID"] if refs else None, tr["processes"][s["processID"]]["serviceName"],
                        s["operationName"], s["startTime"] * 1000, (s["startTime"] + s["duration"]) * 1000, tags.get("error") is True, tags))
    return out


def check_trees(spans):
    """One root per trace, parents in the same trace, children start no earlier than their parent."""
    by = {(s[0], s[1]): s for s in spans}
    if len(by) != len(spans): fail("a span id repeats within a trace")
    roots = {}
    for s in spans:
        if s[5] < EPOCH or s[6] < s[5]: fail("span %s: times %d..%d" % (s[1], s[5], s[6]))
        if s[2] is None: roots[s[0]] = roots.get(s[0], 0) + 1
        else:
            p = by.get((s[0], s[2]))
            if not p: fail("span %s: its parent %s is not in trace %s" % (s[1], s[2], s[0]))
            if s[5] < p[5]: fail("span %s starts before its parent %s" % (s[1], p[1]))
    traces = {s[0] for s in spans}
    if any(roots.get(t) != 1 for t in traces): fail("a trace without exactly one root")
    return len(traces)


def read_any(path):
    return read_jaeger(path) if json.load(open(path)).get("data") is not None else read_otlp(path)


def main(a):
    if a[0] in ("otlp", "jaeger"):
        spans = read_otlp(a[1]) if a[0] == "otlp" else read_jaeger(a[1])
        print("traces %d spans %d" % (check_trees(spans), len(spans)))
    elif a[0] == "counts":
        spans, rep = read_any(a[1]), json.load(open(a[2]))
        for svc, v in rep["services"].items():
            n = sum(1 for s in spans if s[3] == svc)
            e = sum(1 for s in spans if s[3] == svc and s[7])
            if n != v["arrivals"] or e != v["failures"]["total"]:
                fail("%s: %d spans, %d in error; the report: %d arrivals, %d failures" % (svc, n, e, v["arrivals"], v["failures"]["total"]))
            print("%s: %d spans = arrivals, %d errors = failures" % (svc, n, e))
    elif a[0] == "sample":
        spans, rep, r = read_any(a[1]), json.load(open(a[2])), float(a[3])
        n = sum(j["arrivals"] for j in rep["journeys"].values())
        got = len({s[0] for s in spans})
        sd = math.sqrt(n * r * (1 - r))
        print("%d traces of %d entry requests at %g: expected %.1f +- %.1f" % (got, n, r, n * r, 4 * sd))
        if abs(got - n * r) > 4 * sd + 1: fail("the sampled share is off")
    elif a[0] == "faults":
        spans = read_any(a[1])
        name, svc, t0, t1 = a[2], a[3], EPOCH + float(a[4]) * 1e9, EPOCH + float(a[5]) * 1e9
        hit = [s for s in spans if s[8].get("faultline.fault") == name]
        if not hit: fail("no span names fault " + name)
        for s in hit:
            if s[3] != svc or s[6] < t0 or s[5] > t1: fail("span %s (%s, %d..%d) names %s" % (s[1], s[3], s[5], s[6], name))
        inside = [s for s in spans if s[3] == svc and s[5] > t0 and s[6] < t1 and s[8].get("faultline.outcome") != "unfinished"]
        missed = [s for s in inside if s[8].get("faultline.fault") != name]
        if missed: fail("span %s of %s inside the fault does not name it" % (missed[0][1], svc))
        print("%d spans name %s, all of %s inside its time" % (len(hit), name, svc))
    elif a[0] == "policies":
        spans = read_any(a[1])
        by = {(s[0], s[1]): s for s in spans}
        retried = [s for s in spans if s[8].get("faultline.retry", 0) > 0]
        if not retried: fail("no retried attempt")
        for s in retried:   # no hedges here: the attempt after the k-th retry is the (k+1)-th
            if s[8]["faultline.attempt"] != s[8]["faultline.retry"] + 1: fail("span %s: attempt and retry disagree" % s[1])
        ab = [s for s in spans if s[8].get("faultline.abandoned")]
        if not ab: fail("no abandoned attempt")
        for s in ab:
            p = by[(s[0], s[2])]
            if "faultline.timeout" not in s[8]: fail("abandoned span %s has no timeout" % s[1])
            if s[6] - s[5] < s[8]["faultline.timeout"] * 1e9 - 2e6: fail("abandoned span %s ended before its timeout" % s[1])
        if not any(s[8].get("faultline.optional") for s in spans): fail("no optional call")
        if not any(s[8].get("faultline.fallback") for s in spans): fail("no fallback")
        print("%d retried attempts, %d abandoned, optional and fallback present" % (len(retried), len(ab)))
    elif a[0] == "calls":
        spans, rep = read_any(a[1]), json.load(open(a[2]))
        by = {(s[0], s[1]): s for s in spans}
        n, extra = {}, {}
        for s in spans:
            if s[2] is None: continue
            p = by[(s[0], s[2])]
            key = "%s.%s -> %s.%s" % (p[3], p[4], s[3], s[4])
            n[key] = n.get(key, 0) + 1
            extra[key] = extra.get(key, 0) + (s[8].get("faultline.attempt", 1) > 1)
        for key, r in rep["calls"].items():
            if n.get(key, 0) != r["attempts"] or extra.get(key, 0) != r["retries"] + r["hedges"]:
                fail("%s: %d spans, %d past the first attempt; the report: %d attempts, %d retries + %d hedges" %
                     (key, n.get(key, 0), extra.get(key, 0), r["attempts"], r["retries"], r["hedges"]))
            print("%s: %d spans = attempts, %d = retries + hedges" % (key, n[key], extra[key]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    if len(sys.argv) < 3: sys.exit(__doc__)
    main(sys.argv[1:])
