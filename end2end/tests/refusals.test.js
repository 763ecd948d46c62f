// Refusals beside their fields, as a postmaster sees them with and without JavaScript: the
// server's message next to the field it concerns, the field marked invalid and described by
// that message, what was typed kept, and password fields always empty again.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { createDemoPostmaster } from './support/server.js';
import { useConsole } from './support/fixture.js';
import { screenshot, PHONE } from './support/browser.js';
import { signedIn as signedInTo, goTo as goToIn } from './support/console.js';

const running = useConsole({ setup: createDemoPostmaster });

const signedIn = (options) => signedInTo(running, options);
const goTo = (page, path, javaScript) => goToIn(running, page, path, javaScript);

/** Checks that the field `id` shows `message` beside it and is marked and described by it. */
async function expectBeside(page, id, message) {
  const shown = page.locator(`#${id}-error`);
  await shown.waitFor();
  assert.equal((await shown.textContent()).trim(), message);
  const field = page.locator(`#${id}`);
  assert.equal(await field.getAttribute('aria-invalid'), 'true', `${id} is marked invalid`);
  const described = (await field.getAttribute('aria-describedby')) ?? '';
  assert.ok(described.split(' ').includes(`${id}-error`), `${id} is described by its message: ${described}`);
}

/** Checks that the field `id` carries no refusal. */
async function expectClean(page, id) {
  assert.equal(await page.locator(`#${id}`).getAttribute('aria-invalid'), null, `${id} is not marked`);
  assert.equal(await page.locator(`#${id}-error`).count(), 0, `${id} has no message`);
}

/** Fills Add one account as a person types it, and adds. */
async function addOne(page, { username, first, last, password, again }) {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel(/First name/).fill(first);
  await page.getByLabel(/Last name/).fill(last);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Password again').fill(again);
  await page.getByRole('button', { name: 'Add account' }).click();
}

test('with JavaScript, Add one account shows each refusal beside its field and keeps the names typed', async () => {
  const page = await signedIn();
  await goTo(page, '/users/add-one');
  await addOne(page, { username: 'nina', first: 'Nina', last: 'Park', password: 'Sunny#day42', again: 'Sunny#day42' });
  await page.getByRole('heading', { name: 'Accounts added' }).waitFor();

  await goTo(page, '/users/add-one');
  await addOne(page, { username: 'Nina', first: 'Nina', last: 'Park', password: 'Sunny#day42', again: 'Sunny#day43' });
  await expectBeside(page, 'username', 'nina@example.test is already an account.');
  await expectBeside(page, 'password_again', 'The two passwords differ.');
  await page.getByRole('alert').filter({ hasText: 'Correct what is marked below' }).waitFor();
  await expectClean(page, 'first_name');
  assert.equal(await page.getByLabel('Username').inputValue(), 'Nina');
  assert.equal(await page.getByLabel(/First name/).inputValue(), 'Nina');
  assert.equal(await page.getByLabel(/Last name/).inputValue(), 'Park');
  assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '', 'a password is never kept');
  assert.equal(await page.getByLabel('Password again').inputValue(), '');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'username', 'the focus is on the first refused field');
  await screenshot(page, 'refused-fields-desktop');
  await page.setViewportSize(PHONE);
  await screenshot(page, 'refused-fields-phone');

  // A fixed username takes its message away as it is typed; the live check takes over.
  await page.getByLabel('Username').fill('nina.park');
  assert.equal(await page.locator('#username-error').count(), 0);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('without JavaScript, a refused account comes back with the problems beside the fields and no password', async () => {
  const page = await signedIn({ javaScript: false });
  await goTo(page, '/users/add-one', false);
  await addOne(page, { username: 'nina', first: 'Nina', last: 'Lee', password: 'Rainy#day42', again: 'Rainy#day24' });
  await expectBeside(page, 'username', 'nina@example.test is already an account.');
  await expectBeside(page, 'password_again', 'The two passwords differ.');
  assert.equal(await page.getByLabel('Username').inputValue(), 'nina');
  assert.equal(await page.getByLabel(/Last name/).inputValue(), 'Lee');
  assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '');
  assert.equal(await page.getByLabel('Password again').inputValue(), '');
  assert.ok(!page.url().includes('Rainy'), 'no password in the address');
  await screenshot(page, 'refused-fields-no-js-desktop');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('without JavaScript, Edit account and My password name the refused password field', async () => {
  const page = await signedIn({ javaScript: false });
  await goTo(page, '/users/edit?email=nina%40example.test', false);
  await page.getByLabel('Password', { exact: true }).fill('Windy#day42');
  await page.getByLabel('Password again').fill('Windy#day24');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expectBeside(page, 'password_again', 'The two passwords differ.');
  await expectClean(page, 'password');
  assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '');

  await goTo(page, '/account', false);
  await page.getByLabel('Current password').fill('Not#mine42');
  await page.getByLabel('New password', { exact: true }).fill('Windy#day42');
  await page.getByLabel('New password again').fill('Windy#day42');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expectBeside(page, 'current', 'The current password is wrong.');
  await expectClean(page, 'password_again');
  for (const label of ['Current password', 'New password again']) {
    assert.equal(await page.getByLabel(label).inputValue(), '', `${label} is empty again`);
  }
  await page.getByLabel('Current password').fill(running.postmaster.password);
  await page.getByLabel('New password', { exact: true }).fill('Windy#day42');
  await page.getByLabel('New password again').fill('Windy#day24');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expectBeside(page, 'password_again', 'The two passwords differ.');
  await screenshot(page, 'refused-own-password-no-js-desktop');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('with JavaScript, an alias that delivers to itself is refused beside its targets, as typed', async () => {
  const page = await signedIn();
  await goTo(page, '/aliases/add');
  await page.getByLabel('Alias', { exact: true }).fill('desk');
  await page.getByLabel('Delivers to').fill('nina@example.test desk@example.test');
  await page.getByRole('button', { name: 'Add alias' }).click();
  await expectBeside(page, 'targets', 'desk@example.test cannot deliver to itself.');
  assert.equal(await page.getByLabel('Alias', { exact: true }).inputValue(), 'desk');
  assert.equal(await page.getByLabel('Delivers to').inputValue(), 'nina@example.test desk@example.test');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

/** Adds accounts by the plain paste form, as a postmaster without JavaScript would. */
async function addAccounts(lines) {
  const page = await signedIn({ javaScript: false });
  await goTo(page, '/users/add', false);
  await page.getByLabel('Accounts, one per line').fill(lines);
  await page.getByRole('button', { name: 'Add' }).click();
  await page.getByRole('heading', { name: 'Accounts added' }).waitFor();
  await page.context().close();
}

/** Checks that `locator` is shown within the window, as a person sees it without scrolling. */
async function expectInView(locator, what) {
  await locator.waitFor();
  const inView = await locator.evaluate((element) => {
    const box = element.getBoundingClientRect();
    return box.top >= 0 && box.bottom <= window.innerHeight;
  });
  assert.ok(inView, `${what} is in view`);
}

for (const javaScript of [true, false]) {
  const how = javaScript ? 'with' : 'without';
  test(`${how} JavaScript, a refused auto-reply comes back as typed and in view, then saves as on`, async () => {
    const names = javaScript ? ['una', 'vic'] : ['wes', 'xia'];
    await addAccounts(names.map((name) => `${name} Sunny#day42 Sunny#day42`).join('\n'));
    for (const [name, viewport] of [[names[0], undefined], [names[1], PHONE]]) {
      const page = await signedIn({ javaScript, viewport });
      await goTo(page, `/users/edit?email=${name}%40example.test`, javaScript);
      await page.getByLabel('Send an automatic reply').check();
      await page.getByLabel('Subject').fill('Away until Monday');
      await page.getByLabel('Text', { exact: true }).fill('I am away; Ann answers meanwhile.');
      await page.getByLabel('From').fill('2026-12-10');
      await page.getByLabel('Until').fill('2026-12-01');
      await page.getByRole('button', { name: 'Save auto-reply' }).click();

      const refusal = page
        .getByRole('alert')
        .filter({ hasText: 'The last day (2026-12-01) is before the first day (2026-12-10)' });
      await expectInView(refusal, 'the refusal');
      assert.equal(await page.getByLabel('Send an automatic reply').isChecked(), true, 'still to be on');
      assert.equal(await page.getByLabel('Subject').inputValue(), 'Away until Monday');
      assert.equal(await page.getByLabel('Text', { exact: true }).inputValue(), 'I am away; Ann answers meanwhile.');
      assert.equal(await page.getByLabel('From').inputValue(), '2026-12-10');
      assert.equal(await page.getByLabel('Until').inputValue(), '2026-12-01');
      assert.ok(!page.url().includes('Monday'), 'nothing typed in the address');

      await page.getByLabel('Until').fill('2026-12-20');
      await page.getByRole('button', { name: 'Save auto-reply' }).click();
      await expectInView(page.getByText('The auto-reply is on; it answers from the next message.'), 'the confirmation');
      assert.equal(await page.getByLabel('Send an automatic reply').isChecked(), true);
      assert.equal(await page.getByLabel('Until').inputValue(), '2026-12-20');
      assert.deepEqual(page.problems, []);
      await page.context().close();
    }
  });
}
