//! Which domain a screen works on: `?domain=` when given, else the administrator's first.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::accounts::list_domains;

/// The managed domains and the one this screen is on (`None` until known).
#[derive(Clone, Copy)]
pub struct CurrentDomain {
    pub domains: Resource<Vec<String>>,
    pub name: Signal<Option<String>>,
}

/// Reads the screen's domain from the address and the administrator's domains.
pub fn use_current_domain() -> CurrentDomain {
    let query = use_query_map();
    let domains = Resource::new(
        || (),
        |_| async { list_domains().await.unwrap_or_default() },
    );
    let name = Signal::derive(move || {
        let asked = query.read().get("domain");
        let managed = domains.get()?;
        match asked {
            Some(asked) => managed
                .into_iter()
                .find(|name| *name == asked.to_ascii_lowercase()),
            None => managed.into_iter().next(),
        }
    });
    CurrentDomain { domains, name }
}
