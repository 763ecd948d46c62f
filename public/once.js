// A form is sent once. A second submit of a form whose post is on its way (a double click,
// Enter pressed twice) is dropped here, before any other handler of the page sees it: the
// first post's answer is the page to show. The server also answers a repeated post as it
// answered the first, for a browser without this script.
//
// The form can be sent again once one of its fields changes (a post the page's own checks
// held back, then fixed), when a page is brought back from the history, or after a while, in
// case the answer never came.

/** Forms whose post is on its way, with when it was sent. */
let sending = new WeakMap();
/** After this long a form can be sent again even if no answer came. */
const AGAIN_AFTER_MS = 10_000;

document.addEventListener(
  'submit',
  (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    const method = event.submitter?.getAttribute('formmethod') ?? form.getAttribute('method') ?? 'get';
    if (method.toLowerCase() !== 'post') return;
    const since = sending.get(form);
    if (since !== undefined && performance.now() - since < AGAIN_AFTER_MS) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    sending.set(form, performance.now());
  },
  true,
);

for (const type of ['input', 'change']) {
  document.addEventListener(
    type,
    (event) => {
      const form = event.target instanceof Element ? event.target.closest('form') ?? event.target.form : null;
      if (form) sending.delete(form);
    },
    true,
  );
}

window.addEventListener('pageshow', (event) => {
  if (event.persisted) sending = new WeakMap();
});
