// Browser test of collapsing groups on the report page's diagram: the diagram is laid out again
// with a collapsed group as one node, so the rest moves into the room it freed, and opening it
// restores the report's layout. Run on a generated model of 5 groups of 7 services behind an
// ungrouped gateway (Graphviz's layout), it checks that collapsing a group draws fewer nodes,
// moves boxes (left or up, never right or down) and shrinks the diagram's extent, that no two
// boxes overlap and every shown edge still starts and ends on its boxes; that expanding it
// restores every position and the extent; and that collapsing every group shrinks the extent to
// less than half.
// usage: node tests/browser/groups_test.js; prints "ok NAME" / "FAIL NAME: why" and
// "# groups_test: N passed, N failed"; a screenshot goes to out/groups-collapsed.png.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const B = require('./browser');

const T = B.checks('groups_test'), check = T.check;
const GROUPS = 5, PER = 7;
const nm = (g, i) => `g${g}-svc-${i}`;

function scenario() {
  let s = 'scenario { name = "groups", duration = "2m", seed = 3, window = "5s" }\n';
  const roots = [];
  for (let g = 0; g < GROUPS; g++) {
    roots.push(nm(g, 0));
    for (let i = 0; i < PER; i++) {
      const calls = [2 * i + 1, 2 * i + 2].filter((c) => c < PER).map((c) => nm(g, c));
      if (i === 2 && g + 1 < GROUPS) calls.push(nm(g + 1, PER - 1));
      const c = calls.length ? `, calls = { ${calls.map((x) => `call "${x}" { timeout = "1s" }`).join(', ')} }` : '';
      s += `service "${nm(g, i)}" { group = "team-${g}", workers = 8, queue = 20, work = exp "1ms"${c} }\n`;
    }
  }
  s += `service "gateway" { workers = 16, queue = 50, work = exp "1ms", calls = { ${roots.map((r) => `call "${r}" { timeout = "1s" }`).join(', ')} } }\n`;
  s += 'traffic { rate = "20/s", mix = { gateway = 1 } }\n';
  return s;
}

// Everything drawn, in layout units: the shown boxes (services, journeys, group boxes, collapsed
// groups), the shown edges' ends, the bounds and each node's transform.
function state(page) {
  return page.evaluate(() => {
    const d = FL.dashboard, shown = (e) => e.style.display !== 'none';
    const boxes = [];
    Object.keys(d.svc).forEach((n) => { const s = d.svc[n]; if (shown(s.g)) boxes.push({ k: 's:' + n, g: s.def.group, x0: s.at.x - s.w / 2, y0: s.at.y - s.h / 2, x1: s.at.x + s.w / 2, y1: s.at.y + s.h / 2 }); });
    Object.keys(d.jrn).forEach((n) => { const j = d.jrn[n]; boxes.push({ k: 'j:' + n, x0: j.at.x - j.w / 2, y0: j.at.y - j.h / 2, x1: j.at.x + j.w / 2, y1: j.at.y + j.h / 2 }); });
    Object.keys(d.grp).forEach((k) => {
      const gr = d.grp[k];
      if (gr.collapsed) boxes.push({ k: 'G:' + k, x0: gr.at.x - gr.w / 2, y0: gr.at.y - gr.h / 2, x1: gr.at.x + gr.w / 2, y1: gr.at.y + gr.h / 2 });
      else {
        const r = gr.box.querySelector('rect').getBBox(), m = gr.box.transform.baseVal.consolidate(), t = m ? m.matrix : { e: 0, f: 0 };
        boxes.push({ k: 'B:' + k, own: k, x0: r.x + t.e, y0: r.y + t.f, x1: r.x + r.width + t.e, y1: r.y + r.height + t.f });
      }
    });
    const edges = d.edgeEls.filter((e) => shown(e.el.path)).map((e) => {
      const p = e.el.path.getPathData ? null : e.el.path.getAttribute('d');
      const m = /^M\s*(-?[\d.]+),(-?[\d.]+)/.exec(p);
      return { from: e.from, to: e.to, start: m ? [+m[1], +m[2]] : null, tip: e.el.a ? [e.el.a[2], e.el.a[3]] : null };
    });
    const tr = {};
    Object.keys(d.svc).forEach((n) => { tr[n] = d.svc[n].g.getAttribute('transform'); });
    const nodes = [...document.querySelectorAll('#fl-diagram .node, #fl-diagram .gnode')].filter((e) => e.getBoundingClientRect().width > 0).length;
    return { boxes, edges, bounds: d.bounds, tr, nodes, at: Object.fromEntries(Object.keys(d.svc).map((n) => [n, d.svc[n].at])) };
  });
}

// Pairs of shown boxes that overlap (a group box and its own services excepted).
function overlaps(boxes) {
  const out = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      if ((a.own && a.own === b.g) || (b.own && b.own === a.g)) continue;
      if (a.x0 < b.x1 - 0.5 && b.x0 < a.x1 - 0.5 && a.y0 < b.y1 - 0.5 && b.y0 < a.y1 - 0.5) out.push(a.k + ' & ' + b.k);
    }
  }
  return out;
}

// Shown edges whose start is not on the caller's box or whose arrow tip is not on the callee's.
function loose(st) {
  const box = {};
  st.boxes.forEach((b) => { box[b.k] = b; });
  const dist = (p, b) => Math.hypot(Math.max(b.x0 - p[0], 0, p[0] - b.x1), Math.max(b.y0 - p[1], 0, p[1] - b.y1));
  return st.edges.filter((e) => !e.start || !e.tip || dist(e.start, box['s:' + e.from]) > 3 || dist(e.tip, box['s:' + e.to]) > 3)
    .map((e) => `${e.from}>${e.to} ${e.start} ${e.tip}`);
}

async function main() {
  fs.mkdirSync(B.OUT, { recursive: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-groups-'));
  const lua = path.join(dir, 'groups.lua'), html = path.join(dir, 'groups.html');
  fs.writeFileSync(lua, scenario());
  let browser;
  await B.run(T, 'groups_test', async () => {
    B.faultline(['run', lua, '-q', '--html', html]);
    browser = await B.launch();
    const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    const { errors } = B.watch(page);
    await B.openReport(page, html, 20000);
    const s0 = await state(page);
    check('as_laid_out_no_boxes_overlap_and_edges_meet_their_boxes', s0.nodes === GROUPS * PER + 1 && !overlaps(s0.boxes).length && !loose(s0).length,
      `${s0.nodes} nodes; overlaps ${overlaps(s0.boxes).slice(0, 3)}; loose ${loose(s0).slice(0, 3)}`);

    // collapse the widest group
    const big = await page.evaluate(() => Object.keys(FL.dashboard.grp).sort((a, b) => FL.dashboard.grp[b].def.w * FL.dashboard.grp[b].def.h - FL.dashboard.grp[a].def.w * FL.dashboard.grp[a].def.h)[0]);
    await page.click(`#fl-diagram .group[data-name="${big}"] .gname`);
    const s1 = await state(page);
    check('collapsing_a_group_draws_one_node_for_its_services', s1.nodes === s0.nodes - PER + 1, `${s0.nodes} -> ${s1.nodes} nodes`);
    const moved = Object.keys(s1.at).filter((n) => !n.startsWith(big.replace('team-', 'g') + '-') && (s1.at[n].x !== s0.at[n].x || s1.at[n].y !== s0.at[n].y));
    const back = Object.keys(s1.at).filter((n) => s1.at[n].x > s0.at[n].x + 1e-6 || s1.at[n].y > s0.at[n].y + 1e-6);
    check('the_rest_moves_into_the_room_it_freed', moved.length > 0 && back.length === 0, `${moved.length} services moved, ${back.length} right or down: ${back.slice(0, 3)}`);
    const area = (b) => b.w * b.h;
    check('the_diagrams_extent_shrinks', area(s1.bounds) < area(s0.bounds) - 1, `${JSON.stringify(s0.bounds)} -> ${JSON.stringify(s1.bounds)}`);
    check('after_collapsing_no_boxes_overlap', !overlaps(s1.boxes).length, overlaps(s1.boxes).slice(0, 3).join(', '));
    check('after_collapsing_the_edges_meet_their_boxes', s1.edges.length > 0 && !loose(s1).length, loose(s1).slice(0, 3).join(' | '));
    const vb = await page.$eval('#fl-diagram', (e) => e.getAttribute('viewBox').split(' ').map(Number));
    check('fit_shows_the_new_extent', vb[2] <= s1.bounds.w * 1.01 + 1 || vb[3] <= s1.bounds.h * 1.01 + 1, `viewBox ${vb}, bounds ${JSON.stringify(s1.bounds)}`);
    await page.screenshot({ path: path.join(B.OUT, 'groups-collapsed.png') });

    // open it again: the report's layout back
    await page.click(`#fl-diagram .gnode[data-name="${big}"]`);
    const s2 = await state(page);
    const diff = Object.keys(s0.tr).filter((n) => s0.tr[n] !== s2.tr[n]);
    check('expanding_restores_every_position', s2.nodes === s0.nodes && diff.length === 0, `${s2.nodes} nodes, ${diff.length} moved: ${diff.slice(0, 3)}`);
    check('expanding_restores_the_extent', JSON.stringify(s2.bounds) === JSON.stringify(s0.bounds), `${JSON.stringify(s2.bounds)} vs ${JSON.stringify(s0.bounds)}`);
    check('expanding_restores_the_edges', JSON.stringify(s2.edges) === JSON.stringify(s0.edges), 'edges differ');

    // every group collapsed
    await page.click('#fl-groups');
    const s3 = await state(page);
    check('collapse_groups_draws_a_node_per_group', s3.nodes === GROUPS + 1, `${s3.nodes} nodes`);
    check('collapse_groups_shrinks_the_extent_to_under_half', area(s3.bounds) < 0.5 * area(s0.bounds), `${JSON.stringify(s3.bounds)} of ${JSON.stringify(s0.bounds)}`);
    check('with_every_group_collapsed_no_boxes_overlap', !overlaps(s3.boxes).length, overlaps(s3.boxes).slice(0, 3).join(', '));
    await page.screenshot({ path: path.join(B.OUT, 'groups-all-collapsed.png') });
    await page.click('#fl-groups');
    const s4 = await state(page);
    check('expand_groups_restores_the_layout', Object.keys(s0.tr).every((n) => s0.tr[n] === s4.tr[n]) && JSON.stringify(s4.bounds) === JSON.stringify(s0.bounds), 'positions or extent differ');
    check('no_console_errors', errors.length === 0, errors.slice(0, 3).join(' | '));
  }, async () => {
    if (browser) await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
}

main();
