//! CPU-heavy checks of what a request brings (a pasted list, the routes of mail it reaches)
//! run on the blocking pool, not on the async workers that answer every other request, a few
//! at a time, and stop once their time is spent: a costly input costs its sender a refusal,
//! never another tenant an answer.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::error::AppError;

/// The most time one check may take once it runs.
pub const CHECK_BUDGET: Duration = Duration::from_secs(2);

/// Checks running at once: half the cores, at least one, so that the others stay free for
/// log-ons and pages however many pastes arrive together.
fn lane() -> &'static Semaphore {
    static LANE: OnceLock<Semaphore> = OnceLock::new();
    LANE.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Semaphore::new((cores / 2).max(1))
    })
}

/// Runs `work` off the async workers once the lane has room, giving it a `keep_going` that
/// says no once [`CHECK_BUDGET`] is spent.
pub async fn off_runtime<T: Send + 'static>(
    work: impl FnOnce(&mut dyn FnMut() -> bool) -> T + Send + 'static,
) -> Result<T, AppError> {
    let _permit = lane().acquire().await.map_err(|_| AppError::Internal)?;
    tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + CHECK_BUDGET;
        work(&mut || Instant::now() < deadline)
    })
    .await
    .map_err(|error| {
        tracing::error!(%error, "a check stopped");
        AppError::Internal
    })
}
