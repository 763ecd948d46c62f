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

use std::time::Duration;

use crate::context::SessionKey;
use crate::error::AppError;
use crate::held::{Held, Limits, WhenFull};
use crate::model::accounts::AddedBatch;

/// How long a batch can be shown.
pub const BATCH_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// Most batches one session keeps: the last few adds.
pub const BATCHES_PER_SESSION: usize = 5;
/// Most batches the server keeps, of all sessions together.
pub const BATCHES_HELD: usize = 1_000;

/// One add's place: its id for the result screen's address, and its batch once the add is
/// done (`None` while it runs).
struct Place {
    id: String,
    batch: Option<AddedBatch>,
}

impl Drop for Place {
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
pub struct Batches(Held<Place>);

impl Default for Batches {
    fn default() -> Self {
        Batches::with_limits(BATCH_LIFETIME, BATCHES_PER_SESSION, BATCHES_HELD)
    }
}

/// A place for one add's batch, taken before the add starts; given back unless filled.
pub struct Slot {
    batches: Batches,
    owner: SessionKey,
    id: String,
}

impl Slot {
    /// Leaves `batch` in this place and returns its id, for the result screen. The batch's
    /// lifetime starts now; a session that ended meanwhile never gets it.
    pub fn fill(self, batch: AddedBatch) -> String {
        let mut batch = Some(batch);
        self.batches.0.renew(Some(&self.owner), |place| {
            let mine = place.id == self.id;
            if mine {
                place.batch = batch.take();
            }
            mine
        });
        self.id.clone()
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let id = &self.id;
        self.batches.0.remove(Some(&self.owner), |place| {
            place.id == *id && place.batch.is_none()
        });
    }
}

impl Batches {
    /// A store whose batches expire after `lifetime`, holding at most `per_session` of one
    /// session and `held` in all.
    pub fn with_limits(lifetime: Duration, per_session: usize, held: usize) -> Self {
        Batches(Held::new(Limits {
            lifetime,
            per_session,
            total: held,
            when_full: WhenFull::Refuse,
        }))
    }

    /// Takes a place for the next batch of the session `owner`, before its add starts. Expired
    /// batches go first, then the session's own oldest shown while it holds its share or the
    /// server is full. Refused as busy when it would take another session's, or a running
    /// add's: the add must not start.
    pub fn reserve(&self, owner: &SessionKey) -> Result<Slot, AppError> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(|_| AppError::Internal)?;
        let id = hex::encode(bytes);
        let place = Place {
            id: id.clone(),
            batch: None,
        };
        if self
            .0
            .put_waiting(Some(owner), place, |place| place.batch.is_some())
            .is_err()
        {
            tracing::warn!(
                held = self.len(),
                "an add is refused: no room for its result screen"
            );
            return Err(AppError::Busy);
        }
        Ok(Slot {
            batches: self.clone(),
            owner: owner.clone(),
            id,
        })
    }

    /// The batch `id`, if it is the session `owner`'s and still fresh; it stays for the next
    /// load until [`Batches::dismiss`] or expiry. Another session never sees it.
    pub fn get(&self, owner: &SessionKey, id: &str) -> Option<AddedBatch> {
        self.0.find_map(Some(owner), |place| {
            (place.id == id).then(|| place.batch.clone()).flatten()
        })
    }

    /// Forgets the batch `id` of the session `owner`, when the postmaster is done with it.
    /// Whether there was one.
    pub fn dismiss(&self, owner: &SessionKey, id: &str) -> bool {
        self.0
            .take(Some(owner), |place| place.id == id && place.batch.is_some())
            .is_some()
    }

    /// Forgets every batch of the session `owner`, as it ends.
    pub fn forget_session(&self, owner: &SessionKey) {
        self.0.remove(Some(owner), |_| true);
    }

    /// How many batches wait or have their place taken, expired ones included until the next
    /// call that sweeps.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no batch waits.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::accounts::AddedAccount;

    fn key(name: &str) -> SessionKey {
        SessionKey::of_token(name)
    }

    /// Reserves a place for `owner` and fills it with `batch` at once.
    fn put(batches: &Batches, owner: &SessionKey, batch: AddedBatch) -> Result<String, AppError> {
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
        let id = put(&batches, &key("mine"), batch()).unwrap();
        assert_eq!(id.len(), 32);
        assert_eq!(batches.get(&key("theirs"), &id), None);
        assert_eq!(batches.get(&key("mine"), "0123"), None);
        assert_eq!(batches.get(&key("mine"), &id), Some(batch()));
        assert_eq!(
            batches.get(&key("mine"), &id),
            Some(batch()),
            "a reload shows it"
        );
        assert!(
            !batches.dismiss(&key("theirs"), &id),
            "not theirs to dismiss"
        );
        assert_eq!(batches.get(&key("mine"), &id), Some(batch()));
        assert!(batches.dismiss(&key("mine"), &id));
        assert_eq!(batches.get(&key("mine"), &id), None);
        assert!(!batches.dismiss(&key("mine"), &id));
        assert!(batches.is_empty());
    }

    #[test]
    fn ids_differ() {
        let batches = Batches::default();
        let a = put(&batches, &key("mine"), batch()).unwrap();
        let b = put(&batches, &key("mine"), batch()).unwrap();
        assert_ne!(a, b);
        assert_eq!(batches.len(), 2);
    }

    #[test]
    fn an_expired_batch_is_gone() {
        let batches = Batches::with_limits(Duration::ZERO, BATCHES_PER_SESSION, BATCHES_HELD);
        let id = put(&batches, &key("mine"), batch()).unwrap();
        assert_eq!(batches.get(&key("mine"), &id), None);
        assert!(batches.is_empty(), "a read drops what expired");
        put(&batches, &key("mine"), batch()).unwrap();
        put(&batches, &key("mine"), batch()).unwrap();
        assert_eq!(batches.len(), 1, "put drops what expired");
    }

    #[test]
    fn a_session_that_ends_leaves_nothing() {
        let batches = Batches::default();
        let mine = put(&batches, &key("mine"), batch()).unwrap();
        let theirs = put(&batches, &key("theirs"), batch()).unwrap();
        batches.forget_session(&key("mine"));
        assert_eq!(batches.get(&key("mine"), &mine), None);
        assert_eq!(batches.get(&key("theirs"), &theirs), Some(batch()));
        assert_eq!(batches.len(), 1);
    }

    #[test]
    fn a_session_keeps_its_last_batches_only() {
        let batches = Batches::default();
        let ids: Vec<String> = (0..BATCHES_PER_SESSION + 2)
            .map(|_| put(&batches, &key("mine"), batch()).unwrap())
            .collect();
        let theirs = put(&batches, &key("theirs"), batch()).unwrap();
        assert_eq!(batches.len(), BATCHES_PER_SESSION + 1);
        for (n, id) in ids.iter().enumerate() {
            let kept = batches.get(&key("mine"), id).is_some();
            assert_eq!(kept, n >= 2, "batch {n}");
        }
        assert!(batches.get(&key("theirs"), &theirs).is_some());
    }

    #[test]
    fn the_server_keeps_a_bounded_number_of_batches() {
        let batches = Batches::default();
        let first = put(&batches, &key("0"), batch()).unwrap();
        for n in 1..BATCHES_HELD {
            put(&batches, &key(&n.to_string()), batch()).unwrap();
        }
        assert_eq!(
            put(&batches, &key("latecomer"), batch()),
            Err(AppError::Busy),
            "a full server refuses a session that holds nothing to give up"
        );
        assert_eq!(batches.len(), BATCHES_HELD);
        assert_eq!(
            batches.get(&key("0"), &first),
            Some(batch()),
            "the oldest session's batch is still shown"
        );
    }

    #[test]
    fn a_session_at_its_limit_gives_up_its_own_oldest_never_another_sessions() {
        let batches = Batches::with_limits(BATCH_LIFETIME, 2, 3);
        let theirs = put(&batches, &key("theirs"), batch()).unwrap();
        let first = put(&batches, &key("mine"), batch()).unwrap();
        let second = put(&batches, &key("mine"), batch()).unwrap();
        let third = put(&batches, &key("mine"), batch()).unwrap();
        assert_eq!(
            batches.get(&key("mine"), &first),
            None,
            "its own oldest went"
        );
        assert!(batches.get(&key("mine"), &second).is_some());
        assert!(batches.get(&key("mine"), &third).is_some());
        assert_eq!(
            put(&batches, &key("newcomer"), batch()),
            Err(AppError::Busy),
            "the server is full and the newcomer holds nothing"
        );
        assert_eq!(batches.get(&key("theirs"), &theirs), Some(batch()));
        assert!(batches.dismiss(&key("theirs"), &theirs));
        assert!(
            put(&batches, &key("newcomer"), batch()).is_ok(),
            "room again"
        );
    }

    #[test]
    fn a_place_is_taken_before_the_add_and_given_back_if_it_fails() {
        let batches = Batches::with_limits(BATCH_LIFETIME, 1, 2);
        let running = batches.reserve(&key("mine")).unwrap();
        assert_eq!(
            batches.reserve(&key("mine")).err(),
            Some(AppError::Busy),
            "a running add's place is not given up to the next"
        );
        let theirs = batches.reserve(&key("theirs")).unwrap();
        assert_eq!(batches.reserve(&key("other")).err(), Some(AppError::Busy));
        drop(running);
        assert_eq!(batches.len(), 1, "a failed add gives its place back");
        let id = theirs.fill(batch());
        assert_eq!(batches.get(&key("theirs"), &id), Some(batch()));
        let ended = batches.reserve(&key("mine")).unwrap();
        batches.forget_session(&key("mine"));
        let id = ended.fill(batch());
        assert_eq!(
            batches.get(&key("mine"), &id),
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
