// Browser test of faultline serve's dashboard: headless Debian Chromium driven by playwright-core.
// It starts `faultline serve` on a free loopback port, opens the page, sees the nodes change as
// windows arrive, injects a crash from the page and sees the crashed service and its caller
// change state. Prints "ok NAME" / "FAIL NAME: why" and "# live_test: N passed, N failed";
// screenshots go to out/.
'use strict';
const path = require('path');
const net = require('net');
const { spawn } = require('child_process');
const { chromium } = require('playwright-core');

const FAULTLINE = process.env.FAULTLINE || 'build/faultline';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const OUT = process.env.OUT || 'out';
let passed = 0, failed = 0;
function check(name, cond, why) {
  if (cond) { console.log('ok   ' + name); passed++; } else { console.log('FAIL ' + name + ': ' + (why || 'false')); failed++; }
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

const nodeClass = (page, name) => page.$eval(`#fl-diagram .node[data-name="${name}"]`, (e) => e.getAttribute('class')).catch(() => '');

async function main() {
  const port = await freePort();
  // recommend is called by the gateway; the hang in the scenario starts at 4m, so the crash we
  // inject from the page (at about 1m) is what moves recommend first
  const server = spawn(FAULTLINE, ['serve', 'scenarios/recommendation_outage.lua', '--port', String(port), '--speed', '30'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let serverOut = '';
  server.stdout.on('data', (d) => { serverOut += d; });
  server.stderr.on('data', (d) => { serverOut += d; });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--disable-quic'] });
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
    await page.screenshot({ path: path.join(OUT, 'live-crash.png') });
    check('no_console_errors', errors.length === 0, errors.join(' | '));
  } catch (e) {
    check('live_test_ran', false, String(e) + ' server: ' + serverOut.slice(-300));
  } finally {
    await browser.close();
    server.kill('SIGINT');
  }
  console.log(`# live_test: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main();
