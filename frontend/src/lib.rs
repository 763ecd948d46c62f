//! The browser entry point: hydrates the page the server rendered.

use leptos::prelude::document;
use wasm_bindgen::prelude::wasm_bindgen;

/// Called by the script that Leptos puts in every page once the WASM has loaded.
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // A mark for the browser tests (and the curious) that the app is live.
    if let Some(body) = document().body() {
        let _ = body.set_attribute("data-hydrated", "");
    }
}
