// Browser test of the diff page (`compare --html`): headless Debian Chromium driven by playwright-core.
// usage: node tests/browser/diff_test.js DIFF.html
// DIFF.html: the recommendation outage against itself with the cure as --set-b (a 50 ms optional
// recommend call). Checks that both runs are shown (A's gateway down in the outage, B's not) in
// the diagrams, the health strips, the cascades and the journey charts, and the paired
// differences; no console errors, no network. Prints "ok NAME" / "FAIL NAME: why" and
// "# diff_test: N passed, N failed"; a screenshot goes to out/diff.png. Exits 0 when all passed.
'use strict';
const fs = require('fs');
const path = require('path');
const B = require('./browser');

const OUT = B.OUT;
const T = B.checks('diff_test'), check = T.check, fail = T.fail;

async function diff(context, file) {
  const page = await context.newPage();
  const { errors, remote } = B.watch(page);
  const ms = await B.openReport(page, file, 15000);
  console.log(`# diff page: ${(fs.statSync(file).size / 1024).toFixed(0)} KB, opened in ${ms} ms`);
  const cmp = JSON.parse(await page.$eval('#fl-compare', (e) => e.textContent));
  const ra = JSON.parse(await page.$eval('#fl-report-a', (e) => e.textContent));
  const rb = JSON.parse(await page.$eval('#fl-report-b', (e) => e.textContent));
  check('the_page_embeds_the_comparison_and_both_runs', cmp.kind === 'compare' && ra.faults.length > 0 && rb.faults.length > 0,
    `kind ${cmp.kind}, faults ${ra.faults.length}/${rb.faults.length}`);
  check('both_runs_are_replication_0_with_one_seed', ra.scenario.seed === cmp.seeds[0] && rb.scenario.seed === cmp.seeds[0],
    `A ${ra.scenario.seed}, B ${rb.scenario.seed}, seeds[0] ${cmp.seeds[0]}`);
  const note = await page.$eval('#fl-rep-note', (e) => e.textContent);
  check('the_page_says_it_shows_replication_0_under_common_random_numbers', /replication 0/.test(note) && /common random numbers/.test(note), note);
  for (const v of ['a', 'b']) {
    const names = await page.$$eval(`#fl-diagram-${v} .node`, (ns) => ns.map((n) => n.getAttribute('data-name')));
    check(`diagram_${v}_draws_every_service`, Object.keys(ra.services).every((s) => names.includes(s)), `shown ${names}`);
  }
  // same layout: both architectures match, so each service sits at the same place in A and B
  const tr = await page.$$eval('.dgm .node[data-name="gateway"]', (ns) => ns.map((n) => n.getAttribute('transform')));
  check('matching_architectures_share_one_layout', tr.length === 2 && tr[0] === tr[1], `${tr}`);

  const f = ra.faults[0];
  await page.evaluate((t) => FL.diff.seekTime(t), f.start + 60);
  const cls = (v, n) => page.$eval(`#fl-diagram-${v} .node[data-name="${n}"]`, (e) => e.getAttribute('class'));
  const ga = await cls('a', 'gateway'), gb = await cls('b', 'gateway');
  check('in_the_outage_A_gateway_is_down', /\bdown\b/.test(ga), `class "${ga}"`);
  check('in_the_outage_B_gateway_is_not_down', !/\bdown\b/.test(gb), `class "${gb}"`);
  const rcA = await cls('a', 'recommend'), rcB = await cls('b', 'recommend');
  check('the_fault_is_down_in_both', /\bdown\b/.test(rcA) && /\bdown\b/.test(rcB) && /faulted/.test(rcA), `A "${rcA}", B "${rcB}"`);
  await page.evaluate((t) => FL.diff.seekTime(t), f.start - 60);
  const before = await cls('a', 'gateway');
  check('before_the_outage_A_gateway_is_ok', /\bok\b/.test(before), `class "${before}"`);

  // health strips: gateway's strip in A has a down stretch, in B none
  const downIn = (v) => page.$$eval(`.strip[data-side="${v}"][data-service="gateway"] rect[data-health="down"]`, (rs) => rs.length);
  const da = await downIn('a'), db = await downIn('b');
  check('health_strips_show_A_gateway_down_and_B_not', da > 0 && db === 0, `down stretches: A ${da}, B ${db}`);
  const strips = await page.$$eval('.strip', (s) => s.length);
  check('one_strip_per_service_and_side', strips === 2 * Object.keys(ra.services).length, `${strips} strips`);

  // cascades: A's timeline names gateway, B's does not
  const ta = await page.$eval('#fl-timeline-a', (e) => e.textContent), tb = await page.$eval('#fl-timeline-b', (e) => e.textContent);
  check('the_cascade_of_A_reaches_gateway', /gateway ok \u2192 down/.test(ta), ta.slice(0, 200));
  check('the_cascade_of_B_stops_before_gateway', !/\bgateway ok/.test(tb) && /recommend/.test(tb), tb.slice(0, 200));

  // journey charts: A and B overlaid for every journey
  const lines = await page.$$eval('.jchart svg', (ss) => ss.map((s) => [s.getAttribute('data-journey'), s.querySelectorAll('path.line-a').length, s.querySelectorAll('path.line-b').length]));
  const jn = Object.keys(ra.journeys);
  check('journey_charts_overlay_A_and_B', lines.length === 2 * jn.length && lines.every((l) => l[1] === 1 && l[2] === 1), JSON.stringify(lines));

  // paired differences: the verdict changes are listed
  const changedRows = await page.$$eval('#fl-diff-expectations tr.changed', (rs) => rs.map((r) => r.textContent));
  check('expectations_whose_verdict_changed_are_marked', changedRows.length === cmp.changed.length && cmp.changed.length > 0, JSON.stringify(changedRows));
  const jrows = await page.$$eval('#fl-diff-journeys tr', (rs) => rs.length);
  check('journey_differences_are_tabled', jrows === 1 + 3 * jn.length, `${jrows} rows`);

  await page.evaluate((t) => FL.diff.seekTime(t), f.start + 60);
  await page.setViewportSize({ width: 1500, height: 1000 });
  await page.screenshot({ path: path.join(OUT, 'diff.png'), fullPage: true });
  check('no_console_errors', errors.length === 0, errors.slice(0, 3).join(' | '));
  check('no_network_requests', remote.length === 0, remote.slice(0, 3).join(' '));
  await page.close();
}

(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  let c;
  try {
    c = await B.context();
    await diff(c.context, process.argv[2]);
  } catch (e) {
    fail('browser_run', String(e && e.stack || e).split('\n').slice(0, 4).join(' '));
  } finally {
    if (c) await c.close();
  }
  T.done();
})();
