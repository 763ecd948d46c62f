//! How far each session's running add has got: the Add accounts page asks while the browser
//! waits for the answer to its post, and shows "Hashing passwords: 412 of 1,000".

use std::time::Duration;

use crate::context::SessionKey;
use crate::held::{Held, Limits, WhenFull};

/// Longer than any add may run: a count outlives its add only if the add's task is lost.
const LONGEST_ADD: Duration = Duration::from_secs(60 * 60);
/// Most adds counted at once; past that an add runs without showing its count.
const COUNTED: usize = 10_000;

/// Passwords hashed so far, and in all.
struct Count {
    done: usize,
    total: usize,
}

/// The running adds, shared by every request of the server: one count per session.
#[derive(Clone)]
pub struct RunningAdds(Held<Count>);

impl Default for RunningAdds {
    fn default() -> Self {
        RunningAdds(Held::new(Limits {
            lifetime: LONGEST_ADD,
            per_session: 1,
            total: COUNTED,
            when_full: WhenFull::Refuse,
        }))
    }
}

impl RunningAdds {
    /// Counts the passwords of an add for the session `owner`, shown once the add knows its
    /// total ([`Counting::set_total`]); the count disappears when the returned [`Counting`] is
    /// dropped, however the add ends.
    pub fn track(&self, owner: &SessionKey) -> Counting {
        Counting {
            board: self.clone(),
            owner: owner.clone(),
        }
    }

    /// Passwords hashed so far and in all by the session `owner`'s running add.
    pub fn get(&self, owner: &SessionKey) -> Option<(usize, usize)> {
        self.0
            .find_map(Some(owner), |count| Some((count.done, count.total)))
    }
}

/// One running add's count.
pub struct Counting {
    board: RunningAdds,
    owner: SessionKey,
}

impl Counting {
    /// Sets how many passwords the add hashes in all, once its lines are checked.
    pub fn set_total(&self, total: usize) {
        let count = Count { done: 0, total };
        let _ = self.board.0.put(Some(&self.owner), count, |_| true);
    }

    /// One more password hashed.
    pub fn tick(&self) {
        self.board.0.find_map(Some(&self.owner), |count| {
            count.done += 1;
            Some(())
        });
    }
}

impl Drop for Counting {
    fn drop(&mut self) {
        self.board.0.remove(Some(&self.owner), |_| true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_while_running_and_only_for_its_session() {
        let board = RunningAdds::default();
        let (mine, theirs) = (SessionKey::of_token("mine"), SessionKey::of_token("theirs"));
        let counting = board.track(&mine);
        assert_eq!(board.get(&mine), None, "nothing before the total is known");
        counting.set_total(3);
        counting.tick();
        counting.tick();
        assert_eq!(board.get(&mine), Some((2, 3)));
        assert_eq!(board.get(&theirs), None);
        drop(counting);
        assert_eq!(board.get(&mine), None, "gone once the add ends");
    }
}
