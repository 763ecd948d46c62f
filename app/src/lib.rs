//! Virtual Postmaster: the Leptos app shared by the server (feature `ssr`) and the browser
//! (feature `hydrate`).

// Deeply nested view types of the screens exceed the default.
#![recursion_limit = "256"]

pub mod validate;

pub mod api;
mod app;
pub mod components;
#[cfg(feature = "ssr")]
pub mod context;
pub mod csv;
pub mod error;
#[cfg(feature = "ssr")]
pub mod held;
pub mod model;
pub mod pages;
pub mod routes;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod url;
pub mod words;

pub use app::{shell, App};
