// Moves between the console's screens without reloading the document or restarting the WASM
// app. Every screen is still a plain page that works without JavaScript: this script only
// fetches the same page the browser would have loaded (links, form posts, back and forward)
// and puts the new page's body in place of the old one.
//
// The whole body is replaced rather than patched: a patch keeps attributes (disabled, hidden,
// checked) and typed values of the screen before, and an island kept in place keeps the state
// of the account shown before. New elements carry only what the server drew for this screen.

const parser = new DOMParser();
/** Counts moves, so that a slower answer to an earlier one is dropped. */
let moves = 0;

history.scrollRestoration = 'manual';
/**
 * Where the page was left on each entry of the history, by the name in the entry's state: Back
 * and Forward change the entry before anything can be written into the one left.
 */
const left = new Map();
let named = 0;
/** A name no other entry of the history has: when this document started, and a count. */
const newEntry = () => `${performance.timeOrigin}.${++named}`;
/** The name of the entry shown. */
let entry = history.state?.entry ?? newEntry();
history.replaceState({ entry }, '');

/** The request a click on a link of this site asks for, or nothing to leave to the browser. */
function linkRequest(event) {
  if (event.defaultPrevented || event.button !== 0) return null;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return null;
  const url = movingLink(event.target);
  return url && new Request(url);
}

/**
 * The address of the link of this site around `target` that this script moves to, or nothing:
 * not a link that opens elsewhere, downloads, or goes to a place on the same page (the skip
 * link, the browser's own).
 */
function movingLink(target) {
  const link = target instanceof Element ? target.closest('a[href]') : null;
  if (!link || link.target || link.hasAttribute('download') || link.relList.contains('external')) {
    return null;
  }
  const url = new URL(link.href);
  if (url.origin !== location.origin) return null;
  if (url.hash && url.pathname === location.pathname && url.search === location.search) return null;
  return url;
}

/**
 * A page asked for before its link is clicked, so that the click finds it on its way: at once
 * when a button is pressed on the link, or when a mouse rests on it for `REST_MS`. Only what a
 * click on a link fetches anyway (a GET of this site; forms, the Log off button among them, are
 * never asked ahead), one at a time, dropped when the mouse leaves the link before the click,
 * and used only by a click within `FRESH_MS`, the page otherwise being asked for again.
 */
let ahead = null;
let resting = 0;
const REST_MS = 65;
const FRESH_MS = 3000;

/** Asks for the page at `url` ahead of its click, in place of any page asked before. */
function askAhead(url) {
  if (ahead?.url === url.href && performance.now() - ahead.at < FRESH_MS) return;
  dropAhead();
  const stop = new AbortController();
  const answer = load(new Request(url, { headers: { Accept: 'text/html' } }), stop.signal);
  // An answer dropped before the click is never read: its failure is nobody's.
  answer.catch(() => {});
  ahead = { url: url.href, at: performance.now(), answer, stop, pressed: false };
}

/** Forgets the page asked ahead, stopping its request if it is still on its way. */
function dropAhead() {
  clearTimeout(resting);
  ahead?.stop.abort();
  ahead = null;
}

/** The page asked ahead for `request`, taken (a page is shown once), or nothing. */
function takeAhead(request) {
  const taken = ahead;
  ahead = null;
  clearTimeout(resting);
  const fresh = taken && performance.now() - taken.at < FRESH_MS;
  if (request.method === 'GET' && fresh && taken.url === request.url) return taken.answer;
  taken?.stop.abort();
  return null;
}

document.addEventListener('pointerdown', (event) => {
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const url = movingLink(event.target);
  if (!url) return;
  askAhead(url);
  ahead.pressed = true;
});

document.addEventListener('pointerover', (event) => {
  if (event.pointerType !== 'mouse') return;
  const url = movingLink(event.target);
  // The link just clicked comes back under a mouse that has not moved, to the screen shown.
  const shown = url && url.pathname === location.pathname && url.search === location.search;
  if (!url || shown || ahead?.url === url.href) return;
  clearTimeout(resting);
  resting = setTimeout(() => askAhead(url), REST_MS);
});

document.addEventListener('pointerout', (event) => {
  if (event.pointerType !== 'mouse') return;
  const from = movingLink(event.target);
  if (!from || movingLink(event.relatedTarget)?.href === from.href) return;
  clearTimeout(resting);
  if (ahead?.url === from.href && !ahead.pressed) dropAhead();
});

/** The request a form of this site sends, with the button that sent it, or nothing. */
function formRequest(event) {
  if (event.defaultPrevented) return null;
  const form = event.target;
  const submitter = event.submitter ?? null;
  if (!(form instanceof HTMLFormElement) || form.target) return null;
  // Attributes, not the form's properties: a field named "action" (Activity's filter)
  // hides the form's `action` property.
  const attribute = (name) => submitter?.getAttribute(`form${name}`) ?? form.getAttribute(name);
  const url = new URL(attribute('action') ?? '', location.href);
  if (url.origin !== location.origin) return null;
  const method = (attribute('method') ?? 'get').toUpperCase();
  const fields = new URLSearchParams(new FormData(form, submitter));
  if (method === 'GET') {
    url.search = fields.toString();
    return new Request(url);
  }
  if (method !== 'POST' || attribute('enctype') === 'multipart/form-data') return null;
  return new Request(url, { method: 'POST', body: fields });
}

document.addEventListener('click', (event) => {
  const request = linkRequest(event);
  if (request) {
    event.preventDefault();
    move(request, { push: true });
  }
});

document.addEventListener('submit', (event) => {
  const request = formRequest(event);
  if (request) {
    event.preventDefault();
    move(request, { push: true });
  }
});

window.addEventListener('popstate', (event) => {
  left.set(entry, window.scrollY);
  entry = event.state?.entry ?? newEntry();
  move(new Request(location.href), { push: false, scroll: left.get(entry) });
});

/**
 * Shows the page that `request` answers with. `push` adds the new address to the history
 * (replacing it when it is the address already shown, as a post that comes back to its page
 * does); `scroll` is where Back or Forward put the page back, when known, else it opens at
 * the place its address names or at the top. Anything but an HTML page, or a failure to reach
 * the server, is left to the browser as a plain load.
 */
async function move(request, { push, scroll }) {
  const move = ++moves;
  if (push) left.set(entry, window.scrollY);
  // Asked as a browser asks for a page: a server function posted this way answers with a
  // redirect to the page that shows its outcome, exactly as without JavaScript.
  request.headers.set('Accept', 'text/html');
  document.documentElement.setAttribute('aria-busy', 'true');
  let answer;
  try {
    answer = await (takeAhead(request) ?? load(request));
  } catch {
    if (move === moves && request.method === 'GET') location.assign(request.url);
    return;
  } finally {
    if (move === moves) document.documentElement.removeAttribute('aria-busy');
  }
  if (move !== moves) return;
  // An answer's address never has the place in the page (#…) that the request named: keep it,
  // as the browser does when it loads the page itself. A place named by a redirect's Location
  // is hidden from scripts (fetch gives the answer's address without it), so it is lost here.
  const url = new URL(answer.url);
  url.hash = new URL(request.url).hash;
  show(answer.page);
  // Back to a screen that now redirects (after log off, say) shows where it went.
  if (push && url.href !== location.href) {
    entry = newEntry();
    history.pushState({ entry }, '', url);
  } else {
    history.replaceState({ entry }, '', url);
  }
  settle(url, scroll);
}

/** The page `request` answers with, read and parsed, and its address; fails for anything else. */
async function load(request, signal) {
  const response = await fetch(request, { signal });
  if (!(response.headers.get('Content-Type') ?? '').startsWith('text/html')) {
    throw new Error('not a page');
  }
  const html = await response.text();
  return { url: response.url, page: parser.parseFromString(html, 'text/html') };
}

/** Puts `page`'s title and body in place, and brings its islands to life. */
function show(page) {
  document.title = page.title;
  document.body.replaceChildren(...document.adoptNode(page.body).childNodes);
  // Until the WASM app has started, its loader hydrates whatever body it then finds.
  if (!document.body.hasAttribute('data-hydrated')) return;
  for (const island of document.body.querySelectorAll('leptos-island')) {
    if (!island.parentElement.closest('leptos-island')) {
      window.__hydrateIsland(island, island.dataset.component);
    }
  }
}

/**
 * Scrolls and moves the focus as a fresh page load would leave them for a keyboard or screen
 * reader user: the focus to the refused field the page marks `autofocus` (Log on's password,
 * to type again beside the address kept), else to the first field the server refused, else to the message the page
 * marks `autofocus` (a form's refusal, or the confirmation of a card low on its screen), else
 * to the screen's heading; the page back where it was (`scroll`), else to the place its address
 * names, else to the marked message wherever it is on the screen (a redirect's place is hidden
 * from scripts, so after a post the page's own mark finds it), else to the top.
 */
function settle(url, scroll) {
  const target = url.hash ? document.getElementById(decodeURIComponent(url.hash.slice(1))) : null;
  const heading = document.querySelector('h1');
  const focus =
    document.querySelector('[aria-invalid="true"][autofocus]') ??
    document.querySelector('[aria-invalid="true"]') ??
    document.querySelector('[autofocus]') ??
    document.querySelector('[role="alert"]') ??
    heading;
  if (focus) {
    if (!focus.matches('input, select, textarea, button, a[href]')) focus.setAttribute('tabindex', '-1');
    focus.focus({ preventScroll: true });
  }
  if (scroll !== undefined) window.scrollTo(0, scroll);
  else if (target) target.scrollIntoView();
  else if (focus && focus !== heading) focus.scrollIntoView({ block: 'center' });
  else window.scrollTo(0, 0);
}

