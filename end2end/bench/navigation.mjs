// Moving between screens: from the click on a navigation link to the next screen's heading
// shown, in the page (public/navigate.js) and as a full page load, in headless Chromium
// against the release server on loopback. Bounded loops; the server and browser stop at the end.
//
// Timed in the page itself: from the click event (or, for a full load, the start of the
// navigation) to the end of the first frame drawn with the new heading. The test driver's own
// round trips (it waits for the link to stay still over two frames before it clicks, then polls
// for the heading) are timed too, apart, as they add the same to every move.
import { startServer, createDemoPostmaster } from '../tests/support/server.js';
import { launch, openPage, waitForHydration } from '../tests/support/browser.js';
import { logOn, expectUsersScreen } from '../tests/support/console.js';
import { writeSection, summary } from './report.js';

const ROUNDS = 25;
/** How long the pointer rests on a link before a hand's click, for the moves timed that way. */
const REST_MS = 150;
const SCREENS = [
  ['Add accounts', '/users/add'],
  ['Deleted accounts', '/users/deleted'],
  ['Activity', '/activity'],
  ['Users', '/users'],
];

const server = await startServer({ setup: createDemoPostmaster });
const browser = await launch();
try {
  const page = await openPage(browser);
  await page.addInitScript(markHeadings);
  await page.goto(`${server.url}/log-on`);
  await waitForHydration(page);
  await logOn(page, server.url, server.context);
  await expectUsersScreen(page, server.context.email);

  const inPage = [];
  const fullLoad = [];
  const driverInPage = [];
  const driverFullLoad = [];
  const rested = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, path] of SCREENS) {
      const heading = page.getByRole('heading', { name, level: 1 });
      let started = performance.now();
      await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name, exact: true }).click();
      await heading.waitFor();
      driverInPage.push(performance.now() - started);
      inPage.push(await shown(page, name, 'clicked'));

      started = performance.now();
      await page.goto(`${server.url}${path}`, { waitUntil: 'commit' });
      await heading.waitFor();
      driverFullLoad.push(performance.now() - started);
      fullLoad.push(await shown(page, name, 'started'));
      await waitForHydration(page);
    }
    // As a hand clicks: the pointer comes to rest on the link a moment before the click.
    for (const [name] of SCREENS) {
      const link = page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name, exact: true });
      await link.hover();
      await page.waitForTimeout(REST_MS);
      await link.click();
      rested.push(await shown(page, name, 'clicked'));
    }
  }
  const [moved, loaded, restedMove] = [summary(inPage), summary(fullLoad), summary(rested)];
  const [drivenMove, drivenLoad] = [summary(driverInPage), summary(driverFullLoad)];
  writeSection('navigation', `## Moving between screens

\`make bench\` (end2end/bench/navigation.mjs), measured ${new Date().toISOString().slice(0, 10)}
on the project's 2-core machine: headless Chromium and the release server on loopback, signed
in, ${moved.n} moves round Add accounts, Deleted accounts, Activity and Users. From the click
on the navigation link to the end of the first frame drawn with the next screen's heading,
timed in the page (a full load from the start of its navigation); then, apart, as the test
driver sees it, its own waits included (two still frames before the click, then polling).

| move | p50 | p99 | p50 seen by the driver | p99 seen by the driver |
| --- | --- | --- | --- | --- |
| in the page (fetch, body replaced, islands hydrated) | ${moved.p50} | ${moved.p99} | ${drivenMove.p50} | ${drivenMove.p99} |
| in the page, the pointer resting ${REST_MS} ms on the link first | ${restedMove.p50} | ${restedMove.p99} | | |
| full page load (for comparison; WASM from the cache) | ${loaded.p50} | ${loaded.p99} | ${drivenLoad.p50} | ${drivenLoad.p99} |`);
} finally {
  await browser.close();
  await server.stop();
}

/**
 * In the page, before its scripts: the time of each click, and the end of the first frame drawn
 * after an h1 came into the document (a task posted from that frame's animation callback runs
 * once the frame is drawn).
 */
function markHeadings() {
  window.__clicked = null;
  window.__shown = null;
  addEventListener('click', (event) => { window.__clicked = event.timeStamp; }, true);
  let seen = null;
  new MutationObserver(() => {
    const heading = document.querySelector('h1');
    if (!heading || heading === seen) return;
    seen = heading;
    requestAnimationFrame(() => setTimeout(() => {
      window.__shown = { heading: heading.textContent, at: performance.now() };
    }));
  }).observe(document, { childList: true, subtree: true });
}

/** Milliseconds from the click (or the navigation's start) to the heading `name` drawn. */
async function shown(page, name, from) {
  await page.waitForFunction((name) => window.__shown?.heading === name, name);
  return page.evaluate((from) => window.__shown.at - (from === 'clicked' ? window.__clicked : 0), from);
}
