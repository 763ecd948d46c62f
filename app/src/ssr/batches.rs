//! The accounts just added, kept in memory for the result screen to show once.
//!
//! Generated passwords must reach the postmaster, yet never the database, the session table, a
//! URL or a log. So the add leaves its batch here under a random id, bound to the session that
//! made it; the result screen takes it out once, and an untaken batch expires after a few
//! minutes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::api::mailboxes::AddedBatch;
use crate::error::AppError;

/// How long a batch waits to be shown.
pub const BATCH_LIFETIME: Duration = Duration::from_secs(10 * 60);

struct Held {
    /// The key of the session that added the accounts.
    owner: Vec<u8>,
    created: Instant,
    batch: AddedBatch,
}

/// The batches waiting to be shown, shared by every request of the server.
#[derive(Clone)]
pub struct Batches {
    held: Arc<Mutex<HashMap<String, Held>>>,
    lifetime: Duration,
}

impl Default for Batches {
    fn default() -> Self {
        Batches::with_lifetime(BATCH_LIFETIME)
    }
}

impl Batches {
    /// A store whose batches expire after `lifetime` instead of [`BATCH_LIFETIME`].
    pub fn with_lifetime(lifetime: Duration) -> Self {
        Batches {
            held: Arc::default(),
            lifetime,
        }
    }

    /// Keeps `batch` for the session `owner` and returns its new random id. Expired batches
    /// are dropped first, so the store holds only the last few minutes' results.
    pub fn put(&self, owner: &[u8], batch: AddedBatch) -> Result<String, AppError> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(|_| AppError::Internal)?;
        let id = hex::encode(bytes);
        let mut held = self.lock();
        let lifetime = self.lifetime;
        held.retain(|_, entry| entry.created.elapsed() < lifetime);
        held.insert(
            id.clone(),
            Held {
                owner: owner.to_vec(),
                created: Instant::now(),
                batch,
            },
        );
        Ok(id)
    }

    /// Takes the batch `id` out, if it is the session `owner`'s and still fresh. Another
    /// session's batch stays where it is, for its owner.
    pub fn take(&self, owner: &[u8], id: &str) -> Option<AddedBatch> {
        let mut held = self.lock();
        let entry = held.get(id)?;
        if entry.created.elapsed() >= self.lifetime {
            held.remove(id);
            return None;
        }
        if entry.owner != owner {
            return None;
        }
        held.remove(id).map(|entry| entry.batch)
    }

    /// How many batches wait, expired ones included until the next `put`.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no batch waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Held>> {
        // A panic while holding the lock cannot leave the map half-changed: every change is
        // one insert, retain or remove.
        self.held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::mailboxes::AddedAccount;

    fn batch() -> AddedBatch {
        AddedBatch {
            domain: "example.test".into(),
            accounts: vec![AddedAccount {
                email: "jdoe@example.test".into(),
                generated_password: Some("abcde67~".into()),
            }],
        }
    }

    #[test]
    fn a_batch_is_taken_once_and_only_by_its_session() {
        let batches = Batches::default();
        let id = batches.put(b"mine", batch()).unwrap();
        assert_eq!(id.len(), 32);
        assert_eq!(batches.take(b"theirs", &id), None);
        assert_eq!(batches.take(b"mine", "0123"), None);
        assert_eq!(batches.take(b"mine", &id), Some(batch()));
        assert_eq!(batches.take(b"mine", &id), None);
        assert!(batches.is_empty());
    }

    #[test]
    fn ids_differ() {
        let batches = Batches::default();
        let a = batches.put(b"mine", batch()).unwrap();
        let b = batches.put(b"mine", batch()).unwrap();
        assert_ne!(a, b);
        assert_eq!(batches.len(), 2);
    }

    #[test]
    fn an_expired_batch_is_gone() {
        let batches = Batches::with_lifetime(Duration::ZERO);
        let id = batches.put(b"mine", batch()).unwrap();
        assert_eq!(batches.take(b"mine", &id), None);
        batches.put(b"mine", batch()).unwrap();
        batches.put(b"mine", batch()).unwrap();
        assert_eq!(batches.len(), 1, "put drops what expired");
    }
}
