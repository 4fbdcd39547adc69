#!/usr/bin/env python3
# make bench's growth curves (issue 19): generated scenarios whose size grows along one axis at a
# time, each point printed as nanoseconds per request (service visit), wall time and peak memory,
# and as ratios to the curve's smallest point. ns/req is the process's CPU time (load and run) per
# request: on a shared machine it moves less than the wall time.
#   services   10/100/1,000/5,000, the same request count, every arrival making 40 service visits
#   instances  1/100/10,000/100,000 of one service, for each balancer
#   duration   1 h / 1 d / 7 d at 1 s windows, 10 services; then the same with --json --html, whose
#              "peak" is the simulation's (before the writers) and "proc MB" the whole process's
#   reports    the 1 d run with no report, --json, --html, --csv: the process's peak memory (the
#              reports are written as streams, so it should stay the run's own)
# FAULTLINE_BENCH_BIG=0 leaves out the largest points (5,000 services, 100,000 instances, 7 days).
# Each point runs FAULTLINE_BENCH_REPS times (default 3), the points of a curve taking turns, and
# shows the minimum of each measure over them: on a shared machine other work only ever adds time.
# Usage: curves.py BIN OUTDIR
import os, re, subprocess, sys

BIN, OUT = sys.argv[1], sys.argv[2]
BIG = os.environ.get("FAULTLINE_BENCH_BIG", "1") != "0"
try:
    REPS = max(1, int(os.environ.get("FAULTLINE_BENCH_REPS", "3")))
except ValueError:
    sys.exit("bench: FAULTLINE_BENCH_REPS must be a whole number of runs, not %r" % os.environ["FAULTLINE_BENCH_REPS"])
RUN = re.compile(r"^run: (\S+) wall, (\d+) events .*?, (\d+) requests .*?, peak (\d+) MB", re.M)


def seconds(text):
    """The summary's wall time: "850ms", "12.3s", "1m25s", "2h03m"."""
    total = 0.0
    for num, unit in re.findall(r"([0-9.]+)(ms|s|m|h)", text):
        total += float(num) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]
    return total


def services_scenario(n):
    """n services: n/40 fronts (at least one), each calling 39 of the others in parallel, so that
    every arrival makes 40 visits; the fronts share 1,000 arrivals/s for 100 s at 1 s windows."""
    fronts = max(1, n // 40)
    leaves = n - fronts
    lines = ['scenario { name = "bench services %d", duration = "100s", seed = 1, window = "1s" }' % n]
    for j in range(fronts):
        callees = ", ".join('call "l%d"' % ((j * 39 + k) % leaves) for k in range(39))
        lines.append('service "f%d" { workers = 64, queue = math.huge, blocking = false, work = exp "1ms", '
                     'calls = { parallel { %s } } }' % (j, callees))
    for i in range(leaves):
        lines.append('service "l%d" { workers = 64, queue = math.huge, work = exp "1ms" }' % i)
    mix = ", ".join("f%d = %r" % (j, 1 / fronts) for j in range(fronts))
    lines.append('traffic { rate = "1000/s", mix = { %s } }' % mix)
    return "\n".join(lines) + "\n"


def instances_scenario(n, balancer):
    """One service of n instances behind 'balancer': 2,000 arrivals/s for 1,000 s (1 instance runs
    at 50% of its 4 workers)."""
    return ('scenario { name = "bench instances", duration = "1000s", seed = 1, window = "10s" }\n'
            'service "s" { instances = %d, balancer = "%s", workers = 4, queue = math.huge, work = exp "1ms" }\n'
            'traffic { rate = "2000/s", mix = { s = 1 } }\n' % (n, balancer))


def duration_scenario(seconds):
    """10 services (a gateway calling 9 in parallel) at 10 arrivals/s, 1 s windows."""
    callees = ", ".join('call "s%d"' % i for i in range(9))
    lines = ['scenario { name = "bench duration", duration = "%ds", seed = 1, window = "1s" }' % seconds,
             'service "gw" { workers = 8, queue = math.huge, blocking = false, work = exp "1ms", '
             'calls = { parallel { %s } } }' % callees]
    lines += ['service "s%d" { workers = 8, queue = math.huge, work = exp "1ms" }' % i for i in range(9)]
    lines.append('traffic { rate = "10/s", mix = { gw = 1 } }')
    return "\n".join(lines) + "\n"


def fastest(runs):
    """A point's measures, each the minimum over its runs."""
    return {k: min(r[k] for r in runs) for k in runs[0]}


def run_once(text, name, extra=()):
    path = os.path.join(OUT, name + ".lua")
    with open(path, "w") as f:
        f.write(text)
    out, err = os.path.join(OUT, name + ".out"), os.path.join(OUT, name + ".err")
    with open(out, "w") as fo, open(err, "w") as fe:
        p = subprocess.Popen([BIN, "run", path] + [a.replace("OUT", OUT) for a in extra], stdout=fo, stderr=fe)
        _, status, ru = os.wait4(p.pid, 0)
    rc = os.waitstatus_to_exitcode(status)
    m = RUN.search(open(out).read())
    if rc not in (0, 1) or not m:
        sys.exit("bench: %s failed (exit %d): %s" % (name, rc, open(err).read().strip()[-400:]))
    wall, reqs, peak = seconds(m.group(1)), int(m.group(3)), int(m.group(4))
    cpu = ru.ru_utime + ru.ru_stime   # load and run, in CPU time: steadier than wall time on a shared machine
    for a in extra:   # only the reports' cost is of interest, not their files
        a = a.replace("OUT", OUT)
        if a.endswith((".json", ".html")) and os.path.exists(a):
            os.remove(a)
    return {"ns": cpu * 1e9 / max(reqs, 1), "wall": wall, "cpu": cpu, "reqs": reqs, "peak": peak,
            "rss": ru.ru_maxrss / 1024}


def curve(title, points, reports=False):
    print("\n%-28s %12s %10s %10s %9s %9s %8s %8s%s" % (title, "requests", "ns/req", "run wall", "cpu", "peak MB", "x ns/req", "x peak",
                                                     " %9s" % "proc MB" if reports else ""))
    # the points' runs take turns (every point once, then again): a spell of a busy neighbour then
    # slows every point a little instead of one point a lot, and the ratios stay within one sitting
    runs = {}
    for _ in range(REPS):
        for label, text, name in points:
            extra = ("--json", "OUT/%s.json" % name, "--html", "OUT/%s.html" % name) if reports else ()
            runs.setdefault(name, []).append(run_once(text, name, extra))
    first = None
    for label, text, name in points:
        r = fastest(runs[name])
        first = first or r
        print("%-28s %12d %10.0f %9.2fs %8.2fs %9d %8.2f %8.2f%s" % (label, r["reqs"], r["ns"], r["wall"], r["cpu"], r["peak"],
              r["ns"] / first["ns"], r["peak"] / max(first["peak"], 1), " %9d" % r["rss"] if reports else ""))
        sys.stdout.flush()


curve("services (40 visits/arrival)",
      [("%d services" % n, services_scenario(n), "svc%d" % n) for n in (10, 100, 1000, 5000) if BIG or n < 5000])
for lb in ("round_robin", "random", "least_outstanding", "p2c"):
    curve("instances, %s" % lb,
          [("%d instances" % n, instances_scenario(n, lb), "inst_%s_%d" % (lb, n)) for n in (1, 100, 10000, 100000) if BIG or n < 100000])
curve("duration (1 s windows)",
      [(label, duration_scenario(sec), "dur%d" % sec) for label, sec in (("1 h", 3600), ("1 d", 86400), ("7 d", 7 * 86400)) if BIG or sec < 7 * 86400])
curve("duration, --json --html",
      [(label, duration_scenario(sec), "durr%d" % sec) for label, sec in (("1 h", 3600), ("1 d", 86400), ("7 d", 7 * 86400)) if BIG or sec < 7 * 86400],
      reports=True)


def reports_curve(seconds):
    """The process's peak memory (reports included, which the summary's peak is not) and CPU time
    writing each report of one run, as ratios to the run with none."""
    print("\n%-28s %12s %10s %10s %8s" % ("reports (1 d, 1 s windows)", "process MB", "cpu", "x MB", "x cpu"))
    first = None
    for label, extra in (("no report", ()), ("--json", ("--json", "OUT/r.json")), ("--html", ("--html", "OUT/r.html")),
                         ("--csv", ("--csv", "OUT/csv"))):
        r = fastest([run_once(duration_scenario(seconds), "rep%d" % seconds, extra) for _ in range(REPS)])
        first = first or r
        print("%-28s %12.0f %9.2fs %10.2f %8.2f" % (label, r["rss"], r["cpu"], r["rss"] / first["rss"], r["cpu"] / first["cpu"]))
        sys.stdout.flush()


reports_curve(86400)


def graph_scenario(n):
    """n services in a chain with a diamond at every step (c_i calls c_i+1, and c_i+2 with p = 0 so
    that a request makes one visit per service), depth n - 1 along the chain and about n / 2 by the
    shortest path, in n / 50 groups, with a fault on the last: the deep graph whose depths, edges,
    groups and fault chain the reports compute. 5 arrivals/s for 2 s: the run itself is cheap."""
    lines = ['scenario { name = "bench graph %d", duration = "2s", seed = 1, window = "1s" }' % n]
    for i in range(n):
        calls = ['call "c%d"' % (i + 1)] if i + 1 < n else []
        if i + 2 < n:
            calls.append('call "c%d" { p = 0 }' % (i + 2))
        lines.append('service "c%d" { group = "g%d", workers = 4, queue = math.huge, blocking = false, work = exp "1ms"%s }'
                     % (i, i * 50 // n, ", calls = { %s }" % ", ".join(calls) if calls else ""))
    lines.append('fault { target = "c%d", kind = "errors", rate = 1, at = "1s" }' % (n - 1))
    lines.append('traffic { rate = "5/s", mix = { c0 = 1 } }')
    return "\n".join(lines) + "\n"


def timed(args, name):
    """CPU seconds (user + system) and wall seconds of one faultline command; exits on failure."""
    import time
    err = os.path.join(OUT, name + ".err")
    t0 = time.monotonic()
    with open(os.devnull, "w") as fo, open(err, "w") as fe:
        p = subprocess.Popen([BIN] + args, stdout=fo, stderr=fe)
        _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        sys.exit("bench: %s failed: %s" % (" ".join(args), open(err).read().strip()[-400:]))
    return ru.ru_utime + ru.ru_stime, wall


def graph_curve():
    """`graph` (DOT, Mermaid, JSON with its layout) and `run --html` on graph_scenario at 1,000 and
    5,000 services: CPU and wall seconds, and the CPU as a ratio to 1,000 (5x the services: about
    5x the time when the cost is linear)."""
    print("\n%-28s %10s %10s %10s %10s %10s %10s" % ("graph (deep chain)", "dot cpu", "mmd cpu", "json cpu", "json wall",
                                                    "html cpu", "html wall"))
    first = None
    for n in (1000, 5000):
        path = os.path.join(OUT, "graph%d.lua" % n)
        with open(path, "w") as f:
            f.write(graph_scenario(n))
        dot, _ = timed(["graph", path, "--format", "dot", "-o", os.path.join(OUT, "g.dot")], "gdot%d" % n)
        mmd, _ = timed(["graph", path, "--format", "mermaid", "-o", os.path.join(OUT, "g.mmd")], "gmmd%d" % n)
        js, jsw = timed(["graph", path, "--format", "json", "-o", os.path.join(OUT, "g.json")], "gjson%d" % n)
        html, htmlw = timed(["run", path, "-q", "--html", os.path.join(OUT, "g.html")], "ghtml%d" % n)
        first = first or (dot, mmd, js, html)
        print("%-28s %9.2fs %9.2fs %9.2fs %9.2fs %9.2fs %9.2fs" % ("%d services" % n, dot, mmd, js, jsw, html, htmlw))
        print("%-28s %10.2f %10.2f %10.2f %10s %10.2f" % ("  x 1,000", dot / max(first[0], 1e-3), mmd / max(first[1], 1e-3),
                                                           js / max(first[2], 1e-3), "", html / max(first[3], 1e-3)))
        sys.stdout.flush()
    for f in ("g.dot", "g.mmd", "g.json", "g.html"):
        if os.path.exists(os.path.join(OUT, f)):
            os.remove(os.path.join(OUT, f))


graph_curve()
