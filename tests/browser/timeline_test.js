// Browser test of the report page's cascade timeline on a flapping service: scenarios/retry_storm.lua,
// whose server flaps between ok and degraded before it goes down. The JSON report folds the flaps
// into one episode (the first change carries `episode`, the later ones `folded`); the page must list
// one entry per episode, saying how often it left its state and how many changes it made, and
// no entry for a folded change. A run flapping past the cap on change records (6 h of a service
// paused every 4 s) ends its list with how many changes it leaves out.
// usage: node tests/browser/timeline_test.js; prints "ok NAME" / "FAIL NAME: why" and
// "# timeline_test: N passed, N failed".
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const B = require('./browser');

const T = B.checks('timeline_test'), check = T.check;

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-timeline-'));
  const html = path.join(dir, 'storm.html');
  let browser;
  await B.run(T, 'timeline_test', async () => {
    B.faultline(['run', 'scenarios/retry_storm.lua', '-q', '--html', html]);
    browser = await B.launch();
    const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    const { errors } = B.watch(page);
    await B.openReport(page, html, 20000);
    const tl = JSON.parse(await page.$eval('#fl-report', (e) => e.textContent)).timeline;
    const eps = tl.filter((c) => c.episode), folded = tl.filter((c) => c.folded != null);
    check('the_run_has_a_flapping_episode', eps.length > 0 && eps[0].episode.flaps >= 2 && folded.length === eps.reduce((n, c) => n + c.episode.changes - 1, 0),
      `${eps.length} episodes, ${folded.length} folded changes of ${tl.length}`);
    const lis = await page.$$eval('#fl-timeline li', (ls) => ls.map((l) => ({ t: +l.getAttribute('data-t'), text: l.textContent })));
    check('one_entry_per_change_or_episode', lis.length === tl.length - folded.length && lis.length < tl.length,
      `${lis.length} entries for ${tl.length} changes, ${folded.length} folded`);
    check('the_entries_are_the_unfolded_changes_in_order', JSON.stringify(lis.map((l) => l.t)) === JSON.stringify(tl.filter((c) => c.folded == null).map((c) => c.t)),
      `page ${lis.map((l) => l.t)}`);
    for (const c of eps) {
      const subj = c.service || c.journey, ep = c.episode;
      const mine = lis.filter((l) => l.text.includes(subj) && l.t >= ep.first && l.t <= ep.last);
      check(`the_episode_of_${subj}_is_one_entry`, mine.length === 1, `${mine.length} entries of ${subj} between t=${ep.first} and t=${ep.last}`);
      const want = `left ${c.from} ${ep.flaps} times, ${ep.changes} changes`;
      check(`the_episode_of_${subj}_gives_its_flap_count`, mine.length === 1 && mine[0].text.includes(want) && mine[0].text.includes('\u21c4 ' + ep.worst),
        `"${mine[0] && mine[0].text}" lacks "${want}"`);
    }
    const gone = folded.filter((c) => lis.some((l) => l.t === c.t && l.text.includes(c.service || c.journey)));
    check('no_folded_change_has_an_entry', gone.length === 0, JSON.stringify(gone));
    // clicking the episode jumps to its first change
    const i = lis.findIndex((l) => l.t === eps[0].t);
    await page.click(`#fl-timeline li:nth-child(${i + 1})`);
    const at = await page.evaluate(() => FL.dashboard.report.series.t[FL.dashboard.w]);
    check('clicking_the_episode_jumps_to_its_first_change', at <= eps[0].t && eps[0].t < at + (await page.evaluate(() => FL.dashboard.wAt(FL.dashboard.w))), `at t=${at}`);
    check('no_console_errors', errors.length === 0, errors.slice(0, 3).join(' | '));

    // past the run's cap on change records: the list ends saying how many changes it does not show
    const lua = path.join(dir, 'flapping.lua'), flap = path.join(dir, 'flapping.html');
    fs.writeFileSync(lua, 'scenario { name = "flapping", duration = "6h", seed = 5, window = "1s", health = { confirm = 1, min_requests = 1 } }\n' +
      'service "api" { instances = 1, workers = 10, queue = 100, work = const "1ms" }\n' +
      'traffic { rate = "50/s", mix = { api = 1 } }\n' +
      'fault { name = "gc", target = "api", kind = "pause", pause = const "2s", every = "4s", at = "10s" }\n');
    B.faultline(['run', lua, '-q', '--html', flap]);
    await B.openReport(page, flap, 30000);
    const rep = JSON.parse(await page.$eval('#fl-report', (e) => e.textContent));
    const last = await page.$eval('#fl-timeline li:last-child', (l) => ({ text: l.textContent, t: l.getAttribute('data-t') }));
    const n = (x) => x.toLocaleString('en-US');
    check('a_capped_timeline_says_how_many_changes_it_leaves_out',
      rep.changes_dropped > 0 && last.t === null && last.text.includes(`and ${n(rep.changes_dropped)} changes past the first ${n(rep.timeline.length)}`),
      `changes_dropped ${rep.changes_dropped}, ${rep.timeline.length} records, last entry "${last.text}"`);
    check('no_console_errors_past_the_cap', errors.length === 0, errors.slice(0, 3).join(' | '));
  }, async () => {
    if (browser) await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
}

main();
