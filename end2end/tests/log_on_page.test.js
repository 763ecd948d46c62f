// The log-on page as a postmaster first sees it: with and without JavaScript, desktop and phone.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { useConsole } from './support/fixture.js';
import { openPage, waitForHydration, screenshot, DESKTOP, PHONE } from './support/browser.js';

const running = useConsole();

test('the log-on form renders without JavaScript', async () => {
  const page = await openPage(running.browser, { javaScript: false });
  await page.goto(`${running.server.url}/`);
  assert.match(page.url(), /\/log-on$/, 'the start page leads to Log on');
  assert.equal(await page.getByRole('heading', { name: 'Log on' }).count(), 1);
  assert.ok(await page.getByLabel('Postmaster address').isVisible());
  assert.ok(await page.getByLabel('Password', { exact: true }).isVisible());
  assert.ok(await page.getByRole('button', { name: 'Log on' }).isVisible());
  assert.equal(await page.getByRole('button', { name: 'Show' }).isVisible(), false,
    'the show-password toggle needs JavaScript, so it is hidden without it');
  await page.context().close();
});

for (const [name, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
  test(`the page hydrates and the password can be shown (${name})`, async () => {
    const page = await openPage(running.browser, { viewport });
    const app = page.waitForResponse((response) => response.url().endsWith('/pkg/vpostmaster.wasm'));
    await page.goto(`${running.server.url}/log-on`);
    assert.match((await app).headers()['content-encoding'] ?? 'none', /^(br|gzip)$/, 'the app arrives compressed');
    await waitForHydration(page);
    const password = page.getByLabel('Password', { exact: true });
    await password.fill('abcde67~');
    assert.equal(await password.getAttribute('type'), 'password');
    await page.getByRole('button', { name: 'Show' }).click();
    assert.equal(await password.getAttribute('type'), 'text');
    assert.equal(await page.getByRole('button', { name: 'Hide' }).getAttribute('aria-pressed'), 'true');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page fits ${viewport.width} px without scrolling sideways`);
    await screenshot(page, `log-on-${name}`);
    assert.deepEqual(page.problems, [], 'no console errors');
    await page.context().close();
  });
}

test('a private address leads to Log on, which remembers it', async () => {
  const page = await openPage(running.browser, { javaScript: false });
  await page.goto(`${running.server.url}/users?q=ann`);
  assert.match(page.url(), /\/log-on\?next=%2Fusers%3Fq%3Dann$/);
  assert.equal(await page.locator('input[name="next"]').inputValue(), '/users?q=ann');
  await page.context().close();
});
