// Managing aliases as a postmaster does: add one by typing, paste many with a live per-line
// report, delete and restore; with and without JavaScript, on a desktop and a phone.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { createDemoPostmaster } from './support/server.js';
import { useConsole } from './support/fixture.js';
import { waitForHydration, screenshot, unexpectedProblems, DESKTOP, PHONE } from './support/browser.js';
import { signedIn as signedInTo, goTo as goToIn } from './support/console.js';
import { seriousViolations } from './support/axe.js';

const running = useConsole({ setup: createDemoPostmaster });

const signedIn = (options) => signedInTo(running, options);
const goTo = (page, path, javaScript) => goToIn(running, page, path, javaScript);

test('an alias is added by typing it, checked as it is typed, and listed', async () => {
  const page = await signedIn();
  await page.getByRole('link', { name: 'Aliases', exact: true }).click();
  await page.getByRole('heading', { name: 'Aliases' }).waitFor();
  await page.getByText('There are no aliases in example.test yet.').waitFor();
  await goTo(page, '/aliases/add');
  await page.getByLabel('Alias', { exact: true }).pressSequentially('Sales');
  await page.getByText('the address becomes sales@example.test').waitFor();
  const targets = page.getByLabel('Delivers to');
  await targets.pressSequentially('ann@example.com, bob');
  await page.getByText('is not a full address').waitFor();
  assert.equal(await targets.getAttribute('aria-invalid'), 'true');
  await targets.pressSequentially('@example.com');
  await page.getByText('is not a full address').waitFor({ state: 'detached' });
  await page.getByRole('button', { name: 'Add alias' }).click();
  await page.getByText('Added the alias sales@example.test.').waitFor();
  await page.getByRole('link', { name: 'sales@example.test' }).waitFor();
  await page.getByRole('cell', { name: 'ann@example.com, bob@example.com' }).waitFor();
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a paste is reported line by line as it is typed, and the server refuses a taken address naming its line', async () => {
  const page = await signedIn();
  await goTo(page, '/aliases/add');
  const box = page.getByLabel('Aliases, one per line');
  await box.fill('team sales@example.test, carl@example.com\nhelp dora@example.com\necho echo@example.test\ninfo nobody');
  await page.getByText('2 ready, 2 need attention').waitFor();
  await page.getByText('Targets: an alias cannot deliver to itself').waitFor();
  await page.getByText(/“nobody” is not a full address/).waitFor();
  assert.ok(await page.getByRole('button', { name: /^Add/ }).last().isDisabled(), 'Add waits while a line needs attention');
  await screenshot(page, 'add-aliases-report-desktop');
  const paste = 'team sales@example.test, carl@example.com\nhelp dora@example.com\nsales erin@example.com';
  await box.fill(paste);
  await page.getByText('3 ready, 0 need attention').waitFor();
  await page.getByRole('button', { name: 'Add 3 aliases' }).click();
  await page.locator('#alias-text-error').filter({ hasText: 'The server refused 1 line: each is marked in the report.' }).waitFor();
  await page.getByText('2 ready, 1 need attention').waitFor();
  await page.locator('.report__line--bad').filter({ hasText: 'Line 3' }).filter({ hasText: 'sales@example.test is already an alias' }).waitFor();
  assert.equal(await page.getByLabel('Aliases, one per line').inputValue(), paste, 'the paste is kept');
  await waitForHydration(page);
  await page.getByLabel('Aliases, one per line').fill('team sales@example.test, carl@example.com\nhelp dora@example.com');
  await page.getByRole('button', { name: 'Add 2 aliases' }).click();
  await page.getByText('Added 2 aliases.').waitFor();
  for (const alias of ['team', 'help']) await page.getByRole('link', { name: `${alias}@example.test` }).waitFor();
  await page.context().close();
});

test('without JavaScript a paste with a loop is refused with its line and kept', async () => {
  const page = await signedIn({ javaScript: false });
  await goTo(page, '/aliases/add', false);
  const paste = 'ring1 ring2@example.test\nring2 ring1@example.test';
  await page.getByLabel('Aliases, one per line').fill(paste);
  await page.getByRole('button', { name: 'Add', exact: true }).last().click();
  await page.locator('#alias-text-error').filter({ hasText: /The server refused \d+ lines?: each is marked in the report\./ }).waitFor();
  await page.locator('.report__line--bad').filter({ hasText: 'Line 1' })
    .filter({ hasText: 'Mail would go round in a loop: ring1@example.test → ring2@example.test → ring1@example.test' }).waitFor();
  assert.equal(await page.getByLabel('Aliases, one per line').inputValue(), paste);
  await page.context().close();
});

for (const javaScript of [true, false]) {
  test(`an alias is deleted, found under Deleted aliases and restored (${javaScript ? 'with' : 'without'} JavaScript)`, async () => {
    const page = await signedIn({ javaScript });
    const alias = javaScript ? 'help@example.test' : 'team@example.test';
    await goTo(page, '/aliases', javaScript);
    await page.getByLabel(`Select ${alias}`).check();
    await page.getByRole('button', { name: 'Delete selected…' }).click();
    await page.getByRole('heading', { name: 'Delete aliases' }).waitFor();
    await page.getByText(alias).waitFor();
    await page.getByRole('button', { name: 'Delete 1 alias' }).click();
    await page.getByText('Deleted 1 alias. It can be restored').waitFor();
    assert.equal(await page.getByRole('link', { name: alias }).count(), 0);
    await goTo(page, '/aliases/deleted', javaScript);
    await page.getByRole('cell', { name: '30' }).first().waitFor();
    await page.getByRole('button', { name: `Restore ${alias}` }).click();
    await page.getByText(`${alias} is restored`).waitFor();
    await goTo(page, '/aliases', javaScript);
    await page.getByRole('link', { name: alias }).waitFor();
    await page.context().close();
  });
}

const SCREENS = ['/aliases', '/aliases/add', '/aliases/edit?address=sales%40example.test', '/aliases/delete?domain=example.test&address=sales%40example.test', '/aliases/deleted'];

for (const [name, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
  test(`every alias screen fits the ${name}, with no serious accessibility problem`, async () => {
    const page = await signedIn({ viewport, bypassCSP: true });
    for (const path of SCREENS) {
      await goTo(page, path);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${path} scrolls sideways at ${viewport.width} px`);
      assert.deepEqual(await seriousViolations(page), [], path);
      const file = path.slice(1).replace(/[?/=&%.@]+/g, '-').replace(/-+$/, '');
      await screenshot(page, `${file}-${name}`);
    }
    assert.deepEqual(unexpectedProblems(page), []);
    await page.context().close();
  });
}
