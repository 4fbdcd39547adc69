// Browser test of the diff page (`compare --html`) on runs whose entries differ in length: A at
// 1 s windows over 28,000 s (its series consolidate under --memory 60MB, series.width, and are cut
// for the page: decimated) and B the same at 5 s windows (--set-b window=5s). It checks that both are drawn on one
// time axis, each entry at its series.t and as long as its width: the health strips, the journey
// charts' points, the slider's entry on each side, the diagram's rates; that a crash shows where
// it happened on both sides; and that service groups are boxes in both diagrams and headings over
// the strips, a folded group one strip of its members' worst health.
// usage: node tests/browser/diff_width_test.js; prints "ok NAME" / "FAIL NAME: why" and
// "# diff_width_test: N passed, N failed"; a screenshot goes to out/diff-width.png.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const B = require('./browser');

const T = B.checks('diff_width_test'), check = T.check;
const FAULT = 12000, DUR = 28000;
const SCENARIO = `scenario { name = "long", duration = "${DUR}s", window = "1s", seed = 5 }
service "api" { group = "front", workers = 4, queue = 50, work = exp "20ms", calls = { call "db" { timeout = "1s" }, call "cache" } }
service "db" { group = "data", workers = 4, queue = 50, work = exp "10ms" }
service "cache" { group = "data", workers = 4, queue = 50, work = exp "1ms" }
traffic { rate = 20, mix = { api = 1 } }
fault { name = "db-down", target = "db", kind = "crash", at = ${FAULT}, duration = 3000 }
`;

const near = (a, b) => Math.abs(a - b) < 1e-6 * Math.max(1, Math.abs(b));
const wd = (s, i) => (s.width ? s.width[i] : s.window);

async function main() {
  fs.mkdirSync(B.OUT, { recursive: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-diffw-'));
  const lua = path.join(dir, 'long.lua'), html = path.join(dir, 'd.html');
  fs.writeFileSync(lua, SCENARIO);
  let c;
  await B.run(T, 'diff_width_test', async () => {
    B.faultline(['compare', lua, '--set-b', 'window=5s', '--reps', '2', '-j', '1', '--memory', '60MB', '-q', '--html', html]);
    c = await B.context();
    const page = await c.context.newPage();
    const { errors } = B.watch(page);
    await B.openReport(page, html, 30000);
    const rep = {};
    for (const v of ['a', 'b']) rep[v] = JSON.parse(await page.$eval('#fl-report-' + v, (e) => e.textContent)).series;
    const a = rep.a, b = rep.b;
    check('A_is_consolidated_and_B_is_not', a.width && a.width.length === a.t.length && a.width[0] !== a.window && !b.width,
      `A window ${a.window}, width ${a.width && a.width.slice(0, 2)}; B width ${!!b.width}`);
    check('the_two_sides_entries_differ_in_length', wd(a, 0) !== wd(b, 0), `${wd(a, 0)} s vs ${wd(b, 0)} s`);

    // health strips: each stretch starts at its entry's t; both sides end at the run's end
    for (const v of ['a', 'b']) {
      const s = rep[v];
      const rects = await page.$$eval(`.strip[data-side="${v}"][data-service="api"] rect[data-i]`, (rs) => rs.map((r) => [+r.getAttribute('data-i'), +r.getAttribute('x'), +r.getAttribute('width')]));
      const bad = rects.filter(([i, x]) => !near(x, s.t[i]));
      const last = rects[rects.length - 1] || [0, 0, 0];
      const n = s.t.length;
      check(`strip_${v}_stretches_start_at_their_entries_t`, rects.length > 0 && !bad.length, `${bad.length} of ${rects.length} off: ${JSON.stringify(bad.slice(0, 3))}`);
      check(`strip_${v}_ends_where_the_last_entry_ends`, near(last[1] + last[2], s.t[n - 1] + wd(s, n - 1)) && near(last[1] + last[2], DUR),
        `ends at ${last[1] + last[2]}, last entry ${s.t[n - 1]} + ${wd(s, n - 1)}`);
      // the crash: the first down stretch of db starts in the entry holding the fault's start
      const down = await page.$$eval(`.strip[data-side="${v}"][data-service="db"] rect[data-health="down"]`, (rs) => rs.map((r) => +r.getAttribute('x')));
      check(`strip_${v}_shows_the_crash_where_it_happened`, down.length > 0 && down[0] <= FAULT && down[0] > FAULT - 2 * wd(s, 0),
        `first down stretch at ${down[0]} s, fault at ${FAULT} s, entries of ${wd(s, 0)} s`);
    }

    // journey charts: the k-th point of a line sits in the middle of the k-th entry
    const jname = Object.keys(a.journeys)[0];
    for (const v of ['a', 'b']) {
      const s = rep[v], j = s.journeys[jname];
      const d = await page.$eval(`.jchart svg[data-journey="${jname}"][data-metric="success per window"] path.line-${v}`, (p) => p.getAttribute('d'));
      const xs = (d.match(/[ML]\s*-?[\d.]+/g) || []).map((m) => +m.slice(1));
      const want = [];
      s.t.forEach((t, i) => { if (j.successes[i] + (j.degraded ? j.degraded[i] : 0) + j.failures[i] > 0) want.push(t + wd(s, i) / 2); });
      const off = xs.map((x, k) => [k, x, want[k]]).filter(([, x, w]) => !(Math.abs(x - w) < 0.01));
      check(`chart_${v}_plots_each_entry_in_its_middle`, xs.length === want.length && xs.length > 100 && !off.length,
        `${xs.length} points for ${want.length} entries; off ${JSON.stringify(off.slice(0, 3))}`);
    }

    // the slider: at a time, each side shows the entry that holds it
    const at = FAULT + 100;
    const got = await page.evaluate((t) => { FL.diff.seekTime(t); return { t: FL.diff.t, a: FL.diff.wOf('a', FL.diff.t), b: FL.diff.wOf('b', FL.diff.t) }; }, at);
    for (const v of ['a', 'b']) {
      const s = rep[v], i = got[v];
      check(`seeking_finds_the_entry_of_${v}_holding_the_time`, s.t[i] <= got.t + 1e-9 && got.t < s.t[i] + wd(s, i), `t ${got.t}: entry ${i} spans ${s.t[i]} + ${wd(s, i)}`);
      const cls = await page.$eval(`#fl-diagram-${v} .node[data-name="db"]`, (e) => e.getAttribute('class'));
      check(`in_the_crash_db_of_${v}_is_down`, /\bdown\b/.test(cls) && /\bfaulted\b/.test(cls), cls);
      const stat = await page.$eval(`#fl-diagram-${v} .node[data-name="api"] .stat`, (e) => e.textContent);
      const r = s.services.api.arrivals[i] / wd(s, i), txt = r >= 10 ? String(Math.round(r)) : String(Math.round(r * 10) / 10);
      check(`the_diagram_of_${v}_shows_a_rate_over_the_entrys_width`, stat.indexOf(txt + '/s') === 0, `stat "${stat}", ${s.services.api.arrivals[i]} arrivals over ${wd(s, i)} s`);
    }

    // groups: a box in each diagram, a heading over the strips, folding to the worst health
    for (const v of ['a', 'b']) {
      const gs = await page.$$eval(`#fl-diagram-${v} .group`, (x) => x.map((g) => g.getAttribute('data-name')).sort());
      check(`diagram_${v}_draws_each_group_as_a_box`, JSON.stringify(gs) === '["data","front"]', JSON.stringify(gs));
    }
    const heads = await page.$$eval('#fl-strips .ghead', (x) => x.map((h) => h.getAttribute('data-group')));
    check('the_strips_are_headed_by_their_groups', JSON.stringify(heads) === '["front","data"]', JSON.stringify(heads));
    const shown = (sel) => page.$$eval(sel, (x) => x.filter((e) => e.getBoundingClientRect().height > 0).length);
    const before = await shown('.strip[data-service="db"], .strip[data-service="cache"]');
    await page.click('#fl-strips .ghead[data-group="data"]');
    const after = await shown('.strip[data-service="db"], .strip[data-service="cache"]');
    const gstrips = await shown('.strip[data-group="data"]');
    const gdown = await page.$$eval('.strip[data-group="data"][data-side="a"] rect[data-health="down"]', (rs) => rs.map((r) => +r.getAttribute('x')));
    const dbdown = await page.$$eval('.strip[data-service="db"][data-side="a"] rect[data-health="down"]', (rs) => rs.map((r) => +r.getAttribute('x')));
    check('folding_a_group_shows_one_strip_per_side_instead_of_its_services', before === 4 && after === 0 && gstrips === 2, `before ${before}, after ${after}, group strips ${gstrips}`);
    check('a_folded_groups_strip_is_its_members_worst_health', gdown.length > 0 && JSON.stringify(gdown) === JSON.stringify(dbdown), `group ${gdown}, db ${dbdown}`);
    await page.click('#fl-strips .ghead[data-group="data"]');
    check('unfolding_restores_its_services', (await shown('.strip[data-service="db"], .strip[data-service="cache"]')) === 4 && (await shown('.strip[data-group="data"]')) === 0, 'still folded');
    await page.screenshot({ path: path.join(B.OUT, 'diff-width.png'), fullPage: true });
    check('no_console_errors', errors.length === 0, errors.slice(0, 3).join(' | '));
  }, async () => {
    if (c) await c.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
}

main();
