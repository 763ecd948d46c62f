// Where mail goes besides a mailbox, as a postmaster sets it: forwarding on Edit, checked as
// it is typed, and the domain's catch-all, with and without JavaScript, desktop and phone.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { createDemoPostmaster } from './support/server.js';
import { useConsole } from './support/fixture.js';
import { waitForHydration, screenshot, PHONE } from './support/browser.js';
import { signedIn as signedInTo, goTo as goToIn } from './support/console.js';

const running = useConsole({ setup: createDemoPostmaster });

const signedIn = (options) => signedInTo(running, options);
const goTo = (page, path, javaScript) => goToIn(running, page, path, javaScript);

/** Adds accounts by the plain paste form, as a postmaster without JavaScript would. */
async function addAccounts(lines) {
  const page = await signedIn({ javaScript: false });
  await goTo(page, '/users/add', false);
  await page.getByLabel('Accounts, one per line').fill(lines);
  await page.getByRole('button', { name: 'Add' }).click();
  await page.getByRole('heading', { name: 'Accounts added' }).waitFor();
  await page.context().close();
}

test('forwarding is checked as it is typed, saved without a copy, and turned off again', async () => {
  await addAccounts('fay Sunny#day42 Sunny#day42 Fay\ngil Rainy#day42 Rainy#day42 Gil');
  const page = await signedIn();
  await goTo(page, '/users/edit?email=fay%40example.test');
  const box = page.getByLabel('Forward to');
  await box.fill('friend at outside');
  await page.getByText(/needs an @ and a domain/).waitFor();
  assert.equal(await box.getAttribute('aria-invalid'), 'true');
  await box.fill('Friend@Outside.test\ngil@example.test');
  await page.getByText(/needs an @ and a domain/).waitFor({ state: 'detached' });
  await page.getByLabel('Keep a copy in this mailbox').uncheck();
  await page.getByRole('button', { name: 'Save forwarding' }).click();
  await page.getByText('Forwarding is saved.').waitFor();
  await waitForHydration(page);
  assert.equal(await page.getByLabel('Forward to').inputValue(), 'friend@outside.test\ngil@example.test');
  assert.equal(await page.getByLabel('Keep a copy in this mailbox').isChecked(), false);
  await screenshot(page, 'edit-forwarding-desktop');

  // gil → fay → gil would go round: refused, naming the chain, and gil keeps none.
  await goTo(page, '/users/edit?email=gil%40example.test');
  await page.getByLabel('Forward to').fill('fay@example.test');
  await page.getByRole('button', { name: 'Save forwarding' }).click();
  await page.getByText('gil@example.test → fay@example.test → gil@example.test').waitFor();

  await goTo(page, '/users/edit?email=fay%40example.test');
  await page.getByLabel('Forward to').fill('');
  await page.getByRole('button', { name: 'Save forwarding' }).click();
  await page.getByText('Forwarding is off: mail stays in this mailbox.').waitFor();
  await page.context().close();
});

test('without JavaScript the catch-all refuses an address that leads nowhere, turns on and off', async () => {
  await addAccounts('hana Misty#day42 Misty#day42 Hana');
  const page = await signedIn({ javaScript: false });
  await goTo(page, '/catch-all', false);
  await page.getByText(/^Off: mail to an address of example.test/).waitFor();
  await page.getByText(/A catch-all takes spam too/).waitFor();
  await page.getByLabel('Deliver to').fill('nobody@example.test');
  await page.getByRole('button', { name: 'Turn on' }).click();
  await page.getByRole('alert').filter({ hasText: 'nobody@example.test is neither an account nor an alias' }).waitFor();
  await page.getByLabel('Deliver to').fill('hana@example.test');
  await page.getByRole('button', { name: 'Turn on' }).click();
  await page.getByText('The catch-all is on.').waitFor();
  await page.getByText(/^On: mail to any address of example.test .* goes to hana@example.test/).waitFor();
  await screenshot(page, 'catch-all-on-nojs-desktop');
  await page.getByRole('button', { name: 'Turn the catch-all off' }).click();
  await page.getByText('The catch-all is off.').waitFor();
  await page.context().close();
});

test('on a phone the catch-all and forwarding fit the screen', async () => {
  const page = await signedIn({ viewport: PHONE });
  for (const [path, name] of [['/catch-all', 'catch-all-phone'], ['/users/edit?email=hana%40example.test', 'edit-forwarding-phone']]) {
    await goTo(page, path);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${path} scrolls sideways by ${overflow}px`);
    await screenshot(page, name);
  }
  await page.context().close();
});
