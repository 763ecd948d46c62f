//! Server-only code, in three floors, each importing only from those beneath it:
//!
//! - [`storage`]: the database and its dialects, the audit log, password hashing, the clock,
//!   the disk reserve, the mail store, and what the server holds in memory between requests.
//!   It knows nothing of sessions or callers.
//! - [`access`]: who acts. Sessions and their cookies, log on and two-factor log-on, the
//!   throttle, administrators, the [`access::caller::Caller`] and its
//!   [`access::caller::DomainScope`], and the shared state a request finds.
//! - [`services`]: what a caller does to a domain's data (accounts, aliases, forwarding,
//!   auto-replies, the catch-all, where mail goes, the export, Activity, retention). The web's
//!   server functions, the command line and the tests call the same ones.
//!
//! Beneath all three: the request's context ([`crate::context`]), the error type, `validate`
//! and `model`.

pub mod access;
pub mod services;
pub mod storage;

// The face the binary (`vpostmaster`: its web server and command line) uses, and nothing else
// of these floors: the services by name, and the types it builds and calls them with.
pub use access::caller::{Caller, DomainScope};
pub use access::state::{AppState, TwoFactorSettings};
pub use access::{admins, sessions, two_factor};
pub use services::{
    accounts, aliases, autoreply, catch_all, export, forwarding, retention, routing,
};
pub use storage::audit::Actor;
pub use storage::batches::Batches;
pub use storage::hashing::Hasher;
pub use storage::progress::RunningAdds;
pub use storage::{clock, db, domains, mailstore, reserve};
