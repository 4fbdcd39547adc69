// Browser test of the diagram's viewport on a large model: headless Debian Chromium driven by
// playwright-core. It writes a 200-service scenario (8 layers of 25, long names, a crash deep in
// the last layer), runs `faultline run --html` on it, and checks fit (every node, halo and badge
// inside the box), zoom (buttons and wheel), pan (drag), "jump to fault" (the faulted node inside
// the viewport, at a readable size), names inside their boxes and edge labels on screen.
// usage: node tests/browser/diagram_test.js; prints "ok NAME" / "FAIL NAME: why" and
// "# diagram_test: N passed, N failed"; screenshots go to out/.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const B = require('./browser');

const OUT = B.OUT;
const T = B.checks('diagram_test'), check = T.check;

const LAYERS = 8, WIDTH = 25;
const WORDS = ['auth', 'catalog', 'inventory-reservation', 'pricing', 'search', 'recommendation-engine', 'payment', 'ledger',
  'shipping-quote', 'fx'];
// A layered model: each service calls two of the next layer; two entry journeys; one crash.
function scenario() {
  const names = [];
  for (let l = 0; l < LAYERS; l++) for (let i = 0; i < WIDTH; i++) names.push(`${WORDS[(l * WIDTH + i) % WORDS.length]}-${l}-${i}`);
  let s = 'scenario { name = "two hundred services", duration = "2m", seed = 3, window = "10s", warmup = "10s" }\n';
  for (let l = 0; l < LAYERS; l++) {
    for (let i = 0; i < WIDTH; i++) {
      const calls = l + 1 < LAYERS ? [names[(l + 1) * WIDTH + i], names[(l + 1) * WIDTH + (i + 7) % WIDTH]]
        .map((c) => `call "${c}" { timeout = "1s" }`) : [];
      s += `service "${names[l * WIDTH + i]}" { instances = 2, workers = 8, queue = 20, work = exp "2ms"` +
        (calls.length ? `, calls = { ${calls.join(', ')} }` : '') + ' }\n';
    }
  }
  const faulted = names[LAYERS * WIDTH - 3];
  s += `traffic { rate = "100/s", mix = { ["${names[0]}"] = 0.5, ["${names[5]}"] = 0.5 } }\n`;
  s += `fault { target = "${faulted}", kind = "crash", at = "30s", duration = "1m" }\n`;
  return { text: s, faulted, n: names.length };
}

const rectOf = (page, sel) => page.$eval(sel, (e) => { const r = e.getBoundingClientRect(); return { l: r.left, t: r.top, r: r.right, b: r.bottom }; });
const inside = (a, box) => a.l >= box.l - 0.5 && a.t >= box.t - 0.5 && a.r <= box.r + 0.5 && a.b <= box.b + 0.5;
const scale = (page) => page.evaluate(() => FL.dashboard.scale);

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-diagram-'));
  const sc = scenario();
  fs.writeFileSync(path.join(dir, 's200.lua'), sc.text);
  const html = path.join(dir, 's200.html');
  B.faultline(['run', path.join(dir, 's200.lua'), '-q', '--html', html]);
  const browser = await B.launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    const { errors } = B.watch(page);
    await B.openReport(page, html);
    const n = await page.$$eval('#fl-diagram .node', (ns) => ns.length);
    check('the_200_services_are_drawn', n === sc.n, `${n} nodes`);

    // fit: every node with its halo and badge inside the box
    await page.click('#fl-fit');
    const box = await rectOf(page, '#fl-diagram');
    const outside = await page.$$eval('#fl-diagram .node', (ns, b) => ns.filter((g) => {
      const r = g.getBoundingClientRect();   // the halo and the badge are inside the node's group
      return r.left < b.l - 0.5 || r.top < b.t - 0.5 || r.right > b.r + 0.5 || r.bottom > b.b + 0.5;
    }).map((g) => g.getAttribute('data-name')), box);
    check('fit_shows_every_node_halo_and_badge_inside_the_box', outside.length === 0, `${outside.length} outside: ${outside.slice(0, 4)}`);
    check('the_box_fits_the_window', box.b - box.t <= 1000 && box.b - box.t >= 240, JSON.stringify(box));
    await page.screenshot({ path: path.join(OUT, 'diagram-200-fit.png') });
    const s0 = await scale(page);

    // zoom: the buttons, then the wheel
    await page.click('#fl-zoom-in');
    const s1 = await scale(page);
    check('zoom_in_magnifies', s1 > s0 * 1.3, `${s0} then ${s1}`);
    await page.click('#fl-zoom-out');
    const s2 = await scale(page);
    check('zoom_out_returns', Math.abs(s2 - s0) < 1e-6 * s0 + 1e-9 || Math.abs(s2 / s0 - 1) < 0.01, `${s0} then ${s2}`);
    await page.mouse.move((box.l + box.r) / 2, (box.t + box.b) / 2);
    await page.mouse.wheel(0, -400);
    await page.waitForTimeout(100);
    const s3 = await scale(page);
    check('the_wheel_zooms_in', s3 > s0 * 1.5, `${s0} then ${s3}`);

    // pan: a drag moves the view, and is not a click (nothing gets selected)
    const v0 = await page.evaluate(() => Object.assign({}, FL.dashboard.view));
    await page.mouse.move(box.l + 300, box.t + 200);
    await page.mouse.down();
    await page.mouse.move(box.l + 200, box.t + 150, { steps: 5 });
    await page.mouse.up();
    const v1 = await page.evaluate(() => Object.assign({}, FL.dashboard.view));
    const sel = await page.evaluate(() => FL.dashboard.sel);
    check('dragging_pans_the_view', v1.x > v0.x && v1.y > v0.y, `${JSON.stringify(v0)} then ${JSON.stringify(v1)}`);
    check('a_drag_selects_nothing', sel === null, JSON.stringify(sel));

    // jump to fault: at the fault's time, the crashed node is inside the viewport, readable
    await page.click('#fl-fit');
    await page.evaluate(() => { const s = document.getElementById('fl-slider'); s.value = 4; s.dispatchEvent(new Event('input', { bubbles: true })); });
    const before = await rectOf(page, `#fl-diagram .node[data-name="${sc.faulted}"] .box`);
    await page.click('#fl-jump');
    const after = await rectOf(page, `#fl-diagram .node[data-name="${sc.faulted}"]`);
    const box2 = await rectOf(page, '#fl-diagram');
    const cls = await page.$eval(`#fl-diagram .node[data-name="${sc.faulted}"]`, (e) => e.getAttribute('class'));
    check('the_faulted_node_is_marked', /\bfaulted\b/.test(cls), cls);
    check('jump_to_fault_brings_the_faulted_node_inside_the_viewport', inside(after, box2), `${JSON.stringify(after)} in ${JSON.stringify(box2)}`);
    const w0 = before.r - before.l, w1 = after.r - after.l;
    check('jump_to_fault_zooms_to_a_readable_size', w1 > 1.8 * w0 && (await scale(page)) >= 0.8, `box ${w0.toFixed(0)} px then ${w1.toFixed(0)} px`);
    // names inside their boxes, and labels on the edges in view
    const over = await page.$$eval('#fl-diagram .node', (ns) => ns.filter((g) => {
      const t = g.querySelector('.name'), b = g.querySelector('.box');
      return t.getBBox().width > b.getBBox().width - 8;
    }).map((g) => g.getAttribute('data-name')));
    check('every_name_fits_its_box', over.length === 0, `${over.length} overflow: ${over.slice(0, 4)}`);
    const labels = await page.$$eval('#fl-diagram .elabel', (ls, b) => ls.filter((l) => {
      const r = l.getBoundingClientRect();
      return l.textContent && getComputedStyle(l).display !== 'none' && r.left >= b.l && r.right <= b.r && r.top >= b.t && r.bottom <= b.b;
    }).map((l) => l.textContent), box2);
    check('edge_labels_show_rates_and_failures_without_hovering', labels.length >= 5 && labels.some((t) => /fail/.test(t)),
      `${labels.length} labels: ${labels.slice(0, 5)}`);
    await page.screenshot({ path: path.join(OUT, 'diagram-200-jump.png') });
    check('no_console_errors', errors.length === 0, errors.slice(0, 3).join(' | '));
  } catch (e) {
    check('diagram_test_ran', false, String(e && e.stack || e).split('\n').slice(0, 3).join(' '));
  } finally {
    await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  T.done();
}

main();
