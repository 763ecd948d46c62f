// Two-factor log-on as a postmaster sets it up on My password and uses it, with and without
// JavaScript: the secret is read from the page and the codes computed as an authenticator app
// does (RFC 6238: 30-second steps, six digits, HMAC-SHA-1).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { createDemoPostmaster } from './support/server.js';
import { base32, totp, stepNow, stepWithRoom } from './support/totp.js';
import { useConsole } from './support/fixture.js';
import { openPage, waitForHydration, screenshot, unexpectedProblems, PHONE, DESKTOP } from './support/browser.js';
import { logOn, logOff, expectUsersScreen, openNavigation } from './support/console.js';

const running = useConsole({ setup: createDemoPostmaster });

const WRONG_CODE = 'The code is wrong or was already used.';

/** A six-digit code that is not `code`. */
const otherThan = (code) => (code === '000000' ? '111111' : '000000');

async function open(page, path, javaScript) {
  await page.goto(`${running.server.url}${path}`);
  if (javaScript) await waitForHydration(page);
}

/** Logs on with the password, and checks that the code form follows. */
async function passwordStep(page, javaScript) {
  await open(page, '/log-on', javaScript);
  await logOn(page, running.server.url, running.postmaster);
  await page.getByRole('heading', { name: 'Log-on code' }).waitFor();
  await page.getByText('Enter the 6-digit code from your authenticator app, or a recovery code.').waitFor();
}

async function typeCode(page, code) {
  await page.getByLabel('Code', { exact: true }).fill(code);
  await page.getByRole('button', { name: 'Log on' }).click();
}

for (const javaScript of [true, false]) {
  const mode = javaScript ? 'with JavaScript' : 'without JavaScript';

  test(`turn two-factor log-on on, log on with codes, turn it off (${mode})`, async () => {
    const page = await openPage(running.browser, { javaScript });
    await open(page, '/log-on', javaScript);
    await logOn(page, running.server.url, running.postmaster);
    await expectUsersScreen(page, running.postmaster.email);
    await openNavigation(page);
    await page.getByRole('link', { name: 'My password' }).click();
    await page.getByRole('heading', { name: 'Two-factor log-on' }).waitFor();
    await page.getByRole('button', { name: 'Turn on' }).click();

    await page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
    const shown = await page.locator('#two-factor-secret').innerText();
    assert.match(shown, /^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/, 'the key in groups of four');
    const secret = base32(shown);
    assert.equal(secret.length, 20);
    // The app's first code: the previous step's, within the drift the server allows.
    const confirming = totp(secret, (await stepWithRoom()) - 1);
    const wrong = otherThan(confirming);
    await page.getByLabel('Code from the app').fill(wrong);
    await page.getByRole('button', { name: 'Confirm and turn on' }).click();
    await page.getByRole('alert').filter({ hasText: WRONG_CODE }).waitFor();
    await page.getByLabel('Code from the app').fill(confirming);
    await page.getByRole('button', { name: 'Confirm and turn on' }).click();

    await page.getByText('These are your recovery codes.').waitFor();
    const codes = await page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').allInnerTexts();
    assert.equal(codes.length, 10);
    const download = page.getByRole('link', { name: 'Download the codes' });
    assert.equal(await download.getAttribute('download'), 'virtual-postmaster-recovery-codes.txt');
    const file = decodeURIComponent((await download.getAttribute('href')).replace(/^data:text\/plain;charset=utf-8,/, ''));
    for (const code of codes) assert.ok(file.includes(code), `the file holds ${code}`);
    await page.getByRole('link', { name: 'Done' }).click();
    await page.getByText('You have 10 unused recovery codes.').waitFor();
    assert.equal(await page.getByText(codes[0]).count(), 0, 'the codes are shown once');

    // Codes from the app, computed from the secret on the page, each of a later step than
    // the last one used: the server accepts no code twice.
    let lastStep = stepNow() - 1;
    const nextCode = () => {
      lastStep = Math.max(stepNow(), lastStep + 1);
      return totp(secret, lastStep);
    };
    await logOff(page);
    await passwordStep(page, javaScript);
    const right = nextCode();
    await typeCode(page, otherThan(right));
    await page.getByRole('alert').filter({ hasText: WRONG_CODE }).waitFor();
    assert.match(page.url(), /\/log-on\/code/, 'a wrong code stays on the code form');
    await typeCode(page, right);
    await expectUsersScreen(page, running.postmaster.email);

    // A recovery code, once.
    await logOff(page);
    await passwordStep(page, javaScript);
    await typeCode(page, codes[3]);
    await expectUsersScreen(page, running.postmaster.email);
    await logOff(page);
    await passwordStep(page, javaScript);
    await typeCode(page, codes[3]);
    await page.getByRole('alert').filter({ hasText: WRONG_CODE }).waitFor();
    await typeCode(page, nextCode());
    await expectUsersScreen(page, running.postmaster.email);

    // Off again, with the password and a code: the code stays in the form when the password
    // is refused.
    await open(page, '/account', javaScript);
    await page.getByText('You have 9 unused recovery codes.').waitFor();

    // New recovery codes, with the same proof, replace the old ones and are shown once.
    await page.getByText('Make new recovery codes').click();
    const renew = page.locator('form', { has: page.getByRole('button', { name: 'Make new codes' }) });
    await renew.getByLabel('Current password').fill(running.postmaster.password);
    await renew.getByLabel('Code from the app, or a recovery code').fill(codes[6]);
    await renew.getByRole('button', { name: 'Make new codes' }).click();
    await page.getByText('These are your recovery codes.').waitFor();
    const renewed = await page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').allInnerTexts();
    assert.equal(renewed.length, 10);
    assert.ok(!renewed.includes(codes[5]), 'the old codes are gone');
    await open(page, '/account', javaScript);
    await page.getByText('You have 10 unused recovery codes.').waitFor();

    const turnOff = page.locator('form', { has: page.getByRole('button', { name: 'Turn off' }) });
    const codeField = turnOff.getByLabel('Code from the app, or a recovery code');
    await turnOff.getByLabel('Current password').fill('Not#the9one');
    await codeField.fill(renewed[5]);
    await turnOff.getByRole('button', { name: 'Turn off' }).click();
    await page.getByRole('alert').filter({ hasText: 'The current password is wrong.' }).waitFor();
    assert.equal(await codeField.inputValue(), renewed[5], 'the code is kept');
    await turnOff.getByLabel('Current password').fill(running.postmaster.password);
    await turnOff.getByRole('button', { name: 'Turn off' }).click();
    await page.getByText('Two-factor log-on is turned off.', { exact: true }).waitFor();
    await logOff(page);
    await open(page, '/log-on', javaScript);
    await logOn(page, running.server.url, running.postmaster);
    await expectUsersScreen(page, running.postmaster.email);
    assert.deepEqual(unexpectedProblems(page), [], 'no console errors, no CSP violations');
    await page.context().close();
  });
}

for (const [name, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
  test(`the enrolment and the code form fit the ${name}`, async () => {
    const page = await openPage(running.browser, { viewport });
    await open(page, '/log-on', true);
    await logOn(page, running.server.url, running.postmaster);
    await expectUsersScreen(page, running.postmaster.email);
    await open(page, '/account', true);
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
    const noSideways = async (what) => {
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${what}: no sideways scrolling at ${viewport.width} px`);
    };
    await noSideways('enrolment');
    await screenshot(page, `two-factor-enrol-${name}`);
    const secret = base32(await page.locator('#two-factor-secret').innerText());
    await page.getByLabel('Code from the app').fill(totp(secret, (await stepWithRoom()) - 1));
    await page.getByRole('button', { name: 'Confirm and turn on' }).click();
    await page.getByText('These are your recovery codes.').waitFor();
    await noSideways('recovery codes');
    await screenshot(page, `two-factor-codes-${name}`);
    const codes = await page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').allInnerTexts();

    await logOff(page);
    await passwordStep(page, true);
    await noSideways('code form');
    await screenshot(page, `two-factor-code-form-${name}`);
    await typeCode(page, codes[0]);
    await expectUsersScreen(page, running.postmaster.email);
    await open(page, '/account', true);
    const turnOff = page.locator('form', { has: page.getByRole('button', { name: 'Turn off' }) });
    await turnOff.getByLabel('Current password').fill(running.postmaster.password);
    await turnOff.getByLabel('Code from the app, or a recovery code').fill(codes[1]);
    await turnOff.getByRole('button', { name: 'Turn off' }).click();
    await page.getByText('Two-factor log-on is turned off.', { exact: true }).waitFor();
    assert.deepEqual(unexpectedProblems(page), []);
    await page.context().close();
  });
}
