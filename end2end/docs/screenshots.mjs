// The screenshots of docs/: the console on a fresh data directory with the demo postmaster,
// filled with a few accounts and aliases through its own screens, each screen saved as a
// full-page PNG at desktop and phone width. Run by `make docs-screenshots`.
//
// Every wait polls for what the screen shows; nothing sleeps. The server and the browser are
// stopped at the end, whatever happened.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

import { startServer, createDemoPostmaster } from '../tests/support/server.js';
import { launch, openPage, waitForHydration, DESKTOP, PHONE } from '../tests/support/browser.js';
import { logOn, logOff, expectUsersScreen } from '../tests/support/console.js';
import { base32, totp, stepWithRoom } from '../tests/support/totp.js';

const OUT = resolve(import.meta.dirname, '../../docs/screenshots');
const DOMAIN = 'example.test';

/** Saves the page as docs/screenshots/<name>-<width name>.png. */
async function shoot(page, name) {
  const file = resolve(OUT, `${name}-${page.widthName}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`saved ${file}`);
}

/** Opens `path` and waits for the app to hydrate. */
async function goTo(page, base, path) {
  await page.goto(`${base}${path}`);
  await waitForHydration(page);
}

/** The log-on screen, then the Users screen once logged on. */
async function logOnAndShoot(page, base, postmaster) {
  await goTo(page, base, '/log-on');
  await page.getByLabel('Postmaster address').waitFor();
  await shoot(page, 'log-on');
  await logOn(page, base, postmaster);
  await expectUsersScreen(page, postmaster.email);
}

/**
 * Add many accounts: a paste with one line to fix, shot with its live report; then the
 * fixed paste is added and the result shot before Done.
 */
async function addAccounts(page, base, { broken, fixed, count, generate }) {
  await goTo(page, base, '/users/add');
  const box = page.getByLabel('Accounts, one per line');
  await box.fill(broken);
  await page.getByText(`${count - 1} ready, 1 need attention`).waitFor();
  await page.getByText('Line 2').first().waitFor();
  await shoot(page, 'add-accounts');
  await box.fill(fixed);
  if (generate) await page.getByLabel('Generate a password for lines that give only a username').check();
  await page.getByText(`${count} ready, 0 need attention`).waitFor();
  await page.getByRole('button', { name: `Add ${count} accounts` }).click();
  await page.getByRole('heading', { name: 'Accounts added' }).waitFor();
  await shoot(page, 'added');
  await page.getByRole('button', { name: 'Done' }).click();
  await page.getByRole('heading', { name: 'Users' }).waitFor();
}

/** Add aliases: a paste with a line to fix, shot with its live report, then added fixed. */
async function addAliases(page, base, { broken, fixed, count }) {
  await goTo(page, base, '/aliases/add');
  const box = page.getByLabel('Aliases, one per line');
  await box.fill(broken);
  await page.getByText(`${count - 1} ready, 1 need attention`).waitFor();
  await shoot(page, 'add-aliases');
  await box.fill(fixed);
  await page.getByText(`${count} ready, 0 need attention`).waitFor();
  await page.getByRole('button', { name: `Add ${count} aliases` }).click();
  await page.getByText(`Added ${count} aliases.`).waitFor();
}

/** Forwarding and an auto-reply for one account, set on its Edit screen. */
async function forwardingAndAutoReply(page, base, email) {
  const path = `/users/edit?email=${encodeURIComponent(email)}`;
  await goTo(page, base, path);
  await page.getByLabel('Forward to').fill('ann.lee@home.example');
  await page.getByRole('button', { name: 'Save forwarding' }).click();
  await page.getByText('Forwarding is saved.').waitFor();
  await waitForHydration(page);
  const enabled = page.locator('input[name="enabled"]');
  if (!(await enabled.isChecked())) await enabled.check();
  await page.getByLabel('Subject').fill('Out of the office until 4 January');
  await page.getByLabel('Text', { exact: true }).fill('Thank you for your mail. I am away until 4 January; for anything urgent, write to sales@example.test.');
  await page.getByLabel('Until').fill('2027-01-03');
  await page.getByRole('button', { name: 'Save auto-reply' }).click();
  await page.getByText('The auto-reply is on; it answers from the next message.').waitFor();
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Rebuild mailbox' }).click();
  await page.getByText('Rebuild finished.').waitFor();
}

/** Delete: select accounts on Users, open the confirmation, shoot it, and confirm or not. */
async function deleteAccounts(page, base, emails, confirm) {
  await goTo(page, base, '/users');
  for (const email of emails) await page.getByLabel(`Select ${email}`).check();
  await page.getByRole('button', { name: 'Delete selected…' }).click();
  await page.getByRole('heading', { name: 'Delete accounts' }).waitFor();
  for (const email of emails) await page.getByText(email).first().waitFor();
  await shoot(page, 'delete-accounts');
  if (!confirm) return;
  await page.getByRole('button', { name: `Delete ${emails.length} accounts` }).click();
  await page.getByText(`Deleted ${emails.length} accounts`).waitFor();
}

/** The screens that only show what is there. */
async function shootListings(page, base) {
  const screens = [
    ['users', '/users', () => page.getByRole('link', { name: `ann.lee@${DOMAIN}` }).waitFor()],
    ['edit-account', `/users/edit?email=ann.lee%40${DOMAIN}`, () => page.getByText(/Last rebuilt/).waitFor()],
    ['deleted-accounts', '/users/deleted', () => page.getByRole('button', { name: `Restore dan@${DOMAIN}` }).waitFor()],
    ['aliases', '/aliases', () => page.getByRole('link', { name: `sales@${DOMAIN}` }).waitFor()],
    ['catch-all', '/catch-all', () => page.getByText(/^On: mail to any address/).waitFor()],
    ['activity', '/activity', () => page.getByRole('cell', { name: 'Account added' }).first().waitFor()],
    ['my-password', '/account', () => page.getByRole('button', { name: /password/i }).first().waitFor()],
  ];
  for (const [name, path, ready] of screens) {
    await goTo(page, base, path);
    await ready();
    await shoot(page, name);
  }
}

/**
 * Two-factor log-on on My password: the QR code, the recovery codes, then the code form after
 * the password; logged on again with a recovery code and turned off with another, for the next width.
 */
async function twoFactor(page, base, postmaster) {
  await goTo(page, base, '/account');
  await page.getByRole('button', { name: 'Turn on' }).click();
  await page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
  await shoot(page, 'two-factor-enrol');
  const secret = base32(await page.locator('#two-factor-secret').innerText());
  await page.getByLabel('Code from the app').fill(totp(secret, (await stepWithRoom()) - 1));
  await page.getByRole('button', { name: 'Confirm and turn on' }).click();
  await page.getByText('These are your recovery codes.').waitFor();
  await shoot(page, 'two-factor-recovery-codes');
  const codes = await page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').allInnerTexts();
  await logOff(page);
  await logOn(page, base, postmaster);
  await page.getByRole('heading', { name: 'Log-on code' }).waitFor();
  await shoot(page, 'two-factor-code');
  await page.getByLabel('Code', { exact: true }).fill(codes[0]);
  await page.getByRole('button', { name: 'Log on' }).click();
  await expectUsersScreen(page, postmaster.email);
  await goTo(page, base, '/account');
  const turnOff = page.locator('form', { has: page.getByRole('button', { name: 'Turn off' }) });
  await turnOff.getByLabel('Current password').fill(postmaster.password);
  await turnOff.getByLabel('Code from the app, or a recovery code').fill(codes[1]);
  await turnOff.getByRole('button', { name: 'Turn off' }).click();
  await page.getByText('Two-factor log-on is turned off.', { exact: true }).waitFor();
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  let server;
  let browser;
  try {
    server = await startServer({ setup: createDemoPostmaster });
    browser = await launch();
    const base = server.url;
    const postmaster = server.context;

    const desktop = await openPage(browser, { viewport: DESKTOP });
    desktop.widthName = 'desktop';
    const phone = await openPage(browser, { viewport: PHONE });
    phone.widthName = 'phone';

    await logOnAndShoot(desktop, base, postmaster);
    await logOnAndShoot(phone, base, postmaster);

    await addAccounts(desktop, base, {
      broken: 'ann.lee Sunny#day42 Sunny#day42 Ann Lee\nbob Rainy#day42 Rainy#day4 Bob Stone\ncarl,Windy#day42,Windy#day42,Carl,Ray\ndan Misty#day42 Misty#day42 Dan Wu',
      fixed: 'ann.lee Sunny#day42 Sunny#day42 Ann Lee\nbob Rainy#day42 Rainy#day42 Bob Stone\ncarl,Windy#day42,Windy#day42,Carl,Ray\ndan Misty#day42 Misty#day42 Dan Wu',
      count: 4,
    });
    await addAccounts(phone, base, {
      broken: 'erin Cloudy#day42 Cloudy#day42 Erin Hall\nfay abcdefgh abcdefgh Fay\ngus Stormy#day42 Stormy#day42 Gus',
      fixed: 'erin Cloudy#day42 Cloudy#day42 Erin Hall\nfay\ngus',
      count: 3,
      generate: true,
    });

    await addAliases(desktop, base, {
      broken: 'sales ann.lee@example.test, bob@example.test\ninfo nobody\nhelp carl@example.test',
      fixed: 'sales ann.lee@example.test, bob@example.test\ninfo ann.lee@example.test\nhelp carl@example.test',
      count: 3,
    });
    await addAliases(phone, base, {
      broken: 'team ann.lee@example.test, erin@example.test\nteam2 team2@example.test',
      fixed: 'team ann.lee@example.test, erin@example.test\nbilling bob@example.test',
      count: 2,
    });

    await forwardingAndAutoReply(desktop, base, `ann.lee@${DOMAIN}`);

    await goTo(desktop, base, '/catch-all');
    await desktop.getByLabel('Deliver to').fill(`info@${DOMAIN}`);
    await desktop.getByRole('button', { name: 'Turn on' }).click();
    await desktop.getByText('The catch-all is on.').waitFor();

    await deleteAccounts(desktop, base, [`dan@${DOMAIN}`, `gus@${DOMAIN}`], true);
    await deleteAccounts(phone, base, [`carl@${DOMAIN}`], false);

    await shootListings(desktop, base);
    await shootListings(phone, base);
    await twoFactor(desktop, base, postmaster);
    // Turning two-factor log-on on and off ended the phone's session, as it ends every other.
    await goTo(phone, base, '/log-on');
    await logOn(phone, base, postmaster);
    await expectUsersScreen(phone, postmaster.email);
    await twoFactor(phone, base, postmaster);

    const problems = [...desktop.problems, ...phone.problems];
    if (problems.length > 0) console.warn(`the pages reported:\n${problems.join('\n')}`);
  } finally {
    await browser?.close();
    await server?.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
