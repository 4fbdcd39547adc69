// Browser test of faultline serve's dashboard: headless Debian Chromium driven by playwright-core.
// It starts `faultline serve` on a free loopback port, opens the page, sees the nodes change as
// windows arrive, injects a crash from the page and sees the crashed service and its caller
// change state; a page opened after the fault shows the same Overview charts as the one that
// stayed; the speed selector shows the server's speed; the page offers every fault kind the API
// takes, with its fields; the live journey table and expectations fill while the run goes. On a
// 10 s-window copy of the scenario, the live page's rates equal the static report's; a broken
// edit then a fix ends "live". Prints "ok NAME" / "FAIL NAME: why" and "# live_test: N passed, N failed";
// screenshots go to out/.
'use strict';
const path = require('path');
const net = require('net');
const fs = require('fs');
const os = require('os');
const { spawn } = require('child_process');
const B = require('./browser');

const FAULTLINE = B.FAULTLINE;
const OUT = B.OUT;
const T = B.checks('live_test'), check = T.check;

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

const nodeClass = (page, name) => page.$eval(`#fl-diagram .node[data-name="${name}"]`, (e) => e.getAttribute('class')).catch(() => '');

async function serve(args) {
  const port = await freePort();
  const proc = spawn(FAULTLINE, ['serve'].concat(args, ['--port', String(port)]), { stdio: ['ignore', 'pipe', 'pipe'] });
  const srv = { proc, port, out: '', url: `http://127.0.0.1:${port}/` };
  proc.stdout.on('data', (d) => { srv.out += d; });
  proc.stderr.on('data', (d) => { srv.out += d; });
  for (let i = 0; i < 50 && !srv.out.includes('serving'); i++) await new Promise((r) => setTimeout(r, 100));
  return srv;
}
// a POST as the page sends it: JSON, with the server's token from the page's meta tag
const token = (page) => page.evaluate(() => document.querySelector('meta[name="faultline-token"]').getAttribute('content'));
const post = (page, p, body) => page.evaluate(([pp, b]) => fetch(pp, { method: 'POST', body: b ? JSON.stringify(b) : undefined,
  headers: { 'Content-Type': 'application/json', 'X-Faultline-Token': document.querySelector('meta[name="faultline-token"]').getAttribute('content') } })
  .then((r) => r.json()), [p, body]);
const windows = (page) => page.evaluate(() => +(document.documentElement.getAttribute('data-windows') || 0));
// what the Overview charts draw: per chart, per series, the data
const overview = (page) => page.evaluate(() => FL.dashboard.charts.map((c) => c.data().map((d) => Array.from(d))));
// what a window shows: the clock, each node's text
const shown = (page, w) => page.evaluate((ww) => {
  const s = document.getElementById('fl-slider');
  s.value = ww; s.dispatchEvent(new Event('input', { bubbles: true }));
  const out = { clock: document.getElementById('fl-clock').textContent.replace(/ of .*/, '') };
  document.querySelectorAll('#fl-diagram .node, #fl-diagram .journey').forEach((n) => { out[n.getAttribute('data-name')] = n.querySelector('.stat').textContent; });
  document.querySelectorAll('#fl-diagram .elabel').forEach((l, i) => { out['edge' + i] = l.textContent; });
  return out;
}, w);

// A copy of the outage with 10 s windows: the live page's rates against the static report's.
async function tenSecondWindows(browser, dir) {
  const lua = path.join(dir, 'outage10.lua');
  const src = fs.readFileSync('scenarios/recommendation_outage.lua', 'utf8').replace('window = "5s"', 'window = "10s"').replace('duration = "12m"', 'duration = "6m"')
    .replace('at = "4m", duration = "3m"', 'at = "2m", duration = "2m"');
  fs.writeFileSync(lua, src);
  const html = path.join(dir, 'outage10.html');
  B.faultline(['run', lua, '-q', '--html', html]);
  const srv = await serve([lua, '--speed', '60']);
  const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
  try {
    await page.goto(srv.url);
    await page.waitForFunction(() => +(document.documentElement.getAttribute('data-windows') || 0) >= 16, null, { timeout: 30000 });
    await post(page, '/api/pause');
    await page.waitForTimeout(300);
    const nw = await windows(page);
    const win = await page.evaluate(() => FL.dashboard.win());
    check('the_live_page_takes_the_models_window', win === 10, `window ${win}`);
    const stat = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    await stat.goto('file://' + html);
    await stat.waitForFunction(() => document.documentElement.getAttribute('data-ready') === '1', null, { timeout: 15000 });
    const diffs = [];
    for (const w of [1, 12, 14, nw - 1]) {
      const a = await shown(page, w), b = await shown(stat, w);
      if (JSON.stringify(a) !== JSON.stringify(b)) diffs.push(`window ${w}: live ${JSON.stringify(a)} static ${JSON.stringify(b)}`);
    }
    check('live_rates_equal_the_static_reports_for_a_10s_window', diffs.length === 0, diffs.slice(0, 1).join(' '));
    const lo = await overview(page), so = await overview(stat);
    const same = lo.length === so.length && lo.every((c, i) => c.length === so[i].length && c.every((d, k) => d.every((v, j) => v === so[i][k][j] || (v == null && so[i][k][j] == null))));
    check('live_overview_charts_equal_the_static_reports', same && lo.length === 3 && lo[0].length === 2, `${JSON.stringify(lo).slice(0, 200)} vs ${JSON.stringify(so).slice(0, 200)}`);
    await stat.close();

    // a broken edit, then the fix: the error shows, then the status ends "live"
    const gen0 = +(await page.evaluate(() => document.documentElement.getAttribute('data-generation')));
    await new Promise((r) => setTimeout(r, 1100));
    fs.writeFileSync(lua, src.replace('service "catalog" {', 'service "catalog" {{'));
    await page.waitForFunction(() => /keeps running/.test(document.getElementById('fl-live-msg').textContent), null, { timeout: 10000 }).catch(() => {});
    const m = await page.$eval('#fl-live-msg', (e) => e.textContent);
    check('a_broken_edit_shows_its_error', /outage10\.lua:\d+/.test(m), m);
    await new Promise((r) => setTimeout(r, 1100));
    fs.writeFileSync(lua, src);
    await page.waitForFunction((g) => +document.documentElement.getAttribute('data-generation') > g, gen0, { timeout: 10000 }).catch(() => {});
    await page.waitForTimeout(700);
    const state = await page.$eval('#fl-live-state', (e) => e.textContent);
    const m2 = await page.$eval('#fl-live-msg', (e) => e.textContent);
    check('after_a_broken_edit_and_its_fix_the_status_is_live', /^live/.test(state) && m2 === '', `state "${state}", message "${m2}"`);
  } finally {
    await page.close();
    srv.proc.kill('SIGINT');
  }
}

async function main() {
  const port = await freePort();
  // recommend is called by the gateway; the hang in the scenario starts at 4m, so the crash we
  // inject from the page (at about 1m) is what moves recommend first
  const server = spawn(FAULTLINE, ['serve', 'scenarios/recommendation_outage.lua', '--port', String(port), '--speed', '30'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let serverOut = '';
  server.stdout.on('data', (d) => { serverOut += d; });
  server.stderr.on('data', (d) => { serverOut += d; });
  const browser = await B.launch(['--disable-quic']);
  try {
    for (let i = 0; i < 50 && !serverOut.includes('serving'); i++) await new Promise((r) => setTimeout(r, 100));
    const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => +(document.documentElement.getAttribute('data-windows') || 0) >= 3, null, { timeout: 20000 });
    const shown = await page.$$eval('#fl-diagram .node', (ns) => ns.map((n) => n.getAttribute('data-name')).sort());
    check('the_live_diagram_shows_every_service', JSON.stringify(shown) === JSON.stringify(['catalog', 'gateway', 'payment', 'recommend']),
      JSON.stringify(shown));
    const w1 = +(await page.evaluate(() => document.documentElement.getAttribute('data-windows')));
    await page.waitForTimeout(1500);
    const w2 = +(await page.evaluate(() => document.documentElement.getAttribute('data-windows')));
    check('windows_keep_arriving', w2 > w1, `${w1} then ${w2}`);
    const before = await nodeClass(page, 'recommend');
    check('recommend_starts_ok', /\bok\b/.test(before), before);
    await page.screenshot({ path: path.join(OUT, 'live-before.png') });

    // inject a crash into recommend from the page's controls
    await page.selectOption('#fl-live-kind', 'crash');
    await page.selectOption('#fl-live-target', 'recommend');
    await page.fill('#fl-live-dur', '10m');
    await page.click('#fl-live-inject');
    await page.waitForFunction(() => /\bdown\b/.test(document.querySelector('#fl-diagram .node[data-name="recommend"]').getAttribute('class')),
      null, { timeout: 20000 }).catch(() => {});
    const after = await nodeClass(page, 'recommend');
    check('the_crashed_service_turns_down', /\bdown\b/.test(after), after);
    await page.waitForFunction(() => !/\bok\b/.test(document.querySelector('#fl-diagram .node[data-name="gateway"]').getAttribute('class')),
      null, { timeout: 20000 }).catch(() => {});
    const gw = await nodeClass(page, 'gateway');
    check('its_caller_changes_state', !/\bok\b/.test(gw), gw);
    // the streamed changes were appended one by one; the list equals one drawn from scratch
    const lists = await page.evaluate(() => {
      const read = () => Array.from(document.querySelectorAll('#fl-timeline li')).map((l) => l.getAttribute('data-base') + '|' + l.textContent);
      const live = read(), d = FL.dashboard;
      d.prepTimeline(); d.renderTimeline();
      return { live, fresh: read(), n: d.report.timeline.length };
    });
    check('the_streamed_timeline_equals_one_drawn_at_once', lists.n >= 2 && lists.live.length === lists.n && JSON.stringify(lists.live) === JSON.stringify(lists.fresh),
      `${lists.n} changes, ${lists.live.length} entries streamed: ${lists.live.slice(0, 3).join(' / ')} vs ${lists.fresh.slice(0, 3).join(' / ')}`);
    await page.screenshot({ path: path.join(OUT, 'live-crash.png') });

    // one speed control, showing the server's speed
    const speeds = await page.$$eval('select', (ss) => ss.filter((x) => x.offsetParent !== null && /speed/.test(x.parentNode.textContent)).length);
    check('one_speed_control', speeds === 1, `${speeds} visible speed selectors`);
    const sp = await page.$eval('#fl-live-speed', (e) => e.value);
    check('the_speed_selector_shows_the_servers_speed', sp === '30', `shows ${sp}, server at 30`);
    await post(page, '/api/speed', { speed: 45 });
    await page.waitForFunction(() => document.getElementById('fl-live-speed').value === '45', null, { timeout: 5000 }).catch(() => {});
    check('the_speed_selector_follows_a_change', (await page.$eval('#fl-live-speed', (e) => e.value)) === '45', 'not 45');
    await post(page, '/api/speed', { speed: 30 });

    // every fault kind the API takes, with the fields it takes
    // (asked from here, not the page: a 4xx is a console error there)
    const apiErr = await fetch(`http://127.0.0.1:${port}/api/faults`, { method: 'POST', body: JSON.stringify({ kind: 'boom', target: 'payment' }),
      headers: { 'Content-Type': 'application/json', 'X-Faultline-Token': await token(page) } })
      .then((r) => r.json());
    const apiKinds = (/one of (.*)$/.exec(apiErr.error || '') || ['', ''])[1].split(', ').sort();
    const offered = (await page.$$eval('#fl-live-kind option', (o) => o.map((x) => x.value))).sort();
    check('the_page_offers_every_fault_kind_the_api_takes', apiKinds.length >= 9 && JSON.stringify(offered) === JSON.stringify(apiKinds),
      `page ${offered} api ${apiKinds}`);
    let sent = null;
    page.on('request', (r) => { if (r.url().endsWith('/api/faults') && r.method() === 'POST') sent = JSON.parse(r.postData()); });
    await page.selectOption('#fl-live-kind', 'latency');
    await page.selectOption('#fl-live-target', 'payment');
    await page.fill('#fl-live-latency', '2s');
    await page.fill('#fl-live-dur', '1m');
    await page.click('#fl-live-inject');
    await page.waitForFunction(() => /injected/.test(document.getElementById('fl-live-msg').textContent), null, { timeout: 5000 }).catch(() => {});
    check('a_latency_fault_from_the_page_carries_its_latency', sent && sent.kind === 'latency' && sent.latency === '2s' && sent.target === 'payment',
      JSON.stringify(sent) + ' ' + (await page.$eval('#fl-live-msg', (e) => e.textContent)));
    await page.selectOption('#fl-live-kind', 'errors');
    await page.fill('#fl-live-rate', '20%');
    await page.click('#fl-live-inject');
    await page.waitForTimeout(500);
    check('an_errors_fault_from_the_page_carries_its_rate', sent && sent.kind === 'errors' && sent.rate === '20%', JSON.stringify(sent));
    await page.selectOption('#fl-live-kind', 'slowdown');
    const factorShown = await page.$eval('#fl-live-factor', (e) => e.offsetParent !== null);
    const rateHidden = await page.$eval('#fl-live-rate', (e) => e.offsetParent === null);
    check('each_kind_shows_its_own_fields', factorShown && rateHidden, `factor shown ${factorShown}, rate hidden ${rateHidden}`);

    // the live journey table and the expectations so far, while the run goes
    await page.waitForFunction(() => document.querySelectorAll('#fl-journeys tr[data-journey]').length === 2 &&
      +(document.documentElement.getAttribute('data-expectations') || 0) > 0, null, { timeout: 10000 }).catch(() => {});
    const rows = await page.$$eval('#fl-journeys tr[data-journey]', (r) => r.map((x) => Array.from(x.children).map((c) => c.textContent)));
    const complete = await page.evaluate(() => document.documentElement.getAttribute('data-complete'));
    check('a_live_journey_table_fills_while_the_run_goes', complete !== '1' && rows.length === 2 && rows.every((r) => r.length === 10 && r[1] !== '0'),
      JSON.stringify(rows));
    const exps = await page.$$eval('#fl-expectations .chip', (c) => c.map((x) => x.textContent));
    check('expectations_so_far_show_while_the_run_goes', exps.length === 4 && exps.every((x) => /PASS|FAIL|WAIT/.test(x)), `${exps}`);

    // a page opened after the fault shows what the page that stayed shows
    const late = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    late.on('pageerror', (e) => errors.push('late: ' + String(e)));
    await late.goto(`http://127.0.0.1:${port}/`);
    await late.waitForFunction(() => +(document.documentElement.getAttribute('data-windows') || 0) > 0, null, { timeout: 10000 });
    await post(page, '/api/pause');
    await page.waitForFunction(() => document.documentElement.getAttribute('data-paused') === '1', null, { timeout: 5000 });
    const nStay = await windows(page);
    await late.waitForFunction((n) => +(document.documentElement.getAttribute('data-windows') || 0) === n, nStay, { timeout: 5000 }).catch(() => {});
    await page.click('#fl-clear').catch(() => {});
    const a = await overview(page), b = await overview(late);
    check('a_late_joiner_sees_the_overview_charts_of_a_client_that_stayed',
      a.length === 3 && a[0].length === 2 && a[0][0].length === nStay && JSON.stringify(a) === JSON.stringify(b),
      `stayed ${a.map((c) => c.length)} (${nStay} windows), late ${b.map((c) => c.length)}`);
    const fa = await page.evaluate(() => FL.dashboard.report.faults.map((f) => f.name).sort().join());
    const fb = await late.evaluate(() => FL.dashboard.report.faults.map((f) => f.name).sort().join());
    check('a_late_joiner_knows_the_same_faults', fa === fb && fa.length > 0, `${fa} vs ${fb}`);
    await late.screenshot({ path: path.join(OUT, 'live-late-joiner.png') });
    await late.close();
    check('no_console_errors', errors.length === 0, errors.join(' | '));
  } catch (e) {
    check('live_test_ran', false, String(e) + ' server: ' + serverOut.slice(-300));
  } finally {
    server.kill('SIGINT');
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-live-'));
  try {
    await tenSecondWindows(browser, dir);
  } catch (e) {
    check('ten_second_windows_ran', false, String(e));
  } finally {
    await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  T.done();
}

main();
