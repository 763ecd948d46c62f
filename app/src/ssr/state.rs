//! What every request handler and server function needs from the running server.

use sqlx::SqlitePool;

use super::auth::SessionPolicy;
use super::batches::Batches;
use super::hashing::Hasher;
use super::mailstore::MailStore;
use super::progress::RunningAdds;

/// Shared state, put in the Leptos context of each request.
#[derive(Clone)]
pub struct AppState {
    pub db: SqlitePool,
    pub hasher: Hasher,
    pub policy: SessionPolicy,
    /// Accounts just added, waiting for the result screen.
    pub batches: Batches,
    /// The Maildirs, created and removed with their accounts.
    pub mail: MailStore,
    /// How far the running adds have got.
    pub progress: RunningAdds,
}
