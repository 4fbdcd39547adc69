// Browser test of the HTML report: headless Debian Chromium driven by playwright-core.
// usage: node tests/browser/report_test.js RECOMMENDATION_OUTAGE.html [BLACK_FRIDAY.html]
// Prints "ok NAME" / "FAIL NAME: why" per check and "# report_test: N passed, N failed";
// screenshots go to out/. Exits 0 when every check passed.
'use strict';
const fs = require('fs');
const path = require('path');
const B = require('./browser');

const OUT = B.OUT;
const T = B.checks('report_test'), check = T.check, fail = T.fail;

async function open(context, file) {
  const page = await context.newPage();
  const { errors, remote } = B.watch(page);
  const ms = await B.openReport(page, file, 15000);
  return { page, errors, remote, ms };
}

// The window index that holds simulated time t.
async function seekTo(page, t) {
  await page.evaluate((tt) => {
    const s = document.getElementById('fl-slider');
    s.value = Math.floor(tt / FL.dashboard.win());
    s.dispatchEvent(new Event('input', { bubbles: true }));
  }, t);
}
const nodeClass = (page, kind, name) => page.$eval(`#fl-diagram .${kind}[data-name="${name}"]`, (e) => e.getAttribute('class')).catch(() => '');

async function outage(context, file) {
  const { page, errors, remote, ms } = await open(context, file);
  console.log(`# outage report: ${(fs.statSync(file).size / 1024).toFixed(0)} KB, opened in ${ms} ms`);
  await page.setViewportSize({ width: 1500, height: 1000 });
  const report = JSON.parse(await page.$eval('#fl-report', (e) => e.textContent));
  const services = Object.keys(report.services);
  const shown = await page.$$eval('#fl-diagram .node', (ns) => ns.map((n) => n.getAttribute('data-name')));
  check('every_service_is_in_the_diagram', services.length >= 4 && services.every((s) => shown.includes(s)),
    `services ${services} shown ${shown}`);
  const journeys = Object.keys(report.journeys);
  const jshown = await page.$$eval('#fl-diagram .journey', (ns) => ns.map((n) => n.getAttribute('data-name')));
  check('every_journey_is_an_entry_point_in_the_diagram', journeys.every((j) => jshown.includes(j)), `journeys ${journeys} shown ${jshown}`);
  const edges = await page.$$eval('#fl-diagram path.edge', (ps) => ps.filter((p) => (p.getAttribute('d') || '').startsWith('M')).length);
  check('call_edges_are_drawn', edges >= 4, `${edges} edges with a path`);
  const f = report.faults[0];
  await seekTo(page, 60);
  const before = await nodeClass(page, 'node', 'recommend');
  check('recommend_is_ok_before_the_outage', /\bok\b/.test(before), `class "${before}"`);
  await seekTo(page, f.start + 60);
  const during = await nodeClass(page, 'node', 'recommend');
  check('slider_in_the_outage_turns_recommend_down', /\bdown\b/.test(during) && /\bfaulted\b/.test(during), `class "${during}"`);
  const fill = await page.$eval('#fl-diagram .node[data-name="recommend"] .box', (e) => getComputedStyle(e).fill);
  const m = /rgb\((\d+), (\d+), (\d+)\)/.exec(fill);
  check('recommend_is_drawn_red_in_the_outage', m && +m[1] > 180 && +m[2] < 120 && +m[3] < 120, `fill ${fill}`);
  const badge = await page.$eval('#fl-diagram .node[data-name="recommend"] .badge text', (e) => e.textContent);
  check('the_fault_is_marked_on_its_node', badge === f.kind.toUpperCase(), `badge "${badge}"`);
  const edgeColor = await page.$$eval('#fl-diagram path.edge', (ps) => ps.map((p) => p.style.stroke));
  check('failing_edges_turn_red_in_the_outage', edgeColor.some((c) => /rgb\(2[0-9][0-9], [0-9]{1,2}, /.test(c)), `edge colours ${edgeColor}`);
  await page.screenshot({ path: path.join(OUT, 'report-outage.png'), fullPage: false });

  await page.click('#fl-diagram .node[data-name="recommend"]');
  const gw = await nodeClass(page, 'node', 'gateway');
  check('clicking_recommend_highlights_gateway_upstream', /\bupstream\b/.test(gw), `gateway class "${gw}"`);
  const home = await nodeClass(page, 'journey', 'gateway.home');
  check('clicking_recommend_highlights_the_journey_that_reaches_it', /\bupstream\b/.test(home), `gateway.home class "${home}"`);
  const checkout = await nodeClass(page, 'journey', 'gateway.checkout');
  check('a_journey_that_never_calls_recommend_is_not_highlighted', !/\bupstream\b/.test(checkout), `gateway.checkout class "${checkout}"`);
  const cat = await nodeClass(page, 'node', 'catalog');
  check('an_unrelated_service_is_not_in_the_chain', !/\bupstream\b|\bdownstream\b/.test(cat), `catalog class "${cat}"`);
  const title = await page.$eval('#fl-sel-name', (e) => e.textContent);
  const charts = await page.$$eval('#fl-charts .chart', (c) => c.length);
  check('the_selected_service_shows_its_six_charts', title === 'recommend' && charts === 6, `title "${title}", ${charts} charts`);
  const chartTitles = await page.$$eval('#fl-charts .u-title, #fl-charts .ctitle', (t) => t.map((x) => x.textContent));
  check('charts_cover_rate_latency_causes_queue_utilisation_instances',
    ['Requests', 'Latency', 'Failures', 'Queue', 'Utilisation', 'Instances'].every((k) => chartTitles.some((t) => t.startsWith(k))), `${chartTitles}`);
  await page.screenshot({ path: path.join(OUT, 'report-recommend-selected.png'), fullPage: false });

  await page.click('#fl-diagram .node[data-name="payment"]');
  const gw2 = await nodeClass(page, 'node', 'gateway');
  const co2 = await nodeClass(page, 'journey', 'gateway.checkout');
  const home2 = await nodeClass(page, 'journey', 'gateway.home');
  check('clicking_payment_highlights_checkout_only', /upstream/.test(gw2) && /upstream/.test(co2) && !/upstream/.test(home2), `${gw2} / ${co2} / ${home2}`);
  await page.click('#fl-diagram .node[data-name="gateway"]');
  const down = await nodeClass(page, 'node', 'recommend');
  check('clicking_gateway_highlights_its_downstream_dependencies', /\bdownstream\b/.test(down), `recommend class "${down}"`);

  // the cascade timeline: clicking an entry jumps the slider
  await seekTo(page, 0);
  const entries = await page.$$('#fl-timeline li[data-t]');
  let jumped = false, want = -1, got = -2;
  if (entries.length) {
    const t = +(await entries[0].getAttribute('data-t'));
    await entries[0].click();
    want = Math.floor(t / report.series.window);
    got = +(await page.$eval('#fl-slider', (s) => s.value));
    jumped = want === got && want > 0;
  }
  check('clicking_a_timeline_entry_jumps_the_slider', jumped, `${entries.length} entries, slider ${got}, wanted ${want}`);
  const exp = await page.$$eval('#fl-expectations .chip', (c) => c.map((x) => x.textContent));
  const wantExp = report.expectations.map((e) => (e.passed ? 'PASS' : 'FAIL'));
  check('expectations_show_pass_and_fail', JSON.stringify(exp) === JSON.stringify(wantExp), `${exp} vs ${wantExp}`);
  const jrows = await page.$$eval('#fl-journeys tr', (r) => r.length - 1);
  check('the_journey_table_has_a_row_per_journey', jrows === journeys.length, `${jrows} rows`);

  // play: the replay advances by itself
  await seekTo(page, 0);
  await page.click('#fl-play');
  await page.waitForTimeout(700);
  const moved = +(await page.$eval('#fl-slider', (s) => s.value));
  await page.click('#fl-play');
  check('play_advances_the_slider', moved > 0, `slider at ${moved}`);

  // live feeding: the same dashboard fed window by window turns recommend red when the outage arrives
  const live = await page.evaluate((t) => {
    const rep = JSON.parse(document.getElementById('fl-report').textContent);
    const graph = JSON.parse(document.getElementById('fl-graph').textContent);
    const empty = JSON.parse(JSON.stringify(rep));
    const s = empty.series;
    s.t = []; s.edges = []; s.services = {}; s.journeys = {};
    empty.timeline = [];
    const d = new FL.Dashboard(document);
    d.load(empty, graph);
    const seen = [];
    const wOut = Math.floor(t / rep.series.window);
    for (let w = 0; w <= wOut; w++) {
      d.appendWindow(FL.windowOf(rep, w));
      if (w === 0 || w === wOut) seen.push(document.querySelector('#fl-diagram .node[data-name="recommend"]').getAttribute('class'));
    }
    return seen;
  }, f.start + 60);
  check('fed_window_by_window_the_diagram_follows', /\bok\b/.test(live[0]) && /\bdown\b/.test(live[1]), `${live}`);

  check('no_console_errors', errors.length === 0, errors.slice(0, 3).join(' | '));
  check('no_network_requests', remote.length === 0, remote.slice(0, 3).join(' '));
  await page.close();
}

async function blackFriday(context, file) {
  const { page, errors, remote, ms } = await open(context, file);
  const n = await page.$$eval('#fl-diagram .node', (ns) => ns.length);
  console.log(`# black_friday report: ${(fs.statSync(file).size / 1048576).toFixed(2)} MB, opened in ${ms} ms, ${n} services drawn`);
  check('black_friday_report_opens_in_under_2s', ms < 2000, `${ms} ms`);
  check('black_friday_report_draws_its_10_services', n === 10, `${n} nodes`);
  await page.setViewportSize({ width: 1500, height: 1000 });
  await page.click('#fl-diagram .node[data-name="recommend"]');
  await page.screenshot({ path: path.join(OUT, 'report-black-friday.png'), fullPage: true });
  check('black_friday_no_console_errors', errors.length === 0, errors.slice(0, 3).join(' | '));
  check('black_friday_no_network_requests', remote.length === 0, remote.slice(0, 3).join(' '));
  await page.close();
}

(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  let c;
  try {
    c = await B.context();
    await outage(c.context, process.argv[2]);
    if (process.argv[3]) await blackFriday(c.context, process.argv[3]);
  } catch (e) {
    fail('browser_run', String(e && e.stack || e).split('\n').slice(0, 4).join(' '));
  } finally {
    if (c) await c.close();
  }
  T.done();
})();
