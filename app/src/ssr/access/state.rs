//! What every request handler and server function needs from the running server.

use std::sync::Arc;
use std::time::Duration;

use sqlx::AnyPool;

use super::sessions::SessionPolicy;
use super::two_factor::SecretKey;
use crate::context::SessionKey;
use crate::error::AppError;
use crate::held::{Held, Limits, WhenFull};
use crate::ssr::storage::batches::Batches;
use crate::ssr::storage::hashing::Hasher;
use crate::ssr::storage::mailstore::MailStore;
use crate::ssr::storage::progress::RunningAdds;

/// Shared state, put in the Leptos context of each request.
#[derive(Clone)]
pub struct AppState {
    pub db: AnyPool,
    pub hasher: Hasher,
    pub policy: SessionPolicy,
    /// Accounts just added, waiting for the result screen.
    pub batches: Batches,
    /// The Maildirs, created and removed with their accounts.
    pub mail: MailStore,
    /// How far the running adds have got.
    pub progress: RunningAdds,
    /// Two-factor log-on: the key of its secrets and whether the operator requires it.
    pub two_factor: TwoFactorSettings,
}

/// Two-factor log-on's part of the state. The command line's state has no key: no command
/// reads a secret, and none should create the key file as whoever runs it.
#[derive(Clone, Default)]
pub struct TwoFactorSettings {
    key: Option<Arc<SecretKey>>,
    /// Every administrator must turn two-factor log-on on before using the console.
    pub required: bool,
    /// Recovery codes just made, waiting to be shown.
    pub fresh_codes: FreshCodes,
}

impl TwoFactorSettings {
    /// The settings of a server that keeps its secrets under `key`.
    pub fn new(key: SecretKey, required: bool) -> Self {
        TwoFactorSettings {
            key: Some(Arc::new(key)),
            required,
            fresh_codes: FreshCodes::default(),
        }
    }

    /// The key of the secrets; a state made without one cannot serve two-factor log-on.
    pub fn key(&self) -> Result<&SecretKey, AppError> {
        self.key.as_deref().ok_or_else(|| {
            tracing::error!("two-factor log-on was used without its key");
            AppError::Internal
        })
    }
}

/// How long fresh recovery codes wait for the page that shows them.
const FRESH_CODES_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// Most sessions with fresh codes waiting at once; past that the oldest codes go (their
/// administrator makes new ones).
const FRESH_CODES_HELD: usize = 1_000;

/// The recovery codes of an enrolment just confirmed, held in memory under the key of the
/// session that confirmed it until its page takes them: a form posted without JavaScript is
/// answered by a redirect, and the codes must not travel in a URL or rest in the database.
#[derive(Clone)]
pub struct FreshCodes(Held<Vec<String>>);

impl Default for FreshCodes {
    fn default() -> Self {
        FreshCodes(Held::new(Limits {
            lifetime: FRESH_CODES_LIFETIME,
            per_session: 1,
            total: FRESH_CODES_HELD,
            when_full: WhenFull::PushOutOldest,
        }))
    }
}

impl FreshCodes {
    /// Leaves `codes` for the session of `owner`, replacing any it had.
    pub fn put(&self, owner: &SessionKey, codes: Vec<String>) {
        let _ = self.0.put(Some(owner), codes, |_| true);
    }

    /// The codes left for the session of `owner`, once.
    pub fn take(&self, owner: &SessionKey) -> Option<Vec<String>> {
        self.0.take(Some(owner), |_| true)
    }
}
