//! Argon2id password hashes in PHC format, computed off the async runtime.

use std::sync::Arc;

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::AppError;

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

/// Runs hashing on the blocking pool, at most one hash per core at a time, so that a burst of
/// log-ons or a large bulk add cannot starve the async runtime or exhaust memory.
#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
}

impl Default for Hasher {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Hasher {
            permits: Arc::new(Semaphore::new(cores)),
        }
    }
}

impl Hasher {
    /// Hashes `password` on the blocking pool.
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        self.run(move || hash_password(&password)).await?
    }

    /// Verifies `password` against `phc` on the blocking pool.
    pub async fn verify(&self, password: String, phc: String) -> Result<bool, AppError> {
        self.run(move || verify_password(&password, &phc)).await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| AppError::Internal)?;
        tokio::task::spawn_blocking(work).await.map_err(|error| {
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
}
