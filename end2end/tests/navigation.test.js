// Moving between screens happens in the page: no reload, no WASM started again, and nothing of
// the screen before (attributes, typed passwords, an island's account) carried into the next.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { createDemoPostmaster } from './support/server.js';
import { useConsole } from './support/fixture.js';
import { PHONE, unexpectedProblems } from './support/browser.js';
import { signedIn as signedInTo, goTo as goToIn, openNavigation } from './support/console.js';

const running = useConsole({ setup: createDemoPostmaster });
const signedIn = (options) => signedInTo(running, options);
const goTo = (page, path) => goToIn(running, page, path);

/** Marks the document, so that a test can tell it was never loaded again. */
const mark = (page) => page.evaluate(() => { window.__sameDocument = true; });
/** Whether the marked document is still the one shown, with the WASM fetched only once. */
async function stayed(page) {
  return page.evaluate(() => ({
    same: window.__sameDocument === true,
    wasmLoads: performance.getEntriesByType('resource').filter((entry) => entry.name.endsWith('.wasm')).length,
  }));
}

/** Two accounts, one disabled, so that Edit shows their Active boxes differently; once. */
let accounts;
const twoAccounts = () => (accounts ??= addTwoAccounts());
async function addTwoAccounts() {
  const page = await signedIn();
  await goTo(page, '/users/add');
  await page.getByLabel('Accounts, one per line').fill('ann.lee Sunny#day42 Sunny#day42 Ann Lee\nbob.ray Rainy#day42 Rainy#day42 Bob Ray');
  await page.getByRole('button', { name: 'Add 2 accounts' }).click();
  await page.getByRole('heading', { name: 'Accounts added' }).waitFor();
  await goTo(page, '/users/edit?email=bob.ray%40example.test');
  await page.getByLabel(/^Active/).uncheck();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByText('Saved.').waitFor();
  await page.context().close();
}

test('the navigation, links and Back move between screens without reloading the page', async () => {
  await twoAccounts();
  const page = await signedIn();
  await mark(page);
  for (const [link, heading] of [
    ['Add accounts', 'Add accounts'],
    ['Deleted accounts', 'Deleted accounts'],
    ['Activity', 'Activity'],
    ['Users', 'Users'],
  ]) {
    await openNavigation(page);
    const navigation = page.getByRole('navigation', { name: 'Administration' });
    await navigation.getByRole('link', { name: link, exact: true }).click();
    await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
    assert.equal(await page.title(), `${heading} · Virtual Postmaster`);
    assert.equal(await navigation.getByRole('link', { name: link, exact: true }).getAttribute('aria-current'), 'page');
    // The focus is on the new screen's heading, where a screen reader starts reading.
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), heading);
  }
  await page.goBack();
  await page.getByRole('heading', { name: 'Activity', level: 1 }).waitFor();
  assert.match(page.url(), /\/activity$/);
  await page.goForward();
  await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
  assert.deepEqual(await stayed(page), { same: true, wasmLoads: 1 });
  assert.deepEqual(unexpectedProblems(page), []);
  await page.context().close();
});

test('a form post shows its outcome in the page, and the next screen starts from what the server drew', async () => {
  await twoAccounts();
  const page = await signedIn();
  await page.getByRole('link', { name: 'bob.ray@example.test' }).click();
  await page.getByRole('heading', { name: 'Edit account' }).waitFor();
  await mark(page);
  assert.equal(await page.getByLabel(/^Active/).isChecked(), false, 'bob.ray is disabled');
  // A typed password is not carried to another screen, nor back to this one.
  await page.getByLabel('Password', { exact: true }).fill('Typed#secret42');
  await page.getByRole('link', { name: 'Users', exact: true }).click();
  await page.getByRole('link', { name: 'ann.lee@example.test' }).click();
  await page.getByRole('heading', { name: 'Edit account' }).waitFor();
  await page.getByText('ann.lee@example.test', { exact: true }).first().waitFor();
  assert.equal(await page.getByLabel(/^Active/).isChecked(), true, 'ann.lee is active: no stale checked state');
  assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '');
  // The password island checks against ann.lee's names, not those of the account before.
  await page.getByLabel('Password', { exact: true }).fill('Ann#rules42');
  await page.getByText('Must not contain the first name (not met)').waitFor();
  await page.getByLabel('Password', { exact: true }).fill('Bob#rules42');
  await page.getByText('Must not contain the first name').waitFor({ state: 'detached' });
  // Save posts and comes back to the same screen: saved, with the fields as stored.
  await page.getByLabel('First name').fill('Anna');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByText('Saved.').waitFor();
  assert.equal(await page.getByLabel('First name').inputValue(), 'Anna');
  assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '', 'the password typed before the post is gone');
  await page.getByRole('button', { name: 'Log off' }).click();
  await page.getByText('You have logged off.').waitFor();
  assert.deepEqual(await stayed(page), { same: true, wasmLoads: 1 });
  assert.deepEqual(unexpectedProblems(page), []);
  await page.context().close();
});

test('an address that names a place on its screen opens the screen there, as a page load does', async () => {
  await twoAccounts();
  const page = await signedIn({ viewport: PHONE });
  await mark(page);
  // No screen links into another's middle yet: a link like the one an outcome would give.
  await page.evaluate(() => {
    const link = Object.assign(document.createElement('a'), {
      href: '/users/edit?email=ann.lee%40example.test#starts_on',
      textContent: 'The dates of ann.lee\'s auto-reply',
    });
    document.querySelector('main').prepend(link);
  });
  await page.getByRole('link', { name: "The dates of ann.lee's auto-reply" }).click();
  await page.getByRole('heading', { name: 'Edit account', level: 1 }).waitFor();
  assert.match(page.url(), /#starts_on$/);
  const shown = () => page.evaluate(() => {
    const place = document.getElementById('starts_on').getBoundingClientRect();
    return { scrolled: window.scrollY > 0, inView: place.top >= 0 && place.bottom <= window.innerHeight };
  });
  assert.deepEqual(await shown(), { scrolled: true, inView: true }, 'the dates are on screen, below the fold of a phone');
  // Back puts the screen before where it was left, Forward this one back down the page (near
  // the dates: its islands, drawn again, may move what is below them).
  await page.goBack();
  await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
  assert.equal(await page.evaluate(() => window.scrollY), 0);
  await page.goForward();
  await page.getByRole('heading', { name: 'Edit account', level: 1 }).waitFor();
  assert.ok(await page.evaluate(() => window.scrollY > window.innerHeight), 'Forward does not open Edit at the top');
  assert.deepEqual(await stayed(page), { same: true, wasmLoads: 1 });
  assert.deepEqual(unexpectedProblems(page), []);
  await page.context().close();
});

test('resting the mouse on a link asks for its screen once, before the click; a form is never asked ahead', async () => {
  const page = await signedIn();
  await mark(page);
  const asked = [];
  page.on('request', (request) => {
    if (['fetch', 'document'].includes(request.resourceType())) {
      asked.push(`${request.method()} ${new URL(request.url()).pathname}`);
    }
  });
  await openNavigation(page);
  const link = page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Activity', exact: true });
  const early = page.waitForRequest((request) => new URL(request.url()).pathname === '/activity');
  await link.hover();
  await early;
  assert.equal(await page.getByRole('heading', { name: 'Users', level: 1 }).count(), 1, 'nothing shown before the click');
  await link.click();
  await page.getByRole('heading', { name: 'Activity', level: 1 }).waitFor();
  // The link clicked comes back under the resting mouse: the screen shown is not asked again.
  await page.waitForTimeout(300);
  // The Log off button sends a form: resting on it or pressing it away from it asks for nothing.
  const logOff = page.getByRole('button', { name: 'Log off' });
  await logOff.hover();
  await page.waitForTimeout(300);
  await page.mouse.down();
  await page.mouse.move(0, 0);
  await page.mouse.up();
  await page.waitForTimeout(300);
  assert.deepEqual(asked, ['GET /activity']);
  await page.reload();
  await page.getByRole('heading', { name: 'Activity', level: 1 }).waitFor();
  assert.deepEqual(unexpectedProblems(page), []);
  await page.context().close();
});

for (const javaScript of [true, false]) {
  test(`Back from an account to the list puts the list where it was left (${javaScript ? 'with' : 'without'} JavaScript)`, async () => {
    await twoAccounts();
    const page = await signedIn({ viewport: PHONE, javaScript });
    await goToIn(running, page, '/users', javaScript);
    const links = page.locator('td[data-label="Address"] a');
    const chosen = links.nth((await links.count()) - 1);
    const address = await chosen.textContent();
    await chosen.scrollIntoViewIfNeeded();
    const left = await page.evaluate(() => window.scrollY);
    assert.ok(left > 0, 'the last account is below the fold of a phone');
    await chosen.click();
    await page.getByRole('heading', { name: 'Edit account', level: 1 }).waitFor();
    await page.goBack();
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    await page.waitForFunction((at) => Math.abs(window.scrollY - at) <= 2, left, { timeout: 5000 }).catch(() => {});
    assert.equal(await page.evaluate(() => window.scrollY), left, 'Back opens the list where it was left');
    assert.ok(await page.getByRole('link', { name: address }).isVisible());
    assert.deepEqual(unexpectedProblems(page), []);
    await page.context().close();
  });
}
