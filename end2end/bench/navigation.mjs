// Moving between screens: from the click on a navigation link to the next screen's heading
// shown, in the page (public/navigate.js) and as a full page load, in headless Chromium
// against the release server on loopback. Bounded loops; the server and browser stop at the end.
import { startServer, createDemoPostmaster } from '../tests/support/server.js';
import { launch, openPage, waitForHydration } from '../tests/support/browser.js';
import { logOn, expectUsersScreen } from '../tests/support/console.js';
import { writeSection, summary } from './report.js';

const ROUNDS = 25;
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
  await page.goto(`${server.url}/log-on`);
  await waitForHydration(page);
  await logOn(page, server.url, server.context);
  await expectUsersScreen(page, server.context.email);

  const inPage = [];
  const fullLoad = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, path] of SCREENS) {
      const heading = page.getByRole('heading', { name, level: 1 });
      let started = performance.now();
      await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name, exact: true }).click();
      await heading.waitFor();
      inPage.push(performance.now() - started);

      started = performance.now();
      await page.goto(`${server.url}${path}`, { waitUntil: 'commit' });
      await heading.waitFor();
      fullLoad.push(performance.now() - started);
      await waitForHydration(page);
    }
  }
  const [moved, loaded] = [summary(inPage), summary(fullLoad)];
  writeSection('navigation', `## Moving between screens

\`make bench\` (end2end/bench/navigation.mjs), measured ${new Date().toISOString().slice(0, 10)}
on the project's 2-core machine: headless Chromium and the release server on loopback, signed
in, ${moved.n} moves round Add accounts, Deleted accounts, Activity and Users. From the click
on the navigation link to the next screen's heading on show.

| move | p50 | p99 |
| --- | --- | --- |
| in the page (fetch, body replaced, islands hydrated) | ${moved.p50} | ${moved.p99} |
| full page load (for comparison; WASM from the cache) | ${loaded.p50} | ${loaded.p99} |`);
} finally {
  await browser.close();
  await server.stop();
}
