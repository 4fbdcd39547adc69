/* faultline's diff page (`compare --html`): two runs of a comparison drawn side by side and
** overlaid, so that "what did the cure change" is one page. It renders from the comparison's
** JSON (#fl-compare: paired differences over every replication) and, per variant, the report
** and laid-out architecture of replication 0 (#fl-report-a, #fl-graph-a, ...): both ran with the
** same seed (common random numbers), so their windows line up arrival for arrival. One time
** slider moves both diagrams and the cursors of the health strips and journey charts. Plain SVG,
** no network. */
(function (global) {
  'use strict';

  var SVGNS = 'http://www.w3.org/2000/svg';
  var HEALTH = ['ok', 'degraded', 'down'];
  var SIDES = ['a', 'b'];

  /* ---- small helpers ---- */

  function mk(ns, tag, attrs, kids) {
    var e = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v == null) return;
      if (k === 'text') e.textContent = v;
      else if (k === 'cls') e.setAttribute('class', v);
      else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    });
    (kids || []).forEach(function (c) { if (c != null) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }
  function el(tag, attrs, kids) { return mk(null, tag, attrs, kids); }
  function sv(tag, attrs, kids) { return mk(SVGNS, tag, attrs, kids); }
  function byId(id) { return document.getElementById(id); }
  function readJSON(id) { var s = byId(id); return s ? JSON.parse(s.textContent) : null; }

  function fmtT(s) {
    if (s < 600) return Math.round(s * 10) / 10 + 's';
    var m = Math.floor(s / 60), r = Math.round(s - 60 * m);
    return m + 'm' + (r < 10 ? '0' : '') + r + 's';
  }
  function fmtLat(s) {
    if (s == null || !isFinite(s)) return '-';
    var a = Math.abs(s);
    if (a >= 1) return s.toFixed(2) + 's';
    if (a >= 1e-3) return (s * 1e3).toFixed(a >= 0.1 ? 0 : 1) + 'ms';
    return (s * 1e6).toFixed(0) + 'µs';
  }
  function fmtPct(r, d) { return r == null || !isFinite(r) ? '-' : (100 * r).toFixed(d == null ? 2 : d) + '%'; }
  function signed(txt, v) { return (v > 0 ? '+' : v < 0 ? '' : '±') + txt; }

  /* ---- the data ---- */

  function Diff() {
    this.cmp = readJSON('fl-compare');
    this.rep = { a: readJSON('fl-report-a'), b: readJSON('fl-report-b') };
    this.graph = { a: readJSON('fl-graph-a'), b: readJSON('fl-graph-b') };
    var ra = this.rep.a, rb = this.rep.b, self = this;
    SIDES.forEach(function (v) { expandSeries(self.rep[v].series); });
    /* both sides on one time axis: an entry starts at series.t[i] and lasts its width */
    this.end = Math.max(ra.scenario.duration || 0, rb.scenario.duration || 0, this.until('a'), this.until('b')) || 1;
    /* the slider steps through the finer of the two sides' entries */
    this.step = Math.min(this.wd('a', 0), this.wd('b', 0));
    this.nsteps = Math.max(1, Math.ceil(this.end / this.step));
    this.t = 0;
    this.same = sameShape(this.graph.a, this.graph.b);
    this.nodes = { a: {}, b: {} };
    this.edges = { a: [], b: [] };
    this.cursors = [];
  }

  /* Both architectures have the same services, journeys and edges: draw B in A's layout. */
  function sameShape(ga, gb) {
    function key(g) {
      return JSON.stringify([g.services.map(function (s) { return s.name; }).sort(),
        (g.journeys || []).map(function (j) { return j.name; }).sort(),
        g.edges.map(function (e) { return e.from + '>' + e.to; }).sort()]);
    }
    return key(ga) === key(gb);
  }

  /* A large run's page holds its series compacted (reports/decimate.c): a series of one value is
  ** that number. Back to arrays, one value per entry. */
  function expandSeries(ser) {
    var n = ser.t.length;
    function fix(o) {
      Object.keys(o).forEach(function (k) {
        if (typeof o[k] === 'number' && k !== 'window') { var a = new Array(n); for (var i = 0; i < n; i++) a[i] = o[k]; o[k] = a; }
        else if (o[k] && typeof o[k] === 'object' && !Array.isArray(o[k])) fix(o[k]);
      });
    }
    [ser.services || {}, ser.journeys || {}].forEach(function (m) { Object.keys(m).forEach(function (k) { fix(m[k]); }); });
    (ser.edges || []).forEach(fix);
  }

  /* Seconds entry i of side v lasts: the window, or a consolidated entry's width (series.width). */
  Diff.prototype.wd = function (v, i) {
    var ser = this.rep[v].series, w = ser.width;
    return w && w[i] > 0 ? w[i] : ser.window || 1;
  };
  /* Where side v's entry i starts. */
  Diff.prototype.t0 = function (v, i) {
    var x = this.rep[v].series.t;
    return x[i] != null ? x[i] : i * (this.rep[v].series.window || 1);
  };
  /* Where side v's last entry ends. */
  Diff.prototype.until = function (v) {
    var n = this.rep[v].series.t.length;
    return n ? this.t0(v, n - 1) + this.wd(v, n - 1) : 0;
  };

  /* Entry of side v that holds time t (clamped). */
  Diff.prototype.wOf = function (v, t) {
    var x = this.rep[v].series.t, lo = 0, hi = x.length - 1;
    while (lo < hi) { var mid = (lo + hi + 1) >> 1; if (x[mid] <= t + 1e-9) lo = mid; else hi = mid - 1; }
    return Math.max(lo, 0);
  };

  function faultsOn(r, name) {
    return (r.faults || []).filter(function (f) { return f.target === name || f.from === name; });
  }

  /* ---- header and notes ---- */

  Diff.prototype.renderHead = function () {
    var c = this.cmp, self = this;
    function sideText(v) {
      var s = c[v];
      return s.name + ' (' + s.file + (s.set.length ? ' ' + s.set.map(function (x) { return '--set-' + v + ' ' + x; }).join(' ') : '') + ')';
    }
    byId('fl-meta').textContent = 'A = ' + sideText('a') + '  ·  B = ' + sideText('b') + '  ·  ' + c.replications +
      ' replication' + (c.replications === 1 ? '' : 's') + ', base seed ' + c.seed +
      (c.set && c.set.length ? '  ·  both: --set ' + c.set.join(' --set ') : '');
    SIDES.forEach(function (v) {
      var h = byId('fl-title-' + v);
      h.textContent = '';
      h.appendChild(el('span', { cls: 'tag ' + v, text: v.toUpperCase() }));
      h.appendChild(document.createTextNode(sideText(v)));
      h.title = sideText(v);
    });
    var changed = c.changed || [], worse = 0, better = 0;
    (c.expectations || []).forEach(function (x) {
      if (!x.changed || !x.a || !x.b) return;
      var rank = { failed: 0, mixed: 1, held: 2 };
      if (rank[x.b.verdict] > rank[x.a.verdict]) better++; else worse++;
    });
    var vd = byId('fl-verdict');
    vd.className = 'verdict ' + (worse ? 'fail' : better ? 'pass' : 'none');
    vd.textContent = changed.length ? better + ' expectation' + (better === 1 ? '' : 's') + ' better in B, ' + worse + ' worse' : 'no expectation changed its verdict';
    var seed0 = (c.seeds || [])[0], crn = c.common_random_numbers;
    byId('fl-rep-note').textContent = 'Diagrams, health strips, journey charts and cascades show replication 0 of each side (seed ' + seed0 +
      (crn ? ', the same for A and B: common random numbers, so both see the same arrivals' : '; B ran with its own seed ' + (c.seeds_b || [])[0] + ': no common random numbers') +
      '). The differences below are paired over all ' + c.replications + ' replications.' +
      (this.same ? ' Both architectures match: B is drawn in A\u2019s layout.' : ' The architectures differ: each is drawn in its own layout.');
    byId('fl-diff-note').textContent = 'mean \u00b1 ' + Math.round(100 * (c.confidence || 0.95)) + '% confidence interval; B \u2212 A ' +
      (crn ? 'paired per replication' : 'by Welch\u2019s interval') + '; bold: the interval of the difference excludes 0.' +
      (c.complete === false ? ' Stopped early: only the replications done in both count.' : '');
    byId('fl-footer').textContent = 'faultline ' + (c.faultline || '') + ' \u00b7 compare';
    document.title = c.a.name + ' vs ' + c.b.name + ' \u00b7 faultline compare';
  };

  /* ---- diagrams ---- */

  function pathD(p) {
    if (!p || p.length < 4) return '';
    var d = 'M' + p[0] + ',' + p[1];
    for (var i = 2; i + 5 < p.length; i += 6) d += ' C' + p.slice(i, i + 6).join(',');
    return d;
  }

  Diff.prototype.drawDiagram = function (v) {
    var g = this.graph[v], geo = this.same ? this.graph.a : g, svg = byId('fl-diagram-' + v), self = this;
    var lay = geo.layout || {}, W = lay.width || 400, H = lay.height || 200, m = 14;
    svg.setAttribute('viewBox', (-m) + ' ' + (-m) + ' ' + (W + 2 * m) + ' ' + (H + 2 * m));
    svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
    var pos = {}, jpos = {};
    geo.services.forEach(function (s) { pos[s.name] = s; });
    (geo.journeys || []).forEach(function (j) { jpos[j.name] = j; });
    var gG = sv('g', { cls: 'groups' }), gE = sv('g'), gN = sv('g');
    /* groups: a box around their services, as on the report page */
    (geo.groups || []).forEach(function (gr) {
      var x0 = gr.x - gr.w / 2, y0 = gr.y - gr.h / 2;
      gG.appendChild(sv('g', { cls: 'group', 'data-name': gr.name }, [sv('rect', { cls: 'gbox', x: x0, y: y0, width: gr.w, height: gr.h, rx: 10 }),
        sv('text', { cls: 'gname', x: x0 + 10, y: y0 + 16, text: gr.name })]));
    });
    geo.edges.forEach(function (e) {
      var opt = e.optional || (e.calls || []).every(function (c) { return c.optional; });
      var path = sv('path', { cls: 'edge' + (opt ? ' optional' : ''), d: pathD(e.path) }, [sv('title', { text: e.from + ' \u2192 ' + e.to })]);
      var arrow = sv('path', { cls: 'arrow', d: e.arrow ? 'M' + e.arrow.join(',').replace(/^([^,]*,[^,]*),/, '$1 L') : '' });
      gE.appendChild(path); gE.appendChild(arrow);
      self.edges[v].push({ from: e.from, to: e.to, path: path, arrow: arrow });
    });
    (geo.entries || []).forEach(function (e) {
      gE.appendChild(sv('path', { cls: 'edge entry', d: pathD(e.path) }));
    });
    (g.journeys || []).forEach(function (j) {
      var p = jpos[j.name] || j;
      if (p.x == null) return;
      var node = sv('g', { cls: 'journey ok', 'data-name': j.name, transform: 'translate(' + (p.x - p.w / 2) + ',' + (p.y - p.h / 2) + ')' }, [
        sv('rect', { cls: 'box', width: p.w, height: p.h, rx: 12 }),
        sv('text', { cls: 'name', x: p.w / 2, y: p.h / 2 + 4, text: j.name }),
        sv('title', { text: 'journey ' + j.name })]);
      gN.appendChild(node);
      self.nodes[v]['j:' + j.name] = node;
    });
    g.services.forEach(function (s) {
      var p = pos[s.name] || s;
      if (p.x == null) return;
      var badge = sv('g', { cls: 'badge', transform: 'translate(' + (p.w - 34) + ',-8)', visibility: 'hidden' }, [
        sv('rect', { width: 38, height: 13, rx: 3 }), sv('text', { x: 19, y: 10 })]);
      var stat = sv('text', { cls: 'stat', x: p.w / 2, y: p.h / 2 + 14 });
      var node = sv('g', { cls: 'node ok', 'data-name': s.name, transform: 'translate(' + (p.x - p.w / 2) + ',' + (p.y - p.h / 2) + ')' }, [
        sv('rect', { cls: 'box', width: p.w, height: p.h, rx: 7 }),
        sv('text', { cls: 'name', x: p.w / 2, y: p.h / 2 - 2, text: s.name }), stat, badge,
        sv('title', { text: s.name })]);
      node.stat = stat; node.badge = badge;
      gN.appendChild(node);
      self.nodes[v][s.name] = node;
    });
    svg.appendChild(gG); svg.appendChild(gE); svg.appendChild(gN);
  };

  /* Requests/s as the diagram writes them: whole above 10, one decimal below. */
  function rate(x) { return x >= 10 ? String(Math.round(x)) : String(Math.round(x * 10) / 10); }

  function failColor(r) {
    if (!(r > 0)) return '#8a99ad';
    var t = Math.min(1, r / 0.5);
    var a = [240, 162, 2], b = [214, 40, 40];
    return 'rgb(' + a.map(function (x, i) { return Math.round(x + (b[i] - x) * t); }).join(', ') + ')';
  }

  Diff.prototype.paintDiagram = function (v) {
    var r = this.rep[v], ser = r.series, w = this.wOf(v, this.t), t = this.t, nodes = this.nodes[v], self = this;
    Object.keys(ser.services).forEach(function (name) {
      var n = nodes[name];
      if (!n) return;
      var s = ser.services[name], h = HEALTH[(s.health || [])[w] || 0] || 'ok';
      var active = (r.faults || []).filter(function (f) { return (f.target === name || f.from === name) && t >= f.start && (f.end == null || t < f.end); });
      n.setAttribute('class', 'node ' + h + (active.length ? ' faulted' : ''));
      var arr = (s.arrivals || [])[w] || 0, fail = (s.failures || [])[w] || 0;
      n.stat.textContent = rate(arr / self.wd(v, w)) + '/s' + (arr ? ' \u00b7 ' + fmtPct(fail / arr, 0) + ' fail' : '');
      n.badge.setAttribute('visibility', active.length ? 'visible' : 'hidden');
      if (active.length) n.badge.lastChild.textContent = String(active[0].kind).toUpperCase().slice(0, 7);
    });
    Object.keys(ser.journeys).forEach(function (name) {
      var n = nodes['j:' + name];
      if (!n) return;
      var h = 'ok';
      (r.timeline || []).forEach(function (c) { if (c.journey === name && c.t <= t) h = c.to; });
      n.setAttribute('class', 'journey ' + h);
    });
    var idx = {};
    ser.edges.forEach(function (e) { idx[e.from + '>' + e.to] = e; });
    this.edges[v].forEach(function (x) {
      var e = idx[x.from + '>' + x.to], calls = e ? e.calls[w] || 0 : 0, fails = e ? e.failures[w] || 0 : 0;
      var c = failColor(calls ? fails / calls : 0);
      x.path.style.stroke = c; x.arrow.style.stroke = c;
      x.path.style.opacity = calls ? 1 : 0.35;
    });
  };

  /* ---- health strips ---- */

  /* Services of A in order, then those only B has. */
  function union(a, b) {
    var out = a.slice();
    b.forEach(function (n) { if (out.indexOf(n) < 0) out.push(n); });
    return out;
  }

  /* Side v's health strip of service 'name', or with 'members' of group 'name': the worst of
  ** theirs per entry. */
  Diff.prototype.strip = function (v, name, members) {
    var r = this.rep[v], ser = r.series.services, self = this, h = null, faults = [];
    var svg = sv('svg', { cls: 'strip', viewBox: '0 0 ' + this.end + ' 1', preserveAspectRatio: 'none', 'data-side': v });
    svg.setAttribute(members ? 'data-group' : 'data-service', name);
    (members || [name]).forEach(function (m) {
      var s = ser[m];
      if (!s) return;
      var mh = s.health || [];
      if (!h) h = mh.slice(); else for (var k = 0; k < h.length; k++) h[k] = Math.max(h[k] || 0, mh[k] || 0);
      faults = faults.concat(faultsOn(r, m).filter(function (f) { return faults.indexOf(f) < 0; }));
    });
    if (!h) { svg.appendChild(sv('rect', { x: 0, y: 0, width: this.end, height: 1, fill: '#eee' })); return svg; }
    var i = 0;
    while (i < h.length) {
      var j = i;
      while (j < h.length && h[j] === h[i]) j++;
      var x0 = this.t0(v, i);
      svg.appendChild(sv('rect', { cls: HEALTH[h[i]] || 'ok', x: x0, y: 0, width: this.t0(v, j - 1) + this.wd(v, j - 1) - x0, height: 1, 'data-health': HEALTH[h[i]] || 'ok', 'data-i': i }));
      i = j;
    }
    faults.forEach(function (f) {
      svg.appendChild(sv('rect', { cls: 'fault', x: f.start, y: 0.05, width: (f.end == null ? self.end : f.end) - f.start, height: 0.9, 'vector-effect': 'non-scaling-stroke' }));
    });
    var cur = sv('line', { cls: 'cur', x1: 0, x2: 0, y1: 0, y2: 1 });
    svg.appendChild(cur);
    this.cursors.push(cur);
    svg.addEventListener('click', function (e) {
      var b = svg.getBoundingClientRect();
      self.seekTime((e.clientX - b.left) / (b.width || 1) * self.end);
    });
    return svg;
  };

  Diff.prototype.renderStrips = function () {
    var box = byId('fl-strips'), self = this;
    var names = union(Object.keys(this.rep.a.series.services), Object.keys(this.rep.b.series.services));
    function pair(name, members, into) {
      SIDES.forEach(function (v) {
        var label = v === 'a' ? (members ? '\u25b8 ' + name + ' (worst of ' + members.length + ')' : name) : '';
        into.push(el('div', { cls: 'lbl', title: name + ' in ' + v.toUpperCase() }, [label, el('small', {}, [el('span', { cls: 'tag ' + v, text: v.toUpperCase() })])]));
        into.push(self.strip(v, name, members && members.filter(function (m) { return self.rep[v].series.services[m]; })));
      });
    }
    /* services in groups (A's, else B's) under their group's heading, as on the report page;
    ** click it to fold its services into one strip of their worst health */
    var groupOf = {}, order = [];
    SIDES.slice().reverse().forEach(function (v) {
      (self.graph[v].services || []).forEach(function (s) { if (s.group) groupOf[s.name] = s.group; else delete groupOf[s.name]; });
    });
    var members = {};
    names.forEach(function (n) {
      var g = groupOf[n] || '';
      if (!members[g]) { members[g] = []; order.push(g); }
      members[g].push(n);
    });
    if (order.length === 1 && order[0] === '') { names.forEach(function (n) { var rows = []; pair(n, null, rows); rows.forEach(function (x) { box.appendChild(x); }); }); }
    else order.forEach(function (g) {
      var rows = [], folded = [];
      members[g].forEach(function (n) { pair(n, null, rows); });
      if (!g) { rows.forEach(function (x) { box.appendChild(x); }); return; }
      pair(g, members[g], folded);
      folded.forEach(function (x) { x.style.display = 'none'; });
      var head = el('div', { cls: 'ghead', 'data-group': g, title: 'fold ' + g + ' into one strip of its worst health', text: '\u25be ' + g });
      head.addEventListener('click', function () {
        var fold = !head.classList.contains('folded');
        head.classList.toggle('folded', fold);
        head.textContent = (fold ? '\u25b8 ' : '\u25be ') + g;
        rows.forEach(function (x) { x.style.display = fold ? 'none' : ''; });
        folded.forEach(function (x) { x.style.display = fold ? '' : 'none'; });
      });
      box.appendChild(head);
      rows.concat(folded).forEach(function (x) { box.appendChild(x); });
    });
    box.appendChild(el('div'));
    box.appendChild(el('div', { cls: 'axis' }, [el('span', { text: '0s' }), el('span', { text: fmtT(this.end / 2) }), el('span', { text: fmtT(this.end) })]));
  };

  /* ---- journey charts: A and B overlaid ---- */

  function successRatio(j, w) {
    var ok = (j.successes[w] || 0) + (j.degraded ? j.degraded[w] || 0 : 0), all = ok + (j.failures[w] || 0);
    return all ? ok / all : null;
  }

  /* One chart of a journey's per-window value, A and B overlaid. fixedMax: a linear scale from 0
  ** to it (shares); none: a log scale between the smallest and largest value (latencies, where
  ** a hang's seconds would flatten the milliseconds around it). */
  Diff.prototype.chart = function (title, name, value, fmt, fixedMax) {
    var self = this, W = this.end, series = {}, max = fixedMax || 0, min = Infinity;
    SIDES.forEach(function (v) {
      var j = self.rep[v].series.journeys[name];
      if (!j) return;
      series[v] = j.successes.map(function (_, w) { return value(j, w); });
      if (!fixedMax) series[v].forEach(function (x) { if (x != null && isFinite(x) && x > 0) { if (x > max) max = x; if (x < min) min = x; } });
    });
    max = max || 1;
    var log = !fixedMax && min < max, lmin = log ? Math.log(min) : 0, lspan = log ? Math.log(max) - lmin : 1;
    function y(x) { return log ? 96 - 92 * (Math.log(Math.max(x, min)) - lmin) / lspan : 96 - 92 * Math.min(x, max) / max; }
    var svg = sv('svg', { viewBox: '0 0 ' + W + ' 100', preserveAspectRatio: 'none', 'data-journey': name, 'data-metric': title });
    SIDES.forEach(function (v) {
      (self.rep[v].faults || []).forEach(function (f) {
        if (v === 'b' && (self.rep.a.faults || []).some(function (g) { return g.start === f.start && g.end === f.end; })) return;
        svg.appendChild(sv('rect', { cls: 'shade', x: f.start, y: 0, width: (f.end == null ? W : f.end) - f.start, height: 100 }));
      });
    });
    SIDES.forEach(function (v) {
      if (!series[v]) return;
      var d = '', pen = false;
      series[v].forEach(function (x, w) {
        if (x == null || !isFinite(x)) { pen = false; return; }
        var px = self.t0(v, w) + self.wd(v, w) / 2, py = y(x);
        d += (pen ? ' L' : ' M') + px.toFixed(2) + ',' + py.toFixed(2);
        pen = true;
      });
      svg.appendChild(sv('path', { cls: 'line-' + v, d: d, 'data-side': v }));
    });
    var cur = sv('line', { cls: 'cur', x1: 0, x2: 0, y1: 0, y2: 100 });
    svg.appendChild(cur);
    this.cursors.push(cur);
    svg.addEventListener('click', function (e) {
      var b = svg.getBoundingClientRect();
      self.seekTime((e.clientX - b.left) / (b.width || 1) * self.end);
    });
    return el('div', { cls: 'jchart' }, [el('h3', { text: name + ' \u00b7 ' + title + (log ? ' (log scale, ' + fmt(min) + ' to ' + fmt(max) + ')' : ' (0 to ' + fmt(max) + ')') }), svg]);
  };

  Diff.prototype.renderJourneys = function () {
    var box = byId('fl-journey-charts'), self = this;
    var names = union(Object.keys(this.rep.a.series.journeys), Object.keys(this.rep.b.series.journeys));
    names.forEach(function (n) {
      box.appendChild(self.chart('success per window', n, successRatio, function (x) { return fmtPct(x, 0); }, 1));
      box.appendChild(self.chart('p99 per window', n, function (j, w) { return (j.successes[w] || j.failures[w]) ? j.p99[w] : null; }, fmtLat));
    });
  };

  /* ---- cascades ---- */

  Diff.prototype.renderTimeline = function (v) {
    var ol = byId('fl-timeline-' + v), r = this.rep[v], self = this;
    var tl = r.timeline || [];
    if (!tl.length) { ol.appendChild(el('li', { cls: 'empty', text: 'no health changes: everything stayed ok' })); return; }
    tl.forEach(function (c) {
      var who = c.service || c.journey;
      ol.appendChild(el('li', { cls: c.to, 'data-t': c.t, onclick: function () { self.seekTime(c.t); } }, [
        el('span', { cls: 't', text: 't=' + fmtT(c.t) }),
        el('b', { text: who }), ' ' + c.from + ' \u2192 ' + c.to + (c.reason ? ': ' + c.reason : '')]));
    });
  };

  /* ---- paired differences ---- */

  function ci(c, ratio) {
    if (!c) return '-';
    var f = ratio ? function (x) { return fmtPct(x); } : fmtLat;
    var half = c.ci95 != null ? c.ci95 : c.half;
    return f(c.mean) + (half != null && isFinite(half) ? ' \u00b1 ' + f(half) : '');
  }
  function diffCell(m, ratio, higherBetter) {
    var d = m && m.diff;
    if (!d) return el('td', { cls: 'num d', text: '-' });
    var txt = signed(ci(d, ratio), d.mean), good = higherBetter ? d.mean > 0 : d.mean < 0;
    /* utilisation is neither good nor bad: only journeys get a colour */
    return el('td', { cls: 'num d' + (m.significant && higherBetter != null ? good ? ' better' : ' worse' : ''), text: txt });
  }

  Diff.prototype.renderDiffs = function () {
    var c = this.cmp;
    var xt = byId('fl-diff-expectations');
    xt.appendChild(el('tr', {}, ['expectation', 'A held', 'B held', 'verdict'].map(function (h) { return el('th', { text: h }); })));
    (c.expectations || []).forEach(function (x) {
      function held(s) { return s ? s.held + '/' + s.of + ' (' + s.verdict + ')' : 'not there'; }
      xt.appendChild(el('tr', { cls: x.changed ? 'changed' : '' }, [el('td', { text: x.name }), el('td', { text: held(x.a) }), el('td', { text: held(x.b) }),
        el('td', { cls: x.changed ? 'changed' : '', text: x.changed ? x.a.verdict + ' \u2192 ' + x.b.verdict : 'unchanged' })]));
    });
    var METRICS = { success_ratio: [true, true], p99: [false, false], latency_mean: [false, false], peak_utilization: [true, null], utilization: [true, null] };
    [['fl-diff-journeys', c.journeys], ['fl-diff-services', c.services]].forEach(function (p) {
      var t = byId(p[0]);
      t.appendChild(el('tr', {}, ['', 'metric', 'A', 'B', 'B \u2212 A'].map(function (h) { return el('th', { text: h }); })));
      Object.keys(p[1] || {}).forEach(function (name) {
        var subj = p[1][name];
        Object.keys(subj).forEach(function (k, i) {
          var m = subj[k], kind = METRICS[k] || [false, false];
          t.appendChild(el('tr', { cls: m.significant ? 'sig' : '' }, [el('td', { text: i ? '' : name }), el('td', { text: k }),
            el('td', { cls: 'num', text: ci(m.a, kind[0]) }), el('td', { cls: 'num', text: ci(m.b, kind[0]) }), diffCell(m, kind[0], kind[1])]));
        });
      });
    });
  };

  /* ---- time ---- */

  Diff.prototype.seekTime = function (t) {
    this.seek(Math.floor(t / this.step));
  };
  Diff.prototype.seek = function (i) {
    i = Math.max(0, Math.min(this.nsteps - 1, i | 0));
    this.i = i;
    this.t = i * this.step;
    byId('fl-slider').value = i;
    var x = this.t + this.step / 2;
    this.cursors.forEach(function (c) { c.setAttribute('x1', x); c.setAttribute('x2', x); });
    byId('fl-clock').textContent = 't = ' + fmtT(this.t) + ' \u2013 ' + fmtT(this.t + this.step) + ' of ' + fmtT(this.end);
    this.paintDiagram('a');
    this.paintDiagram('b');
  };
  Diff.prototype.toggle = function () {
    var self = this;
    if (this.playing) { clearInterval(this.playing); this.playing = null; byId('fl-play').innerHTML = '&#9654;'; return; }
    if (this.i >= this.nsteps - 1) this.seek(0);
    byId('fl-play').innerHTML = '&#10074;&#10074;';
    this.playing = setInterval(function () {
      if (self.i >= self.nsteps - 1) self.toggle(); else self.seek(self.i + 1);
    }, 100);
  };

  Diff.prototype.render = function () {
    var self = this;
    this.renderHead();
    SIDES.forEach(function (v) { self.drawDiagram(v); self.renderTimeline(v); });
    this.renderStrips();
    this.renderJourneys();
    this.renderDiffs();
    var sl = byId('fl-slider');
    sl.max = this.nsteps - 1;
    sl.addEventListener('input', function () { if (self.playing) self.toggle(); self.seek(+this.value); });
    byId('fl-play').addEventListener('click', function () { self.toggle(); });
    document.addEventListener('keydown', function (e) {
      if (e.key === ' ' && e.target.tagName !== 'INPUT') { e.preventDefault(); self.toggle(); }
    });
    /* start at the first fault of either side: where the two runs part */
    var f = (this.rep.a.faults || []).concat(this.rep.b.faults || []).map(function (x) { return x.start; });
    this.seekTime(f.length ? Math.min.apply(null, f) + 2 * this.step : 0);
  };

  function boot() {
    var d = new Diff();
    d.render();
    global.FL = global.FL || {};
    global.FL.diff = d;
    document.documentElement.setAttribute('data-ready', '1');
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})(window);
