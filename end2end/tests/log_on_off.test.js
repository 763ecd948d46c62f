// Log on and log off as a postmaster does it, with and without JavaScript.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { createDemoPostmaster } from './support/server.js';
import { useConsole } from './support/fixture.js';
import { openPage, waitForHydration, screenshot, unexpectedProblems, DESKTOP, PHONE } from './support/browser.js';
import { logOn, logOff, expectUsersScreen, openNavigation } from './support/console.js';

const running = useConsole({ setup: createDemoPostmaster });

for (const javaScript of [true, false]) {
  const mode = javaScript ? 'with JavaScript' : 'without JavaScript';

  test(`a wrong password gets one clear message (${mode})`, async () => {
    const page = await openPage(running.browser, { javaScript });
    await page.goto(`${running.server.url}/log-on`);
    if (javaScript) await waitForHydration(page);
    await logOn(page, running.server.url, { email: running.postmaster.email, password: 'Wrong#pass1' });
    await page.getByRole('alert').filter({ hasText: 'The address or password is wrong.' }).waitFor();
    assert.match(page.url(), /\/log-on/);
    // The refused password is cleared from the form; the address stays as typed, and the
    // password, to type again, has the focus.
    await page.waitForFunction(() => document.getElementById('password').value === '', null, { timeout: 5000 });
    assert.equal(await page.getByLabel('Postmaster address').inputValue(), running.postmaster.email);
    await page.waitForFunction(() => document.activeElement?.id === 'password', null, { timeout: 5000 });
    assert.ok(!page.url().includes('Wrong'), 'the password is not in the address');
    // Both fields say they were refused, and why, to a screen reader.
    for (const field of [page.getByLabel('Postmaster address'), page.getByLabel('Password', { exact: true })]) {
      assert.equal(await field.getAttribute('aria-invalid'), 'true');
      assert.match(await field.getAttribute('aria-describedby'), /\blog-on-error\b/);
    }
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test(`log on, move between screens, log off from each, Back shows nothing private (${mode})`, async () => {
    const page = await openPage(running.browser, { javaScript });
    await page.goto(`${running.server.url}/users`);
    assert.match(page.url(), /\/log-on\?next=/, 'a private screen asks to log on first');
    if (javaScript) await waitForHydration(page);
    await logOn(page, running.server.url, running.postmaster);
    await expectUsersScreen(page, running.postmaster.email);
    assert.match(page.url(), /\/users$/, 'back where they asked to go');
    await logOff(page);

    await page.goBack();
    await page.waitForURL(/\/log-on/);
    assert.equal(await page.getByText(running.postmaster.email, { exact: true }).count(), 0, 'Back shows nothing private');
    // With JavaScript, Back redraws Users in the page, whose requests are refused.
    const refusedAfterBack = [/^500 \/api\/(signed_in|list_accounts)/];

    await page.goto(`${running.server.url}/log-on`);
    if (javaScript) await waitForHydration(page);
    await logOn(page, running.server.url, running.postmaster);
    await expectUsersScreen(page, running.postmaster.email);
    await openNavigation(page);
    await page.getByRole('link', { name: 'My password' }).click();
    await page.getByRole('heading', { name: 'My password' }).waitFor();
    await logOff(page);
    await page.goto(`${running.server.url}/account`);
    assert.match(page.url(), /\/log-on/, 'the session is over on the server');
    assert.deepEqual(unexpectedProblems(page, refusedAfterBack), [], 'no console errors, no CSP violations');
    await page.context().close();
  });
}

for (const [name, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
  test(`the Users screen fits the ${name}`, async () => {
    const page = await openPage(running.browser, { viewport });
    await page.goto(`${running.server.url}/log-on`);
    await waitForHydration(page);
    await logOn(page, running.server.url, running.postmaster);
    await expectUsersScreen(page, running.postmaster.email);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no sideways scrolling at ${viewport.width} px`);
    await screenshot(page, `users-${name}`);
    await openNavigation(page);
    await screenshot(page, `menu-${name}`);
    await page.getByRole('link', { name: 'My password' }).click();
    await page.getByRole('heading', { name: 'My password' }).waitFor();
    await waitForHydration(page);
    await page.getByLabel('New password', { exact: true }).fill('abc');
    await page.getByText('✗').first().waitFor();
    await screenshot(page, `account-${name}`);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
}

test('an unknown address answers 404 with a readable page', async () => {
  const page = await openPage(running.browser, { javaScript: false });
  await logOn(page, running.server.url, running.postmaster);
  await expectUsersScreen(page, running.postmaster.email);
  const response = await page.goto(`${running.server.url}/no-such-screen`);
  assert.equal(response.status(), 404);
  assert.equal(await page.getByRole('heading', { name: 'Page not found' }).count(), 1);
  await page.context().close();
});
