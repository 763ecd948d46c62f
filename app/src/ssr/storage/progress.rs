//! How far each session's running add has got: the Add accounts page asks while the browser
//! waits for the answer to its post, and shows "Hashing passwords: 412 of 1,000".

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Passwords hashed so far and in all, by the key of the session that started the add.
type Counts = HashMap<Vec<u8>, (usize, usize)>;

/// The running adds, shared by every request of the server.
#[derive(Clone, Default)]
pub struct RunningAdds {
    running: Arc<Mutex<Counts>>,
}

impl RunningAdds {
    /// Counts the passwords of an add for the session `owner`, shown once the add knows its
    /// total ([`Counting::set_total`]); the count disappears when the returned [`Counting`] is
    /// dropped, however the add ends.
    pub fn track(&self, owner: &[u8]) -> Counting {
        Counting {
            board: self.clone(),
            owner: owner.to_vec(),
        }
    }

    pub fn get(&self, owner: &[u8]) -> Option<(usize, usize)> {
        self.lock().get(owner).copied()
    }

    fn lock(&self) -> MutexGuard<'_, Counts> {
        // A panic elsewhere while holding the lock leaves the counts usable.
        self.running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One running add's count.
pub struct Counting {
    board: RunningAdds,
    owner: Vec<u8>,
}

impl Counting {
    /// One more password hashed.
    /// Sets how many passwords the add hashes in all, once its lines are checked.
    pub fn set_total(&self, total: usize) {
        self.board.lock().insert(self.owner.clone(), (0, total));
    }

    pub fn tick(&self) {
        if let Some((done, _)) = self.board.lock().get_mut(&self.owner) {
            *done += 1;
        }
    }
}

impl Drop for Counting {
    fn drop(&mut self) {
        self.board.lock().remove(&self.owner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_while_running_and_only_for_its_session() {
        let board = RunningAdds::default();
        let counting = board.track(b"mine");
        assert_eq!(
            board.get(b"mine"),
            None,
            "nothing before the total is known"
        );
        counting.set_total(3);
        counting.tick();
        counting.tick();
        assert_eq!(board.get(b"mine"), Some((2, 3)));
        assert_eq!(board.get(b"theirs"), None);
        drop(counting);
        assert_eq!(board.get(b"mine"), None, "gone once the add ends");
    }
}
