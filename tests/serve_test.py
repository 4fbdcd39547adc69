#!/usr/bin/env python3
"""HTTP tests of `faultline serve` against a server on a free loopback port: every endpoint, the
Server-Sent Events stream's format and order, malformed and oversize requests, 50 concurrent
clients, a client that stops reading (the server keeps answering and its memory stays flat),
and the scenario file edited during a run (the model follows; a broken edit keeps the last good
model and reports file:line). Prints "ok NAME" / "FAIL NAME: why" and
"# serve_test: N passed, N failed". Every request loop is bounded in count and time."""
import json
import os
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


def request(port, method, path, body=None, raw=None, timeout=5):
    """One request on its own connection; returns (status, headers, body bytes)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    if raw is None:
        data = body.encode() if isinstance(body, str) else (body or b"")
        raw = ("%s %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (method, path, len(data))).encode() + data
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


def get_json(port, path, method="GET", body=None):
    st, _, b = request(port, method, path, body)
    try:
        return st, json.loads(b.decode())
    except ValueError:
        return st, None


def read_events(port, seconds, max_events=100000):
    """Reads the event stream for a while; returns [(event, data)]."""
    s = socket.create_connection(("127.0.0.1", port), timeout=1)
    s.sendall(b"GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n")
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
        stuck.sendall(b"GET /api/events HTTP/1.1\r\n\r\n")
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
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print("# serve_test: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
