//! What the server holds in memory for a session from one request to the next: the refusals
//! it sent in an address, recovery codes waiting for their page, a running add's count, the
//! accounts an add made. One store type for all of them, bounded and expiring, so that no
//! session can hold more than its share or push out another session's entries, and nothing
//! stays after its time.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::context::SessionKey;

/// How long an entry is kept, and how many are kept.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// An entry this old is gone.
    pub lifetime: Duration,
    /// Most entries of one session (or of requests without one); its new entry pushes out its
    /// own oldest.
    pub per_session: usize,
    /// Most entries in all.
    pub total: usize,
    /// What a new entry does when the store is full and its session holds nothing to give up.
    pub when_full: WhenFull,
}

/// What a new entry does in a full store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenFull {
    /// The oldest entry of all goes: for entries whose loss costs nothing but a retry.
    PushOutOldest,
    /// The new entry is refused: for entries another session must not lose.
    Refuse,
}

/// The store was full; nothing was kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full;

struct Entry<T> {
    owner: Option<SessionKey>,
    /// When its lifetime started; `None` while it waits for work still running, which no
    /// lifetime ends (see [`Held::put_waiting`]).
    at: Option<Instant>,
    value: T,
}

/// Entries of `T` by the session that left them, shared by every request of the server.
pub struct Held<T> {
    entries: Arc<Mutex<VecDeque<Entry<T>>>>,
    limits: Limits,
}

impl<T> Clone for Held<T> {
    fn clone(&self) -> Self {
        Held {
            entries: Arc::clone(&self.entries),
            limits: self.limits,
        }
    }
}

impl<T> Held<T> {
    /// An empty store within `limits`.
    pub fn new(limits: Limits) -> Self {
        Held {
            entries: Arc::default(),
            limits: Limits {
                per_session: limits.per_session.max(1),
                total: limits.total.max(1),
                ..limits
            },
        }
    }

    /// Keeps `value` for `owner`. Expired entries go first; then, while `owner` holds its
    /// share, its own oldest that `may_go` lets go; then, while the store is full, what
    /// [`Limits::when_full`] says.
    pub fn put(
        &self,
        owner: Option<&SessionKey>,
        value: T,
        may_go: impl Fn(&T) -> bool,
    ) -> Result<(), Full> {
        self.insert(owner, Some(Instant::now()), value, may_go)
    }

    /// [`Held::put`] for an entry that waits for work still running: its lifetime starts only
    /// when [`Held::renew`] starts it, and it counts against the limits meanwhile.
    pub fn put_waiting(
        &self,
        owner: Option<&SessionKey>,
        value: T,
        may_go: impl Fn(&T) -> bool,
    ) -> Result<(), Full> {
        self.insert(owner, None, value, may_go)
    }

    fn insert(
        &self,
        owner: Option<&SessionKey>,
        at: Option<Instant>,
        value: T,
        may_go: impl Fn(&T) -> bool,
    ) -> Result<(), Full> {
        let mut entries = self.lock();
        self.sweep(&mut entries);
        let mine = |entry: &Entry<T>| entry.owner.as_ref() == owner;
        while entries.iter().filter(|entry| mine(entry)).count() >= self.limits.per_session
            || entries.len() >= self.limits.total
        {
            if let Some(oldest) = entries
                .iter()
                .position(|entry| mine(entry) && may_go(&entry.value))
            {
                entries.remove(oldest);
            } else if self.limits.when_full == WhenFull::PushOutOldest && !entries.is_empty() {
                entries.pop_front();
            } else {
                return Err(Full);
            }
        }
        entries.push_back(Entry {
            owner: owner.cloned(),
            at,
            value,
        });
        Ok(())
    }

    /// What `read` makes of `owner`'s first fresh entry it answers for.
    pub fn find_map<R>(
        &self,
        owner: Option<&SessionKey>,
        mut read: impl FnMut(&mut T) -> Option<R>,
    ) -> Option<R> {
        let mut entries = self.lock();
        self.sweep(&mut entries);
        entries
            .iter_mut()
            .filter(|entry| entry.owner.as_ref() == owner)
            .find_map(|entry| read(&mut entry.value))
    }

    /// Takes `owner`'s first fresh entry that `chosen` picks out of the store.
    pub fn take(&self, owner: Option<&SessionKey>, chosen: impl Fn(&T) -> bool) -> Option<T> {
        let mut entries = self.lock();
        self.sweep(&mut entries);
        let at = entries
            .iter()
            .position(|entry| entry.owner.as_ref() == owner && chosen(&entry.value))?;
        entries.remove(at).map(|entry| entry.value)
    }

    /// Drops `owner`'s entries that `chosen` picks out.
    pub fn remove(&self, owner: Option<&SessionKey>, chosen: impl Fn(&T) -> bool) {
        self.lock()
            .retain(|entry| !(entry.owner.as_ref() == owner && chosen(&entry.value)));
    }

    /// Starts the lifetime of `owner`'s entries that `update` changes (it answers whether it
    /// did); whether there was one.
    pub fn renew(
        &self,
        owner: Option<&SessionKey>,
        mut update: impl FnMut(&mut T) -> bool,
    ) -> bool {
        let now = Instant::now();
        let mut renewed = false;
        for entry in self.lock().iter_mut() {
            if entry.owner.as_ref() == owner && update(&mut entry.value) {
                entry.at = Some(now);
                renewed = true;
            }
        }
        renewed
    }

    /// How many entries are held, fresh or not.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops the entries older than the lifetime; those still waiting stay.
    fn sweep(&self, entries: &mut VecDeque<Entry<T>>) {
        let lifetime = self.limits.lifetime;
        entries.retain(|entry| entry.at.is_none_or(|at| at.elapsed() < lifetime));
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<Entry<T>>> {
        // Every change is one push, removal or retain: a panic elsewhere while the lock is held
        // cannot leave the entries half-changed.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> SessionKey {
        SessionKey::of_token(name)
    }

    fn limits(per_session: usize, total: usize, when_full: WhenFull) -> Limits {
        Limits {
            lifetime: Duration::from_secs(60),
            per_session,
            total,
            when_full,
        }
    }

    fn values(held: &Held<u32>, owner: &SessionKey) -> Vec<u32> {
        let mut found = Vec::new();
        held.find_map(Some(owner), |value| {
            found.push(*value);
            None::<()>
        });
        found
    }

    #[test]
    fn an_entry_is_its_sessions_alone() {
        let held = Held::new(limits(4, 10, WhenFull::Refuse));
        held.put(Some(&key("mine")), 1, |_| true).unwrap();
        assert_eq!(held.find_map(Some(&key("mine")), |v| Some(*v)), Some(1));
        assert_eq!(held.find_map(Some(&key("theirs")), |v| Some(*v)), None);
        assert_eq!(held.find_map(None, |v| Some(*v)), None);
        assert_eq!(held.take(Some(&key("theirs")), |_| true), None);
        assert_eq!(held.take(Some(&key("mine")), |_| true), Some(1));
        assert!(held.is_empty());
    }

    #[test]
    fn a_session_over_its_share_gives_up_its_own_oldest_only() {
        let held = Held::new(limits(2, 3, WhenFull::Refuse));
        held.put(Some(&key("theirs")), 9, |_| true).unwrap();
        for value in 1..=5 {
            held.put(Some(&key("mine")), value, |_| true).unwrap();
        }
        assert_eq!(values(&held, &key("mine")), vec![4, 5]);
        assert_eq!(values(&held, &key("theirs")), vec![9]);
    }

    #[test]
    fn a_full_store_refuses_or_pushes_out_as_told() {
        let refusing = Held::new(limits(1, 2, WhenFull::Refuse));
        refusing.put(Some(&key("a")), 1, |_| true).unwrap();
        refusing.put(Some(&key("b")), 2, |_| true).unwrap();
        assert_eq!(refusing.put(Some(&key("c")), 3, |_| true), Err(Full));
        assert_eq!(values(&refusing, &key("a")), vec![1]);

        let pushing = Held::new(limits(1, 2, WhenFull::PushOutOldest));
        pushing.put(Some(&key("a")), 1, |_| true).unwrap();
        pushing.put(Some(&key("b")), 2, |_| true).unwrap();
        pushing.put(Some(&key("c")), 3, |_| true).unwrap();
        assert_eq!(values(&pushing, &key("a")), Vec::<u32>::new());
        assert_eq!(values(&pushing, &key("c")), vec![3]);
    }

    #[test]
    fn an_entry_its_session_may_not_give_up_stays() {
        let held = Held::new(limits(1, 10, WhenFull::Refuse));
        held.put(Some(&key("mine")), 1, |_| true).unwrap();
        assert_eq!(
            held.put(Some(&key("mine")), 2, |value| *value != 1),
            Err(Full)
        );
        assert_eq!(values(&held, &key("mine")), vec![1]);
    }

    #[test]
    fn a_waiting_entry_lives_until_renewed_then_its_lifetime_runs() {
        let held = Held::new(Limits {
            lifetime: Duration::ZERO,
            ..limits(4, 10, WhenFull::Refuse)
        });
        held.put_waiting(Some(&key("mine")), 1, |_| true).unwrap();
        assert_eq!(held.find_map(Some(&key("mine")), |v| Some(*v)), Some(1));
        assert!(held.renew(Some(&key("mine")), |v| *v == 1));
        assert_eq!(held.find_map(Some(&key("mine")), |v| Some(*v)), None);
    }

    #[test]
    fn an_entry_goes_when_its_time_is_up() {
        let held = Held::new(Limits {
            lifetime: Duration::ZERO,
            ..limits(4, 10, WhenFull::Refuse)
        });
        held.put(Some(&key("mine")), 1, |_| true).unwrap();
        assert_eq!(held.find_map(Some(&key("mine")), |v| Some(*v)), None);
    }
}
