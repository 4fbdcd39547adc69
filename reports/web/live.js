/* faultline serve: feeds the dashboard (dashboard.js) from the server's event stream, and adds
** the live controls: pause and resume, speed, inject a fault into a service, heal it, restart. */
(function (global) {
  'use strict';
  var FL = global.FL, doc = global.document;

  function api(method, path, body) {
    return fetch(path, { method: method, headers: { 'Content-Type': 'application/json' },
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
      '<label>speed <select id="fl-live-speed"><option>10</option><option selected>60</option><option>300</option>' +
      '<option>1800</option><option value="max">max</option></select></label>' +
      '<label>fault <select id="fl-live-kind"><option>crash</option><option>hang</option><option>latency</option>' +
      '<option>slowdown</option><option>errors</option></select></label>' +
      '<label>on <select id="fl-live-target"></select></label>' +
      '<label>for <input id="fl-live-dur" value="2m" size="5"></label>' +
      '<button type="button" id="fl-live-inject">inject</button>' +
      '<button type="button" id="fl-live-heal">heal</button>' +
      '<button type="button" id="fl-live-restart">restart</button>' +
      '<span id="fl-live-msg" class="live-msg"></span>';
    var top = doc.querySelector('header.top');
    top.parentNode.insertBefore(b, top.nextSibling);
    var st = doc.createElement('style');
    st.textContent = '.live-bar{display:flex;gap:.8em;align-items:center;flex-wrap:wrap;padding:.4em 1em;' +
      'background:#f1f5f9;border-bottom:1px solid #cbd5e1;font:13px system-ui,sans-serif}.live-dot::before{content:"\u25cf ";' +
      'color:#16a34a}.live-dot.off::before{color:#dc2626}.live-msg{color:#b91c1c}.live-msg.ok{color:#166534}';
    doc.head.appendChild(st);
  }

  function msg(text, ok) {
    var m = doc.getElementById('fl-live-msg');
    m.textContent = text || '';
    m.className = 'live-msg' + (ok ? ' ok' : '');
  }

  function fillTargets(graph) {
    var sel = doc.getElementById('fl-live-target');
    var cur = sel.value;
    sel.innerHTML = '';
    (graph.services || []).forEach(function (s) {
      var o = doc.createElement('option');
      o.textContent = s.name;
      sel.appendChild(o);
    });
    if (cur) sel.value = cur;
  }

  var dash = null, gen = -1;

  function onModel(m) {
    if (m.generation === gen) return;
    gen = m.generation;
    var d = new FL.Dashboard(doc);
    d.follow = true;
    d.setGraph(m.graph);
    FL.dashboard = dash = d;
    fillTargets(m.graph);
    doc.getElementById('fl-name').textContent = m.name;
    doc.documentElement.setAttribute('data-generation', String(gen));
  }

  function connect() {
    var es = new EventSource('/api/events');
    var state = doc.getElementById('fl-live-state');
    es.addEventListener('open', function () { state.textContent = 'live'; state.className = 'live-dot'; });
    es.addEventListener('error', function () { state.textContent = 'reconnecting'; state.className = 'live-dot off'; });
    es.addEventListener('model', function (e) { onModel(JSON.parse(e.data)); msg(''); });
    es.addEventListener('window', function (e) {
      if (!dash) return;
      dash.appendWindow(JSON.parse(e.data));
      doc.documentElement.setAttribute('data-windows', String(dash.nw()));
    });
    es.addEventListener('change', function (e) { if (dash) dash.addChange(JSON.parse(e.data)); });
    es.addEventListener('fault', function (e) {
      if (!dash) return;
      var f = JSON.parse(e.data), list = dash.report.faults, i;
      for (i = 0; i < list.length; i++) if (list[i].name === f.name && list[i].start === f.start) break;
      if (i < list.length) { list[i] = f; dash.renderFaultbar(); dash.render(); } else dash.addFault(f);
    });
    es.addEventListener('error', function (e) {
      if (e.data) msg(JSON.parse(e.data).error + ' (the last good model keeps running)');
    });
    es.addEventListener('status', function (e) {
      var s = JSON.parse(e.data);
      doc.getElementById('fl-live-pause').textContent = s.paused ? 'resume' : 'pause';
      doc.documentElement.setAttribute('data-paused', s.paused ? '1' : '0');
    });
    es.addEventListener('done', function () {
      msg('the run is complete', true);
      /* the whole report: journeys, expectations and blast radius fill in */
      fetch('/api/report').then(function (r) { return r.json(); }).then(function (rep) {
        if (dash && rep && rep.series) { dash.load(rep, dash.graph); doc.documentElement.setAttribute('data-complete', '1'); }
      }).catch(function () {});
    });
  }

  function wire() {
    doc.getElementById('fl-live-pause').addEventListener('click', function (ev) {
      api('POST', ev.target.textContent === 'pause' ? '/api/pause' : '/api/resume').catch(function (e) { msg(e.message); });
    });
    doc.getElementById('fl-live-speed').addEventListener('change', function (ev) {
      var v = ev.target.value;
      api('POST', '/api/speed', { speed: v === 'max' ? 'max' : +v }).catch(function (e) { msg(e.message); });
    });
    doc.getElementById('fl-live-inject').addEventListener('click', function () {
      var kind = doc.getElementById('fl-live-kind').value, body = {
        target: doc.getElementById('fl-live-target').value, kind: kind,
        duration: doc.getElementById('fl-live-dur').value || undefined };
      if (kind === 'latency') body.latency = '300ms';
      if (kind === 'slowdown') body.factor = 3;
      if (kind === 'errors') body.rate = '50%';
      api('POST', '/api/faults', body).then(function (r) { msg(r.kind + ' injected into ' + r.target, true); })
        .catch(function (e) { msg(e.message); });
    });
    doc.getElementById('fl-live-heal').addEventListener('click', function () {
      var t = doc.getElementById('fl-live-target').value;
      api('DELETE', '/api/faults/' + encodeURIComponent(t)).then(function () { msg(t + ' healed', true); })
        .catch(function (e) { msg(e.message); });
    });
    doc.getElementById('fl-live-restart').addEventListener('click', function () {
      api('POST', '/api/restart').catch(function (e) { msg(e.message); });
    });
  }

  bar();
  wire();
  connect();
})(window);
