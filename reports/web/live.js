/* faultline serve: feeds the dashboard (dashboard.js) from the server's event stream, and adds
** the live controls: pause and resume, the one speed control (simulated seconds per second, showing
** the server's real speed, and its pace when the machine cannot keep that speed), inject any fault
** kind the API takes with its fields, heal, restart (each POST and DELETE with the page's token);
** while the run goes, a live journey table (Locust's: requests, failures, latency, rate) from the
** streamed windows, and the expectations, faults and blast radius so far from /api/report. */
(function (global) {
  'use strict';
  var FL = global.FL, doc = global.document;
  var KINDS = ['crash', 'hang', 'latency', 'slowdown', 'errors', 'partition', 'capacity', 'leak', 'cold_cache'];
  /* the fields each kind takes (POST /api/faults), besides target and duration */
  var FIELDS = {
    crash: ['instances'], hang: ['instances'], capacity: ['instances'], latency: ['latency', 'link'], errors: ['rate', 'link'],
    slowdown: ['factor'], leak: ['every', 'factor', 'restart', 'instances'], partition: ['from'], cold_cache: []
  };
  var SPEEDS = [10, 30, 60, 120, 300, 1800];
  var REPORT_POLL_MS = 3000;

  function byId(id) { return doc.getElementById(id); }
  /* the server's per-start token (a meta tag of the page it served): every POST and DELETE carries it */
  var tokenTag = doc.querySelector('meta[name="faultline-token"]'), TOKEN = tokenTag ? tokenTag.getAttribute('content') : '';
  function api(method, path, body) {
    return fetch(path, { method: method, headers: { 'Content-Type': 'application/json', 'X-Faultline-Token': TOKEN },
      body: body ? JSON.stringify(body) : undefined }).then(function (r) {
      return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || r.statusText); return j; });
    });
  }

  function bar() {
    var b = doc.createElement('div');
    b.id = 'fl-live';
    b.className = 'live-bar';
    b.innerHTML =
      '<span class="live-dot" id="fl-live-state">connecting</span>' +
      '<button type="button" id="fl-live-pause">pause</button>' +
      '<label title="simulated seconds per wall-clock second">speed <select id="fl-live-speed">' +
      SPEEDS.map(function (v) { return '<option value="' + v + '">' + v + '\u00d7</option>'; }).join('') +
      '<option value="max">max</option></select></label>' +
      '<span id="fl-live-pace" class="live-msg" title="the pace the run keeps"></span>' +
      '<fieldset><legend>inject a fault</legend>' +
      '<select id="fl-live-kind" aria-label="fault kind">' + KINDS.map(function (k) { return '<option>' + k + '</option>'; }).join('') + '</select>' +
      '<label data-f="from">from <select id="fl-live-from"></select></label>' +
      '<label>on <select id="fl-live-target"></select></label>' +
      '<label>for <input id="fl-live-dur" value="2m"></label>' +
      '<label data-f="latency">latency <input id="fl-live-latency" value="300ms"></label>' +
      '<label data-f="factor">factor <input id="fl-live-factor" value="3" type="number" min="1" step="0.5"></label>' +
      '<label data-f="rate">error rate <input id="fl-live-rate" value="50%"></label>' +
      '<label data-f="every">every <input id="fl-live-every" value="5m"></label>' +
      '<label data-f="restart">restart <input id="fl-live-restart-t" value="30s"></label>' +
      '<label data-f="instances" title="a number of instances, or a share such as 0.5; empty: all">instances <input id="fl-live-instances" placeholder="all"></label>' +
      '<label data-f="link" title="only the calls from this service">from <select id="fl-live-link"><option value="">any caller</option></select></label>' +
      '<button type="button" id="fl-live-inject">inject</button>' +
      '<button type="button" id="fl-live-heal" title="heal the active fault named as its target">heal</button></fieldset>' +
      '<button type="button" id="fl-live-restart">restart</button>' +
      '<span id="fl-live-msg" class="live-msg" role="status"></span>';
    var top = doc.querySelector('header.top');
    top.parentNode.insertBefore(b, top.nextSibling);
    /* one speed control: the replay's windows/s selector belongs to the static report */
    var rs = doc.querySelector('.controls .speed');
    if (rs) rs.hidden = true;
    byId('fl-speed').value = '10';
    showFields();
  }

  function showFields() {
    var kind = byId('fl-live-kind').value, f = FIELDS[kind] || [];
    var labels = doc.querySelectorAll('#fl-live label[data-f]');
    for (var i = 0; i < labels.length; i++) labels[i].hidden = f.indexOf(labels[i].getAttribute('data-f')) < 0;
  }

  function msg(text, ok) {
    var m = byId('fl-live-msg');
    m.textContent = text || '';
    m.className = 'live-msg' + (ok ? ' ok' : '');
  }

  function setState(text, cls) {
    var st = byId('fl-live-state');
    st.textContent = text;
    st.className = 'live-dot' + (cls ? ' ' + cls : '');
    doc.documentElement.setAttribute('data-live-state', text);
  }

  function fillServices(graph) {
    ['fl-live-target', 'fl-live-from', 'fl-live-link'].forEach(function (id) {
      var sel = byId(id), cur = sel.value, keep = id === 'fl-live-link' ? sel.options[0] : null;
      sel.innerHTML = '';
      if (keep) sel.appendChild(keep);
      (graph.services || []).forEach(function (s) {
        var o = doc.createElement('option');
        o.textContent = s.name;
        sel.appendChild(o);
      });
      if (cur) sel.value = cur;
    });
  }

  function showSpeed(s) {
    var sel = byId('fl-live-speed'), v = s.speed === 'max' ? 'max' : String(s.speed);
    var has = false;
    for (var i = 0; i < sel.options.length; i++) if (sel.options[i].value === v) has = true;
    if (!has) {
      var o = doc.createElement('option');
      o.value = v; o.textContent = v + '\u00d7';
      sel.insertBefore(o, sel.options[sel.options.length - 1]);
    }
    sel.value = v;
    doc.documentElement.setAttribute('data-speed', v);
    /* a speed this machine cannot keep: the server runs as fast as it can and says so */
    var pace = byId('fl-live-pace');
    pace.textContent = s.behind ? s.pace : '';
    doc.documentElement.setAttribute('data-behind', s.behind ? '1' : '0');
  }

  /* ---- the run so far ---- */

  var dash = null, gen = -1, done = false, paused = false, polling = null, tableDue = null;

  var fmt = FL.fmtNum;

  /* Locust's statistics table, per journey, from the streamed windows: totals so far, the last
  ** window's rate and latency, and the worst window's p99. */
  function liveJourneys() {
    tableDue = null;
    if (!dash || done) return;
    var ser = dash.report.series, nw = ser.t.length, win = dash.win(), last = nw - 1;
    var jt = byId('fl-journeys');
    jt.innerHTML = '';
    var head = doc.createElement('tr');
    ['journey', 'requests', 'failures', 'failed', 'degraded', 'req/s now', 'failures/s now', 'p50 now', 'p99 now', 'worst p99']
      .forEach(function (h, i) { var th = doc.createElement('th'); th.textContent = h; if (i) th.className = 'num'; head.appendChild(th); });
    jt.appendChild(head);
    var sum = function (a) { var s = 0; for (var i = 0; a && i < a.length; i++) s += a[i]; return s; };
    var max = function (a) { var m = 0; for (var i = 0; a && i < a.length; i++) if (a[i] > m) m = a[i]; return m; };
    var val = function (a) { return a && last >= 0 && last < a.length ? a[last] : 0; };
    Object.keys(ser.journeys).forEach(function (n) {
      var j = ser.journeys[n], req = sum(j.arrivals), fail = sum(j.failures), deg = sum(j.degraded);
      var finished = sum(j.successes) + deg + fail;
      var cells = [n, fmt(req), fmt(fail), finished ? FL.fmtPct(fail / finished) : '-', finished ? FL.fmtPct(deg / finished) : '-',
        fmt(val(j.arrivals) / win), fmt(val(j.failures) / win), FL.fmtLat(val(j.p50)), FL.fmtLat(val(j.p99)), FL.fmtLat(max(j.p99))];
      var tr = doc.createElement('tr');
      tr.className = 'clickable';
      tr.setAttribute('data-journey', n);
      tr.addEventListener('click', function () { dash.select({ kind: 'journey', name: n }); });
      cells.forEach(function (c, i) {
        var td = doc.createElement('td');
        if (i === 0) { var b = doc.createElement('b'); b.textContent = c; td.appendChild(b); } else td.textContent = c;
        if (i) td.className = 'num' + ((i === 2 || i === 3) && fail > 0 ? ' bad' : '');
        tr.appendChild(td);
      });
      jt.appendChild(tr);
    });
    var note = byId('fl-live-jnote');
    if (!note) {
      note = doc.createElement('div');
      note.id = 'fl-live-jnote';
      note.className = 'live-note';
      jt.parentNode.insertBefore(note, jt);
    }
    note.textContent = 'live: totals over ' + FL.fmtT(nw * win) + ' simulated; "now" is the last ' + FL.fmtT(win) + ' window. The whole-run table replaces it when the run ends.';
  }

  /* Expectations evaluated so far, faults and their blast radius, from the report of the run so far. */
  function pollReport() {
    if (!dash || done) return;
    var g = gen;
    fetch('/api/report').then(function (r) { return r.ok ? r.json() : null; }).then(function (rep) {
      if (!rep || g !== gen || done || !dash) return;
      var r = dash.report;
      r.expectations = rep.expectations || [];
      r.cascade = rep.cascade || [];
      r.faults = rep.faults || r.faults;
      r.complete = rep.complete;
      r.schema = rep.schema;
      r.faultline = rep.faultline;
      if (rep.scenario) { rep.scenario.duration = rep.scenario.duration || r.scenario.duration; r.scenario = rep.scenario; }
      dash.renderExpectations();
      dash.renderFaults();
      dash.renderFaultbar();
      dash.render();
      doc.documentElement.setAttribute('data-expectations', String(r.expectations.length));
    }).catch(function () {});
  }

  function onModel(m) {
    if (m.generation === gen) return;
    gen = m.generation;
    done = false;
    /* the page's own dashboard (FL.boot drew the graph the page carries): one per page, so that
    ** the slider, the keys and the diagram's tools drive one */
    if (!dash) { dash = FL.dashboard || new FL.Dashboard(doc); FL.dashboard = dash; }
    dash.setGraph(m.graph, { name: m.name, window: m.window, duration: m.duration });
    fillServices(m.graph);
    byId('fl-name').textContent = m.name;
    doc.documentElement.setAttribute('data-generation', String(gen));
    doc.documentElement.removeAttribute('data-complete');
    liveJourneys();
    pollReport();
  }

  function connect() {
    var es = new EventSource('/api/events');
    var alive = function () { if (es.readyState === 1) setState(done ? 'live: run complete' : 'live', done ? 'done' : ''); };
    es.addEventListener('open', alive);
    /* EventSource's own 'error': the connection dropped (it reconnects by itself) */
    es.addEventListener('error', function () { if (es.readyState !== 1) setState('reconnecting', 'off'); });
    es.addEventListener('model', function (e) { onModel(JSON.parse(e.data)); msg(''); alive(); });
    es.addEventListener('window', function (e) {
      if (!dash) return;
      dash.appendWindow(JSON.parse(e.data));
      doc.documentElement.setAttribute('data-windows', String(dash.nw()));
      if (!tableDue) tableDue = setTimeout(liveJourneys, 250);
      alive();
    });
    es.addEventListener('change', function (e) { if (dash) dash.addChange(JSON.parse(e.data)); });
    es.addEventListener('fault', function (e) {
      if (!dash) return;
      var f = JSON.parse(e.data), list = dash.report.faults, i;
      for (i = 0; i < list.length; i++) if (list[i].name === f.name && list[i].start === f.start) break;
      if (i < list.length) { list[i] = f; dash.renderFaultbar(); dash.render(); } else dash.addFault(f);
    });
    /* the scenario file is broken (the last good model keeps running) or the run stopped on an error */
    es.addEventListener('scenario_error', function (e) {
      if (e.data) msg(JSON.parse(e.data).error + ' (the last good model keeps running)');
      alive();
    });
    es.addEventListener('status', function (e) {
      var s = JSON.parse(e.data);
      paused = !!s.paused;
      byId('fl-live-pause').textContent = paused ? 'resume' : 'pause';
      doc.documentElement.setAttribute('data-paused', paused ? '1' : '0');
      showSpeed(s);
      if (s.error) msg(s.error + ' (the last good model keeps running)');
      alive();
      if (paused) pollReport();
    });
    es.addEventListener('done', function () {
      msg('the run is complete', true);
      /* the whole report: journeys, expectations and blast radius fill in */
      fetch('/api/report').then(function (r) { return r.json(); }).then(function (rep) {
        if (!dash || !rep || !rep.series) return;
        done = true;
        var note = byId('fl-live-jnote');
        if (note) note.parentNode.removeChild(note);
        var sel = dash.sel, view = dash.view;
        dash.load(rep, dash.graph);
        if (view) dash.setView(view);
        if (sel) dash.select(sel);
        dash.seek(dash.nw() - 1);
        alive();
        doc.documentElement.setAttribute('data-complete', '1');
      }).catch(function () {});
    });
  }

  function faultBody() {
    var kind = byId('fl-live-kind').value, f = FIELDS[kind] || [], v = function (id) { return byId(id).value.trim(); };
    var body = { kind: kind, duration: v('fl-live-dur') || undefined }, tgt = v('fl-live-target');
    if (kind === 'partition') { body.from = v('fl-live-from'); body.to = tgt; }
    else if (f.indexOf('link') >= 0 && v('fl-live-link')) { body.from = v('fl-live-link'); body.to = tgt; }
    else body.target = tgt;
    if (f.indexOf('latency') >= 0) body.latency = v('fl-live-latency');
    if (f.indexOf('factor') >= 0 && v('fl-live-factor')) body.factor = +v('fl-live-factor');
    if (f.indexOf('rate') >= 0) body.rate = v('fl-live-rate');
    if (f.indexOf('every') >= 0) body.every = v('fl-live-every');
    if (f.indexOf('restart') >= 0 && v('fl-live-restart-t')) body.restart = v('fl-live-restart-t');
    if (f.indexOf('instances') >= 0 && v('fl-live-instances')) {
      var n = v('fl-live-instances'), pct = /^([0-9.]+)\s*%$/.exec(n);
      body.instances = pct ? +pct[1] / 100 : +n;
    }
    return body;
  }

  function wire() {
    byId('fl-live-kind').addEventListener('change', showFields);
    byId('fl-live-target').addEventListener('change', function () { byId('fl-live-heal').removeAttribute('data-name'); });
    byId('fl-live-pause').addEventListener('click', function () {
      api('POST', paused ? '/api/resume' : '/api/pause').catch(function (e) { msg(e.message); });
    });
    byId('fl-live-speed').addEventListener('change', function (ev) {
      var v = ev.target.value;
      api('POST', '/api/speed', { speed: v === 'max' ? 'max' : +v }).then(showSpeed).catch(function (e) { msg(e.message); });
    });
    byId('fl-live-inject').addEventListener('click', function () {
      var body = faultBody();
      api('POST', '/api/faults', body).then(function (r) {
        msg(r.kind + ' injected into ' + r.target + ' (fault "' + r.name + '")', true);
        byId('fl-live-heal').setAttribute('data-name', r.name);
        pollReport();
      }).catch(function (e) { msg(e.message); });
    });
    byId('fl-live-heal').addEventListener('click', function () {
      var t = byId('fl-live-heal').getAttribute('data-name') || byId('fl-live-target').value;
      api('DELETE', '/api/faults/' + encodeURIComponent(t)).then(function () { msg(t + ' healed', true); pollReport(); })
        .catch(function (e) { msg(e.message); });
    });
    byId('fl-live-restart').addEventListener('click', function () {
      api('POST', '/api/restart').catch(function (e) { msg(e.message); });
    });
    polling = setInterval(function () { if (!paused) pollReport(); }, REPORT_POLL_MS);
  }

  bar();
  wire();
  connect();
})(window);
