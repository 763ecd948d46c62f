// Managing accounts as a postmaster does: paste many, add one, edit, delete, restore, look
// back at the activity; with and without JavaScript, on a desktop and a phone.
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

test('a paste is checked line by line as it is typed, and Add waits for a clean list', async () => {
  const page = await signedIn();
  await goTo(page, '/users/add');
  const box = page.getByLabel('Accounts, one per line');
  await box.fill('ann.lee Sunny#day42 Sunny#day42 Ann Lee\nbob Rainy#day42 Rainy#day4 Bob\n# a comment\ncarl,Windy#day42,Windy#day42,Carl,Ray');
  await page.getByText('2 ready, 1 need attention').waitFor();
  await page.getByText('Line 2').waitFor();
  await page.getByText(/password again: .*differ/i).waitFor();
  assert.ok(await page.getByRole('button', { name: /^Add/ }).isDisabled(), 'Add waits while a line needs attention');
  await screenshot(page, 'add-many-report-desktop');
  await box.fill('ann.lee Sunny#day42 Sunny#day42 Ann Lee\nbob Rainy#day42 Rainy#day42 Bob\n# a comment\ncarl,Windy#day42,Windy#day42,Carl,Ray');
  await page.getByText('3 ready, 0 need attention').waitFor();
  await page.getByRole('button', { name: 'Add 3 accounts' }).click();
  await page.getByRole('heading', { name: 'Accounts added' }).waitFor();
  for (const who of ['ann.lee', 'bob', 'carl']) await page.getByText(`${who}@example.test`).waitFor();
  await page.getByRole('button', { name: 'Done' }).click();
  await page.getByRole('link', { name: 'ann.lee@example.test' }).waitFor();
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('passwords can be generated for a paste of usernames, shown until Done with a CSV', async () => {
  const page = await signedIn();
  await goTo(page, '/users/add');
  await page.getByLabel('Accounts, one per line').fill('dora\nemil');
  await page.getByText('0 ready, 2 need attention').waitFor();
  await page.getByLabel('Generate a password for lines that give only a username').check();
  await page.getByText('2 ready, 0 need attention').waitFor();
  await page.getByRole('button', { name: 'Add 2 accounts' }).click();
  await page.getByRole('heading', { name: 'Accounts added' }).waitFor();
  const passwords = await page.locator('code.generate__value').allTextContents();
  assert.equal(passwords.length, 2);
  const csv = page.getByRole('link', { name: 'Download the passwords (CSV)' });
  const href = decodeURIComponent(await csv.getAttribute('href'));
  assert.ok(href.includes(`"dora@example.test","${passwords[0]}"`), href);
  await screenshot(page, 'added-desktop');
  const resultPage = page.url();
  await page.reload();
  assert.deepEqual(await page.locator('code.generate__value').allTextContents(), passwords, 'a reload keeps them');
  await page.getByRole('button', { name: 'Done' }).click();
  await page.getByRole('link', { name: 'dora@example.test' }).waitFor();
  await page.goto(resultPage);
  await page.getByText('until you choose Done').waitFor();
  assert.equal(await page.locator('code.generate__value').count(), 0, 'gone after Done');
  await page.context().close();
});

test('a quota typed on Add many is checked as it is typed and given to every account', async () => {
  const page = await signedIn();
  await goTo(page, '/users/add');
  await page.getByLabel('Accounts, one per line').fill('gus Sunny#day42 Sunny#day42\nhal Rainy#day42 Rainy#day42');
  await page.getByText('2 ready, 0 need attention').waitFor();
  const quota = page.getByLabel('Quota (MB)');
  await quota.fill('1.5');
  await page.getByText('A quota is a whole number of MB, such as 500').waitFor();
  assert.ok(await page.getByRole('button', { name: 'Add 2 accounts' }).isDisabled(), 'Add waits for a whole number');
  await quota.fill('250');
  await page.getByRole('button', { name: 'Add 2 accounts' }).click();
  await page.getByRole('heading', { name: 'Accounts added' }).waitFor();
  for (const who of ['gus', 'hal']) {
    await goTo(page, `/users/edit?email=${who}%40example.test`);
    assert.equal(await page.getByLabel('Quota (MB)').inputValue(), '250', who);
  }
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

for (const [name, viewport, prefix, count] of [['desktop', DESKTOP, 'staff', 200], ['phone', PHONE, 'temp', 100]]) {
  test(`a large paste shows how far the server has got while it adds, under the box, in sight (${name})`, async () => {
    const page = await signedIn({ viewport });
    await goTo(page, '/users/add');
    const lines = Array.from({ length: count }, (_, n) => `${prefix}${String(n).padStart(3, '0')}`);
    await page.getByLabel('Accounts, one per line').fill(lines.join('\n'));
    await page.getByLabel('Generate a password for lines that give only a username').check();
    // The page is busy posting, which a test cannot query: it records what it shows instead,
    // and where, in storage that outlives the page.
    await page.evaluate(() => {
      const shown = [];
      new MutationObserver(() => {
        const progress = document.querySelector('.progress');
        const text = progress?.textContent;
        if (!text) return;
        const place = progress.getBoundingClientRect();
        const box = document.getElementById('text').getBoundingClientRect();
        const seen = {
          text,
          withReport: progress.closest('#bulk-report') !== null,
          // Under the box on a phone, beside it on a desktop: where the report is read.
          byBox: place.top >= box.top || place.left >= box.right,
          inSight: place.top >= 0 && place.bottom <= window.innerHeight,
        };
        if (JSON.stringify(shown.at(-1)) !== JSON.stringify(seen)) {
          shown.push(seen);
          sessionStorage.setItem('progress', JSON.stringify(shown));
        }
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await page.getByRole('button', { name: `Add ${count} accounts` }).click();
    await page.getByRole('heading', { name: 'Accounts added' }).waitFor();
    await page.getByText(`${count} accounts added to example.test.`).waitFor();
    const shown = JSON.parse(await page.evaluate(() => sessionStorage.getItem('progress')));
    const said = shown.map((seen) => JSON.stringify(seen)).join(' | ');
    assert.ok(shown.every((seen) => seen.text.includes(`Adding ${count} accounts`) && seen.withReport && seen.byBox), said);
    const counts = shown.filter((seen) => new RegExp(`\\d+ of ${count} hashed`).test(seen.text));
    assert.ok(counts.length > 0, `the count was shown: ${said}`);
    assert.ok(counts.every((seen) => seen.inSight), `the count was in sight: ${said}`);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
}

for (const javaScript of [true, false]) {
  test(`the Users list pages with Next and Previous and finds part of an address (${javaScript ? 'with' : 'without'} JavaScript)`, async () => {
    const page = await signedIn({ javaScript });
    await goTo(page, '/users', javaScript);
    const where = page.locator('.pager__where');
    await page.getByText(/^Page 1 of \d+$/).waitFor();
    const pages = Number((await where.textContent()).split(' of ')[1]);
    assert.ok(pages >= 4, `the 200 staff and more fill ${pages} pages`);
    const addresses = () => page.locator('td[data-label="Address"] a').allTextContents();
    const seen = [await addresses()];
    assert.equal(await page.getByRole('link', { name: 'Previous' }).count(), 0, 'nothing before the first page');
    for (let n = 2; n <= pages; n++) {
      await page.getByRole('link', { name: 'Next' }).click();
      await page.getByText(`Page ${n} of ${pages}`).waitFor();
      seen.push(await addresses());
    }
    assert.match(page.url(), /after=/, 'the link carries where the page starts');
    assert.equal(await page.getByRole('link', { name: 'Next' }).count(), 0, 'nothing after the last page');
    const all = seen.flat();
    assert.equal(new Set(all).size, all.length, 'no account on two pages');
    const locals = all.map((address) => address.split('@')[0]);
    assert.deepEqual(locals, [...locals].sort(), 'in address order');
    assert.ok(seen.slice(0, -1).every((rows) => rows.length === 50), 'full pages but the last');
    for (let n = pages - 1; n >= 1; n--) {
      await page.getByRole('link', { name: 'Previous' }).click();
      await page.getByText(`Page ${n} of ${pages}`).waitFor();
      assert.deepEqual(await addresses(), seen[n - 1], `page ${n} again`);
    }
    await screenshot(page, `users-paged-${javaScript ? 'js' : 'nojs'}-desktop`);

    const search = page.getByLabel('Search by address or name');
    await search.fill('STAFF19');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('10 accounts in example.test').waitFor();
    assert.deepEqual(await addresses(), Array.from({ length: 10 }, (_, n) => `staff19${n}@example.test`));
    await page.getByLabel('Search by address or name').fill('f1');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('100 accounts in example.test').waitFor();
    await page.getByText('Page 1 of 2').waitFor();
    await page.getByRole('link', { name: 'Next' }).click();
    await page.getByText('Page 2 of 2').waitFor();
    assert.deepEqual(await addresses(), Array.from({ length: 50 }, (_, n) => `staff${150 + n}@example.test`));
    await page.context().close();
  });
}

test('the server refuses an address that exists, naming the line, and adds nothing', async () => {
  const page = await signedIn();
  await goTo(page, '/users/add');
  await page.getByLabel('Accounts, one per line').fill('fred Stormy#day42 Stormy#day42\nann.lee Sunny#day42 Sunny#day42');
  await page.getByText('2 ready, 0 need attention').waitFor();
  await page.getByRole('button', { name: 'Add 2 accounts' }).click();
  await page.locator('#text-error').filter({ hasText: 'The server refused 1 line: each is marked in the report.' }).waitFor();
  await page.getByText('1 ready, 1 need attention').waitFor();
  await page.locator('.report__line--bad').filter({ hasText: 'Line 2' })
    .filter({ hasText: 'username: ann.lee@example.test is already an account' }).waitFor();
  assert.equal(await page.getByLabel('Accounts, one per line').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.getByLabel('Accounts, one per line').inputValue(), 'fred Stormy#day42 Stormy#day42\nann.lee Sunny#day42 Sunny#day42', 'the paste is kept');
  // The refused line stays marked while it is in the box, and goes with it.
  await waitForHydration(page);
  await page.getByLabel('Accounts, one per line').fill('fred Stormy#day42 Stormy#day42');
  await page.getByText('1 ready, 0 need attention').waitFor();
  await goTo(page, '/users?q=fred');
  await page.getByText('No account in example.test matches').waitFor();
  await page.context().close();
});

test('without JavaScript a paste is added and a bad one is refused with its line', async () => {
  const page = await signedIn({ javaScript: false });
  await goTo(page, '/users/add', false);
  await page.getByLabel('Accounts, one per line').fill('gina Cloudy#day42 Cloudy#day42 Gina');
  await page.getByRole('button', { name: 'Add' }).click();
  await page.getByRole('heading', { name: 'Accounts added' }).waitFor();
  await page.getByText('gina@example.test').waitFor();
  await goTo(page, '/users/add', false);
  const paste = 'hugo abcdefgh abcdefgh Hugo\nivan Misty#day42 Misty#day42';
  await page.getByLabel('Accounts, one per line').fill(paste);
  await page.getByRole('button', { name: 'Add' }).click();
  await page.locator('.report__line--bad').filter({ hasText: 'Line 1' }).filter({ hasText: 'password: ' }).waitFor();
  assert.ok(!page.url().includes('abcdefgh'), 'no password in the address');
  assert.equal(await page.getByLabel('Accounts, one per line').inputValue(), paste, 'the paste is kept to be fixed');
  await screenshot(page, 'add-many-refused-nojs-desktop');
  await page.getByLabel('Accounts, one per line').fill('hugo Foggy#day42 Foggy#day42 Hugo\nivan Misty#day42 Misty#day42');
  await page.getByRole('button', { name: 'Add' }).click();
  await page.getByRole('heading', { name: 'Accounts added' }).waitFor();
  await page.getByText('ivan@example.test').waitFor();
  await page.context().close();
});

for (const javaScript of [true, false]) {
  test(`add one account with a password the server generates and shows, and a quota, ${javaScript ? 'with' : 'without'} JavaScript`, async () => {
    const page = await signedIn({ javaScript });
    const who = javaScript ? 'ivy' : 'ida';
    await goTo(page, '/users/add-one', javaScript);
    if (javaScript) await waitForHydration(page);
    await page.getByLabel('Username').fill(who);
    await page.getByLabel('First name').fill('Ivy');
    await page.getByLabel(/Generate a password/).check();
    if (javaScript) {
      assert.equal(await page.getByLabel('Password', { exact: true }).isVisible(), false, 'the fields give way to the generator');
    }
    await page.getByLabel('Quota (MB)').fill('250');
    if (javaScript) await screenshot(page, 'add-one-desktop');
    await page.getByRole('button', { name: 'Add account' }).click();
    await page.getByRole('heading', { name: 'Accounts added' }).waitFor();
    await page.getByText(`${who}@example.test`).waitFor();
    const shown = await page.locator('code.generate__value').textContent();
    assert.match(shown, /^[a-km-z2-9]{4}(-[a-km-z2-9]{4}){3}$/, 'shown on the result screen, four groups of four');
    await page.context().close();
  });
}

test('edit names, disable, change the password', async () => {
  const page = await signedIn();
  await goTo(page, '/users?q=bob');
  await page.getByRole('link', { name: 'bob@example.test' }).click();
  await page.getByRole('heading', { name: 'Edit account' }).waitFor();
  await page.getByLabel('Last name').fill('Builder');
  await page.getByLabel(/^Active/).uncheck();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByText('Saved.').waitFor();
  await waitForHydration(page);
  await page.getByLabel('Password', { exact: true }).fill('abc');
  await page.getByText('✗').first().waitFor();
  await page.getByLabel('Password', { exact: true }).fill('Breezy#day42');
  await page.getByLabel('Password again').fill('Breezy#day42');
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.getByText('The password is changed.').waitFor();
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Rebuild mailbox' }).click();
  await page.getByText('Rebuild finished.').waitFor();
  await page.getByText(/The mailbox holds \d+ messages?, /).waitFor();
  await screenshot(page, 'edit-desktop');
  await page.reload();
  await page.getByText(/Last rebuilt .* by postmaster@example.test/).waitFor();
  await goTo(page, '/users?q=bob');
  await page.getByText('Disabled').waitFor();
  await page.context().close();
});

test('without JavaScript a rebuild comes back with what it found and did', async () => {
  const page = await signedIn({ javaScript: false });
  await goTo(page, '/users/edit?email=ann.lee%40example.test', false);
  await page.getByRole('button', { name: 'Rebuild mailbox' }).click();
  await page.getByText('Rebuild finished.').waitFor();
  await page.getByText(/Last rebuilt .* by postmaster@example.test: \d+ messages/).waitFor();
  await page.context().close();
});

for (const javaScript of [true, false]) {
  test(`delete two accounts, find them under Deleted accounts, restore one (${javaScript ? 'with' : 'without'} JavaScript)`, async () => {
    const page = await signedIn({ javaScript });
    const [first, second] = javaScript ? ['dora', 'emil'] : ['carl', 'gina'];
    await goTo(page, '/users', javaScript);
    await page.getByLabel(`Select ${first}@example.test`).check();
    await page.getByLabel(`Select ${second}@example.test`).check();
    await page.getByRole('button', { name: 'Delete selected…' }).click();
    await page.getByRole('heading', { name: 'Delete accounts' }).waitFor();
    await page.getByText(`${first}@example.test`).waitFor();
    await page.getByText(`${second}@example.test`).waitFor();
    await page.getByRole('button', { name: 'Delete 2 accounts' }).click();
    await page.getByText('Deleted 2 accounts. They can be restored').waitFor();
    assert.equal(await page.getByRole('link', { name: `${first}@example.test` }).count(), 0);
    await goTo(page, '/users/deleted', javaScript);
    await page.getByText(`${second}@example.test`).waitFor();
    await page.getByRole('button', { name: `Restore ${first}@example.test` }).click();
    await page.getByText(`${first}@example.test is restored`).waitFor();
    await goTo(page, `/users?q=${first}`, javaScript);
    await page.getByRole('link', { name: `${first}@example.test` }).waitFor();
    await page.context().close();
  });
}

for (const javaScript of [true, false]) {
  test(`a delete asked on page 2 comes back to page 2, and so does Cancel (${javaScript ? 'with' : 'without'} JavaScript)`, async () => {
    const page = await signedIn({ javaScript });
    await goTo(page, '/users', javaScript);
    await page.getByRole('link', { name: 'Next' }).click();
    const second = /^Page 2 of \d+\+?$/;
    await page.getByText(second).waitFor();
    const addresses = () => page.locator('td[data-label="Address"] a').allTextContents();
    const [first, , third] = await addresses();
    const chosen = javaScript ? first : third;
    await page.getByLabel(`Select ${chosen}`).check();
    await page.getByRole('button', { name: 'Delete selected…' }).click();
    await page.getByRole('heading', { name: 'Delete accounts' }).waitFor();
    await page.getByRole('link', { name: 'Cancel' }).click();
    await page.getByText(second).waitFor();
    assert.ok((await addresses()).includes(chosen), 'Cancel deletes nothing');
    await page.getByLabel(`Select ${chosen}`).check();
    await page.getByRole('button', { name: 'Delete selected…' }).click();
    await page.getByRole('button', { name: 'Delete 1 account' }).click();
    await page.getByText('Deleted 1 account. It can be restored').waitFor();
    await page.getByText(second).waitFor();
    const after = await addresses();
    assert.ok(!after.includes(chosen), `${chosen} is gone from the page`);
    assert.ok(after.includes(javaScript ? third : first), 'the same page, less the account deleted');
    await page.context().close();
  });
}

test('activity says what was done in words, filters by action and by account, and links to it', async () => {
  const page = await signedIn();
  await goTo(page, '/activity');
  await page.getByRole('cell', { name: 'Account added' }).first().waitFor();
  assert.equal(await page.getByRole('cell', { name: 'mailbox.add' }).count(), 0);
  await page.getByLabel('Show').selectOption({ label: 'Account deleted' });
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.getByRole('cell', { name: 'Account deleted' }).first().waitFor();
  assert.equal(await page.getByRole('cell', { name: 'Account added' }).count(), 0);
  await page.getByLabel('Show').selectOption({ label: 'Everything' });
  await page.getByLabel('Account', { exact: true }).fill('ann.lee');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.getByRole('cell', { name: 'Account added' }).first().waitFor();
  const targets = await page.locator('td[data-label="Account"]').allInnerTexts();
  assert.ok(targets.every((target) => target === 'ann.lee@example.test'), targets.join(', '));
  await page.getByRole('link', { name: 'ann.lee@example.test' }).first().click();
  await page.getByRole('heading', { name: 'Edit account', level: 1 }).waitFor();
  await page.context().close();
});

for (const javaScript of [true, false]) {
  test(`every match of a search is deleted from one confirmation that counts and names them (${javaScript ? 'with' : 'without'} JavaScript)`, async () => {
    const page = await signedIn({ javaScript });
    // staff05: staff050–059, all named; staff1: staff100–199, the first 20 named.
    const [term, count] = javaScript ? ['staff05', 10] : ['staff1', 100];
    await goTo(page, `/users?q=${term}`, javaScript);
    await page.getByText(`${count} accounts in example.test`).waitFor();
    assert.equal(await page.getByRole('link', { name: /^Select all/ }).count(), 1, 'offered for a search');
    await page.getByRole('link', { name: `Select all ${count} matches of this search…` }).click();
    await page.getByRole('heading', { name: 'Delete accounts' }).waitFor();
    await page.getByText(`${count} accounts in example.test match “${term}”.`).waitFor();
    const named = await page.locator('.delete__list li').allTextContents();
    assert.equal(named.length, Math.min(count, 20));
    assert.ok(named.every((address) => address.startsWith(term)), named.join(' '));
    assert.equal(await page.getByText(`and ${count - 20} more`).count(), count > 20 ? 1 : 0);
    await page.getByRole('button', { name: `Delete ${count} accounts` }).click();
    await page.getByText(`Deleted ${count} accounts. They can be restored`).waitFor();
    await goTo(page, `/users?q=${term}`, javaScript);
    await page.getByText(`No account in example.test matches “${term}”.`).waitFor();
    await goTo(page, '/users/deleted', javaScript);
    await page.getByRole('button', { name: new RegExp(`^Restore ${term}`) }).first().waitFor();
    // The whole domain is never one search away: without a search, nothing is offered.
    await goTo(page, '/users', javaScript);
    await page.getByRole('button', { name: 'Delete selected…' }).waitFor();
    assert.equal(await page.getByRole('link', { name: /^Select all/ }).count(), 0);
    await page.context().close();
  });
}

const SCREENS = ['/users', '/users/add', '/users/add-one', '/users/edit?email=ann.lee%40example.test', '/users/delete?domain=example.test&email=ann.lee%40example.test', '/users?q=ann', '/users/delete?domain=example.test&matching=ann', '/users/deleted', '/activity', '/account'];

for (const [name, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
  test(`every screen fits the ${name}, with no serious accessibility problem`, async () => {
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

test('on a phone the report follows the box at once and the menu shows that it opens', async () => {
  const page = await signedIn({ viewport: PHONE });
  await goTo(page, '/users/add');
  await waitForHydration(page);
  const box = page.getByLabel('Accounts, one per line');
  await box.fill('kate Sunny#day42 Sunny#day42\nlen short short');
  await page.getByText('1 ready, 1 need attention').waitFor();
  const boxBottom = (await box.boundingBox()).y + (await box.boundingBox()).height;
  const report = await page.locator('#bulk-report').boundingBox();
  assert.ok(report.y - boxBottom < 120, `the report starts ${Math.round(report.y - boxBottom)} px under the box`);
  const options = await page.getByLabel(/Generate a password for lines/).boundingBox();
  assert.ok(options.y > report.y, 'the options come after the report');
  // The menu's toggle draws its bars and a chevron, and turns it as the menu opens.
  const toggle = page.locator('summary.nav__toggle');
  const bars = await toggle.evaluate((element) => getComputedStyle(element, '::before').content);
  assert.notEqual(bars, 'none', 'bars before "Menu"');
  const closed = await toggle.evaluate((element) => getComputedStyle(element, '::after').transform);
  await toggle.click();
  await page.getByRole('link', { name: 'Activity' }).waitFor();
  await page.waitForFunction(
    (closed) => getComputedStyle(document.querySelector('summary.nav__toggle'), '::after').transform !== closed,
    closed,
  );
  await page.context().close();
});
