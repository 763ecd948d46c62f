//! The services: what a caller does to a domain's data. Each takes its caller explicitly, so
//! the web, the command line and the tests run the same code.

pub mod accounts;
pub mod activity;
pub mod aliases;
pub mod autoreply;
pub mod catch_all;
pub mod export;
pub mod forwarding;
pub mod restorable;
pub mod retention;
pub mod routing;

/// Search matches a list counts at most; past it the list says "1,000+" and pages on: nobody
/// reads a thousand matches, and counting them all costs a scan of the domain. A term the
/// trigram index finds no more often than this is looked up there; a broader one is found
/// sooner by reading the domain in address order.
pub(crate) const MAX_COUNTED: i64 = 1_000;
