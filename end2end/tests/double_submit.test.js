// A form sent twice, by a double click or Enter pressed twice, does its work once and ends on
// its success page, with and without JavaScript, on a desktop and a phone; and the Users
// search finds an account by its full address and by its full name.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { createDemoPostmaster } from './support/server.js';
import { useConsole } from './support/fixture.js';
import { DESKTOP, PHONE } from './support/browser.js';
import { signedIn as signedInTo, goTo as goToIn } from './support/console.js';

const running = useConsole({ setup: createDemoPostmaster });

const signedIn = (options) => signedInTo(running, options);
const goTo = (page, path, javaScript) => goToIn(running, page, path, javaScript);

for (const [size, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
  for (const javaScript of [true, false]) {
    const how = `${javaScript ? 'with' : 'without'} JavaScript, ${size}`;
    const who = `twice.${javaScript ? 'js' : 'nojs'}.${viewport.width}`;
    const address = `${who}@example.test`;

    test(`a double-clicked Add account adds it once and shows it added (${how})`, async () => {
      const page = await signedIn({ viewport, javaScript });
      await goTo(page, '/users/add-one', javaScript);
      await page.getByLabel('Username').fill(who);
      await page.getByLabel('First name').fill('Anna');
      await page.getByLabel('Last name').fill(`Berg${viewport.width}${javaScript ? 'js' : 'nojs'}`);
      await page.getByLabel('Password', { exact: true }).fill('Sunny#day42');
      await page.getByLabel('Password again').fill('Sunny#day42');
      await page.getByRole('button', { name: 'Add account' }).dblclick();
      await page.getByRole('heading', { name: 'Accounts added' }).waitFor();
      await page.getByText(address).waitFor();
      assert.equal(await page.getByText('someone else meanwhile').count(), 0);

      // The search takes the address and the name as they are written.
      for (const term of [address, `Anna Berg${viewport.width}${javaScript ? 'js' : 'nojs'}`]) {
        await goTo(page, `/users?q=${encodeURIComponent(term)}`, javaScript);
        await page.getByRole('link', { name: address }).waitFor();
        assert.equal(await page.getByText(/No account .* matches/).count(), 0, term);
      }

      const activity = async () => {
        await goTo(page, '/activity', javaScript);
        return page.getByRole('row').filter({ hasText: address }).count();
      };
      assert.equal(await activity(), 1, 'one add in the activity');
      await page.context().close();
    });

    test(`a double-clicked delete confirmation deletes once and says so (${how})`, async () => {
      const page = await signedIn({ viewport, javaScript });
      await goTo(page, `/users/delete?domain=example.test&email=${encodeURIComponent(address)}`, javaScript);
      await page.getByRole('heading', { name: 'Delete accounts' }).waitFor();
      await page.getByRole('button', { name: /^Delete 1 account/ }).dblclick();
      await page.getByText(/^Deleted 1 account\./).waitFor();
      assert.equal(await page.getByText('was not found').count(), 0);
      await goTo(page, '/activity', javaScript);
      await page.getByRole('row').filter({ hasText: address }).first().waitFor();
      assert.equal(await page.getByRole('row').filter({ hasText: address }).count(), 2, 'one add and one delete');
      await page.context().close();
    });
  }
}
