// Browser test of how the HTML report draws precise faults: headless Debian Chromium driven by
// playwright-core. It writes a small shop (gateway -> checkout -> payment, gateway -> catalog with
// two endpoints, refunds -> payment), with errors on the link checkout -> payment and errors on
// the endpoint catalog.get, runs `faultline run --html` on it and checks, in a window during the
// faults, that the link's badge is on the edge checkout -> payment, that payment (which the link
// fault never reaches) stays healthy and unbadged, and that catalog's badge names the endpoint; a
// hook changes the mix at 50 s: the report's model is the mix as it started, the page lists the change;
// an expectation with where shows its selector.
// usage: node tests/browser/faults_test.js; prints "ok NAME" / "FAIL NAME: why" and
// "# faults_test: N passed, N failed"; screenshots go to out/.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const B = require('./browser');

const OUT = B.OUT;
const T = B.checks('faults_test'), check = T.check;

const SCENARIO = `scenario { name = "precise faults", duration = "60s", seed = 3, window = "1s", warmup = "5s" }
service "gateway" { instances = 1, workers = 1000, queue = 1000, endpoints = {
  buy = { work = const "1ms", calls = { call "checkout" { timeout = "2s" } } },
  item = { work = const "1ms", calls = { call "catalog.get" { timeout = "2s" } } },
  list = { work = const "1ms", calls = { call "catalog.list" { timeout = "2s" } } } } }
service "checkout" { instances = 1, workers = 1000, queue = 1000, work = const "1ms", calls = { call "payment" { timeout = "1s" } } }
service "refunds" { instances = 1, workers = 100, work = const "1ms", calls = { call "payment" } }
service "catalog" { instances = 2, workers = 100, endpoints = { get = { work = const "2ms" }, list = { work = const "2ms" } } }
service "payment" { instances = 2, workers = 100, work = const "5ms" }
traffic { rate = "300/s", mix = { ["gateway.buy"] = 0.4, ["gateway.item"] = 0.2, ["gateway.list"] = 0.2, refunds = 0.2 },
  attrs = { region = share { eu = 0.5, us = 0.5 } } }
fault { from = "checkout", to = "payment", kind = "errors", rate = "100%", at = "20.5s", duration = "20s" }
fault { target = "catalog.get", kind = "errors", rate = "100%", at = "20.5s", duration = "20s" }
expect "items from one region" { journey = "gateway.item", where = { region = "eu" }, p99 = "< 1s" }
at("50s", function(sim) sim:set("traffic.mix", { ["gateway.buy"] = 0.7, ["gateway.item"] = 0.1, ["gateway.list"] = 0.1, refunds = 0.1 }) end)
`;

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-faults-'));
  fs.writeFileSync(path.join(dir, 'precise.lua'), SCENARIO);
  const html = path.join(dir, 'precise.html');
  B.faultline(['run', path.join(dir, 'precise.lua'), '-q', '--html', html]);
  const browser = await B.launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const { errors } = B.watch(page);
    await B.openReport(page, html);
    await page.evaluate(() => { FL.dashboard.stop(); FL.dashboard.seekTime(30); });
    const report = JSON.parse(await page.$eval('#fl-report', (e) => e.textContent));
    const link = report.faults.find((f) => f.from);
    check('the_json_names_the_link_with_from_and_to', link && link.from === 'checkout' && link.to === 'payment', JSON.stringify(link));
    const ep = report.faults.find((f) => f.endpoint);
    check('the_json_names_the_endpoint', ep && ep.target === 'catalog' && ep.endpoint === 'get', JSON.stringify(ep));

    /* a hook's change of the mix: the model as it started, and the change listed with its time */
    check('the_json_model_is_the_model_as_it_started', report.scenario.model.traffic.mix['gateway.buy'] === 0.4, JSON.stringify(report.scenario.model.traffic.mix));
    const changes = await page.$$eval('#fl-changes li', (lis) => lis.map((li) => li.textContent));
    const shown = await page.$eval('#fl-changes', (e) => !e.hidden);
    check('the_page_lists_the_hooks_change', shown && changes.length === 1 && changes[0].indexOf('50s') >= 0 && changes[0].indexOf('traffic.mix') >= 0 &&
          changes[0].indexOf('"gateway.buy":0.4') >= 0 && changes[0].indexOf('"gateway.buy":0.7') >= 0, JSON.stringify(changes));
    const exp = await page.$eval('#fl-expectations', (e) => e.textContent);
    check('the_expectation_shows_its_where', exp.indexOf('gateway.item during all, where region = eu') >= 0, exp.slice(0, 300));
    const badge = await page.$eval('#fl-diagram .ebadge[data-from="checkout"][data-to="payment"]',
      (g) => ({ cls: g.getAttribute('class'), text: g.querySelector('text').textContent, shown: getComputedStyle(g).display !== 'none' })).catch((e) => ({ err: String(e) }));
    check('the_link_fault_is_a_badge_on_its_edge', badge.cls === 'ebadge on' && badge.text === 'ERRORS' && badge.shown, JSON.stringify(badge));
    const others = await page.$$eval('#fl-diagram .ebadge.on', (gs) => gs.map((g) => g.getAttribute('data-from') + '->' + g.getAttribute('data-to')));
    check('no_other_edge_has_a_badge', others.length === 1, others.join(', '));
    const pay = await page.$eval('#fl-diagram .node[data-name="payment"]', (g) => g.getAttribute('class'));
    check('the_callee_of_the_link_stays_healthy_and_unbadged', /\bok\b/.test(pay) && !/faulted/.test(pay), pay);
    const cat = await page.$eval('#fl-diagram .node[data-name="catalog"]', (g) => ({ cls: g.getAttribute('class'), text: g.querySelector('.badge text').textContent }));
    check('the_endpoint_fault_badge_names_the_endpoint', /faulted/.test(cat.cls) && cat.text === 'ERRORS .get', JSON.stringify(cat));
    const co = await page.$eval('#fl-diagram .node[data-name="checkout"]', (g) => g.getAttribute('class'));
    check('the_caller_of_the_link_is_not_badged_either', !/faulted/.test(co), co);
    await page.screenshot({ path: path.join(OUT, 'faults-link-and-endpoint.png') });
    // after the faults: every badge gone
    await page.evaluate(() => FL.dashboard.seekTime(50));
    const after = await page.$$eval('#fl-diagram .ebadge.on, #fl-diagram .node.faulted', (gs) => gs.length);
    check('the_badges_go_when_the_faults_end', after === 0, `${after} still on`);
    check('no_script_errors', errors.length === 0, errors.join(' | '));
  } finally {
    await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  T.done();
}
main().catch((e) => { T.fail('faults_test_ran', String(e)); T.done(); });
