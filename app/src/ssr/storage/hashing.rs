//! Argon2id password hashes in PHC format, computed off the async runtime.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::AppError;
use crate::validate::BULK_MAX_ACCOUNTS;

/// Memory cost in KiB: OWASP's minimum for Argon2id with two passes.
const MEMORY_KIB: u32 = 19_456;
/// Number of passes.
const TIME_COST: u32 = 2;
/// One lane: Dovecot verifies through libsodium, which accepts only parallelism 1.
const PARALLELISM: u32 = 1;

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, TIME_COST, PARALLELISM, None)
        .expect("constant Argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password now, on this thread: `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`.
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| {
            tracing::error!(%error, "password hashing failed");
            AppError::Internal
        })
}

/// Whether the password matches the stored PHC hash; a malformed hash never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .is_ok_and(|hash| argon2().verify_password(password.as_bytes(), &hash).is_ok())
}

/// Runs hashing on the blocking pool in two lanes, each at most one hash per core at a time,
/// so that a burst of log-ons or a large bulk add cannot starve the async runtime or exhaust
/// memory: log-ons and single password changes in one, the passwords of adds in the other,
/// so a large paste never makes a log-on wait behind it. A hasher made for one holder (see
/// [`Hasher::shared_by`]) takes at most its share of each lane, so that one administrator
/// flooding the console with password changes or adds leaves room for everyone else's.
#[derive(Clone)]
pub struct Hasher {
    interactive: Lane,
    bulk: Lane,
    /// Whose share the hashes count against; `None` for log-ons and the operator.
    holder: Option<Arc<[u8]>>,
}

/// Hashes waiting or running in the interactive lane, per core, before new ones are refused
/// as busy: about ten seconds of hashing, so a burst of 200 log-ons on two cores is answered,
/// not refused. A waiting log-on costs only its task and connection (bounded by the connection
/// limit); memory is bounded by the permits, not by this queue.
const INTERACTIVE_QUEUE_PER_CORE: usize = 256;
/// One holder's share of the interactive lane, per core: a person changes one password at a
/// time, and a few tabs or a double click stay well inside it, while it takes 64 holders at
/// their share to fill the lane that log-ons wait in.
const INTERACTIVE_SHARE_PER_CORE: usize = 4;
/// Full pastes the bulk lane holds at once, at least: one holder's share is one paste
/// ([`BULK_MAX_ACCOUNTS`] passwords), so one administrator never fills it.
const BULK_PASTES: usize = 4;

impl Default for Hasher {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Hasher::with_lanes(
            Lane::new(
                cores,
                cores * INTERACTIVE_QUEUE_PER_CORE,
                cores * INTERACTIVE_SHARE_PER_CORE,
            ),
            Lane::new(
                cores,
                cores.max(BULK_PASTES) * BULK_MAX_ACCOUNTS,
                BULK_MAX_ACCOUNTS,
            ),
        )
    }
}

impl Hasher {
    /// A hasher of `parallel` hashes at a time per lane, refusing past `queue` waiting or
    /// running in a lane, or past `share` of them for one holder.
    pub fn with_limits(parallel: usize, queue: usize, share: usize) -> Self {
        Hasher::with_lanes(
            Lane::new(parallel, queue, share),
            Lane::new(parallel, queue, share),
        )
    }

    fn with_lanes(interactive: Lane, bulk: Lane) -> Self {
        Hasher {
            interactive,
            bulk,
            holder: None,
        }
    }

    /// The same lanes, with every hash counted against `holder`'s share of them: past it, a
    /// hash is refused as busy at once, before it waits.
    pub fn shared_by(&self, holder: &[u8]) -> Hasher {
        Hasher {
            holder: Some(holder.into()),
            ..self.clone()
        }
    }

    /// Hashes one password that someone is waiting for (an administrator's, a changed one).
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        self.interactive
            .run(self.holder.as_ref(), move || hash_password(&password))
            .await?
    }

    /// Hashes one password of an add, in the bulk lane.
    pub async fn hash_bulk(&self, password: String) -> Result<String, AppError> {
        self.bulk
            .run(self.holder.as_ref(), move || hash_password(&password))
            .await?
    }

    /// Verifies `password` against `phc` in the interactive lane.
    pub async fn verify(&self, password: String, phc: String) -> Result<bool, AppError> {
        self.interactive
            .run(self.holder.as_ref(), move || {
                verify_password(&password, &phc)
            })
            .await
    }
}

/// Places taken in a lane by each holder that has any.
type Holders = Arc<Mutex<HashMap<Arc<[u8]>, usize>>>;

/// One lane: a semaphore of permits, and a count of the hashes waiting for one or running,
/// in all and by holder.
#[derive(Clone)]
struct Lane {
    permits: Arc<Semaphore>,
    queued: Arc<AtomicUsize>,
    max_queued: usize,
    holders: Holders,
    share: usize,
}

/// One place in a lane's queue, and in its holder's share, given back when dropped.
struct Place {
    queued: Arc<AtomicUsize>,
    holder: Option<(Holders, Arc<[u8]>)>,
}

impl Drop for Place {
    fn drop(&mut self) {
        self.queued.fetch_sub(1, Ordering::SeqCst);
        if let Some((holders, holder)) = &self.holder {
            let mut holders = lock(holders);
            if let Some(taken) = holders.get_mut(holder) {
                *taken -= 1;
                if *taken == 0 {
                    holders.remove(holder);
                }
            }
        }
    }
}

fn lock(holders: &Holders) -> std::sync::MutexGuard<'_, HashMap<Arc<[u8]>, usize>> {
    // Every change under the lock is one count: a panic elsewhere cannot leave it half made.
    holders
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Lane {
    fn new(parallel: usize, max_queued: usize, share: usize) -> Self {
        Lane {
            permits: Arc::new(Semaphore::new(parallel.max(1))),
            queued: Arc::new(AtomicUsize::new(0)),
            max_queued: max_queued.max(1),
            holders: Holders::default(),
            share: share.max(1),
        }
    }

    /// A place in the queue, and in `holder`'s share; busy when either is full.
    fn place(&self, holder: Option<&Arc<[u8]>>) -> Result<Place, AppError> {
        let mut place = Place {
            queued: self.queued.clone(),
            holder: None,
        };
        if self.queued.fetch_add(1, Ordering::SeqCst) >= self.max_queued {
            return Err(AppError::Busy);
        }
        if let Some(holder) = holder {
            let mut holders = lock(&self.holders);
            let taken = holders.entry(holder.clone()).or_default();
            if *taken >= self.share {
                return Err(AppError::Busy);
            }
            *taken += 1;
            place.holder = Some((self.holders.clone(), holder.clone()));
        }
        Ok(place)
    }

    async fn run<T: Send + 'static>(
        &self,
        holder: Option<&Arc<[u8]>>,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let place = self.place(holder)?;
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| AppError::Internal)?;
        // The permit and the place travel with the work: a request dropped while its hash runs
        // on (a client that hangs up) keeps both until the hash ends, so hangs-ups cannot pile
        // up hashes beyond the lane's width.
        tokio::task::spawn_blocking(move || {
            let _held = (permit, place);
            work()
        })
        .await
        .map_err(|error| {
            tracing::error!(%error, "hashing task failed");
            AppError::Internal
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_phc_with_one_lane_and_verify() {
        let hash = hash_password("abcde67~").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password("abcde67~", &hash));
        assert!(!verify_password("abcde67!", &hash));
        assert!(!verify_password("abcde67~", "not a hash"));
        assert_ne!(
            hash,
            hash_password("abcde67~").unwrap(),
            "each hash has its own salt"
        );
    }

    #[tokio::test]
    async fn a_hash_abandoned_by_its_caller_keeps_its_permit_until_it_ends() {
        let hasher = Hasher::with_limits(1, 100, 100);
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let lane = hasher.interactive.clone();
        let abandoned = tokio::spawn(async move {
            lane.run(None, move || {
                started_tx.send(()).unwrap();
                release_rx.recv().unwrap();
            })
            .await
        });
        tokio::task::spawn_blocking(move || started_rx.recv().unwrap())
            .await
            .unwrap();
        abandoned.abort();
        let _ = abandoned.await;
        assert_eq!(
            hasher.interactive.permits.available_permits(),
            0,
            "the work still runs, so its permit is still taken"
        );
        release_tx.send(()).unwrap();
        let next = hasher.verify("x".into(), "not a hash".into()).await;
        assert_eq!(next, Ok(false), "the permit came back when the work ended");
    }

    #[tokio::test]
    async fn a_full_queue_answers_busy_and_bulk_work_never_blocks_the_interactive_lane() {
        let hasher = Hasher::with_limits(1, 2, 2);
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let release_rx = Arc::new(std::sync::Mutex::new(release_rx));
        let bulk = hasher.bulk.clone();
        let mut blocked = Vec::new();
        for _ in 0..2 {
            let bulk = bulk.clone();
            let release_rx = release_rx.clone();
            blocked.push(tokio::spawn(async move {
                bulk.run(None, move || release_rx.lock().unwrap().recv().unwrap())
                    .await
            }));
        }
        while hasher.bulk.queued.load(Ordering::SeqCst) < 2 {
            tokio::task::yield_now().await;
        }
        assert_eq!(
            hasher.hash_bulk("Abc#12345".into()).await,
            Err(AppError::Busy),
            "a third bulk hash is refused while two wait or run"
        );
        assert_eq!(
            hasher.verify("x".into(), "not a hash".into()).await,
            Ok(false),
            "a log-on is answered while the bulk lane is full"
        );
        for _ in 0..2 {
            release_tx.send(()).unwrap();
        }
        for task in blocked {
            task.await.unwrap().unwrap();
        }
    }

    #[tokio::test]
    async fn one_holder_takes_only_its_share_and_log_ons_still_get_in() {
        let hasher = Hasher::with_limits(1, 4, 2);
        let flooder = hasher.shared_by(b"admin 1");
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let release_rx = Arc::new(std::sync::Mutex::new(release_rx));
        let mut blocked = Vec::new();
        for _ in 0..2 {
            let lane = flooder.interactive.clone();
            let holder = flooder.holder.clone();
            let release_rx = release_rx.clone();
            blocked.push(tokio::spawn(async move {
                lane.run(holder.as_ref(), move || {
                    release_rx.lock().unwrap().recv().unwrap()
                })
                .await
            }));
        }
        while hasher.interactive.queued.load(Ordering::SeqCst) < 2 {
            tokio::task::yield_now().await;
        }
        assert_eq!(
            flooder.hash("Abc#12345".into()).await,
            Err(AppError::Busy),
            "a third hash of the same holder is refused at once"
        );
        assert_eq!(
            flooder.hash_bulk("Abc#12345".into()).await.map(|_| ()),
            Ok(()),
            "each lane has its own share"
        );
        let log_on = tokio::spawn({
            let hasher = hasher.clone();
            async move { hasher.verify("x".into(), "not a hash".into()).await }
        });
        let other = tokio::spawn({
            let other = hasher.shared_by(b"admin 2");
            async move { other.verify("x".into(), "not a hash".into()).await }
        });
        for _ in 0..2 {
            release_tx.send(()).unwrap();
        }
        assert_eq!(log_on.await.unwrap(), Ok(false), "a log-on waits its turn");
        assert_eq!(other.await.unwrap(), Ok(false), "another holder too");
        for task in blocked {
            task.await.unwrap().unwrap();
        }
        assert!(
            lock(&hasher.interactive.holders).is_empty(),
            "every place was given back"
        );
        assert_eq!(
            flooder.verify("x".into(), "not a hash".into()).await,
            Ok(false),
            "the holder's share is free again"
        );
    }
}
