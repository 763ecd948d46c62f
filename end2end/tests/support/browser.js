// Debian's Chromium driven by playwright-core: no browser download, no network but loopback.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 360, height: 740 };
const SCREENSHOTS = resolve(import.meta.dirname, '../../screenshots');

/** Launches headless Chromium. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * A new page at `viewport`, JavaScript on or off, that records console errors and uncaught
 * exceptions in `page.problems`.
 */
export async function openPage(browser, { viewport = DESKTOP, javaScript = true, bypassCSP = false } = {}) {
  const context = await browser.newContext({ viewport, javaScriptEnabled: javaScript, bypassCSP });
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error') page.problems.push(message.text());
  });
  page.on('pageerror', (error) => page.problems.push(error.message));
  // Chromium logs failed loads without their address: record which ones failed.
  page.on('response', (response) => {
    if (response.status() >= 400) page.problems.push(`${response.status()} ${new URL(response.url()).pathname}`);
  });
  return page;
}

/** Waits until the WASM app has hydrated the page: it unhides controls that need it. */
export async function waitForHydration(page) {
  await page.waitForFunction(() => document.querySelector('[data-hydrated]') !== null);
}

/** Saves a full-page screenshot under end2end/screenshots/. */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: resolve(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * The page's problems but those expected: `allowed` lists patterns of failed loads that the
 * test caused on purpose (Chromium's own line for each failed load is dropped with them).
 */
export function unexpectedProblems(page, allowed = []) {
  const expected = page.problems.filter((p) => allowed.some((pattern) => pattern.test(p)));
  let loadsToDrop = expected.length;
  return page.problems.filter((p) => {
    if (expected.includes(p)) return false;
    if (loadsToDrop > 0 && p.startsWith('Failed to load resource')) {
      loadsToDrop -= 1;
      return false;
    }
    return true;
  });
}
