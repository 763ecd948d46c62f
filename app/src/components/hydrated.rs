//! Whether the page runs in the browser yet: controls that need the WASM app stay hidden or
//! inert until it does, so a page without JavaScript offers nothing that cannot work.

use leptos::prelude::*;

/// False while the server renders and until the browser has hydrated this part of the page.
pub fn use_hydrated() -> ReadSignal<bool> {
    let (hydrated, set_hydrated) = signal(false);
    // Effects run only in the browser, after hydration.
    Effect::new(move |_| set_hydrated.set(true));
    hydrated
}
