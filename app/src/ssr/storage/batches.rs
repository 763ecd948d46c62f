//! The accounts just added, kept in memory for the result screen.
//!
//! Generated passwords must reach the postmaster, yet never the database, the session table, a
//! URL or a log. So the add leaves its batch here under a random id, bound to the session that
//! made it. The result screen reads it as often as it is loaded, so a reload or a load that
//! failed half-way shows it again, until the postmaster chooses Done, logs off, or
//! [`BATCH_LIFETIME`] passes. Then the passwords are overwritten before their memory is freed.
//! A session keeps at most [`BATCHES_PER_SESSION`] batches and the server [`BATCHES_HELD`]:
//! a new batch pushes out the oldest.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::error::AppError;
use crate::model::accounts::AddedBatch;

/// How long a batch can be shown.
pub const BATCH_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// Most batches one session keeps: the last few adds.
pub const BATCHES_PER_SESSION: usize = 5;
/// Most batches the server keeps, of all sessions together.
pub const BATCHES_HELD: usize = 1_000;

struct Held {
    /// The key of the session that added the accounts.
    owner: Vec<u8>,
    created: Instant,
    /// Orders the batches by age even when the clock shows two at the same instant.
    number: u64,
    batch: AddedBatch,
}

/// The batches by id, and the number of the next one.
#[derive(Default)]
struct Store {
    held: HashMap<String, Held>,
    next: u64,
}

impl Drop for Held {
    fn drop(&mut self) {
        wipe(&mut self.batch);
    }
}

/// Overwrites every generated password with zero bytes, in place. Copies of the batch handed
/// to a page live only as long as that response.
fn wipe(batch: &mut AddedBatch) {
    for password in batch
        .accounts
        .iter_mut()
        .filter_map(|account| account.generated_password.as_mut())
    {
        let mut bytes = std::mem::take(password).into_bytes();
        bytes.fill(0);
        // Zero bytes are UTF-8, so this keeps the same memory, now overwritten and still in use,
        // which the compiler cannot skip writing.
        *password = String::from_utf8(bytes).unwrap_or_default();
    }
}

/// The batches waiting to be shown, shared by every request of the server.
#[derive(Clone)]
pub struct Batches {
    store: Arc<Mutex<Store>>,
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
            store: Arc::default(),
            lifetime,
        }
    }

    /// Keeps `batch` for the session `owner` and returns its new random id. Expired batches
    /// go first, then the oldest over [`BATCHES_PER_SESSION`] and [`BATCHES_HELD`].
    pub fn put(&self, owner: &[u8], batch: AddedBatch) -> Result<String, AppError> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(|_| AppError::Internal)?;
        let id = hex::encode(bytes);
        let mut store = self.lock();
        self.sweep(&mut store.held);
        let held = &mut store.held;
        while held.values().filter(|entry| entry.owner == owner).count() >= BATCHES_PER_SESSION {
            remove_oldest(held, |entry| entry.owner == owner);
        }
        while held.len() >= BATCHES_HELD {
            remove_oldest(held, |_| true);
        }
        store.next += 1;
        let number = store.next;
        store.held.insert(
            id.clone(),
            Held {
                owner: owner.to_vec(),
                created: Instant::now(),
                number,
                batch,
            },
        );
        Ok(id)
    }

    /// The batch `id`, if it is the session `owner`'s and still fresh; it stays for the next
    /// load until [`Batches::dismiss`] or expiry. Another session never sees it.
    pub fn get(&self, owner: &[u8], id: &str) -> Option<AddedBatch> {
        let mut store = self.lock();
        self.sweep(&mut store.held);
        store
            .held
            .get(id)
            .filter(|entry| entry.owner == owner)
            .map(|entry| entry.batch.clone())
    }

    /// Forgets the batch `id` of the session `owner`, when the postmaster is done with it.
    /// Whether there was one.
    pub fn dismiss(&self, owner: &[u8], id: &str) -> bool {
        let held = &mut self.lock().held;
        if held.get(id).is_some_and(|entry| entry.owner == owner) {
            held.remove(id);
            true
        } else {
            false
        }
    }

    /// Forgets every batch of the session `owner`, as it ends.
    pub fn forget_session(&self, owner: &[u8]) {
        self.lock().held.retain(|_, entry| entry.owner != owner);
    }

    /// How many batches wait, expired ones included until the next call that sweeps.
    pub fn len(&self) -> usize {
        self.lock().held.len()
    }

    /// Whether no batch waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn sweep(&self, held: &mut HashMap<String, Held>) {
        held.retain(|_, entry| entry.created.elapsed() < self.lifetime);
    }

    fn lock(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave the store half-changed: every change is
        // one insert, retain or remove, and a count.
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Removes the oldest batch of those `which` selects.
fn remove_oldest(held: &mut HashMap<String, Held>, which: impl Fn(&Held) -> bool) {
    let oldest = held
        .iter()
        .filter(|(_, entry)| which(entry))
        .min_by_key(|(_, entry)| entry.number)
        .map(|(id, _)| id.clone());
    if let Some(id) = oldest {
        held.remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::accounts::AddedAccount;

    fn batch() -> AddedBatch {
        AddedBatch {
            domain: "example.test".into(),
            accounts: vec![
                AddedAccount {
                    email: "jdoe@example.test".into(),
                    generated_password: Some("abcde67~".into()),
                },
                AddedAccount {
                    email: "ann@example.test".into(),
                    generated_password: None,
                },
            ],
        }
    }

    #[test]
    fn a_batch_is_shown_again_to_its_session_only_until_dismissed() {
        let batches = Batches::default();
        let id = batches.put(b"mine", batch()).unwrap();
        assert_eq!(id.len(), 32);
        assert_eq!(batches.get(b"theirs", &id), None);
        assert_eq!(batches.get(b"mine", "0123"), None);
        assert_eq!(batches.get(b"mine", &id), Some(batch()));
        assert_eq!(
            batches.get(b"mine", &id),
            Some(batch()),
            "a reload shows it"
        );
        assert!(!batches.dismiss(b"theirs", &id), "not theirs to dismiss");
        assert_eq!(batches.get(b"mine", &id), Some(batch()));
        assert!(batches.dismiss(b"mine", &id));
        assert_eq!(batches.get(b"mine", &id), None);
        assert!(!batches.dismiss(b"mine", &id));
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
        assert_eq!(batches.get(b"mine", &id), None);
        assert!(batches.is_empty(), "a read drops what expired");
        batches.put(b"mine", batch()).unwrap();
        batches.put(b"mine", batch()).unwrap();
        assert_eq!(batches.len(), 1, "put drops what expired");
    }

    #[test]
    fn a_session_that_ends_leaves_nothing() {
        let batches = Batches::default();
        let mine = batches.put(b"mine", batch()).unwrap();
        let theirs = batches.put(b"theirs", batch()).unwrap();
        batches.forget_session(b"mine");
        assert_eq!(batches.get(b"mine", &mine), None);
        assert_eq!(batches.get(b"theirs", &theirs), Some(batch()));
        assert_eq!(batches.len(), 1);
    }

    #[test]
    fn a_session_keeps_its_last_batches_only() {
        let batches = Batches::default();
        let ids: Vec<String> = (0..BATCHES_PER_SESSION + 2)
            .map(|_| batches.put(b"mine", batch()).unwrap())
            .collect();
        let theirs = batches.put(b"theirs", batch()).unwrap();
        assert_eq!(batches.len(), BATCHES_PER_SESSION + 1);
        for (n, id) in ids.iter().enumerate() {
            let kept = batches.get(b"mine", id).is_some();
            assert_eq!(kept, n >= 2, "batch {n}");
        }
        assert!(batches.get(b"theirs", &theirs).is_some());
    }

    #[test]
    fn the_server_keeps_a_bounded_number_of_batches() {
        let batches = Batches::default();
        for n in 0..BATCHES_HELD + 10 {
            batches.put(&n.to_be_bytes(), batch()).unwrap();
        }
        assert_eq!(batches.len(), BATCHES_HELD);
    }

    #[test]
    fn wiping_overwrites_the_passwords_in_place() {
        let mut wiped = batch();
        let before = wiped.accounts[0]
            .generated_password
            .as_ref()
            .map(|password| password.as_ptr());
        wipe(&mut wiped);
        let password = wiped.accounts[0].generated_password.as_ref().unwrap();
        assert_eq!(Some(password.as_ptr()), before, "the same memory");
        assert_eq!(password.as_bytes(), [0; 8]);
        assert_eq!(wiped.accounts[1].generated_password, None);
        assert_eq!(wiped.accounts[0].email, "jdoe@example.test");
    }
}
