/* faultline's dashboard: the living architecture diagram, the replay, the per-service charts,
** the cascade timeline and the tables. It renders from two JSON objects: the architecture with
** its layout (`faultline graph --format json`) and the report (`faultline run --json`). The
** static report page loads both at once (FL.boot); a live page calls setGraph() and then
** appendWindow() / addChange() / addFault() as windows arrive (FL.windowOf shows the shape
** of one window). Charts use uPlot when the page carries it, else plain SVG. */
(function (global) {
  'use strict';

  var SVGNS = 'http://www.w3.org/2000/svg';
  var HEALTH = ['ok', 'degraded', 'down'];
  var CAUSES = ['rejected', 'timeout', 'unavailable', 'error', 'breaker_open', 'deadline'];
  var CAUSE_COLORS = { rejected: '#d97706', timeout: '#7c3aed', unavailable: '#dc2626', error: '#0f766e',
    breaker_open: '#2563eb', deadline: '#db2777' };
  var PALETTE = ['#2563eb', '#d97706', '#16a34a', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#475569'];

  /* ---- small helpers ---- */

  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    setAttrs(e, attrs);
    addKids(e, kids);
    return e;
  }
  function sv(tag, attrs, kids) {
    var e = document.createElementNS(SVGNS, tag);
    setAttrs(e, attrs);
    addKids(e, kids);
    return e;
  }
  function setAttrs(e, attrs) {
    if (!attrs) return;
    for (var k in attrs) {
      if (!Object.prototype.hasOwnProperty.call(attrs, k) || attrs[k] == null) continue;
      if (k === 'text') e.textContent = attrs[k];
      else if (k === 'cls') e.setAttribute('class', attrs[k]);
      else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k]);
    }
  }
  function addKids(e, kids) {
    if (kids == null) return;
    if (!Array.isArray(kids)) kids = [kids];
    kids.forEach(function (k) {
      if (k == null || k === false) return;
      e.appendChild(typeof k === 'string' || typeof k === 'number' ? document.createTextNode(String(k)) : k);
    });
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }
  function byId(id) { return document.getElementById(id); }

  function pad2(n) { return (n < 10 ? '0' : '') + n; }
  /* seconds as 45s, 4m05s, 1h02m */
  function fmtT(s) {
    if (s == null || isNaN(s)) return '';
    var neg = s < 0; s = Math.abs(s);
    var out;
    if (s < 60) out = (Math.round(s * 10) / 10) + 's';
    else if (s < 3600) { var m = Math.floor(s / 60); out = m + 'm' + pad2(Math.round(s - 60 * m)) + 's'; }
    else { var h = Math.floor(s / 3600); out = h + 'h' + pad2(Math.floor((s - 3600 * h) / 60)) + 'm'; }
    return (neg ? '-' : '') + out;
  }
  function fmtNum(v) {
    if (v == null || isNaN(v)) return '-';
    var a = Math.abs(v);
    if (a >= 1e6) return (v / 1e6).toFixed(a >= 1e7 ? 0 : 1) + 'M';
    if (a >= 1e4) return (v / 1e3).toFixed(0) + 'k';
    if (a >= 1e3) return (v / 1e3).toFixed(1) + 'k';
    if (a >= 100 || a === 0) return v.toFixed(0);
    if (a >= 10) return v.toFixed(1);
    return v.toFixed(2);
  }
  function fmtRate(v) { return fmtNum(v) + '/s'; }
  /* seconds as a latency: 850us, 12ms, 1.2s */
  function fmtLat(s) {
    if (s == null || isNaN(s)) return '-';
    if (s === 0) return '0';
    if (s < 1e-3) return (s * 1e6).toFixed(0) + 'us';
    if (s < 1) return (s * 1e3).toFixed(s < 0.01 ? 1 : 0) + 'ms';
    return s.toFixed(s < 10 ? 2 : s < 100 ? 1 : 0) + 's';
  }
  /* A latency series with null where the window answered nothing (an outage: a gap, not 0 s). */
  function latency(s, key) {
    return (s[key] || []).map(function (v, i) { return at(s.successes, i) + at(s.degraded, i) > 0 ? v : null; });
  }
  function fmtPct(r, digits) { return r == null || isNaN(r) ? '-' : (100 * r).toFixed(digits == null ? 2 : digits) + '%'; }
  function mix(a, b, t) {
    var pa = [parseInt(a.slice(1, 3), 16), parseInt(a.slice(3, 5), 16), parseInt(a.slice(5, 7), 16)];
    var pb = [parseInt(b.slice(1, 3), 16), parseInt(b.slice(3, 5), 16), parseInt(b.slice(5, 7), 16)];
    return 'rgb(' + pa.map(function (x, i) { return Math.round(x + (pb[i] - x) * t); }).join(',') + ')';
  }
  /* edge colour by the share of calls failing: grey, amber at 5%, red from 50% */
  function failColor(r) {
    if (!(r > 0)) return '#8a99ad';
    if (r < 0.05) return mix('#8a99ad', '#f0a202', r / 0.05);
    return mix('#f0a202', '#d62828', Math.min(1, (r - 0.05) / 0.45));
  }
  function at(a, w) { return a && w < a.length ? a[w] : 0; }

  /* ---- charts: uPlot when present, else plain SVG ---- */

  /* spec: {title, x: [], series: [{label, color, data, dash}], fmt, faults: [{start, end, own}],
  ** onSeek(t)}. Returns {setCursor(t), setData(x, datas), resize(width), root}. */
  function makeChart(parent, spec, width) {
    var box = el('div', { cls: 'chart' });
    parent.appendChild(box);
    var c = global.uPlot ? uplotChart(box, spec, width) : svgChart(box, spec, width);
    c.nseries = spec.series.length;
    return c;
  }

  function shade(ctx, x0, x1, top, h, own) {
    ctx.fillStyle = own ? 'rgba(229, 72, 77, 0.16)' : 'rgba(229, 72, 77, 0.07)';
    ctx.fillRect(x0, top, Math.max(1, x1 - x0), h);
  }

  function uplotChart(box, spec, width) {
    var cursorT = null;
    var opts = {
      width: width, height: 128, title: spec.title,
      scales: { x: { time: false }, y: { range: function (u, lo, hi) { return [0, hi > 0 ? hi * 1.08 : 1]; } } },
      series: [{ label: 't', value: function (u, v) { return v == null ? '' : fmtT(v); } }].concat(spec.series.map(function (s) {
        return { label: s.label, stroke: s.color, width: 1.5, dash: s.dash, points: { show: false },
          value: function (u, v) { return v == null ? '-' : spec.fmt(v); } };
      })),
      axes: [
        { values: function (u, vals) { return vals.map(fmtT); }, stroke: '#66758a', grid: { stroke: '#eef2f6' }, ticks: { stroke: '#d9e0e8' }, size: 28 },
        { values: function (u, vals) { return vals.map(spec.fmt); }, stroke: '#66758a', grid: { stroke: '#eef2f6' }, ticks: { stroke: '#d9e0e8' }, size: 54 }
      ],
      cursor: { drag: { x: false, y: false, setScale: false }, points: { size: 5 } },
      legend: { live: true },
      hooks: {
        drawClear: [function (u) {
          var ctx = u.ctx, top = u.bbox.top, h = u.bbox.height;
          (spec.faults || []).forEach(function (f) {
            var x0 = u.valToPos(f.start, 'x', true);
            var x1 = u.valToPos(f.end == null ? u.scales.x.max : f.end, 'x', true);
            shade(ctx, x0, x1, top, h, f.own);
          });
        }],
        draw: [function (u) {
          if (cursorT == null) return;
          var x = u.valToPos(cursorT, 'x', true), ctx = u.ctx;
          ctx.save();
          ctx.strokeStyle = '#1d2733'; ctx.lineWidth = 1.5 * (global.devicePixelRatio || 1);
          ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke();
          ctx.restore();
        }],
        ready: [function (u) {
          u.over.addEventListener('click', function (e) {
            if (spec.onSeek) spec.onSeek(u.posToVal(e.offsetX, 'x'));
          });
        }]
      }
    };
    var data = [spec.x].concat(spec.series.map(function (s) { return s.data; }));
    var u = new global.uPlot(opts, data, box);
    return {
      root: box,
      setCursor: function (t) { cursorT = t; u.redraw(false, false); },
      setData: function (x, datas) { u.setData([x].concat(datas)); },
      data: function () { return u.data.slice(1); },
      resize: function (w) { u.setSize({ width: w, height: 128 }); },
      destroy: function () { u.destroy(); }
    };
  }

  function svgChart(box, spec, width) {
    var H = 128, L = 54, R = 8, T = 6, B = 20;
    var x = spec.x, datas = spec.series.map(function (s) { return s.data; }), cursorT = null, W = width;
    var svg = sv('svg', { cls: 'svgchart', width: W, height: H + 18 });
    box.appendChild(el('div', { cls: 'ctitle', text: spec.title }));
    box.appendChild(svg);
    function draw() {
      clear(svg);
      svg.setAttribute('width', W);
      var n = x.length, x0 = n ? x[0] : 0, x1 = n ? x[n - 1] : 1, ymax = 0;
      if (x1 <= x0) x1 = x0 + 1;
      datas.forEach(function (d) { for (var i = 0; i < d.length; i++) if (d[i] > ymax) ymax = d[i]; });
      ymax = ymax > 0 ? ymax * 1.08 : 1;
      var px = function (v) { return L + (v - x0) / (x1 - x0) * (W - L - R); };
      var py = function (v) { return T + (1 - v / ymax) * (H - T - B); };
      (spec.faults || []).forEach(function (f) {
        var a = px(Math.max(x0, f.start)), b = px(Math.min(x1, f.end == null ? x1 : f.end));
        svg.appendChild(sv('rect', { x: a, y: T, width: Math.max(1, b - a), height: H - T - B, fill: f.own ? 'rgba(229,72,77,.16)' : 'rgba(229,72,77,.07)' }));
      });
      svg.appendChild(sv('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: '#d9e0e8' }));
      [0, 0.5, 1].forEach(function (f) {
        svg.appendChild(sv('text', { x: L - 4, y: py(ymax * f / 1.08) + 3, 'text-anchor': 'end', text: spec.fmt(ymax * f / 1.08) }));
        svg.appendChild(sv('text', { x: px(x0 + (x1 - x0) * f), y: H - 6, 'text-anchor': f === 0 ? 'start' : f === 1 ? 'end' : 'middle', text: fmtT(x0 + (x1 - x0) * f) }));
      });
      datas.forEach(function (d, k) {
        /* a null (no data: nothing answered in the window) breaks the line: a gap, not a zero */
        var runs = [[]];
        for (var i = 0; i < d.length && i < n; i++) {
          if (d[i] != null) runs[runs.length - 1].push(px(x[i]).toFixed(1) + ',' + py(d[i]).toFixed(1));
          else if (runs[runs.length - 1].length) runs.push([]);
        }
        runs.forEach(function (pts) {
          if (!pts.length) return;
          svg.appendChild(sv('polyline', { points: pts.join(' '), fill: 'none', stroke: spec.series[k].color, 'stroke-width': 1.5,
            'stroke-dasharray': spec.series[k].dash ? spec.series[k].dash.join(' ') : null }));
        });
      });
      var lx = L;
      spec.series.forEach(function (s) {
        svg.appendChild(sv('rect', { x: lx, y: H + 6, width: 10, height: 3, fill: s.color }));
        var t = sv('text', { cls: 'leg', x: lx + 14, y: H + 11, text: s.label });
        svg.appendChild(t);
        lx += 24 + 6.2 * s.label.length;
      });
      if (cursorT != null) svg.appendChild(sv('line', { x1: px(cursorT), x2: px(cursorT), y1: T, y2: H - B, stroke: '#1d2733', 'stroke-width': 1.5 }));
      svg.onclick = function (e) {
        var r = svg.getBoundingClientRect();
        if (spec.onSeek) spec.onSeek(x0 + (e.clientX - r.left - L) / (W - L - R) * (x1 - x0));
      };
    }
    draw();
    return {
      root: box,
      setCursor: function (t) { cursorT = t; draw(); },
      setData: function (nx, nd) { x = nx; datas = nd; draw(); },
      data: function () { return datas; },
      resize: function (w) { W = w; draw(); },
      destroy: function () {}
    };
  }

  /* ---- the dashboard ---- */

  function Dashboard(doc) {
    this.doc = doc || document;
    this.graph = null;
    this.report = null;
    this.w = 0;
    this.sel = null;            /* {kind: 'service'|'journey', name} */
    this.playing = null;
    this.follow = true;         /* live: keep the slider on the newest window */
    this.charts = [];
    this.svc = {};              /* name -> node parts */
    this.jrn = {};
    this.edgeEls = [];
    this.entryEls = [];
    var self = this;
    byId('fl-slider').addEventListener('input', function () { self.stop(); self.seek(+this.value); });
    byId('fl-play').addEventListener('click', function () { self.toggle(); });
    byId('fl-clear').addEventListener('click', function () { self.select(null); });
    byId('fl-diagram').addEventListener('click', function (e) { if (e.target === this) self.select(null); });
    this.doc.addEventListener('keydown', function (e) {
      if (e.target && (e.target.tagName === 'SELECT' || e.target.tagName === 'INPUT' && e.target.type !== 'range')) return;
      if (e.key === ' ') { e.preventDefault(); self.toggle(); }
      else if (e.key === 'ArrowRight' && e.target.type !== 'range') { self.stop(); self.seek(self.w + 1); }
      else if (e.key === 'ArrowLeft' && e.target.type !== 'range') { self.stop(); self.seek(self.w - 1); }
      else if (e.key === 'Escape') self.select(null);
      else if (!self.view || e.ctrlKey || e.metaKey || e.altKey) return;
      else if (e.key === '+' || e.key === '=') self.zoomBy(1.4);
      else if (e.key === '-') self.zoomBy(1 / 1.4);
      else if (e.key === '0') self.fit();
      else if (e.key === 'f') self.jumpToFault();
    });
    var rt;
    global.addEventListener('resize', function () {
      clearTimeout(rt);
      rt = setTimeout(function () {
        self.resizeCharts();
        if (self.view) { self.sizeDiagram(); self.setView(self.view); }
      }, 120);
    });
  }

  Dashboard.prototype.nw = function () { return this.report ? this.report.series.t.length : 0; };
  Dashboard.prototype.win = function () { return this.report ? this.report.series.window || 1 : 1; };
  /* Seconds entry i spans: the window, or a consolidated entry's width (series.width). */
  Dashboard.prototype.wAt = function (i) {
    var wd = this.report && this.report.series.width;
    return wd && wd[i] > 0 ? wd[i] : this.win();
  };
  /* The entry holding time t. */
  Dashboard.prototype.indexAt = function (t) {
    var x = this.report ? this.report.series.t : [], lo = 0, hi = x.length - 1;
    if (!this.report.series.width) return Math.floor(t / this.win() + 1e-9);
    while (lo < hi) { var mid = (lo + hi + 1) >> 1; if (x[mid] <= t + 1e-9) lo = mid; else hi = mid - 1; }
    return Math.max(lo, 0);
  };

  /* Everything at once: the static report. */
  Dashboard.prototype.load = function (report, graph) {
    this.report = normalise(report, graph);
    this.setGraph(graph);
    this.renderTables();
    var nw = this.nw();
    var sp = byId('fl-speed');
    var want = Math.max(2, nw / 30);
    for (var i = 0; i < sp.options.length; i++) if (+sp.options[i].value <= want) sp.selectedIndex = i;
    var start = 0, faults = this.report.faults || [];
    if (faults.length) start = this.indexAt(faults[0].start);
    this.sel = null; this.chain = null;   /* select(null) without its render: seek() draws */
    this.applySelection();
    this.renderSide();
    this.seek(Math.min(start, nw - 1));
  };

  /* The architecture (services, journeys, edges, layout): draws the diagram. With 'scenario'
  ** ({name, window, duration}: a live model's), starts over from an empty run of that model. */
  Dashboard.prototype.setGraph = function (graph, scenario) {
    this.graph = graph;
    this.reach = buildReach(graph);
    if (scenario) {
      this.stop();
      this.report = normalise(null, graph, scenario);
      this.w = 0; this.sel = null; this.chain = null; this.chartDefs = null; this.follow = true;
      this.maxRate = this.maxCalls = this.maxJrn = 0;
    } else if (!this.report) this.report = normalise(null, graph);
    this.drawDiagram();
    if (scenario) { this.applySelection(); this.renderTables(); this.renderSide(); }
    this.render();
  };

  /* ---- live feeding: one window at a time ---- */

  /* win: {t, services: {name: {arrivals, successes, degraded, failures, p50, p99, busy_workers,
  ** queue, instances, health, utilization, failures_by_cause: {cause: n}}}, journeys: {...},
  ** edges: [{from, to, calls, failures}]} */
  Dashboard.prototype.appendWindow = function (win) {
    var ser = this.report.series, atEnd = this.w >= this.nw() - 1;
    ser.t.push(win.t);
    var push = function (dst, src) {
      Object.keys(src || {}).forEach(function (name) {
        var d = dst[name] || (dst[name] = { failures_by_cause: {} }), s = src[name];
        var len = ser.t.length - 1;
        Object.keys(s).forEach(function (k) {
          if (k === 'failures_by_cause') {
            Object.keys(s[k]).forEach(function (c) { var a = d.failures_by_cause[c] || (d.failures_by_cause[c] = zeros(len)); a.push(s[k][c]); });
          } else { var a = d[k] || (d[k] = zeros(len)); a.push(s[k]); }
        });
      });
    };
    push(ser.services, win.services);
    push(ser.journeys, win.journeys);
    var idx = {};
    ser.edges.forEach(function (e, i) { idx[e.from + '\u2192' + e.to] = i; });
    (win.edges || []).forEach(function (e) {
      var k = e.from + '\u2192' + e.to, i = idx[k];
      if (i == null) { ser.edges.push({ from: e.from, to: e.to, calls: zeros(ser.t.length - 1), failures: zeros(ser.t.length - 1) }); i = ser.edges.length - 1; }
      ser.edges[i].calls.push(e.calls); ser.edges[i].failures.push(e.failures);
    });
    this.updateMax(ser.t.length - 1);
    var nw = this.nw();
    byId('fl-slider').max = Math.max(0, nw - 1);
    if (this.follow && atEnd && !this.playing) this.seek(nw - 1);
    else this.render();
    this.refreshCharts();
  };
  /* A streamed change joins the list at its end (the stream sends them in the report's order), so
  ** that a live run flapping for thousands of changes does not rebuild the list at each one. */
  Dashboard.prototype.addChange = function (c) {
    var tl = this.report.timeline;
    tl.push(c);
    if (tl.length === 1 || !this.tlLast) { this.prepTimeline(); this.renderTimeline(); }
    else {
      this.depthOf(c);
      if (c.folded == null) byId('fl-timeline').appendChild(this.timelineItem(c));
    }
    this.render();
  };
  Dashboard.prototype.addFault = function (f) { this.report.faults.push(f); this.renderFaultbar(); this.render(); this.refreshCharts(); };

  function zeros(n) { var a = new Array(n); for (var i = 0; i < n; i++) a[i] = 0; return a; }

  /* Fills what an older or partial report lacks, and indexes it. */
  /* 'scenario' ({name, window, duration}: the live model's) stands in for a report not yet there. */
  function normalise(report, graph, scenario) {
    var sc = scenario || { name: graph && graph.name || '', window: 1 };
    var r = report || { scenario: { name: sc.name, window: sc.window || 1, duration: sc.duration }, complete: scenario ? false : undefined,
      services: {}, journeys: {}, faults: [], timeline: [], cascade: [], expectations: [] };
    r.series = r.series || { window: r.scenario.window || 1, t: [], services: {}, journeys: {}, edges: [] };
    r.series.edges = r.series.edges || [];
    expandSeries(r.series);
    r.faults = r.faults || []; r.timeline = r.timeline || []; r.cascade = r.cascade || []; r.expectations = r.expectations || [];
    return r;
  }

  /* A large run's page holds its series compacted (reports/decimate.c): a series of one value is
  ** that number. Back to arrays, one value per (bucket of) window(s). */
  function expandSeries(ser) {
    var n = ser.t.length;
    var fix = function (o) {
      Object.keys(o).forEach(function (k) {
        if (typeof o[k] === 'number' && k !== 'window') { var a = new Array(n); for (var i = 0; i < n; i++) a[i] = o[k]; o[k] = a; }
        else if (o[k] && typeof o[k] === 'object' && !Array.isArray(o[k])) fix(o[k]);
      });
    };
    Object.keys(ser.services).forEach(function (k) { fix(ser.services[k]); });
    Object.keys(ser.journeys).forEach(function (k) { fix(ser.journeys[k]); });
    ser.edges.forEach(fix);
  }

  /* Endpoint-level reachability: who depends on whom, transitively. */
  function buildReach(graph) {
    var calls = {}, epSvc = {}, svcEps = {};
    (graph.services || []).forEach(function (s) {
      svcEps[s.name] = [];
      (s.endpoints || []).forEach(function (e) {
        var full = s.name + '.' + e.name;
        calls[full] = e.calls || [];
        epSvc[full] = s.name;
        svcEps[s.name].push(full);
      });
    });
    var memo = {};
    function reach(ep) {               /* endpoints reachable from ep, ep excluded unless in a cycle */
      if (memo[ep]) return memo[ep];
      var seen = {}, stack = (calls[ep] || []).slice();
      while (stack.length) {
        var x = stack.pop();
        if (seen[x]) continue;
        seen[x] = true;
        (calls[x] || []).forEach(function (y) { if (!seen[y]) stack.push(y); });
      }
      return (memo[ep] = seen);
    }
    function reachesService(ep, svc) {
      if (epSvc[ep] === svc) return true;
      var r = reach(ep);
      return (svcEps[svc] || []).some(function (e) { return r[e]; });
    }
    return {
      /* services and journeys that depend on svc, and the services it depends on */
      chain: function (svc) {
        var up = {}, down = {}, jr = {};
        Object.keys(calls).forEach(function (ep) {
          if (epSvc[ep] !== svc && reachesService(ep, svc)) up[epSvc[ep]] = true;
        });
        (graph.journeys || []).forEach(function (j) { if (reachesService(j.entry, svc)) jr[j.name] = true; });
        (svcEps[svc] || []).forEach(function (ep) {
          var r = reach(ep);
          Object.keys(r).forEach(function (e) { if (epSvc[e] !== svc) down[epSvc[e]] = true; });
        });
        return { up: up, down: down, journeys: jr };
      },
      /* the services a journey reaches */
      journey: function (j) {
        var down = {};
        down[epSvc[j.entry]] = true;
        Object.keys(reach(j.entry)).forEach(function (e) { down[epSvc[e]] = true; });
        return down;
      }
    };
  }

  Dashboard.prototype.drawDiagram = function () {
    var self = this, g = this.graph, lay = g.layout || { width: 600, height: 300 };
    var svg = byId('fl-diagram');
    clear(svg);
    /* the names' font, read while the diagram is empty: reading it later restyles 1,000 nodes */
    var font = global.getComputedStyle ? global.getComputedStyle(svg).fontFamily : '';
    this.initViewport(svg, lay);
    var gEdges = sv('g', { cls: 'edges' }), gLabels = sv('g', { cls: 'elabels' }), gNodes = sv('g', { cls: 'nodes' });
    var gGroups = sv('g', { cls: 'groups' }), gAgg = sv('g', { cls: 'agg-edges' });
    svg.appendChild(gGroups); svg.appendChild(gEdges); svg.appendChild(gAgg); svg.appendChild(gNodes); svg.appendChild(gLabels);   /* labels on top: short edges run under halos */
    this.svc = {}; this.jrn = {}; this.edgeEls = []; this.entryEls = []; this.grp = {}; this.gAgg = gAgg; this.aggEls = []; this.hiddenIn = {};
    this.layout = lay; this.relaidOut = false;
    function edge(cls, e, title) {
      var path = sv('path', { cls: cls, d: pathD(e.path) });
      var arrow = sv('path', { cls: 'arrow' });
      var hit = sv('path', { cls: 'edge-hit', d: pathD(e.path) }, sv('title', { text: title }));
      gEdges.appendChild(path); gEdges.appendChild(arrow); gEdges.appendChild(hit);
      return { path: path, arrow: arrow, hit: hit, title: hit.firstChild, a: e.arrow, mid: pathMid(e.path), p0: e.path, a0: e.arrow };
    }
    /* an edge's label (rate, share failing) sits on its path's middle, readable without hovering */
    function label(x) {
      var m = x.mid, len = m.len, p = m;
      if (!(len > 0)) return null;
      var t = sv('text', { cls: 'elabel', x: p.x.toFixed(1), y: (p.y - 3).toFixed(1) });
      t.room = len - 12;    /* the path's free length: a longer label would cover the boxes */
      gLabels.appendChild(t);
      return t;
    }
    (g.entries || []).forEach(function (e) {
      self.entryEls.push({ journey: e.journey, to: e.to, el: edge('edge entry', e, e.journey) });
    });
    /* a link fault's badge: on the edge's middle, above its label; made when a fault first
    ** hits the link (1,000 edges: 4,000 fewer elements to style and lay out) */
    this.edgeBadge = function (x, e) {
      var p = x.mid;
      if (!(p.len > 0)) return null;
      var t = sv('text', { x: 0, y: 3 }), r = sv('rect', { x: -22, y: -7, width: 44, height: 13, rx: 3 });
      var b = sv('g', { cls: 'ebadge', 'data-from': e.from, 'data-to': e.to, transform: 'translate(' + p.x.toFixed(1) + ',' + (p.y - 17).toFixed(1) + ')' }, [r, t, sv('title')]);
      if (x.path.style.display === 'none') b.style.display = 'none';
      gLabels.appendChild(b);
      return { g: b, text: t, rect: r, tip: b.lastChild };
    };
    (g.edges || []).forEach(function (e) {
      var x = edge('edge' + (e.optional ? ' optional' : ''), e, e.from + ' \u2192 ' + e.to);
      x.label = label(x);
      x.badge = null;
      self.edgeEls.push({ from: e.from, to: e.to, el: x, calls: e.calls || [] });
    });
    (g.services || []).forEach(function (s) {
      if (s.x == null) return;
      var w = s.w, h = s.h;
      var halo = sv('rect', { cls: 'halo', x: -4, y: -4, width: w + 8, height: h + 8, rx: 12 });
      var box = sv('rect', { cls: 'box', width: w, height: h, rx: 8 });
      var name = sv('text', { cls: 'name', x: w / 2, y: h / 2 - 3, text: s.name });
      var stat = sv('text', { cls: 'stat', x: w / 2, y: h / 2 + 12 });
      var badgeText = sv('text', { x: 0, y: 3 });
      var badgeRect = sv('rect', { x: -22, y: -7, width: 44, height: 13, rx: 3 });
      var badge = sv('g', { cls: 'badge', transform: 'translate(' + (w - 22) + ',-2)' }, [badgeRect, badgeText]);
      var tip = sv('title');
      var node = sv('g', { cls: 'node ok', 'data-name': s.name, transform: 'translate(' + (s.x - w / 2) + ',' + (s.y - h / 2) + ')' },
        [halo, box, name, stat, badge, tip]);
      node.addEventListener('click', function (ev) { ev.stopPropagation(); self.select({ kind: 'service', name: s.name }); });
      gNodes.appendChild(node);
      self.svc[s.name] = { g: node, halo: halo, name: name, stat: stat, badge: badgeText, badgeRect: badgeRect, tip: tip, w: w, h: h, def: s, at: { x: s.x, y: s.y } };
    });
    (g.journeys || []).forEach(function (j) {
      if (j.x == null) return;
      var w = j.w, h = j.h;
      var box = sv('rect', { cls: 'box', width: w, height: h, rx: h / 2 });
      var name = sv('text', { cls: 'name', x: w / 2, y: h / 2 - 1, text: j.name });
      var stat = sv('text', { cls: 'stat', x: w / 2, y: h / 2 + 10 });
      var tip = sv('title');
      var node = sv('g', { cls: 'journey ok', 'data-name': j.name, transform: 'translate(' + (j.x - w / 2) + ',' + (j.y - h / 2) + ')' },
        [box, name, stat, tip]);
      node.addEventListener('click', function (ev) { ev.stopPropagation(); self.select({ kind: 'journey', name: j.name }); });
      gNodes.appendChild(node);
      self.jrn[j.name] = { g: node, name: name, stat: stat, tip: tip, w: w, h: h, def: j, at: { x: j.x, y: j.y } };
    });
    /* groups: a box around their services; collapsed, one node (worst health of its members) */
    (g.groups || []).forEach(function (gr) {
      var x0 = gr.x - gr.w / 2, y0 = gr.y - gr.h / 2;
      var title = sv('text', { cls: 'gname', x: x0 + 10, y: y0 + 16, text: '\u25be ' + gr.name }, sv('title', { text: 'collapse ' + gr.name }));
      title.addEventListener('click', function (ev) { ev.stopPropagation(); self.toggleGroup(gr.name, true); });
      var box = sv('g', { cls: 'group', 'data-name': gr.name }, [sv('rect', { cls: 'gbox', x: x0, y: y0, width: gr.w, height: gr.h, rx: 10 }), title]);
      gGroups.appendChild(box);
      var w = Math.max(130, Math.round(7.6 * gr.name.length + 44)), h = 46;
      var name = sv('text', { cls: 'name', x: w / 2, y: h / 2 - 3, text: '\u25b8 ' + gr.name });
      var stat = sv('text', { cls: 'stat', x: w / 2, y: h / 2 + 12 });
      var badgeText = sv('text', { x: 0, y: 3 }), badgeRect = sv('rect', { x: -22, y: -7, width: 44, height: 13, rx: 3 });
      var tip = sv('title');
      /* collapsed, at its box's top-left corner: relayout() moves the rest into the room freed */
      var node = sv('g', { cls: 'gnode ok', 'data-name': gr.name, transform: 'translate(' + x0 + ',' + y0 + ')', style: 'display:none' },
        [sv('rect', { cls: 'box', width: w, height: h, rx: 8 }), sv('rect', { cls: 'box2', x: 4, y: 4, width: w - 8, height: h - 8, rx: 6 }), name, stat,
          sv('g', { cls: 'badge', transform: 'translate(' + (w - 22) + ',-2)' }, [badgeRect, badgeText]), tip]);
      node.addEventListener('click', function (ev) { ev.stopPropagation(); self.toggleGroup(gr.name, false); });
      gNodes.appendChild(node);
      self.grp[gr.name] = { def: gr, box: box, node: node, stat: stat, badge: badgeText, badgeRect: badgeRect, tip: tip, w: w, h: h, members: [], collapsed: false,
        at: { x: x0 + w / 2, y: y0 + h / 2 } };
    });
    (g.services || []).forEach(function (s) { if (s.group && self.grp[s.group]) self.grp[s.group].members.push(s.name); });
    var tools = byId('fl-groups');
    if (tools) tools.hidden = !Object.keys(this.grp).length;
    fitTexts(this.svc, 13, 10, '600', font); fitTexts(this.jrn, 11.5, 8, 'normal', font);
    this.applyGroups();
    this.updateMax();
    this.applySelection();
    this.fit();
  };

  /* SVG path data of cubic Bezier points (x0,y0, then 3 points a segment). */
  function pathD(p) {
    if (!p || p.length < 4) return '';
    var d = 'M' + p[0] + ',' + p[1];
    for (var i = 2; i + 5 < p.length; i += 6) d += ' C' + p.slice(i, i + 6).join(',');
    return d;
  }

  /* The length of a path of cubic Bezier points (x0,y0, then 3 points a segment) and the point
  ** half way along it, from 8 steps a segment: no layout (the browser's getTotalLength() forces
  ** one per edge, seconds at 1,000 edges). */
  function pathMid(p) {
    var pts = [];
    if (!p || p.length < 8) return { len: 0, x: 0, y: 0 };
    pts.push([p[0], p[1]]);
    for (var i = 2; i + 5 < p.length; i += 6) {
      var x0 = p[i - 2], y0 = p[i - 1];
      for (var k = 1; k <= 8; k++) {
        var t = k / 8, u = 1 - t;
        pts.push([u * u * u * x0 + 3 * u * u * t * p[i] + 3 * u * t * t * p[i + 2] + t * t * t * p[i + 4],
          u * u * u * y0 + 3 * u * u * t * p[i + 1] + 3 * u * t * t * p[i + 3] + t * t * t * p[i + 5]]);
      }
    }
    var seg = [], len = 0;
    for (var j = 1; j < pts.length; j++) { var d = Math.hypot(pts[j][0] - pts[j - 1][0], pts[j][1] - pts[j - 1][1]); seg.push(d); len += d; }
    var half = len / 2, acc = 0;
    for (j = 0; j < seg.length; j++) {
      if (acc + seg[j] >= half) {
        var f = seg[j] > 0 ? (half - acc) / seg[j] : 0;
        return { len: len, x: pts[j][0] + f * (pts[j + 1][0] - pts[j][0]), y: pts[j][1] + f * (pts[j + 1][1] - pts[j][1]) };
      }
      acc += seg[j];
    }
    return { len: len, x: pts[0][0], y: pts[0][1] };
  }

  /* Names that overflow their boxes get a smaller font, then an ellipsis (the tooltip keeps the
  ** whole name). All measured first, then all changed: one layout pass. */
  var measure = null;
  function fitTexts(nodes, size, pad, weight, family) {
    var names = Object.keys(nodes);
    /* measured on a canvas in the names' font: no style or layout of the diagram (1,000 names: ~1 s) */
    if (measure == null) { var cv = document.createElement('canvas'); measure = (cv.getContext && cv.getContext('2d')) || false; }
    var ctx = family && measure ? measure : null;
    if (ctx) ctx.font = weight + ' ' + size + 'px ' + family;
    var lens = names.map(function (n) {
      var t = nodes[n].name;
      if (ctx) return ctx.measureText(t.textContent).width;
      return t && t.getComputedTextLength ? t.getComputedTextLength() : 0;
    });
    names.forEach(function (n, i) {
      var node = nodes[n], room = node.w - 2 * pad, len = lens[i];
      node.statRoom = node.w - 8;
      if (!(len > room)) return;
      var fs = Math.max(9, size * room / len);
      node.name.style.fontSize = fs + 'px';
      var scaled = len * fs / size;
      if (scaled > room) {
        var keep = Math.max(3, Math.floor(n.length * room / scaled) - 1);
        node.name.textContent = n.slice(0, keep) + '\u2026';
      }
    });
  }

  /* ---- the diagram's viewport: zoom, pan, fit, jump to the faulted node ---- */

  var MARGIN = 26;    /* room around the layout for halos (up to 15) and badges (9 above a box) */

  Dashboard.prototype.initViewport = function (svg, lay) {
    var self = this, wrap = svg.parentNode;
    this.bounds = { x: -MARGIN, y: -MARGIN, w: lay.width + 2 * MARGIN, h: lay.height + 2 * MARGIN };
    this.sizeDiagram();
    if (this.viewportWired) return;
    this.viewportWired = true;
    var tools = el('div', { cls: 'diagram-tools' }, [
      el('button', { type: 'button', id: 'fl-zoom-in', title: 'zoom in (+)', text: '+', onclick: function () { self.zoomBy(1.4); } }),
      el('button', { type: 'button', id: 'fl-zoom-out', title: 'zoom out (\u2212)', text: '\u2212', onclick: function () { self.zoomBy(1 / 1.4); } }),
      el('button', { type: 'button', id: 'fl-fit', title: 'fit the whole diagram (0)', text: 'fit', onclick: function () { self.fit(); } }),
      el('button', { type: 'button', id: 'fl-jump', title: 'jump to the faulted node (f)', text: 'jump to fault', onclick: function () { self.jumpToFault(); } }),
      el('button', { type: 'button', id: 'fl-groups', title: 'collapse every group to one node, or expand them all', text: 'collapse groups', hidden: true,
        onclick: function () { var any = Object.keys(self.grp).some(function (k) { return !self.grp[k].collapsed; }); self.collapseAll(any); } }),
      el('input', { type: 'search', id: 'fl-search', placeholder: 'find a service', title: 'find a service by name (Enter: the next match)', 'aria-label': 'find a service',
        oninput: function () { self.search(this.value); },
        onkeydown: function (e) { if (e.key === 'Enter') { e.preventDefault(); self.search(this.value, true); } } }),
      el('span', { id: 'fl-search-n', cls: 'search-n' })
    ]);
    /* in the replay's control row, so that it never hides a node */
    var row = this.doc.querySelector('.diagram-panel .controls');
    if (row) row.insertBefore(tools, row.querySelector('.speed')); else wrap.appendChild(tools);
    svg.addEventListener('wheel', function (e) {
      e.preventDefault();
      var p = self.toLayout(e.clientX, e.clientY);
      self.zoomBy(Math.exp(-Math.max(-300, Math.min(300, e.deltaY)) * 0.0025), p.x, p.y);
    }, { passive: false });
    /* drag to pan; a drag is not a click */
    var drag = null;
    svg.addEventListener('pointerdown', function (e) {
      if (e.button !== 0) return;
      drag = { x: e.clientX, y: e.clientY, v: { x: self.view.x, y: self.view.y }, moved: false, id: e.pointerId };
    });
    svg.addEventListener('pointermove', function (e) {
      if (!drag) return;
      var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (!drag.moved && dx * dx + dy * dy < 16) return;
      if (!drag.moved) { drag.moved = true; svg.setPointerCapture(drag.id); svg.classList.add('panning'); }
      var k = self.view.w / (svg.clientWidth || 1);
      self.setView({ x: drag.v.x - dx * k, y: drag.v.y - dy * k, w: self.view.w, h: self.view.h });
    });
    var end = function () {
      if (drag && drag.moved) { self.swallowClick = true; setTimeout(function () { self.swallowClick = false; }, 0); }
      svg.classList.remove('panning');
      drag = null;
    };
    svg.addEventListener('pointerup', end);
    svg.addEventListener('pointercancel', end);
    svg.addEventListener('click', function (e) { if (self.swallowClick) { e.stopPropagation(); e.preventDefault(); } }, true);
  };

  /* The diagram's box: as tall as the layout at the box's width, within [240 px, 75% of the window]. */
  Dashboard.prototype.sizeDiagram = function () {
    var svg = byId('fl-diagram'), b = this.bounds, wrap = svg.parentNode;
    var W = wrap.clientWidth || 800, vh = global.innerHeight || 900;
    var h = Math.round(Math.max(240, Math.min(vh * 0.75, W * b.h / b.w)));
    svg.style.height = h + 'px';
  };

  /* Layout coordinates of a point on the screen. */
  Dashboard.prototype.toLayout = function (cx, cy) {
    var svg = byId('fl-diagram'), r = svg.getBoundingClientRect(), v = this.view;
    return { x: v.x + (cx - r.left) / (r.width || 1) * v.w, y: v.y + (cy - r.top) / (r.height || 1) * v.h };
  };

  /* Shows 'v' (layout units), widened to the box's aspect; never further out than twice the fit,
  ** never closer than 4 screen pixels per unit. */
  Dashboard.prototype.setView = function (v) {
    var svg = byId('fl-diagram'), W = svg.clientWidth || 800, H = svg.clientHeight || 400, b = this.bounds;
    var cx = v.x + v.w / 2, cy = v.y + v.h / 2, w = v.w, h = v.h;
    if (w / h < W / H) w = h * W / H; else h = w * H / W;
    var maxW = 2 * Math.max(b.w, b.h * W / H), minW = W / 4;
    var k = w > maxW ? maxW / w : w < minW ? minW / w : 1;
    w *= k; h *= k;
    this.view = { x: cx - w / 2, y: cy - h / 2, w: w, h: h };
    svg.setAttribute('viewBox', [this.view.x, this.view.y, w, h].map(function (n) { return n.toFixed(1); }).join(' '));
    this.scale = W / w;     /* screen pixels per layout unit */
    svg.classList.toggle('far', this.scale < 0.55);
    svg.setAttribute('data-scale', this.scale.toFixed(3));
  };

  /* Fits what is shown: the layout, laid out again around the collapsed groups (relayout()). */
  Dashboard.prototype.fit = function () {
    this.sizeDiagram();
    this.setView(this.bounds);
  };

  /* Zooms by 'k' (> 1: closer) keeping layout point (px, py) (default: the middle) in place. */
  Dashboard.prototype.zoomBy = function (k, px, py) {
    var v = this.view;
    if (px == null) { px = v.x + v.w / 2; py = v.y + v.h / 2; }
    this.setView({ x: px - (px - v.x) / k, y: py - (py - v.y) / k, w: v.w / k, h: v.h / k });
  };

  /* The service a fault hits now (else the run's first fault): partitions count on their 'to'. */
  Dashboard.prototype.faultedNode = function () {
    var r = this.report, nw = this.nw(), t = nw ? r.series.t[this.w] : 0, self = this;
    var has = function (f) { return f.target && self.svc[f.target]; };
    var f = activeFaults(r.faults, t, this.wAt(this.w)).filter(has)[0] || r.faults.filter(has)[0];
    return f ? f.target : null;
  };

  /* Centres the faulted node, at natural size or closer, and flashes it. Returns its name. */
  Dashboard.prototype.jumpToFault = function () { return this.focus(this.faultedNode()); };

  /* Centres service 'name' (opening its group if collapsed), at natural size or closer, and
  ** flashes it. Returns the name, or null. */
  Dashboard.prototype.focus = function (name) {
    var n = name && this.svc[name];
    if (!n) return null;
    if (this.hiddenIn[name]) this.toggleGroup(this.hiddenIn[name], false);
    var s = n.at, svg = byId('fl-diagram'), W = svg.clientWidth || 800;
    var w = Math.min(this.view.w, W, Math.max(6 * n.w, 360));
    this.setView({ x: s.x - w / 2, y: s.y - w / 2, w: w, h: w });
    n.g.classList.remove('flash'); void n.g.getBBox(); n.g.classList.add('flash');
    setTimeout(function () { n.g.classList.remove('flash'); }, 2000);
    return name;
  };

  /* ---- groups and search ---- */

  Dashboard.prototype.toggleGroup = function (name, on) {
    var gr = this.grp[name];
    if (!gr) return;
    gr.collapsed = on == null ? !gr.collapsed : !!on;
    this.applyGroups();
    this.fit();
    this.render();
  };
  Dashboard.prototype.collapseAll = function (on) {
    var self = this;
    Object.keys(this.grp).forEach(function (k) { self.grp[k].collapsed = on; });
    var b = byId('fl-groups');
    if (b) b.textContent = on ? 'expand groups' : 'collapse groups';
    this.applyGroups();
    this.fit();
    this.render();
  };

  /* Shows a collapsed group as its node: its members and their edges hidden, and the edges that
  ** crossed its border drawn once per pair of visible ends (summed in render()). */
  Dashboard.prototype.applyGroups = function () {
    var self = this, hidden = {};
    Object.keys(this.grp).forEach(function (k) {
      var gr = self.grp[k];
      gr.box.style.display = gr.collapsed ? 'none' : '';
      gr.node.style.display = gr.collapsed ? '' : 'none';
      gr.members.forEach(function (m) {
        if (gr.collapsed) hidden[m] = k;
        if (self.svc[m]) self.svc[m].g.style.display = gr.collapsed ? 'none' : '';
      });
    });
    this.hiddenIn = hidden;
    this.relayout();
    var agg = {}, show = function (x, on) {
      ['path', 'arrow', 'hit'].forEach(function (k) { x[k].style.display = on ? '' : 'none'; });
      if (x.label) x.label.style.display = on ? '' : 'none';
      if (x.badge) x.badge.g.style.display = on ? '' : 'none';
    };
    this.edgeEls.forEach(function (x) {
      var a = hidden[x.from], b = hidden[x.to];
      show(x.el, !a && !b);
      if (!a && !b) return;
      var f = a ? 'g:' + a : 's:' + x.from, t = b ? 'g:' + b : 's:' + x.to;
      if (f === t) return;
      var k = f + '\u2192' + t;
      (agg[k] || (agg[k] = { from: f, to: t, edges: [] })).edges.push(x);
    });
    this.entryEls.forEach(function (x) { show(x.el, !hidden[x.to]); });
    clear(this.gAgg);
    this.aggEls = [];
    var centre = function (k) {
      return k.slice(0, 2) === 'g:' ? self.grp[k.slice(2)].at : self.svc[k.slice(2)].at;
    };
    Object.keys(agg).forEach(function (k) {
      var e = agg[k], p = centre(e.from), q = centre(e.to);
      var line = sv('line', { cls: 'edge agg', x1: p.x, y1: p.y, x2: q.x, y2: q.y }, sv('title'));
      self.gAgg.appendChild(line);
      self.aggEls.push({ el: line, edges: e.edges, name: e.from.slice(2) + ' \u2192 ' + e.to.slice(2) });
    });
  };

  var GAP = 24;   /* the least room a re-layout leaves between two boxes that had more */

  /* Lays the diagram out again around the collapsed groups: each collapsed group is one node at
  ** its box's top-left corner, then each box (a group with its services, a service outside
  ** groups, a journey) moves left, then up, into the room freed by the boxes before it that
  ** shrank, keeping its distance to the others: no two boxes overlap, none moves right or down,
  ** and with every group open it is the report's layout again. Edges follow their ends, labels
  ** and badges their edges; the bounds (what fit() shows) are those of what is shown. */
  Dashboard.prototype.relayout = function () {
    var self = this, blocks = [], of = {}, any = false;
    function block(x, y, w, h, nw, nh) {
      var b = { x: x, y: y, ow: w, oh: h, w: nw, h: nh, nx: x, ny: y };
      blocks.push(b);
      return b;
    }
    Object.keys(this.grp).forEach(function (k) {
      var gr = self.grp[k], d = gr.def;
      if (gr.collapsed) any = true;
      gr.block = block(d.x - d.w / 2, d.y - d.h / 2, d.w, d.h, gr.collapsed ? gr.w : d.w, gr.collapsed ? gr.h : d.h);
    });
    if (!any && !this.relaidOut) return;   /* as laid out: nothing to move (opening a page costs nothing) */
    Object.keys(this.svc).forEach(function (n) {
      var s = self.svc[n], gr = s.def.group && self.grp[s.def.group];
      of['s:' + n] = gr ? gr.block : block(s.def.x - s.w / 2, s.def.y - s.h / 2, s.w, s.h, s.w, s.h);
    });
    Object.keys(this.jrn).forEach(function (n) {
      var j = self.jrn[n];
      of['j:' + n] = block(j.def.x - j.w / 2, j.def.y - j.h / 2, j.w, j.h, j.w, j.h);
    });
    if (any) { compact(blocks, 'x'); compact(blocks, 'y'); squeeze(blocks, 'x'); squeeze(blocks, 'y'); }
    this.relaidOut = any;
    var shift = function (b) { return { x: b.nx - b.x, y: b.ny - b.y }; };
    var place = function (n, c, d) {
      n.at = { x: c.x + d.x, y: c.y + d.y };
      n.g.setAttribute('transform', 'translate(' + (n.at.x - n.w / 2) + ',' + (n.at.y - n.h / 2) + ')');
    };
    Object.keys(this.svc).forEach(function (n) { place(self.svc[n], self.svc[n].def, shift(of['s:' + n])); });
    Object.keys(this.jrn).forEach(function (n) { place(self.jrn[n], self.jrn[n].def, shift(of['j:' + n])); });
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    Object.keys(this.grp).forEach(function (k) {
      var gr = self.grp[k], b = gr.block, d = shift(b);
      gr.box.setAttribute('transform', 'translate(' + d.x + ',' + d.y + ')');
      gr.at = { x: b.nx + gr.w / 2, y: b.ny + gr.h / 2 };
      gr.node.setAttribute('transform', 'translate(' + b.nx + ',' + b.ny + ')');
    });
    blocks.forEach(function (b) {
      x0 = Math.min(x0, b.nx); y0 = Math.min(y0, b.ny); x1 = Math.max(x1, b.nx + b.w); y1 = Math.max(y1, b.ny + b.h);
    });
    var lay = this.layout;
    this.bounds = any && x1 > x0 ? { x: x0 - MARGIN, y: y0 - MARGIN, w: x1 - x0 + 2 * MARGIN, h: y1 - y0 + 2 * MARGIN }
      : { x: -MARGIN, y: -MARGIN, w: lay.width + 2 * MARGIN, h: lay.height + 2 * MARGIN };
    var follow = function (x, da, db) {
      var p = x.p0 || [], n = p.length >> 1, q = new Array(p.length);
      for (var i = 0; i < n; i++) {
        var t = n > 1 ? i / (n - 1) : 0;
        q[2 * i] = p[2 * i] + da.x + (db.x - da.x) * t;
        q[2 * i + 1] = p[2 * i + 1] + da.y + (db.y - da.y) * t;
      }
      var d = pathD(q);
      x.path.setAttribute('d', d); x.hit.setAttribute('d', d);
      x.a = x.a0 && x.a0.length === 4 ? [x.a0[0] + db.x, x.a0[1] + db.y, x.a0[2] + db.x, x.a0[3] + db.y] : x.a0;
      x.mid = pathMid(q);
      if (x.label) { x.label.setAttribute('x', x.mid.x.toFixed(1)); x.label.setAttribute('y', (x.mid.y - 3).toFixed(1)); x.label.room = x.mid.len - 12; }
      if (x.badge) x.badge.g.setAttribute('transform', 'translate(' + x.mid.x.toFixed(1) + ',' + (x.mid.y - 17).toFixed(1) + ')');
    };
    this.edgeEls.forEach(function (e) { follow(e.el, shift(of['s:' + e.from]), shift(of['s:' + e.to])); });
    this.entryEls.forEach(function (e) {
      var a = of['j:' + e.journey], b = of['s:' + e.to];
      if (a && b) follow(e.el, shift(a), shift(b));
    });
  };

  /* Moves each block back along 'ax' ('x': left, 'y': up) by the room freed before it: a block
  ** faces those before it whose spans across the axis overlap its own (for 'x' at the original
  ** places, for 'y' at the new ones); it moves as far as the nearest of them moved plus what that
  ** one shrank, and never closer to any of them than it was or than GAP. A block that faces none,
  ** or whose nearest neighbours neither moved nor shrank, stays. */
  function compact(blocks, ax) {
    var x = ax, ow = 'o' + (ax === 'x' ? 'w' : 'h'), w = ax === 'x' ? 'w' : 'h', h = ax === 'x' ? 'h' : 'w';
    var nx = 'n' + x, ny = ax === 'x' ? 'ny' : 'nx';
    var order = blocks.slice().sort(function (a, b) { return a[x] - b[x]; });
    var faces = function (a, b) { return a[ny] + a[h] > b[ny] + 0.5 && b[ny] + b[h] > a[ny] + 0.5; };
    order.forEach(function (b, i) {
      var before = [];
      for (var k = 0; k < i; k++) if (faces(order[k], b)) before.push(order[k]);
      var shift = null;
      before.forEach(function (a) {
        var was = b[x] - a[x] - a[ow], now = b[x] - a[x] - a[w];   /* the room between them, before and after a shrank */
        var lim = now - Math.max(0, Math.min(GAP, was));
        /* nearest: no other block it faces stands wholly between them across their common span */
        var near = !before.some(function (c) {
          return c !== a && c[x] >= a[x] + a[ow] - 0.5 && c[ny] <= Math.max(a[ny], b[ny]) + 0.5 && c[ny] + c[h] >= Math.min(a[ny] + a[h], b[ny] + b[h]) - 0.5;
        });
        if (near) lim = Math.min(lim, a[ow] - a[w]);
        var sh = (a[x] - a[nx]) + lim;
        if (shift == null || sh < shift) shift = sh;
      });
      b[nx] = b[x] - (shift == null ? 0 : shift);
    });
  }

  /* Closes the empty stretches along 'ax' that are wider than any the layout had (at least GAP)
  ** to that width: what stood beyond them moves back with all it holds. */
  function squeeze(blocks, ax) {
    var x = ax, w = ax === 'x' ? 'w' : 'h', ow = 'o' + w, nx = 'n' + x;
    function spans(at, size) {
      var s = blocks.map(function (b) { return [b[at], b[at] + b[size], b]; }).sort(function (a, b) { return a[0] - b[0]; });
      var out = [];
      s.forEach(function (p) {
        var last = out[out.length - 1];
        if (last && p[0] <= last.end) { last.end = Math.max(last.end, p[1]); last.blocks.push(p[2]); }
        else out.push({ start: p[0], end: p[1], blocks: [p[2]] });
      });
      return out;
    }
    var was = spans(x, ow), widest = GAP;
    for (var i = 1; i < was.length; i++) widest = Math.max(widest, was[i].start - was[i - 1].end);
    var now = spans(nx, w), cut = 0;
    now.forEach(function (sp, k) {
      if (k) cut += Math.max(0, sp.start - now[k - 1].end - widest);
      sp.blocks.forEach(function (b) { b[nx] -= cut; });
    });
  }

  /* Highlights the services whose name holds 'q' and centres the first (with 'next': the one
  ** after the last shown). Returns the name centred, or null. */
  Dashboard.prototype.search = function (q, next) {
    q = (q || '').trim().toLowerCase();
    var names = q ? Object.keys(this.svc).filter(function (n) { return n.toLowerCase().indexOf(q) >= 0; }) : [];
    names.sort(function (a, b) { return (b.toLowerCase() === q) - (a.toLowerCase() === q); });   /* an exact name first */
    var same = next && this.found && this.found.join('\n') === names.join('\n');
    this.found = names;
    this.foundAt = same ? (this.foundAt + 1) % names.length : 0;
    this.foundSet = {};
    var self = this;
    names.forEach(function (n) { self.foundSet[n] = true; });
    byId('fl-search-n').textContent = q ? (names.length ? (this.foundAt + 1) + ' of ' + names.length : 'none') : '';
    var name = names[this.foundAt] || null;
    if (name) this.focus(name); else this.render();
    if (name) this.render();
    return name;
  };

  /* Maxima that scale halos and edge widths (from window 'from' on, for live feeding). */
  Dashboard.prototype.updateMax = function (from) {
    var ser = this.report.series, self = this;
    if (from == null) { this.maxRate = 0; this.maxCalls = 0; this.maxJrn = 0; from = 0; }
    Object.keys(ser.services).forEach(function (n) {
      var a = ser.services[n].arrivals || [];
      for (var i = from; i < a.length; i++) if (a[i] / self.wAt(i) > self.maxRate) self.maxRate = a[i] / self.wAt(i);
    });
    ser.edges.forEach(function (e) {
      for (var i = from; i < e.calls.length; i++) if (e.calls[i] / self.wAt(i) > self.maxCalls) self.maxCalls = e.calls[i] / self.wAt(i);
    });
    Object.keys(ser.journeys).forEach(function (n) {
      var a = ser.journeys[n].arrivals || [];
      for (var i = from; i < a.length; i++) if (a[i] / self.wAt(i) > self.maxJrn) self.maxJrn = a[i] / self.wAt(i);
    });
  };

  function activeFaults(faults, t, win) {
    return faults.filter(function (f) { return f.start < t + win && (f.end == null || f.end > t); });
  }

  /* Journeys' confirmed state at time t, from the timeline. */
  Dashboard.prototype.journeyState = function (name, t) {
    var st = 0;
    this.report.timeline.forEach(function (c) { if (c.journey === name && c.t <= t) st = HEALTH.indexOf(c.to); });
    return st < 0 ? 0 : st;
  };

  Dashboard.prototype.seek = function (w) {
    var nw = this.nw();
    if (nw === 0) { this.w = 0; this.render(); return; }
    w = Math.max(0, Math.min(nw - 1, Math.round(w)));
    this.w = w;
    this.follow = w === nw - 1;
    var sl = byId('fl-slider');
    sl.max = nw - 1;
    if (+sl.value !== w) sl.value = w;
    this.render();
  };
  Dashboard.prototype.seekTime = function (t) { this.seek(this.indexAt(t)); };

  Dashboard.prototype.toggle = function () { if (this.playing) this.stop(); else this.play(); };
  Dashboard.prototype.play = function () {
    var self = this;
    if (this.w >= this.nw() - 1) this.seek(0);
    var sp = +byId('fl-speed').value || 5;
    this.playing = setInterval(function () {
      if (self.w >= self.nw() - 1) { self.stop(); return; }
      self.seek(self.w + 1);
    }, 1000 / sp);
    byId('fl-play').innerHTML = '&#10074;&#10074;';
    byId('fl-play').setAttribute('aria-label', 'pause');
    byId('fl-diagram').classList.add('playing');
  };
  Dashboard.prototype.stop = function () {
    if (!this.playing) return;
    clearInterval(this.playing);
    this.playing = null;
    byId('fl-play').innerHTML = '&#9654;';
    byId('fl-play').setAttribute('aria-label', 'play');
    byId('fl-diagram').classList.remove('playing');
  };

  /* Paints window this.w on the diagram, the clock, the timeline and the charts' cursors. */
  Dashboard.prototype.render = function () {
    var self = this, r = this.report, ser = r.series, w = this.w, win = this.wAt(w);
    var nw = this.nw(), t = nw ? ser.t[w] : 0;
    var faults = activeFaults(r.faults, t, win);
    var dur = r.scenario && r.scenario.duration;
    byId('fl-clock').textContent = nw ? 't = ' + fmtT(t) + ' \u2013 ' + fmtT(t + win) + (dur ? ' of ' + fmtT(dur) : '') : 'no data yet';
    Object.keys(this.svc).forEach(function (name) {
      var n = self.svc[name], s = ser.services[name] || {};
      var h = HEALTH[at(s.health, w)] || 'ok';
      var rate = at(s.arrivals, w) / win;
      var k = self.maxRate > 0 ? Math.sqrt(rate / self.maxRate) : 0;
      var pad = 2 + 13 * k;
      n.halo.setAttribute('x', -pad); n.halo.setAttribute('y', -pad);
      n.halo.setAttribute('width', n.w + 2 * pad); n.halo.setAttribute('height', n.h + 2 * pad);
      n.halo.style.animationDuration = (2.2 - 1.6 * k).toFixed(2) + 's';
      var p99 = at(s.p99, w), st = nw ? fmtRate(rate) : '';
      /* p99 too when it fits (10.5 px tabular digits: about 6 px a character) */
      if (nw && p99 > 0) { var full = st + ' \u00b7 p99 ' + fmtLat(p99); st = full.length * 6 <= n.statRoom ? full : st + ' \u00b7 ' + fmtLat(p99); }
      if (st.length * 6 > n.statRoom) st = fmtRate(rate);
      n.stat.textContent = st;
      var fs = faults.filter(function (f) { return f.target === name && !f.from; });   /* a link's fault is drawn on its edge */
      var bt = fs.length ? fs[0].kind.toUpperCase().replace('_', ' ') + (fs[0].endpoint ? ' .' + fs[0].endpoint : '') : '';   /* one endpoint: named */
      if (n.badge.textContent !== bt) {
        /* as wide as its word (9 px bold capitals: about 6.6 a letter), right-aligned on the box */
        var bw = Math.max(44, Math.round(bt.length * 6.6 + 10));
        n.badge.textContent = bt;
        n.badgeRect.setAttribute('x', 22 - bw); n.badgeRect.setAttribute('width', bw);
        n.badge.setAttribute('x', 22 - bw / 2);
      }
      var cls = 'node ' + h + (fs.length ? ' faulted' : '') + (self.foundSet && self.foundSet[name] ? ' found' : '');
      n.g.setAttribute('class', cls + self.selClass('service', name));
      n.tip.textContent = name + ': ' + h + ', ' + fmtRate(rate) + ', failures ' + fmtNum(at(s.failures, w)) +
        ', utilisation ' + fmtPct(at(s.utilization, w), 0) + (fs.length ? '\nfault: ' + fs.map(function (f) { return f.name + ' (' + f.kind + (f.endpoint ? ' on ' + name + '.' + f.endpoint : '') + ')'; }).join(', ') : '');
    });
    var eidx = {}, grid = ((this.graph || {}).layout || {}).engine === 'faultline grid';
    ser.edges.forEach(function (e) { eidx[e.from + '\u2192' + e.to] = e; });
    this.edgeEls.forEach(function (x) {
      var e = eidx[x.from + '\u2192' + x.to], calls = e ? at(e.calls, w) : 0, fails = e ? at(e.failures, w) : 0;
      var ratio = calls > 0 ? Math.min(1, fails / calls) : (fails > 0 ? 1 : 0);
      var rate = calls / win, k = self.maxCalls > 0 ? Math.sqrt(rate / self.maxCalls) : 0;
      var part = faults.some(function (f) { return f.kind === 'partition' && f.from === x.from && f.target === x.to; });
      var lf = faults.filter(function (f) { return f.from === x.from && f.target === x.to; });
      if (lf.length && x.el.badge === null) x.el.badge = self.edgeBadge(x.el, x);
      if (x.el.badge) {
        var lt0 = lf.length ? lf[0].kind.toUpperCase().replace('_', ' ') : '';
        if (x.el.badge.text.textContent !== lt0) {
          var lw = Math.max(44, Math.round(lt0.length * 6.6 + 10));
          x.el.badge.text.textContent = lt0;
          x.el.badge.rect.setAttribute('x', -lw / 2); x.el.badge.rect.setAttribute('width', lw);
        }
        x.el.badge.g.setAttribute('class', 'ebadge' + (lf.length ? ' on' : ''));
        x.el.badge.tip.textContent = lf.map(function (f) { return f.name + ' (' + f.kind + ' on ' + f.from + ' \u2192 ' + (f.to || f.target) + ')'; }).join(', ');
      }
      paintEdge(x.el, 1 + 7 * k, failColor(ratio), rate === 0, part);
      if (x.el.label) {
        var fl = ratio > 0 ? fmtPct(ratio, ratio < 0.1 ? 1 : 0) + ' fail' : '';
        var lt = rate > 0 ? fmtRate(rate) + (fl ? ' \u00b7 ' + fl : '') : part ? 'partitioned' : '';
        if (lt.length * 5.6 > x.el.label.room) lt = fl || (rate > 0 ? fmtRate(rate) : lt);   /* 10 px text: about 5.6 a character */
        if (lt.length * 5.6 > x.el.label.room) lt = '';
        if (grid && !(ratio > 0 || part)) lt = '';   /* the grid's straight edges cross boxes: label the failing ones only */
        x.el.label.textContent = lt;
        x.el.label.setAttribute('class', 'elabel' + (ratio >= 0.05 || part ? ' bad' : ratio > 0 ? ' warn' : '') + self.edgeSelClass(x.from, x.to));
      }
      x.el.title.textContent = x.from + ' \u2192 ' + x.to + ': ' + fmtRate(rate) + ', ' + fmtPct(ratio, 1) + ' failing' +
        (part ? ' (partitioned)' : '') + '\n' + x.calls.map(function (c) { return c.from + ' \u2192 ' + c.to + (c.optional ? ' (optional)' : '') + (c.timeout ? ', timeout ' + fmtLat(c.timeout) : ''); }).join('\n');
      x.el.path.setAttribute('class', 'edge' + (x.el.path.getAttribute('class').indexOf('optional') >= 0 ? ' optional' : '') + (rate === 0 ? ' idle' : '') + (part ? ' partitioned' : '') + self.edgeSelClass(x.from, x.to));
      x.el.arrow.setAttribute('class', 'arrow' + self.edgeSelClass(x.from, x.to));
    });
    Object.keys(this.grp).forEach(function (k) {
      var gr = self.grp[k];
      if (!gr.collapsed) return;
      var worst = 0, rate = 0, fl = [];
      gr.members.forEach(function (m) {
        var s = ser.services[m] || {};
        worst = Math.max(worst, at(s.health, w) || 0);
        rate += at(s.arrivals, w) / win;
        faults.forEach(function (f) { if (f.target === m && !f.from) fl.push(f); });
      });
      var h = HEALTH[worst] || 'ok', bt = fl.length ? fl[0].kind.toUpperCase().replace('_', ' ') : '';
      if (gr.badge.textContent !== bt) {
        var bw = Math.max(44, Math.round(bt.length * 6.6 + 10));
        gr.badge.textContent = bt;
        gr.badgeRect.setAttribute('x', 22 - bw); gr.badgeRect.setAttribute('width', bw);
        gr.badge.setAttribute('x', 22 - bw / 2);
      }
      gr.stat.textContent = gr.members.length + ' services' + (nw ? ' \u00b7 ' + fmtRate(rate) : '');
      gr.node.setAttribute('class', 'gnode ' + h + (fl.length ? ' faulted' : ''));
      gr.tip.textContent = k + ' (' + gr.members.length + ' services, collapsed: click to open): worst health ' + h +
        (fl.length ? '\nfault: ' + fl.map(function (f) { return f.name + ' (' + f.kind + ' on ' + f.target + ')'; }).join(', ') : '');
    });
    this.aggEls.forEach(function (x) {
      var calls = 0, fails = 0;
      x.edges.forEach(function (e0) { var e = eidx[e0.from + '\u2192' + e0.to]; if (e) { calls += at(e.calls, w); fails += at(e.failures, w); } });
      var ratio = calls > 0 ? Math.min(1, fails / calls) : (fails > 0 ? 1 : 0), rate = calls / win;
      var k = self.maxCalls > 0 ? Math.sqrt(Math.min(1, rate / self.maxCalls)) : 0;
      x.el.style.strokeWidth = (1 + 7 * k).toFixed(2);
      x.el.style.stroke = failColor(ratio);
      x.el.firstChild.textContent = x.name + ' (' + x.edges.length + ' edges): ' + fmtRate(rate) + ', ' + fmtPct(ratio, 1) + ' failing';
    });
    this.entryEls.forEach(function (x) {
      var s = ser.journeys[x.journey] || {};
      var rate = at(s.arrivals, w) / win, done = at(s.successes, w) + at(s.degraded, w) + at(s.failures, w);
      var ratio = done ? at(s.failures, w) / done : 0;
      var k = self.maxJrn > 0 ? Math.sqrt(rate / self.maxJrn) : 0;
      paintEdge(x.el, 1 + 5 * k, ratio > 0 ? failColor(ratio) : '#b6c1cf', rate === 0, false);
      x.el.title.textContent = x.journey + ': ' + fmtRate(rate) + ', ' + fmtPct(ratio, 1) + ' failing';
      var sc = self.sel && self.sel.kind === 'journey' && self.sel.name === x.journey || self.chain && self.chain.journeys[x.journey] ? ' chain up-edge' : '';
      x.el.path.setAttribute('class', 'edge entry' + (rate === 0 ? ' idle' : '') + sc);
      x.el.arrow.setAttribute('class', 'arrow' + (sc ? ' chain' : ''));
    });
    Object.keys(this.jrn).forEach(function (name) {
      var n = self.jrn[name], s = ser.journeys[name] || {};
      var h = HEALTH[self.journeyState(name, t)];
      var rate = at(s.arrivals, w) / win;
      n.stat.textContent = nw ? fmtRate(rate) : '';
      n.g.setAttribute('class', 'journey ' + h + self.selClass('journey', name));
      n.tip.textContent = name + ': ' + h + ', ' + fmtRate(rate);
    });
    this.renderCursor(t);
  };

  function paintEdge(x, width, color, idle, part) {
    x.path.style.strokeWidth = width.toFixed(2);
    x.path.style.stroke = color;
    x.arrow.style.fill = part ? '#b42318' : color;
    if (x.a && x.a.length === 4) {
      var bx = x.a[0], by = x.a[1], tx = x.a[2], ty = x.a[3];
      var dx = tx - bx, dy = ty - by, L = Math.sqrt(dx * dx + dy * dy) || 1;
      var hw = Math.max(3.5, width * 1.1), nx = -dy / L * hw, ny = dx / L * hw;
      x.arrow.setAttribute('d', 'M' + tx + ',' + ty + ' L' + (bx + nx).toFixed(1) + ',' + (by + ny).toFixed(1) + ' L' + (bx - nx).toFixed(1) + ',' + (by - ny).toFixed(1) + ' Z');
    }
  }

  Dashboard.prototype.selClass = function (kind, name) {
    if (!this.sel) return '';
    if (this.sel.kind === kind && this.sel.name === name) return ' sel';
    var c = this.chain;
    if (!c) return '';
    if (kind === 'journey') return c.journeys[name] ? ' upstream' : '';
    return c.up[name] ? ' upstream' : c.down[name] ? ' downstream' : '';
  };
  Dashboard.prototype.edgeSelClass = function (from, to) {
    var c = this.chain;
    if (!this.sel || !c) return '';
    var s = this.sel.kind === 'service' ? this.sel.name : null;
    if ((c.up[from]) && (c.up[to] || to === s)) return ' chain up-edge';
    if ((c.down[to]) && (c.down[from] || from === s)) return ' chain down-edge';
    return '';
  };

  Dashboard.prototype.select = function (sel) {
    this.sel = sel;
    this.chain = null;
    if (sel && sel.kind === 'service') this.chain = this.reach.chain(sel.name);
    else if (sel && sel.kind === 'journey') {
      var j = (this.graph.journeys || []).filter(function (x) { return x.name === sel.name; })[0];
      var jr = {}; jr[sel.name] = true;
      this.chain = { up: {}, down: j ? this.reach.journey(j) : {}, journeys: jr };
    }
    this.applySelection();
    this.render();
    this.renderSide();
  };
  Dashboard.prototype.applySelection = function () {
    var svg = byId('fl-diagram');
    if (this.sel) svg.classList.add('has-sel'); else svg.classList.remove('has-sel');
    byId('fl-clear').hidden = !this.sel;
  };

  /* ---- side panel: the selection's facts and charts ---- */

  Dashboard.prototype.renderSide = function () {
    var self = this, r = this.report, sel = this.sel;
    this.charts.forEach(function (c) { c.destroy(); });
    this.charts = [];
    var box = byId('fl-charts'), info = byId('fl-sel-info');
    clear(box); clear(info);
    var width = Math.max(260, box.clientWidth || 420);
    var ser = r.series, x = ser.t;
    var seek = function (t) { self.stop(); self.seekTime(t); };
    var faultsFor = function (name) {
      return r.faults.map(function (f) { return { start: f.start, end: f.end, own: f.target === name || f.from === name }; });
    };
    var perSec = function (a) { return (a || []).map(function (v, i) { return v / self.wAt(i); }); };
    var add = function (spec) { spec.x = x; spec.onSeek = seek; self.charts.push(makeChart(box, spec, width)); };
    this.chartDefs = [];
    if (!sel) {
      byId('fl-sel-name').textContent = 'Overview';
      addKids(info, ['Journeys over the run. Click a service or a journey in the diagram for its charts and its impact chain.']);
      /* the journeys as the series hold them when the chart is drawn: a page that joined a live
      ** run after a fault learnt of the fault before the first window */
      var def = function (title, fmt, f) {
        var js = Object.keys(ser.journeys);
        return { title: title, fmt: fmt, faults: faultsFor(null), series: js.map(function (n, i) { return { label: n, color: PALETTE[i % PALETTE.length], data: f(ser.journeys[n]) }; }) };
      };
      this.chartDefs = [
        function () { return def('Journeys: requests/s', fmtNum, function (s) { return perSec(s.arrivals); }); },
        function () { return def('Journeys: failures/s', fmtNum, function (s) { return perSec(s.failures); }); },
        function () { return def('Journeys: p99 latency', fmtLat, function (s) { return latency(s, 'p99'); }); }
      ];
    } else if (sel.kind === 'service') {
      var name = sel.name, s = ser.services[name] || {}, d = (this.svc[name] || {}).def || {};
      var sum = r.services && r.services[name];
      byId('fl-sel-name').textContent = name;
      var c = this.chain || { up: {}, down: {}, journeys: {} };
      var list = function (o) { var k = Object.keys(o); return k.length ? k.join(', ') : 'none'; };
      addKids(info, [
        el('div', null, [el('b', { text: d.instances + ' instances \u00d7 ' + d.workers + ' workers' }), ', queue ' + d.queue + (d.slo ? ', SLO ' + fmtLat(d.slo) : '')]),
        sum ? el('div', null, ['over the run: ', el('b', { text: fmtPct(sum.success_ratio) }), ' answered, p99 ', el('b', { text: fmtLat(sum.latency && sum.latency.p99) }),
          ', utilisation ', el('b', { text: fmtPct(sum.utilization, 0) })]) : null,
        el('div', null, [el('span', { cls: 'chip', style: 'border-color:var(--up);color:var(--up)', text: 'upstream' }), list(c.up)]),
        el('div', null, [el('span', { cls: 'chip', style: 'border-color:var(--up);color:var(--up)', text: 'journeys' }), list(c.journeys)]),
        el('div', null, [el('span', { cls: 'chip', style: 'border-color:var(--downstream);color:var(--downstream)', text: 'downstream' }), list(c.down)])
      ]);
      var fl = faultsFor(name);
      var util = function () {
        if (s.utilization) return s.utilization.map(function (v) { return 100 * v; });
        return (s.busy_workers || []).map(function (b, i) { var cap = at(s.instances, i) * (d.workers || 1); return cap ? 100 * b / cap : 0; });
      };
      this.chartDefs = [
        function () { return { title: 'Requests/s', fmt: fmtNum, faults: fl, series: [
          { label: 'arrivals', color: '#2563eb', data: perSec(s.arrivals) },
          { label: 'answered', color: '#16a34a', data: (s.arrivals || []).map(function (v, i) { return (at(s.successes, i) + at(s.degraded, i)) / self.wAt(i); }) }] }; },
        function () {
          var sr = [{ label: 'p50', color: '#0891b2', data: latency(s, 'p50') }, { label: 'p99', color: '#7c3aed', data: latency(s, 'p99') }];
          if (d.slo) sr.push({ label: 'SLO', color: '#94a3b8', dash: [4, 4], data: x.map(function () { return d.slo; }) });
          return { title: 'Latency p50 / p99', fmt: fmtLat, faults: fl, series: sr };
        },
        function () {
          var fb = s.failures_by_cause || {};
          var sr = CAUSES.filter(function (k) { return (fb[k] || []).some(function (v) { return v > 0; }); })
            .map(function (k) { return { label: k, color: CAUSE_COLORS[k], data: perSec(fb[k]) }; });
          if (!sr.length) sr = [{ label: 'failures', color: '#dc2626', data: perSec(s.failures) }];
          return { title: 'Failures/s by cause', fmt: fmtNum, faults: fl, series: sr };
        },
        function () { return { title: 'Queue (mean waiting)', fmt: fmtNum, faults: fl, series: [{ label: 'queue', color: '#d97706', data: s.queue || [] }] }; },
        function () { return { title: 'Utilisation', fmt: function (v) { return v.toFixed(0) + '%'; }, faults: fl, series: [{ label: 'utilisation', color: '#0f766e', data: util() }] }; },
        function () { return { title: 'Instances', fmt: fmtNum, faults: fl, series: [{ label: 'instances', color: '#475569', data: s.instances || [] }] }; }
      ];
    } else {
      var jn = sel.name, j = ser.journeys[jn] || {}, js2 = r.journeys && r.journeys[jn];
      byId('fl-sel-name').textContent = 'journey ' + jn;
      addKids(info, [
        js2 ? el('div', null, ['over the run: ', el('b', { text: fmtPct(js2.success_ratio) }), ' answered, p99 ', el('b', { text: fmtLat(js2.latency && js2.latency.p99) })]) : null,
        el('div', null, ['reaches: ', Object.keys((this.chain || { down: {} }).down).join(', ')])
      ]);
      var fj = faultsFor(null);
      this.chartDefs = [
        function () { return { title: 'Requests/s', fmt: fmtNum, faults: fj, series: [
          { label: 'arrivals', color: '#2563eb', data: perSec(j.arrivals) },
          { label: 'answered', color: '#16a34a', data: (j.arrivals || []).map(function (v, i) { return (at(j.successes, i) + at(j.degraded, i)) / self.wAt(i); }) },
          { label: 'degraded', color: '#d97706', data: perSec(j.degraded) }] }; },
        function () { return { title: 'Latency p50 / p99', fmt: fmtLat, faults: fj, series: [
          { label: 'p50', color: '#0891b2', data: latency(j, 'p50') }, { label: 'p99', color: '#7c3aed', data: latency(j, 'p99') }] }; },
        function () {
          var fb = j.failures_by_cause || {};
          var sr = CAUSES.filter(function (k) { return (fb[k] || []).some(function (v) { return v > 0; }); })
            .map(function (k) { return { label: k, color: CAUSE_COLORS[k], data: perSec(fb[k]) }; });
          if (!sr.length) sr = [{ label: 'failures', color: '#dc2626', data: perSec(j.failures) }];
          return { title: 'Failures/s by cause', fmt: fmtNum, faults: fj, series: sr };
        }
      ];
    }
    this.chartDefs.forEach(function (f) { add(f()); });
    this.renderCursor(x.length ? x[this.w] : 0);
  };

  /* Live: the charts take the grown series. */
  Dashboard.prototype.refreshCharts = function () {
    var self = this, x = this.report.series.t;
    if (!this.chartDefs || this.chartDefs.length !== this.charts.length) { this.renderSide(); return; }
    var specs = this.chartDefs.map(function (f) { return f(); });
    if (specs.some(function (s, i) { return s.series.length !== self.charts[i].nseries; })) { this.renderSide(); return; }
    specs.forEach(function (spec, i) { self.charts[i].setData(x, spec.series.map(function (s) { return s.data; })); });
    this.renderCursor(x.length ? x[this.w] : 0);
  };

  Dashboard.prototype.resizeCharts = function () {
    var w = Math.max(260, byId('fl-charts').clientWidth || 420);
    this.charts.forEach(function (c) { c.resize(w); });
  };

  Dashboard.prototype.renderCursor = function (t) {
    this.charts.forEach(function (c) { c.setCursor(t); });
    var bar = byId('fl-faultbar'), cur = bar && bar.querySelector('.cur');
    var dur = this.report.scenario && this.report.scenario.duration;
    if (cur && dur) cur.style.left = (100 * t / dur) + '%';
    var lis = byId('fl-timeline').children;
    for (var i = 0; i < lis.length; i++) {
      var ct = +lis[i].getAttribute('data-t');
      lis[i].className = lis[i].getAttribute('data-base') + (ct > t + this.wAt(this.w) - 1e-9 ? ' future' : ct > t - this.wAt(this.w) * 2 ? ' now' : '');
    }
  };

  /* ---- timeline, expectations, faults, journeys ---- */

  Dashboard.prototype.prepTimeline = function () {
    this.tlLast = {};
    this.report.timeline.forEach(this.depthOf, this);
  };

  /* A change's depth in its cascade: how many "after" links lead back to a root. */
  Dashboard.prototype.depthOf = function (c) {
    var last = this.tlLast, subj = c.service || c.journey;
    c._depth = c.after && last[c.after] != null ? Math.min(3, last[c.after] + 1) : 0;
    last[subj] = c.to === 'ok' ? null : c._depth;
  };

  Dashboard.prototype.timelineItem = function (c) {
    var self = this, subj = c.service || c.journey, ep = c.episode;
    var li = el('li', { 'data-t': c.t, 'data-base': 'depth' + (c._depth || 0), cls: 'depth' + (c._depth || 0), title: 'jump to t=' + fmtT(c.t) }, [
      el('span', { cls: 't', text: fmtT(c.t) }),
      el('span', { cls: 'subj' }, [el('span', { cls: 'chip ' + (ep ? ep.worst : c.to), text: (c.journey ? 'journey ' : '') + subj }), ' ',
        ep ? c.from + ' \u21c4 ' + ep.worst : c.from + ' \u2192 ' + c.to]),
      el('span', { cls: 'why', text: (ep ? 'flapping: left ' + c.from + ' ' + ep.flaps + ' times, ' + ep.changes + ' changes to t=' + fmtT(ep.last) +
        ', back ' + ep.ends + '; first ' : '') + c.reason + (c.after ? '  (after ' + c.after + ')' : '') })
    ]);
    li.addEventListener('click', function () {
      self.stop();
      self.seekTime(c.t);
      var n = c.service ? self.svc[c.service] : self.jrn[c.journey];
      if (n) { n.g.classList.remove('flash'); void n.g.getBBox(); n.g.classList.add('flash'); setTimeout(function () { n.g.classList.remove('flash'); }, 2000); }
    });
    return li;
  };

  Dashboard.prototype.renderTimeline = function () {
    var self = this, ol = byId('fl-timeline');
    clear(ol);
    if (!this.report.timeline.length) { ol.appendChild(el('li', { cls: 'empty', text: 'no health changes: every service stayed ok' })); return; }
    this.report.timeline.forEach(function (c) {
      if (c.folded == null) ol.appendChild(self.timelineItem(c));   /* a flapping subject's later changes: its episode's entry tells them */
    });
    var dropped = this.report.changes_dropped;   /* a run keeps its first changes as records, counts the rest */
    if (dropped) ol.appendChild(el('li', { cls: 'empty dropped', text: '\u2026 and ' + dropped.toLocaleString('en-US') + ' changes past the first ' +
      this.report.timeline.length.toLocaleString('en-US') + ', not listed: a flapping subject\u2019s entry counts them' }));
  };

  /* The changes hooks and the timed mix made to the model during the run (scenario.changes). */
  Dashboard.prototype.renderChanges = function () {
    var self = this, ol = byId('fl-changes'), head = byId('fl-changes-head'), chs = (this.report.scenario || {}).changes || [];
    if (!ol || !head) return;
    clear(ol);
    ol.hidden = head.hidden = !chs.length;
    chs.forEach(function (c) {
      var li = el('li', { 'data-t': c.t, title: 'jump to t=' + fmtT(c.t) }, [
        el('span', { cls: 't', text: fmtT(c.t) }),
        el('span', { cls: 'subj', text: c.path }),
        el('span', { cls: 'why', text: JSON.stringify(c.from) + ' \u2192 ' + JSON.stringify(c.to) })
      ]);
      li.addEventListener('click', function () { self.stop(); self.seekTime(c.t); });
      ol.appendChild(li);
    });
  };

  Dashboard.prototype.renderFaultbar = function () {
    var self = this, bar = byId('fl-faultbar'), r = this.report, dur = r.scenario && r.scenario.duration;
    clear(bar);
    if (!dur) return;
    r.faults.forEach(function (f) {
      var end = f.end == null ? dur : f.end;
      bar.appendChild(el('div', { cls: 'fb', title: f.name + ' (' + f.kind + ' on ' + f.target + '), ' + fmtT(f.start) + ' \u2013 ' + fmtT(end),
        style: 'left:' + (100 * f.start / dur) + '%;width:' + Math.max(0.4, 100 * (end - f.start) / dur) + '%',
        onclick: function () { self.stop(); self.seekTime(f.start); } }));
    });
    bar.appendChild(el('div', { cls: 'cur' }));
  };

  Dashboard.prototype.renderTables = function () {
    var r = this.report;
    /* header */
    var sc = r.scenario || {};
    byId('fl-name').textContent = sc.name || 'faultline';
    var meta = [sc.file, sc.seed != null ? 'seed ' + sc.seed : '', sc.duration ? fmtT(sc.duration) + ' simulated' : '',
      'window ' + fmtT(sc.window), sc.warmup != null ? 'warm-up ' + fmtT(sc.warmup) : ''];
    if (r.run) meta.push(fmtNum(r.run.requests) + ' requests in ' + (r.run.wall_seconds || 0).toFixed(1) + 's');
    if (r.complete === false && r.schema) meta.push('PARTIAL: the run was interrupted');
    byId('fl-meta').textContent = meta.filter(Boolean).join(' \u00b7 ');
    var dec = r.series && r.series.decimated;
    if (dec) byId('fl-meta').appendChild(el('span', { id: 'fl-decimated', cls: 'decimated',
      title: 'the JSON and CSV reports hold every window',
      text: ' \u00b7 page decimated: ' + r.series.t.length + ' points of ' + dec.every + ' windows (' + fmtT(r.series.window) +
        ') each, of ' + dec.windows + ' windows; --json and --csv hold them all' }));
    byId('fl-footer').textContent = 'faultline ' + (r.faultline || '') + ' \u00b7 report schema ' + (r.schema || '') +
      ' \u00b7 layout: ' + ((this.graph.layout || {}).engine || 'none') + ' \u00b7 charts: ' + (global.uPlot ? 'uPlot' : 'built-in SVG');
    this.renderExpectations();
    this.renderFaults();
    this.renderJourneys();
    this.prepTimeline();
    this.renderTimeline();
    this.renderChanges();
    this.renderFaultbar();
  };

  /* An expectation of a run still going whose 'during' has not come yet is pending, not failed. */
  function pending(r, e) {
    return r.complete === false && !e.passed && /no window of the run fell/.test(e.detail || (e.observed || {}).detail || '');
  }

  /* The verdict and the expectations table ("so far" while a live run goes on). */
  Dashboard.prototype.renderExpectations = function () {
    var r = this.report, ex = r.expectations, live = r.complete === false;
    var wait = ex.filter(function (e) { return pending(r, e); }).length;
    var failed = ex.filter(function (e) { return !e.passed && !pending(r, e); }).length;
    var v = byId('fl-verdict');
    v.className = 'verdict ' + (!ex.length ? 'none' : failed ? 'fail' : 'pass');
    clear(v);
    addKids(v, !ex.length ? 'no expectations' : failed ? [failed + ' of ' + ex.length + ' expectations failed'] :
      wait ? [(ex.length - wait) + ' of ' + ex.length + ' expectations holding'] : ['all ' + ex.length + ' expectations held']);
    if (live && ex.length) v.appendChild(el('small', { text: 'so far' }));
    var t = byId('fl-expectations');
    clear(t);
    if (!ex.length) t.appendChild(el('tr', null, el('td', { cls: 'empty', text: r.complete === false && !r.schema ? 'evaluated as the run goes' : 'the scenario states no expectations' })));
    else {
      t.appendChild(el('tr', null, ['', 'expectation', 'wanted', live ? 'observed so far' : 'observed'].map(function (h) { return el('th', { text: h }); })));
      ex.forEach(function (e) {
        var wt = pending(r, e);
        var obs = Object.keys(e.observed || {}).map(function (k) {
          var val = e.observed[k];
          return k + ' ' + (k === 'success_rate' ? fmtPct(val) : /p\d+/.test(k) ? fmtLat(val) : val);
        }).join(', ');
        if (e.detail) obs += (obs ? '; ' : '') + e.detail;
        if (wt) obs = 'its window has not come yet';
        t.appendChild(el('tr', null, [
          el('td', null, el('span', { cls: 'chip ' + (wt ? 'wait' : e.passed ? 'pass' : 'fail'), text: wt ? 'WAIT' : e.passed ? 'PASS' : 'FAIL' })),
          el('td', null, [e.name, el('div', { cls: 'why', style: 'color:var(--muted);font-size:11.5px', text: (e.journey || e.service || e.endpoint || '') + (e.during ? ' during ' + e.during : '') +
            (e.where ? ', where ' + Object.keys(e.where).map(function (k) { return k + ' = ' + e.where[k]; }).join(', ') : '') })]),
          el('td', { text: e.wanted || '' }),
          el('td', { cls: e.passed || wt ? '' : 'bad', text: obs || '-' })
        ]));
      });
    }
  };

  /* A fault's effects along its chain (cascade[].effects, sizes from sim/analysis/cascade.c):
  ** "db p99 ×3.1 (45ms → 137ms), journey web.home p99 +95ms"; overlapping faults named. */
  function effectText(e) {
    var who = (e.of === 'journey' ? 'journey ' : '') + e.subject + (e.shared_with ? ' (shared with ' + e.shared_with + ')' : '');
    if (e.measure === 'p99') {
      if (e.before > 0 && e.during >= 2 * e.before) return who + ' p99 \u00d7' + (e.during / e.before).toFixed(e.during / e.before >= 10 ? 0 : 1) + ' (' + fmtLat(e.before) + ' \u2192 ' + fmtLat(e.during) + ')';
      return who + ' p99 +' + fmtLat(e.during - e.before);
    }
    if (e.measure === 'success') return who + ' success ' + fmtPct(e.before, 1) + ' \u2192 ' + fmtPct(e.during, 1);
    return who + ' lag ' + fmtNum(e.during) + ' messages';
  }
  function effectsText(c) {
    var t = (c.effects || []).map(effectText).join(', ') || '-';
    if (c.overlaps && c.overlaps.length) t += ' [overlaps ' + c.overlaps.join(', ') + ']';
    return t;
  }

  /* Faults and their blast radius. */
  Dashboard.prototype.renderFaults = function () {
    var self = this, r = this.report;
    var ft = byId('fl-faults');
    clear(ft);
    if (!r.faults.length) ft.appendChild(el('tr', null, el('td', { cls: 'empty', text: 'no faults injected' })));
    else {
      ft.appendChild(el('tr', null, ['fault', 'when', 'reached', 'effects', 'recovered'].map(function (h) { return el('th', { text: h }); })));
      r.faults.forEach(function (f) {
        var c = r.cascade.filter(function (x) { return x.fault === f.name; })[0] || {};
        var reached = (c.services || []).concat((c.journeys || []).map(function (j) { return 'journey ' + j; }));
        var tr = el('tr', { cls: 'clickable', title: 'jump to the fault', onclick: function () { self.stop(); self.seekTime(f.start); } }, [
          el('td', null, [el('b', { text: f.name }), ' ' + f.kind + (f.from ? ' ' + f.from + ' \u2192 ' + f.target : ' on ' + f.target)]),
          el('td', { text: fmtT(f.start) + ' \u2013 ' + (f.end == null ? 'end' : fmtT(f.end)) }),
          el('td', { text: reached.length ? reached.join(', ') + (c.first_hit != null ? ' (first hit ' + fmtT(c.first_hit) + ')' : '') : 'nothing changed state' }),
          el('td', { text: effectsText(c) }),
          el('td', { text: c.recovered != null ? fmtT(c.recovered) : reached.length ? 'not by the end' : '-' })
        ]);
        ft.appendChild(tr);
      });
    }
  };

  /* The journeys over the whole run. */
  Dashboard.prototype.renderJourneys = function () {
    var self = this, r = this.report, sc = r.scenario || {};
    var jt = byId('fl-journeys');
    clear(jt);
    var names = Object.keys(r.journeys || {});
    var mixes = ((sc.model || {}).traffic || {}).mix || {};
    var faultCols = r.cascade.filter(function (c) { return c.impact; });
    var head = ['journey', 'share', 'requests', 'answered', 'degraded', 'failed', 'p50', 'p99', 'max', 'failures by cause']
      .concat(faultCols.map(function (c) { return 'during ' + c.fault; }));
    jt.appendChild(el('tr', null, head.map(function (h, i) { return el('th', { cls: i > 0 && i < 9 ? 'num' : '', text: h }); })));
    names.forEach(function (n) {
      var j = r.journeys[n], f = j.failures || {}, done = (j.successes || 0) + (j.degraded || 0) + (f.total || 0);
      var causes = CAUSES.filter(function (k) { return f[k] > 0; }).map(function (k) { return k + ' ' + fmtNum(f[k]); }).join(', ');
      var st = j.sessions && j.sessions.time;   /* a multi-step journey: its sessions' own time */
      var cells = [
        el('td', null, st ? [el('b', { text: n }), el('br'), el('small', { cls: st.slo != null && st.p99 > st.slo ? 'bad' : '',
          text: 'session p99 ' + (st.p99 == null ? 'n/a' : fmtLat(st.p99)) + (st.slo != null ? ' (slo ' + fmtLat(st.slo) + ')' : '') })] : el('b', { text: n })),
        el('td', { cls: 'num', text: mixes[n] != null ? fmtPct(mixes[n], 0) : '' }),
        el('td', { cls: 'num', text: fmtNum(j.arrivals) }),
        el('td', { cls: 'num' + (j.success_ratio < 0.99 ? ' bad' : ''), text: fmtPct(j.success_ratio) }),
        el('td', { cls: 'num', text: done ? fmtPct(j.degraded / done) : '-' }),
        el('td', { cls: 'num' + (f.total ? ' bad' : ''), text: done ? fmtPct(f.total / done) : '-' }),
        el('td', { cls: 'num', text: fmtLat(j.latency && j.latency.p50) }),
        el('td', { cls: 'num', text: fmtLat(j.latency && j.latency.p99) }),
        el('td', { cls: 'num', text: fmtLat(j.latency && j.latency.max) }),
        el('td', { text: causes || '-' })
      ].concat(faultCols.map(function (c) {
        var im = c.impact[n] && c.impact[n].during;
        return el('td', { cls: im && im.success_rate < 0.99 ? 'bad' : '', text: im ? fmtPct(im.success_rate) + ' ok, p99 ' + fmtLat(im.p99) : '-' });
      }));
      jt.appendChild(el('tr', { cls: 'clickable', onclick: function () { self.select({ kind: 'journey', name: n }); } }, cells));
    });
  };

  /* ---- boot ---- */

  /* One window of a full report, in the shape appendWindow takes (tests, and a model for the
  ** live server's events). */
  function windowOf(report, w) {
    var ser = report.series, out = { t: ser.t[w], services: {}, journeys: {}, edges: [] };
    ['services', 'journeys'].forEach(function (kind) {
      Object.keys(ser[kind]).forEach(function (n) {
        var s = ser[kind][n], o = out[kind][n] = {};
        Object.keys(s).forEach(function (k) {
          if (k === 'failures_by_cause') { o[k] = {}; Object.keys(s[k]).forEach(function (c) { o[k][c] = s[k][c][w]; }); }
          else o[k] = s[k][w];
        });
      });
    });
    ser.edges.forEach(function (e) { out.edges.push({ from: e.from, to: e.to, calls: e.calls[w], failures: e.failures[w] }); });
    return out;
  }

  function readJSON(id) {
    var s = document.getElementById(id);
    return s ? JSON.parse(s.textContent) : null;
  }

  function boot() {
    var report = readJSON('fl-report'), graph = readJSON('fl-graph');
    if (!graph) return null;
    var d = new Dashboard(document);
    if (report) d.load(report, graph); else d.setGraph(graph);
    global.FL.dashboard = d;
    document.documentElement.setAttribute('data-ready', '1');
    return d;
  }

  global.FL = { Dashboard: Dashboard, boot: boot, windowOf: windowOf, fmtT: fmtT, fmtNum: fmtNum, fmtPct: fmtPct, fmtLat: fmtLat,
    fmtRate: fmtRate, dashboard: null };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})(window);
