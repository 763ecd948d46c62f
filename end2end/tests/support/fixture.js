// What a test file works against: the real server on a fresh data directory and a headless
// browser, started before the file's tests and always stopped after them.
import { before, after } from 'node:test';

import { startServer } from './server.js';
import { launch } from './browser.js';

/**
 * Registers the file's hooks. The returned object holds `server`, `browser` and `postmaster`
 * (what `setup` returned, such as the demo postmaster) once the tests run.
 */
export function useConsole(serverOptions) {
  const running = {};
  before(async () => {
    running.server = await startServer(serverOptions);
    running.postmaster = running.server.context;
    running.browser = await launch();
  });
  after(async () => {
    await running.browser?.close();
    await running.server?.stop();
  });
  return running;
}
