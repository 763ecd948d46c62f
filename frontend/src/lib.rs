//! The browser entry point: makes the interactive islands of the server-rendered page live.

use leptos::prelude::document;
use wasm_bindgen::prelude::wasm_bindgen;

// The islands are exported from the app crate; this links them into the bundle.
use app as _;

/// Called by the script that Leptos puts in every page once the WASM has loaded; the script
/// then hydrates each island of the page.
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    // A mark for the browser tests (and the curious) that the app is live.
    if let Some(body) = document().body() {
        let _ = body.set_attribute("data-hydrated", "");
    }
}
