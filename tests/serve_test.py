#!/usr/bin/env python3
"""HTTP tests of `faultline serve` against a server on a free loopback port: every endpoint, the
Server-Sent Events stream's format and order, malformed and oversize requests, 50 concurrent
clients, a client that stops reading (the server keeps answering and its memory stays flat),
and the scenario file edited during a run (the model follows; a broken edit keeps the last good
model and reports file:line). Prints "ok NAME" / "FAIL NAME: why" and
"# serve_test: N passed, N failed". Every request loop is bounded in count and time."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

FAULTLINE = os.environ.get("FAULTLINE", "build/faultline")
passed = failed = 0


def ok(name):
    global passed
    passed += 1
    print("ok   " + name, flush=True)


def fail(name, why):
    global failed
    failed += 1
    print("FAIL %s: %s" % (name, why), flush=True)


def check(name, cond, why=""):
    (ok if cond else lambda n: fail(n, why))(name)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


TOKEN = ""   # the server's per-start token, read from its page


def request(port, method, path, body=None, raw=None, timeout=5, headers=None):
    """One request on its own connection, as the served page sends it (Host, and on POST and
    DELETE the JSON type and the token) unless 'headers' says otherwise (a None value leaves
    that header out); returns (status, headers, body bytes)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    if raw is None:
        data = body.encode() if isinstance(body, str) else (body or b"")
        hdr = {"Host": "127.0.0.1:%d" % port}
        if method == "POST":
            hdr["Content-Type"] = "application/json"
        if method in ("POST", "DELETE"):
            hdr["X-Faultline-Token"] = TOKEN
        hdr.update(headers or {})
        head = "".join("%s: %s\r\n" % (k, v) for k, v in hdr.items() if v is not None)
        raw = ("%s %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n" % (method, path, head, len(data))).encode() + data
    s.sendall(raw)
    chunks = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            c = s.recv(65536)
        except socket.timeout:
            break
        if not c:
            break
        chunks.append(c)
    s.close()
    resp = b"".join(chunks)
    head, _, rest = resp.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        return 0, {}, resp
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, rest


def get_json(port, path, method="GET", body=None, headers=None):
    st, _, b = request(port, method, path, body, headers=headers)
    try:
        return st, json.loads(b.decode())
    except ValueError:
        return st, None


def read_events(port, seconds, max_events=100000):
    """Reads the event stream for a while; returns [(event, data)]."""
    s = socket.create_connection(("127.0.0.1", port), timeout=1)
    s.sendall(b"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % port)
    buf = b""
    end = time.time() + seconds
    while time.time() < end:
        try:
            c = s.recv(65536)
        except socket.timeout:
            continue
        if not c:
            break
        buf += c
    s.close()
    head, _, body = buf.partition(b"\r\n\r\n")
    events = []
    for block in body.decode(errors="replace").split("\n\n"):
        ev, data = None, []
        for line in block.split("\n"):
            if line.startswith("event: "):
                ev = line[7:]
            elif line.startswith("data: "):
                data.append(line[6:])
        if ev:
            events.append((ev, "\n".join(data)))
        if len(events) >= max_events:
            break
    return head.decode(errors="replace"), events


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


SCENARIO = """scenario { name = "serve test", duration = "1h", seed = 3, window = "5s" }
service "front" { instances = 2, workers = 20, queue = 100, work = exp "5ms",
  calls = { call "back" { timeout = "200ms" } } }
service "back" { instances = 2, workers = 10, queue = 50, work = exp "10ms" }
traffic { rate = "200/s", mix = { front = 1 } }
"""


HEAVY = """scenario { name = "heavy", duration = "2h", seed = 5, window = "1s" }
service "front" { instances = 8, workers = 50, queue = 1000, work = exp "2ms",
  calls = { call "a" { timeout = "1s" }, call "b" { timeout = "1s" } } }
service "a" { instances = 8, workers = 50, queue = 1000, work = exp "3ms" }
service "b" { instances = 8, workers = 50, queue = 1000, work = exp "3ms" }
traffic { rate = "20000/s", mix = { front = 1 } }
"""


def start(scen, *args):
    """A server on a free port; returns (proc, port) once it says where it listens."""
    port = free_port()
    proc = subprocess.Popen([FAULTLINE, "serve", scen, "--port", str(port)] + list(args),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdout.readline()
    return proc, port


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def too_fast(tmp):
    """The highest speed the page offers, on a model this machine cannot run that fast: the API
    answers in < 200 ms all along, the status says it runs as fast as it can, pause holds."""
    global TOKEN
    scen = os.path.join(tmp, "heavy.lua")
    with open(scen, "w") as f:
        f.write(HEAVY)
    proc, port = start(scen, "--speed", "1800")
    try:
        m = re.search(rb'content="([0-9a-f]{32})"', request(port, "GET", "/")[2])
        TOKEN = m.group(1).decode() if m else ""
        worst, status = 0.0, None
        end = time.time() + 3
        while time.time() < end:
            t0 = time.time()
            st, status = get_json(port, "/api/status")
            worst = max(worst, time.time() - t0 if st == 200 else 99)
            time.sleep(0.1)
        check("status_answers_in_200ms_at_1800x", worst < 0.2, "worst %.3fs" % worst)
        check("the_status_says_it_runs_as_fast_as_it_can", status and status["behind"] is True and
              "as fast as possible" in status["pace"] and 0 < status["actual_speed"] < 1800, str(status))
        t0 = time.time()
        st, r = get_json(port, "/api/pause", "POST")
        took = time.time() - t0
        time.sleep(0.3)
        t1 = get_json(port, "/api/status")[1]["t"]
        time.sleep(0.3)
        t2 = get_json(port, "/api/status")[1]["t"]
        check("pause_is_honoured_at_once_at_1800x", st == 200 and took < 0.2 and t1 == t2, "%.3fs, t %s -> %s" % (took, t1, t2))
        get_json(port, "/api/speed", "POST", json.dumps({"speed": 1}))
        get_json(port, "/api/resume", "POST")
        time.sleep(1.2)
        st, r = get_json(port, "/api/status")
        check("a_speed_it_can_keep_is_not_behind", st == 200 and r["behind"] is False and r["pace"].startswith("1"), str(r))
    finally:
        check("too_fast_server_stops_cleanly", stop(proc) == 0, str(proc.returncode))


def fifo_in_place(tmp):
    """A FIFO put in place of the watched scenario is refused without blocking the loop."""
    scen = os.path.join(tmp, "fifo.lua")
    with open(scen, "w") as f:
        f.write(SCENARIO)
    proc, port = start(scen)
    try:
        time.sleep(0.5)
        os.unlink(scen)
        os.mkfifo(scen)
        deadline, status, worst = time.time() + 5, None, 0.0
        while time.time() < deadline:
            time.sleep(0.2)
            t0 = time.time()
            st, status = get_json(port, "/api/status")
            worst = max(worst, time.time() - t0 if st == 200 else 99)
            if status and status.get("error"):
                break
        check("a_fifo_in_place_of_the_scenario_is_refused", status and "not a regular file" in (status.get("error") or ""), str(status))
        check("a_fifo_in_place_of_the_scenario_does_not_block", worst < 0.5, "worst %.3fs" % worst)
    finally:
        check("fifo_server_stops_cleanly", stop(proc) == 0, str(proc.returncode))


def main():
    tmp = tempfile.mkdtemp(prefix="fl_serve_")
    scen = os.path.join(tmp, "shop.lua")
    with open(scen, "w") as f:
        f.write(SCENARIO)
    port = free_port()
    report = os.path.join(tmp, "partial.json")
    proc = subprocess.Popen([FAULTLINE, "serve", scen, "--port", str(port), "--speed", "60", "--json", report],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        check("serve_says_where_it_listens", "http://127.0.0.1:%d/" % port in line, line)
        time.sleep(0.5)

        st, status = get_json(port, "/api/status")
        check("status_answers_json", st == 200 and status and status["scenario"] == "serve test", str(status))
        st, model = get_json(port, "/api/model")
        names = sorted(s["name"] for s in (model or {}).get("graph", {}).get("services", []))
        check("model_lists_the_services", st == 200 and names == ["back", "front"], str(names))
        check("model_has_a_layout", st == 200 and "layout" in model["graph"], str(model)[:200])

        st, hdr, page = request(port, "GET", "/")
        check("dashboard_page_is_html", st == 200 and hdr.get("content-type", "").startswith("text/html") and b"EventSource" in page,
              "%d %s" % (st, hdr))
        global TOKEN
        m = re.search(rb'<meta name="faultline-token" content="([0-9a-f]{32})">', page)
        TOKEN = m.group(1).decode() if m else ""
        check("the_page_carries_a_token", m is not None, page[:300])
        half_sent = socket.create_connection(("127.0.0.1", port), timeout=1)
        half_sent.sendall(b"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1")   # and never more
        half_sent_at = time.time()

        head, events = read_events(port, 1.5)
        check("events_stream_is_sse", "text/event-stream" in head, head)
        kinds = [e for e, _ in events]
        check("events_start_with_status_then_model", kinds[:2] == ["status", "model"], str(kinds[:5]))
        wins = [json.loads(d) for e, d in events if e == "window"]
        ts = [w["t"] for w in wins]
        check("windows_arrive_in_order", len(wins) >= 3 and ts == sorted(ts) and len(set(ts)) == len(ts), str(ts[:10]))
        check("window_events_carry_service_numbers",
              wins and all(k in wins[-1]["services"]["front"] for k in ("arrivals", "p99", "health", "busy_workers", "failures_by_cause")),
              str(wins[-1] if wins else None)[:300])
        w0 = [w["w"] for w in wins]
        check("windows_are_numbered_from_zero", w0 and w0 == list(range(w0[0], w0[0] + len(w0))) and w0[0] == 0, str(w0[:5]))

        # faults from the API
        st, r = get_json(port, "/api/faults", "POST", json.dumps({"target": "back", "kind": "crash", "duration": "10m"}))
        check("inject_a_crash", st == 201 and r["name"] == "back" and r["kind"] == "crash", "%d %s" % (st, r))
        time.sleep(1.0)
        head, events = read_events(port, 1.0)
        faults = [json.loads(d) for e, d in events if e == "fault"]
        check("the_stream_reports_the_fault", any(f["target"] == "back" and f["kind"] == "crash" for f in faults), str(faults))
        changes = [json.loads(d) for e, d in events if e == "change"]
        check("the_crashed_service_goes_down", any(c.get("service") == "back" and c["to"] == "down" for c in changes), str(changes)[:400])
        check("its_caller_changes_state_too", any(c.get("service") == "front" and c["to"] != "ok" for c in changes), str(changes)[:400])
        st, r = get_json(port, "/api/faults/back", "DELETE")
        check("heal_the_fault", st == 200 and r.get("healed") == "back", "%d %s" % (st, r))
        st, r = get_json(port, "/api/faults/back", "DELETE")
        check("healing_twice_is_404", st == 404 and "error" in r, "%d %s" % (st, r))

        # bad requests: 4xx with a JSON error, the server keeps going
        bad = [
            ("unknown_path_is_404", "GET", "/nope", None, 404),
            ("wrong_method_is_405", "GET", "/api/faults", None, 405),
            ("malformed_json_is_400", "POST", "/api/faults", "{not json", 400),
            ("unknown_service_is_422", "POST", "/api/faults", json.dumps({"target": "nope", "kind": "crash"}), 422),
            ("unknown_kind_is_422", "POST", "/api/faults", json.dumps({"target": "back", "kind": "meteor"}), 422),
            ("unknown_field_is_422", "POST", "/api/faults", json.dumps({"target": "back", "kind": "crash", "colour": 1}), 422),
            ("bad_speed_is_400", "POST", "/api/speed", json.dumps({"speed": -3}), 400),
        ]
        for name, m, p, b, want in bad:
            st, r = get_json(port, p, m, b)
            check(name, st == want and isinstance(r, dict) and "error" in r, "%d %s" % (st, r))
        st, _, b = request(port, None, None, raw=b"POST /api/faults HTTP/1.1\r\nContent-Length: 70000\r\n\r\n" + b"x" * 70000)
        check("oversize_body_is_413", st == 413 and b"64 KiB" in b, "%d %s" % (st, b[:100]))
        st, _, b = request(port, None, None, raw=b"GARBAGE\r\n\r\n")
        check("garbage_request_is_400", st == 400, "%d %s" % (st, b[:100]))
        st, _, b = request(port, None, None, raw=b"GET / HTTP/1.1\r\n" + b"X-Long: " + b"a" * 20000 + b"\r\n\r\n")
        check("oversize_head_is_431", st == 431, "%d" % st)
        st, _, b = request(port, None, None, raw=b"POST /api/faults HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        check("chunked_body_is_501", st == 501, "%d" % st)

        # only the page it serves may drive it (issue 20): foreign Origin and Host, other types, no token
        before = get_json(port, "/api/report")[1]
        nfaults = len(before["faults"])
        st, r = get_json(port, "/api/faults", "POST", json.dumps({"target": "back", "kind": "crash"}),
                         headers={"Origin": "http://evil.example:8000", "Content-Type": "text/plain", "X-Faultline-Token": None})
        check("a_cross_origin_post_is_403", st == 403 and "evil.example" in r.get("error", ""), "%d %s" % (st, r))
        st, r = get_json(port, "/api/pause", "POST", headers={"Origin": "http://localhost:%d" % (port + 1)})
        check("a_page_on_another_port_is_403_even_with_the_token", st == 403, "%d %s" % (st, r))
        st, r = get_json(port, "/api/pause", "POST", headers={"Origin": "null"})
        check("an_opaque_origin_is_403", st == 403, "%d %s" % (st, r))
        after = get_json(port, "/api/report")[1]
        status = get_json(port, "/api/status")[1]
        check("a_refused_post_changes_nothing", len(after["faults"]) == nfaults and not status["paused"], "%d -> %d faults, %s" %
              (nfaults, len(after["faults"]), status))
        st, r = get_json(port, "/api/report", headers={"Host": "rebind.example:%d" % port})
        check("a_foreign_host_is_403", st == 403 and "rebind.example" in r.get("error", ""), "%d %s" % (st, r))
        st, r = get_json(port, "/api/status", headers={"Host": None})
        check("no_host_is_403", st == 403, "%d %s" % (st, r))
        st, r = get_json(port, "/api/status", headers={"Host": "127.0.0.1:%d" % (port + 1)})
        check("another_port_in_host_is_403", st == 403, "%d %s" % (st, r))
        for name, host in (("localhost", "localhost:%d" % port), ("ipv6_loopback", "[::1]:%d" % port)):
            st, r = get_json(port, "/api/status", headers={"Host": host})
            check("host_%s_is_served" % name, st == 200, "%d %s" % (st, r))
        st, r = get_json(port, "/api/status", headers={"Origin": "http://127.0.0.1:%d" % port})
        check("its_own_origin_is_served", st == 200, "%d %s" % (st, r))
        st, r = get_json(port, "/api/faults", "POST", json.dumps({"target": "back", "kind": "crash"}), headers={"Content-Type": "text/plain"})
        check("a_text_plain_post_is_415", st == 415 and "application/json" in r.get("error", ""), "%d %s" % (st, r))
        st, r = get_json(port, "/api/pause", "POST", headers={"Content-Type": None})
        check("a_post_without_a_type_is_415", st == 415, "%d %s" % (st, r))
        st, r = get_json(port, "/api/pause", "POST", headers={"X-Faultline-Token": None})
        check("a_post_without_the_token_is_403", st == 403 and "token" in r.get("error", "").lower(), "%d %s" % (st, r))
        st, r = get_json(port, "/api/pause", "POST", headers={"X-Faultline-Token": "0" * 32})
        check("a_post_with_a_wrong_token_is_403", st == 403, "%d %s" % (st, r))
        st, r = get_json(port, "/api/faults/back", "DELETE", headers={"X-Faultline-Token": None})
        check("a_delete_without_the_token_is_403", st == 403, "%d %s" % (st, r))
        st, r = get_json(port, "/api/status")
        check("refused_requests_left_it_running", st == 200 and not r["paused"] and len(get_json(port, "/api/report")[1]["faults"]) == nfaults,
              str(r))

        # every number through the scenario language's bounds: a 422 with a message, the run goes on
        hostile = [
            ("duration_1e10", {"target": "back", "kind": "crash", "duration": 1e10}, "duration"),
            ("duration_1e300", {"target": "back", "kind": "crash", "duration": 1e300}, "duration"),
            ("duration_text_1e300s", {"target": "back", "kind": "crash", "duration": "1e300s"}, "duration"),
            ("leak_every_1e-12", {"target": "back", "kind": "leak", "every": 1e-12}, "every"),
            ("leak_every_0_4ns", {"target": "back", "kind": "leak", "every": "0.4ns"}, "every"),
            ("instances_1e300", {"target": "back", "kind": "crash", "instances": 1e300}, "instances"),
            ("instances_2_5", {"target": "back", "kind": "crash", "instances": 2.5}, "instances"),
            ("factor_1e300", {"target": "back", "kind": "slowdown", "factor": 1e300}, "factor"),
            ("latency_1e10", {"target": "back", "kind": "latency", "latency": 1e10}, "latency"),
            ("at_1e10", {"target": "back", "kind": "crash", "at": 1e10}, "at"),
            ("restart_1e300", {"target": "back", "kind": "leak", "every": "1m", "restart": 1e300}, "restart"),
        ]
        for name, body, field in hostile:
            st, r = get_json(port, "/api/faults", "POST", json.dumps(body))
            check("refused_" + name, st == 422 and field in r.get("error", ""), "%d %s" % (st, r))
        st, r = get_json(port, "/api/status")
        check("refused_numbers_left_it_running", st == 200 and r["error"] is None and
              len(get_json(port, "/api/report")[1]["faults"]) == nfaults, str(r))
        st, r = get_json(port, "/api/faults", "POST", json.dumps({"target": "back", "kind": "leak", "every": "1ns", "factor": 2,
                                                                   "duration": "2s", "name": "tiny-leak"}))
        check("a_leak_every_1ns_is_taken", st == 201, "%d %s" % (st, r))
        t0 = time.time()
        st, r = get_json(port, "/api/status")
        check("and_the_api_still_answers", st == 200 and time.time() - t0 < 1, "%d in %.2fs" % (st, time.time() - t0))
        get_json(port, "/api/faults/tiny-leak", "DELETE")

        # 256 idle half-sent connections do not lock anyone out
        idle = []
        try:
            for _ in range(256):
                c = socket.create_connection(("127.0.0.1", port), timeout=2)
                c.sendall(b"GET /api/status HTTP/1.1\r\nHo")
                idle.append(c)
            time.sleep(0.3)
            t0 = time.time()
            st, r = get_json(port, "/api/status")
            check("256_idle_half_sent_connections_then_a_client_is_answered", st == 200 and time.time() - t0 < 2,
                  "%d in %.2fs" % (st, time.time() - t0))
        finally:
            for c in idle:
                c.close()

        # control: pause, speed, resume
        st, r = get_json(port, "/api/pause", "POST")
        t1 = r["t"] if r else None
        time.sleep(0.5)
        st2, r2 = get_json(port, "/api/status")
        check("pause_stops_the_clock", st == 200 and r["paused"] and r2["t"] == t1, "%s %s" % (r, r2))
        st, r = get_json(port, "/api/speed", "POST", json.dumps({"speed": 600}))
        check("speed_changes", st == 200 and r["speed"] == 600, str(r))
        get_json(port, "/api/resume", "POST")
        time.sleep(0.5)
        st, r3 = get_json(port, "/api/status")
        check("resume_moves_the_clock_faster", r3["t"] - t1 > 150, "%s -> %s" % (t1, r3["t"]))
        st, rep = get_json(port, "/api/report")
        check("report_so_far", st == 200 and rep["complete"] is False and rep["services"]["back"]["arrivals"] > 0, str(rep)[:200])

        # 50 concurrent clients, bounded
        results = []
        def worker():
            try:
                st, _ = get_json(port, "/api/status")
                results.append(st)
            except OSError as e:
                results.append(str(e))
        threads = [threading.Thread(target=worker) for _ in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        check("fifty_concurrent_clients", results.count(200) == 50, str(results))

        # a client that subscribes and never reads: memory stays flat, others are served
        get_json(port, "/api/speed", "POST", json.dumps({"speed": "max"}))
        before = rss_kb(proc.pid)
        stuck = socket.create_connection(("127.0.0.1", port))
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stuck.sendall(b"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % port)
        time.sleep(3)
        st, r = get_json(port, "/api/status")
        after = rss_kb(proc.pid)
        check("a_stuck_client_does_not_stop_the_server", st == 200, str(st))
        check("memory_stays_flat_with_a_stuck_client", after - before < 64 * 1024, "%d kB -> %d kB" % (before, after))
        stuck.close()

        # the scenario file changes: the model follows; a broken edit keeps the last good model
        gen = get_json(port, "/api/model")[1]["generation"]
        with open(scen, "w") as f:
            f.write(SCENARIO.replace('traffic {', 'service "extra" { work = exp "1ms" }\ntraffic {'))
        deadline, model = time.time() + 5, None
        while time.time() < deadline:
            time.sleep(0.2)
            model = get_json(port, "/api/model")[1]
            if model["generation"] != gen:
                break
        names = sorted(s["name"] for s in model["graph"]["services"])
        check("editing_the_scenario_rebuilds_the_model", model["generation"] == gen + 1 and "extra" in names, str(names))
        with open(scen, "w") as f:
            f.write(SCENARIO.replace('work = exp "5ms"', 'work = exp "5 parsecs"'))
        deadline, status = time.time() + 5, None
        while time.time() < deadline:
            time.sleep(0.2)
            status = get_json(port, "/api/status")[1]
            if status.get("error"):
                break
        check("a_broken_edit_reports_file_and_line", status and status.get("error") and "shop.lua:2:" in status["error"], str(status))
        model2 = get_json(port, "/api/model")[1]
        check("a_broken_edit_keeps_the_last_good_model", model2["generation"] == gen + 1, str(model2)[:100])

        # a connection that never finishes its request is let go (10 s)
        half_sent.settimeout(max(0.5, 13 - (time.time() - half_sent_at)))
        try:
            got = half_sent.recv(4096)
        except OSError:
            got = b"(still open)"
        check("a_half_sent_request_times_out", got == b"" or got.startswith(b"HTTP/1.1 408"), got[:80])
        half_sent.close()

        # SIGINT stops cleanly and writes the report (of a run slowed down so that it is mid-way)
        with open(scen, "w") as f:
            f.write(SCENARIO)
        time.sleep(1.0)
        get_json(port, "/api/speed", "POST", json.dumps({"speed": 10}))
        get_json(port, "/api/restart", "POST")
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        check("sigint_stops_cleanly", proc.returncode == 0, str(proc.returncode))
        try:
            with open(report) as f:
                rep = json.load(f)
            check("sigint_writes_the_report", "services" in rep and rep["complete"] is False, str(rep)[:100])
        except (OSError, ValueError) as e:
            fail("sigint_writes_the_report", str(e))
        too_fast(tmp)
        fifo_in_place(tmp)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print("# serve_test: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
