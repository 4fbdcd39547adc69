// What every browser test shares: headless Debian Chromium driven by playwright-core (a browser,
// or a context on a throw-away profile), the "ok NAME" / "FAIL NAME: why" checks and their
// "# NAME: N passed, N failed" line, a page's console errors and network requests, opening a
// report until its page says it is drawn, running faultline, and running a test's body.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const FAULTLINE = process.env.FAULTLINE || 'build/faultline';
const OUT = process.env.OUT || 'out';
const ARGS = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/* A headless browser; 'extra' adds to the arguments. */
function launch(extra) {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS.concat(extra || []) });
}

/* A browser context on a fresh profile: {context, close()} (close removes the profile). */
async function context(viewport) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, viewport: viewport || { width: 1500, height: 1000 }, args: ARGS });
  return { context: ctx, close: async () => { await ctx.close().catch(() => {}); fs.rmSync(profile, { recursive: true, force: true }); } };
}

/* The checks of test 'name': check(name, cond, why), ok(name), fail(name, why), done() prints the
** count and exits (1 when any failed). */
function checks(name) {
  const c = { passed: 0, failed: 0 };
  c.ok = (n) => { console.log('ok   ' + n); c.passed++; };
  c.fail = (n, why) => { console.log('FAIL ' + n + ': ' + why); c.failed++; };
  c.check = (n, cond, why) => { if (cond) c.ok(n); else c.fail(n, why || 'false'); };
  c.done = () => { console.log(`# ${name}: ${c.passed} passed, ${c.failed} failed`); process.exit(c.failed ? 1 : 0); };
  return c;
}

/* The page's console errors and uncaught exceptions, and its requests off the disk. */
function watch(page) {
  const w = { errors: [], remote: [] };
  page.on('console', (m) => { if (m.type() === 'error') w.errors.push(m.text()); });
  page.on('pageerror', (e) => w.errors.push(String(e)));
  page.on('request', (r) => { if (!/^(file|data|about):/.test(r.url())) w.remote.push(r.url()); });
  return w;
}

/* Opens report 'file' and waits until its page is drawn (data-ready). Returns the milliseconds. */
async function openReport(page, file, timeout) {
  const t0 = Date.now();
  await page.goto('file://' + path.resolve(file));
  await page.waitForFunction(() => document.documentElement.getAttribute('data-ready') === '1', null, { timeout: timeout || 20000 });
  return Date.now() - t0;
}

/* Runs faultline with 'args'; exit 1 (expectations failed) is a normal outcome. */
function faultline(args) {
  try { execFileSync(FAULTLINE, args, { stdio: 'pipe' }); } catch (e) { if (e.status !== 1) throw e; }
}

/* Runs test body 'body' (async) with the checks 't': an exception counts as the failed check
** NAME_ran; then 'cleanup' (async, may be absent) and t.done(). */
async function run(t, name, body, cleanup) {
  try { await body(); } catch (e) { t.fail(name + '_ran', String(e && e.stack || e).split('\n').slice(0, 4).join(' ')); }
  finally { if (cleanup) await cleanup(); }
  t.done();
}

module.exports = { CHROMIUM, FAULTLINE, OUT, launch, context, checks, watch, openReport, faultline, run };
