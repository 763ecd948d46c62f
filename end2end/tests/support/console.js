// What a postmaster does on the console, as steps the tests share.
import assert from 'node:assert/strict';

import { openPage, waitForHydration } from './browser.js';

/** Logs on through the form, as a person types. */
export async function logOn(page, baseUrl, { email, password }) {
  if (!page.url().includes('/log-on')) await page.goto(`${baseUrl}/log-on`);
  await page.getByLabel('Postmaster address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log on' }).click();
}

/** Waits until the Users screen shows, signed in as `email`. */
export async function expectUsersScreen(page, email) {
  await page.getByRole('heading', { name: 'Users' }).waitFor();
  await page.getByText(email, { exact: true }).first().waitFor();
}

/** Clicks Log off at the top right and checks the log-on screen says so. */
export async function logOff(page) {
  await page.getByRole('button', { name: 'Log off' }).click();
  await page.getByText('You have logged off.').waitFor();
  assert.match(page.url(), /\/log-on/);
}

/** Opens the navigation menu where it is folded away (on a phone). */
export async function openNavigation(page) {
  const users = page.getByRole('link', { name: 'Users' });
  if (!(await users.isVisible())) await page.getByText('Menu', { exact: true }).click();
  await users.waitFor();
}

/** A new page of the running console, logged on as its postmaster, on the Users screen. */
export async function signedIn(running, options = {}) {
  const page = await openPage(running.browser, options);
  await page.goto(`${running.server.url}/log-on`);
  if (options.javaScript !== false) await waitForHydration(page);
  await logOn(page, running.server.url, running.postmaster);
  await expectUsersScreen(page, running.postmaster.email);
  return page;
}

/** Opens `path` of the running console, then waits for the app unless JavaScript is off. */
export async function goTo(running, page, path, javaScript = true) {
  await page.goto(`${running.server.url}${path}`);
  if (javaScript) await waitForHydration(page);
}
