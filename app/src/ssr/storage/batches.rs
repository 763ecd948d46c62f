//! The accounts just added, kept in memory for the result screen.
//!
//! Generated passwords must reach the postmaster, yet never the database, the session table, a
//! URL or a log. So the add leaves its batch here under a random id, bound to the session that
//! made it. The result screen reads it as often as it is loaded, so a reload or a load that
//! failed half-way shows it again, until the postmaster chooses Done, logs off, or
//! [`BATCH_LIFETIME`] passes. Then the passwords are overwritten before their memory is freed.
//!
//! An add takes its place here before it starts ([`Batches::reserve`]), so that an add is
//! refused, not made and then never shown, when there is no room. A session keeps at most
//! [`BATCHES_PER_SESSION`] batches and the server [`BATCHES_HELD`]: a session's new batch
//! pushes out only that session's oldest, never another session's, and is refused when the
//! server is full and the session holds none to give up.

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
    /// `None` while the add that reserved the place runs.
    batch: Option<AddedBatch>,
}

/// The batches by id, and the number of the next one.
#[derive(Default)]
struct Store {
    held: HashMap<String, Held>,
    next: u64,
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(batch) = &mut self.batch {
            wipe(batch);
        }
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
    per_session: usize,
    held: usize,
}

impl Default for Batches {
    fn default() -> Self {
        Batches::with_limits(BATCH_LIFETIME, BATCHES_PER_SESSION, BATCHES_HELD)
    }
}

/// A place for one add's batch, taken before the add starts; given back unless filled.
pub struct Slot {
    batches: Batches,
    id: String,
}

impl Slot {
    /// Leaves `batch` in this place and returns its id, for the result screen. The batch's
    /// lifetime starts now; a session that ended meanwhile never gets it.
    pub fn fill(self, batch: AddedBatch) -> String {
        let mut store = self.batches.lock();
        if let Some(entry) = store.held.get_mut(&self.id) {
            entry.created = Instant::now();
            entry.batch = Some(batch);
        }
        self.id.clone()
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let held = &mut self.batches.lock().held;
        if held
            .get(&self.id)
            .is_some_and(|entry| entry.batch.is_none())
        {
            held.remove(&self.id);
        }
    }
}

impl Batches {
    /// A store whose batches expire after `lifetime`, holding at most `per_session` of one
    /// session and `held` in all.
    pub fn with_limits(lifetime: Duration, per_session: usize, held: usize) -> Self {
        Batches {
            store: Arc::default(),
            lifetime,
            per_session: per_session.max(1),
            held: held.max(1),
        }
    }

    /// Takes a place for the next batch of the session `owner`, before its add starts. Expired
    /// batches go first, then the session's own oldest while it holds its share or the server
    /// is full. Refused as busy when it would take another session's: the add must not start.
    pub fn reserve(&self, owner: &[u8]) -> Result<Slot, AppError> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(|_| AppError::Internal)?;
        let id = hex::encode(bytes);
        let mut store = self.lock();
        self.sweep(&mut store.held);
        let held = &mut store.held;
        while held.values().filter(|entry| entry.owner == owner).count() >= self.per_session
            || held.len() >= self.held
        {
            if !remove_oldest_shown(held, owner) {
                tracing::warn!(
                    held = held.len(),
                    "an add is refused: no room for its result screen"
                );
                return Err(AppError::Busy);
            }
        }
        store.next += 1;
        let number = store.next;
        store.held.insert(
            id.clone(),
            Held {
                owner: owner.to_vec(),
                created: Instant::now(),
                number,
                batch: None,
            },
        );
        Ok(Slot {
            batches: self.clone(),
            id,
        })
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
            .and_then(|entry| entry.batch.clone())
    }

    /// Forgets the batch `id` of the session `owner`, when the postmaster is done with it.
    /// Whether there was one.
    pub fn dismiss(&self, owner: &[u8], id: &str) -> bool {
        let held = &mut self.lock().held;
        if held
            .get(id)
            .is_some_and(|entry| entry.owner == owner && entry.batch.is_some())
        {
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

    /// How many batches wait or have their place taken, expired ones included until the next
    /// call that sweeps.
    pub fn len(&self) -> usize {
        self.lock().held.len()
    }

    /// Whether no batch waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops the batches shown for longer than their lifetime; places of adds still running
    /// stay.
    fn sweep(&self, held: &mut HashMap<String, Held>) {
        held.retain(|_, entry| entry.batch.is_none() || entry.created.elapsed() < self.lifetime);
    }

    fn lock(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave the store half-changed: every change is
        // one insert, retain or remove, and a count.
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Removes the oldest batch that `owner` was shown (not a place of an add still running);
/// whether there was one.
fn remove_oldest_shown(held: &mut HashMap<String, Held>, owner: &[u8]) -> bool {
    let oldest = held
        .iter()
        .filter(|(_, entry)| entry.owner == owner && entry.batch.is_some())
        .min_by_key(|(_, entry)| entry.number)
        .map(|(id, _)| id.clone());
    oldest.is_some_and(|id| held.remove(&id).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::accounts::AddedAccount;

    /// Reserves a place for `owner` and fills it with `batch` at once.
    fn put(batches: &Batches, owner: &[u8], batch: AddedBatch) -> Result<String, AppError> {
        Ok(batches.reserve(owner)?.fill(batch))
    }

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
        let id = put(&batches, b"mine", batch()).unwrap();
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
        let a = put(&batches, b"mine", batch()).unwrap();
        let b = put(&batches, b"mine", batch()).unwrap();
        assert_ne!(a, b);
        assert_eq!(batches.len(), 2);
    }

    #[test]
    fn an_expired_batch_is_gone() {
        let batches = Batches::with_limits(Duration::ZERO, BATCHES_PER_SESSION, BATCHES_HELD);
        let id = put(&batches, b"mine", batch()).unwrap();
        assert_eq!(batches.get(b"mine", &id), None);
        assert!(batches.is_empty(), "a read drops what expired");
        put(&batches, b"mine", batch()).unwrap();
        put(&batches, b"mine", batch()).unwrap();
        assert_eq!(batches.len(), 1, "put drops what expired");
    }

    #[test]
    fn a_session_that_ends_leaves_nothing() {
        let batches = Batches::default();
        let mine = put(&batches, b"mine", batch()).unwrap();
        let theirs = put(&batches, b"theirs", batch()).unwrap();
        batches.forget_session(b"mine");
        assert_eq!(batches.get(b"mine", &mine), None);
        assert_eq!(batches.get(b"theirs", &theirs), Some(batch()));
        assert_eq!(batches.len(), 1);
    }

    #[test]
    fn a_session_keeps_its_last_batches_only() {
        let batches = Batches::default();
        let ids: Vec<String> = (0..BATCHES_PER_SESSION + 2)
            .map(|_| put(&batches, b"mine", batch()).unwrap())
            .collect();
        let theirs = put(&batches, b"theirs", batch()).unwrap();
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
        let first = put(&batches, &0usize.to_be_bytes(), batch()).unwrap();
        for n in 1..BATCHES_HELD {
            put(&batches, &n.to_be_bytes(), batch()).unwrap();
        }
        assert_eq!(
            put(&batches, b"latecomer", batch()),
            Err(AppError::Busy),
            "a full server refuses a session that holds nothing to give up"
        );
        assert_eq!(batches.len(), BATCHES_HELD);
        assert_eq!(
            batches.get(&0usize.to_be_bytes(), &first),
            Some(batch()),
            "the oldest session's batch is still shown"
        );
    }

    #[test]
    fn a_session_at_its_limit_gives_up_its_own_oldest_never_another_sessions() {
        let batches = Batches::with_limits(BATCH_LIFETIME, 2, 3);
        let theirs = put(&batches, b"theirs", batch()).unwrap();
        let first = put(&batches, b"mine", batch()).unwrap();
        let second = put(&batches, b"mine", batch()).unwrap();
        let third = put(&batches, b"mine", batch()).unwrap();
        assert_eq!(batches.get(b"mine", &first), None, "its own oldest went");
        assert!(batches.get(b"mine", &second).is_some());
        assert!(batches.get(b"mine", &third).is_some());
        assert_eq!(
            put(&batches, b"newcomer", batch()),
            Err(AppError::Busy),
            "the server is full and the newcomer holds nothing"
        );
        assert_eq!(batches.get(b"theirs", &theirs), Some(batch()));
        assert!(batches.dismiss(b"theirs", &theirs));
        assert!(put(&batches, b"newcomer", batch()).is_ok(), "room again");
    }

    #[test]
    fn a_place_is_taken_before_the_add_and_given_back_if_it_fails() {
        let batches = Batches::with_limits(BATCH_LIFETIME, 1, 2);
        let running = batches.reserve(b"mine").unwrap();
        assert_eq!(
            batches.reserve(b"mine").err(),
            Some(AppError::Busy),
            "a running add's place is not given up to the next"
        );
        let theirs = batches.reserve(b"theirs").unwrap();
        assert_eq!(batches.reserve(b"other").err(), Some(AppError::Busy));
        drop(running);
        assert_eq!(batches.len(), 1, "a failed add gives its place back");
        let id = theirs.fill(batch());
        assert_eq!(batches.get(b"theirs", &id), Some(batch()));
        let ended = batches.reserve(b"mine").unwrap();
        batches.forget_session(b"mine");
        let id = ended.fill(batch());
        assert_eq!(
            batches.get(b"mine", &id),
            None,
            "its session ended meanwhile"
        );
        assert_eq!(batches.len(), 1);
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
