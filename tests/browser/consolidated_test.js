// Browser test of a consolidated HTML report (series.width present): the slider finds the entry
// holding a time, the clock spans the entry's width, the diagram's rates are counts over that
// width, and the page has no errors.
// usage: node tests/browser/consolidated_test.js REPORT.html
// Prints "ok NAME" / "FAIL NAME: why" per check and "# consolidated_test: N passed, N failed".
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
let passed = 0, failed = 0;
function check(name, cond, why) {
  if (cond) { console.log('ok   ' + name); passed++; } else { console.log('FAIL ' + name + ': ' + (why || 'false')); failed++; }
}

(async () => {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, viewport: { width: 1500, height: 1000 },
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = await context.newPage();
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto('file://' + path.resolve(process.argv[2]));
    await page.waitForFunction(() => document.documentElement.getAttribute('data-ready') === '1', null, { timeout: 15000 });
    const report = JSON.parse(await page.$eval('#fl-report', (e) => e.textContent));
    const ser = report.series, wd = ser.width || [], n = ser.t.length;
    check('the_report_is_consolidated', wd.length === n && n > 0 && wd[0] > ser.window, `${wd.length} widths for ${n} entries, window ${ser.window}`);
    const t = 8000 + 0.5 * wd[0];   /* inside the fault, in the middle of an entry */
    const want = Math.floor(t / wd[0]);
    const got = await page.evaluate((tt) => { FL.dashboard.seekTime(tt); return +document.getElementById('fl-slider').value; }, t);
    check('seeking_a_time_finds_the_entry_holding_it', got === want, `slider ${got}, wanted ${want}`);
    const clock = await page.$eval('#fl-clock', (e) => e.textContent);
    const span = await page.evaluate(([a, b]) => 't = ' + FL.fmtT(a) + ' \u2013 ' + FL.fmtT(b), [ser.t[want], ser.t[want] + wd[want]]);
    check('the_clock_spans_the_entry', clock.indexOf(span) === 0, `clock "${clock}", wanted "${span}..."`);
    const w = await page.evaluate((i) => FL.dashboard.wAt(i), want);
    check('an_entry_lasts_its_width', w === wd[want], `${w} vs ${wd[want]}`);
    const stat = await page.$eval('#fl-diagram .node[data-name="api"] .stat', (e) => e.textContent).catch(() => '');
    const rate = ser.services.api.arrivals[want] / wd[want];
    check('the_diagram_shows_a_rate_over_the_width', stat.indexOf(rate.toFixed(1)) >= 0 || stat.indexOf(String(Math.round(rate))) >= 0,
      `stat "${stat}", ${ser.services.api.arrivals[want]} arrivals over ${wd[want]} s`);
    check('no_console_errors', errors.length === 0, errors.slice(0, 3).join(' | '));
    await page.close();
  } catch (e) {
    check('browser_run', false, String(e && e.stack || e).split('\n').slice(0, 4).join(' '));
  } finally {
    if (context) await context.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
  }
  console.log(`# consolidated_test: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})();
