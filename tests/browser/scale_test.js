// Browser test of the report page at 1,000 services: headless Debian Chromium driven by
// playwright-core. It writes a 1,000-service scenario in 20 groups (`group = "team-N"`, each a
// tree of 50 services, a few calls across groups, a crash in group 10) running 5 minutes at 1 s
// windows, runs `faultline run --html --json` on it and checks: the page is under 5 MB; it is drawn
// (the time to "drawn" is printed, not asserted: it moves with the machine's load) with every
// service and every group box, laid out to the page's shape (not one column); its series are
// decimated, say so, and their buckets sum the JSON report's windows; search finds a service and
// puts it on screen; "jump to fault" puts the crashed node inside the viewport, also from inside a
// collapsed group; collapsing a group hides its members and shows one node with their worst health.
// usage: node tests/browser/scale_test.js; prints "ok NAME" / "FAIL NAME: why" and
// "# scale_test: N passed, N failed"; screenshots go to out/.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const B = require('./browser');

const T = B.checks('scale_test'), check = T.check;
const GROUPS = 20, PER = 50, MB = 1048576;
const nm = (g, i) => `svc-${g}-${i}`;

// Each group a binary tree of PER services; the first service calls every other group's root;
// every fifth inner service also calls a leaf of the group three along.
function scenario() {
  let s = 'scenario { name = "one thousand services", duration = "5m", seed = 3, window = "1s", warmup = "10s" }\n';
  for (let g = 0; g < GROUPS; g++) {
    for (let i = 0; i < PER; i++) {
      let calls = [2 * i + 1, 2 * i + 2].filter((c) => c < PER).map((c) => nm(g, c));
      if (g === 0 && i === 0) calls = Array.from({ length: GROUPS - 1 }, (_, h) => nm(h + 1, 0)).concat(calls);
      if (i % 5 === 2 && calls.length) calls.push(nm((g + 3) % GROUPS, PER - 1 - (i % 7)));
      const c = calls.length ? `, calls = { ${calls.map((x) => `call "${x}" { timeout = "1s" }`).join(', ')} }` : '';
      s += `service "${nm(g, i)}" { group = "team-${g}", instances = 1, workers = 8, queue = 20, work = exp "1ms"${c} }\n`;
    }
  }
  const faulted = nm(GROUPS / 2, PER / 2 + 3);
  s += `traffic { rate = "20/s", mix = { ["${nm(0, 0)}"] = 1 } }\n`;
  s += `fault { target = "${faulted}", kind = "crash", at = "40s", duration = "30s" }\n`;
  return { text: s, faulted, group: `team-${GROUPS / 2}` };
}

const rectOf = (page, sel) => page.$eval(sel, (e) => { const r = e.getBoundingClientRect(); return { l: r.left, t: r.top, r: r.right, b: r.bottom, w: r.width }; });
const inside = (a, box) => a.w > 0 && a.l >= box.l - 0.5 && a.t >= box.t - 0.5 && a.r <= box.r + 0.5 && a.b <= box.b + 0.5;
const win = (page) => page.evaluate(() => ({ l: 0, t: 0, r: window.innerWidth, b: window.innerHeight }));
// The diagram's extent (layout units squared), where each service is and how many nodes are drawn.
const layoutNow = (page) => page.evaluate(() => {
  const d = FL.dashboard, at = {};
  Object.keys(d.svc).forEach((n) => { at[n] = d.svc[n].g.getAttribute('transform'); });
  const drawn = [...document.querySelectorAll('#fl-diagram .node, #fl-diagram .gnode')].filter((e) => e.getBoundingClientRect().width > 0).length;
  return { area: d.bounds.w * d.bounds.h, at, drawn };
});
const seek = (page, t) => page.evaluate((tt) => { FL.dashboard.seekTime(tt); }, t);

async function main() {
  fs.mkdirSync(B.OUT, { recursive: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-scale-'));
  const sc = scenario();
  const lua = path.join(dir, 's1000.lua'), html = path.join(dir, 's1000.html'), json = path.join(dir, 's1000.json');
  fs.writeFileSync(lua, sc.text);
  let browser;
  try {
    B.faultline(['run', lua, '-q', '--html', html, '--json', json]);
    const size = fs.statSync(html).size;
    console.log(`# 1,000-service report: ${(size / MB).toFixed(2)} MB`);
    check('the_1000_service_page_is_under_5_MB', size < 5 * MB, `${(size / MB).toFixed(2)} MB`);
    browser = await B.launch();
    const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    const { errors, remote } = B.watch(page);
    const ms = await B.openReport(page, html, 60000);
    console.log(`# 1,000-service report: drawn in ${ms} ms`);
    const n = await page.$$eval('#fl-diagram .node', (ns) => ns.length);
    check('every_service_is_drawn', n === GROUPS * PER, `${n} nodes`);
    const groups = await page.$$eval('#fl-diagram .group', (gs) => gs.map((g) => g.getAttribute('data-name')));
    check('every_group_is_drawn_as_a_box', groups.length === GROUPS && groups.includes(sc.group), `${groups.length} groups`);
    const lay = await page.evaluate(() => FL.dashboard.graph.layout);
    check('the_layout_uses_the_page_not_one_column', lay.width / lay.height > 0.9 && lay.width / lay.height < 3, JSON.stringify(lay));
    // the members of a group sit inside its box
    const out = await page.evaluate((g) => {
      const d = FL.dashboard, b = d.grp[g].def;
      return d.grp[g].members.filter((m) => { const s = d.svc[m].def; return Math.abs(s.x - b.x) > b.w / 2 || Math.abs(s.y - b.y) > b.h / 2; });
    }, sc.group);
    check('a_groups_services_are_inside_its_box', out.length === 0, `${out.length} outside: ${out.slice(0, 3)}`);
    await page.screenshot({ path: path.join(B.OUT, 'scale-1000-fit.png') });

    // decimation: the page holds buckets of windows whose counts sum the JSON report's windows
    const full = JSON.parse(fs.readFileSync(json, 'utf8'));
    const ser = await page.evaluate(() => { const s = FL.dashboard.report.series; return { t: s.t, window: s.window, decimated: s.decimated, a: s.services['svc-0-3'].arrivals }; });
    const every = ser.decimated && ser.decimated.every;
    check('the_page_series_are_decimated', every > 1 && ser.t.length <= 2000 && ser.t.length === Math.ceil(full.series.t.length / every) &&
      ser.decimated.windows === full.series.t.length, JSON.stringify(ser.decimated) + ` ${ser.t.length} points`);
    const fa = full.series.services['svc-0-3'].arrivals, sums = ser.a.map((_, b) => fa.slice(b * every, (b + 1) * every).reduce((x, y) => x + y, 0));
    check('a_buckets_counts_are_the_sum_of_its_windows', every > 1 && ser.a.length === sums.length && ser.a.every((v, i) => v === sums[i]) && sums.some((v) => v > 0),
      `page ${ser.a.slice(0, 5)} vs json ${sums.slice(0, 5)}`);
    // the worst of its windows for p99 and health (p99 to 3 significant digits)
    const faulted = sc.faulted;
    const pw = await page.evaluate((n) => { const s = FL.dashboard.report.series.services[n]; return { p99: s.p99, health: s.health }; }, faulted);
    const fs99 = full.series.services[faulted].p99, fh = full.series.services[faulted].health;
    const worst = (a, b) => Math.max.apply(null, a.slice(b * every, (b + 1) * every));
    const p99bad = pw.p99.map((v, b) => [v, worst(fs99, b)]).filter(([v, w]) => Math.abs(v - w) > 0.005 * w + 1e-12);
    const hbad = pw.health.map((v, b) => [v, worst(fh, b)]).filter(([v, w]) => v !== w);
    check('a_buckets_p99_and_health_are_the_worst_of_its_windows', every > 1 && pw.p99.length === ser.t.length && !p99bad.length && !hbad.length &&
      pw.health.some((v) => v === 2), `p99 off ${JSON.stringify(p99bad.slice(0, 3))}, health off ${JSON.stringify(hbad.slice(0, 3))}`);
    const note = await page.$eval('#fl-decimated', (e) => e.textContent).catch(() => '');
    check('the_page_says_it_is_decimated', /decimated/.test(note) && note.includes(String(full.series.t.length)), note);

    // search: the service is highlighted and on screen
    await page.fill('#fl-search', 'svc-17-33');
    const found = await page.$eval('#fl-diagram .node[data-name="svc-17-33"]', (e) => e.getAttribute('class'));
    const fr = await rectOf(page, '#fl-diagram .node[data-name="svc-17-33"] .box');
    const box = await rectOf(page, '#fl-diagram');
    check('search_highlights_the_service', /\bfound\b/.test(found), found);
    check('search_puts_the_service_inside_the_viewport', inside(fr, box) && inside(fr, await win(page)), `${JSON.stringify(fr)} in ${JSON.stringify(box)}`);
    check('search_zooms_to_a_readable_size', fr.w >= 60, `box ${fr.w.toFixed(0)} px wide`);
    await page.fill('#fl-search', '');

    // jump to fault, while the fault is on
    await page.click('#fl-fit');
    await seek(page, 50);
    await page.click('#fl-jump');
    const jr = await rectOf(page, `#fl-diagram .node[data-name="${sc.faulted}"] .box`);
    const cls = await page.$eval(`#fl-diagram .node[data-name="${sc.faulted}"]`, (e) => e.getAttribute('class'));
    check('the_crashed_node_is_marked_faulted', /\bfaulted\b/.test(cls) && /\bdown\b/.test(cls), cls);
    check('jump_to_fault_puts_the_faulted_node_inside_the_viewport', inside(jr, box) && inside(jr, await win(page)), `${JSON.stringify(jr)} in ${JSON.stringify(box)}`);
    await page.screenshot({ path: path.join(B.OUT, 'scale-1000-jump.png') });

    // collapse the faulted node's group: one node, worst health of its members, members hidden
    await page.click('#fl-fit');
    const laid = await layoutNow(page);
    await page.click(`#fl-diagram .group[data-name="${sc.group}"] .gname`);
    const one = await layoutNow(page);
    const moved = Object.keys(one.at).filter((k) => one.at[k] !== laid.at[k]);
    check('collapsing_a_group_lays_the_diagram_out_again', one.drawn === laid.drawn - PER + 1 && moved.length > 0 && one.area < laid.area,
      `${laid.drawn} -> ${one.drawn} drawn, ${moved.length} services moved, area ${laid.area.toFixed(0)} -> ${one.area.toFixed(0)}`);
    const hidden = await page.evaluate((g) => FL.dashboard.grp[g].members.filter((m) => {
      const r = document.querySelector(`#fl-diagram .node[data-name="${m}"]`).getBoundingClientRect();
      return r.width === 0 && r.height === 0;
    }).length, sc.group);
    check('collapsing_a_group_hides_its_members', hidden === PER, `${hidden} of ${PER} hidden`);
    const gcls = await page.$eval(`#fl-diagram .gnode[data-name="${sc.group}"]`, (e) => e.getAttribute('class'));
    const gr = await rectOf(page, `#fl-diagram .gnode[data-name="${sc.group}"]`);
    check('a_collapsed_group_is_one_node_with_its_worst_health', gr.w > 0 && /\bdown\b/.test(gcls) && /\bfaulted\b/.test(gcls), gcls);
    const agg = await page.$$eval('#fl-diagram line.edge.agg', (ls) => ls.length);
    const crossing = await page.evaluate((g) => {
      const d = FL.dashboard, m = {}, ends = {};
      d.grp[g].members.forEach((x) => { m[x] = true; });
      d.graph.edges.forEach((e) => { if (m[e.from] !== m[e.to]) ends[(m[e.from] ? g : e.from) + '>' + (m[e.to] ? g : e.to)] = true; });
      return Object.keys(ends).length;
    }, sc.group);
    check('the_edges_across_its_border_are_drawn_once_per_pair_of_ends', agg === crossing && agg > 0, `${agg} drawn, ${crossing} pairs`);
    await page.screenshot({ path: path.join(B.OUT, 'scale-1000-collapsed.png') });
    // jump to fault opens the group
    await page.click('#fl-jump');
    const jr2 = await rectOf(page, `#fl-diagram .node[data-name="${sc.faulted}"] .box`);
    check('jump_to_fault_opens_a_collapsed_group', inside(jr2, box) && inside(jr2, await win(page)), `${JSON.stringify(jr2)} in ${JSON.stringify(box)}`);
    // collapse every group, expand them again
    await page.click('#fl-groups');
    const gn = await page.$$eval('#fl-diagram .gnode', (gs) => gs.filter((g) => g.getBoundingClientRect().width > 0).length);
    check('collapse_groups_leaves_one_node_per_group', gn === GROUPS, `${gn} group nodes shown`);
    const all = await layoutNow(page);
    check('collapse_groups_shrinks_the_diagram_to_under_a_quarter', all.area < 0.25 * laid.area, `area ${laid.area.toFixed(0)} -> ${all.area.toFixed(0)}`);
    await page.click('#fl-fit');
    await page.screenshot({ path: path.join(B.OUT, 'scale-1000-all-collapsed.png') });
    await page.click('#fl-groups');
    const back = await page.$$eval('#fl-diagram .node', (ns) => ns.filter((g) => g.getBoundingClientRect().width > 0).length);
    check('expand_groups_shows_every_service_again', back === GROUPS * PER, `${back} shown`);
    const again = await layoutNow(page);
    check('expand_groups_restores_the_layout', again.area === laid.area && Object.keys(laid.at).every((k) => again.at[k] === laid.at[k]), `area ${again.area} vs ${laid.area}`);
    check('no_console_errors', errors.length === 0, errors.slice(0, 3).join(' | '));
    check('no_network_requests', remote.length === 0, remote.slice(0, 3).join(' '));
  } catch (e) {
    T.fail('scale_test_ran', String(e && e.stack || e).split('\n').slice(0, 3).join(' '));
  } finally {
    if (browser) await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  T.done();
}

main();
