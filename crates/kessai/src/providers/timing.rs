//! Time spent waiting on payment providers during one request.
//!
//! `kessai bench` reports kessai's own share of a request's latency: the server's handling
//! time minus the round-trips to the provider, whose handling is not kessai's. It runs each
//! request in a [`ProviderWait::scope`]; provider clients call [`record`] after every
//! round-trip, which adds to that scope's total and does nothing outside one (production
//! requests, jobs). A `task_local` keeps this out of every signature between the two, and
//! [`carry`] hands the scope on to work spawned for the request.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

tokio::task_local! {
    static PROVIDER_WAIT: ProviderWait;
}

/// The time one request has spent waiting on providers so far.
#[derive(Clone, Debug, Default)]
pub struct ProviderWait(Arc<AtomicU64>);

impl ProviderWait {
    /// A fresh total of zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `work` with provider round-trips adding to this total.
    pub async fn scope<F: Future>(&self, work: F) -> F::Output {
        PROVIDER_WAIT.scope(self.clone(), work).await
    }

    /// The total so far.
    pub fn total(&self) -> Duration {
        Duration::from_nanos(self.0.load(Ordering::Relaxed))
    }
}

/// Adds one provider round-trip to the current request's total, if it is measured.
pub fn record(elapsed: Duration) {
    let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
    let _ = PROVIDER_WAIT.try_with(|wait| wait.0.fetch_add(nanos, Ordering::Relaxed));
}

/// `work` inside the current request's scope, for running on a task of its own (a spawned
/// task does not inherit task-locals).
pub fn carry<F: Future>(work: F) -> impl Future<Output = F::Output> {
    let current = PROVIDER_WAIT.try_with(Clone::clone).ok();
    async move {
        match current {
            Some(wait) => PROVIDER_WAIT.scope(wait, work).await,
            None => work.await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn round_trips_add_up_inside_a_scope_and_across_a_spawned_task() {
        let wait = ProviderWait::new();

        wait.scope(async {
            record(Duration::from_millis(2));
            tokio::spawn(carry(async { record(Duration::from_millis(3)) }))
                .await
                .unwrap();
        })
        .await;
        record(Duration::from_millis(100));

        assert_eq!(wait.total(), Duration::from_millis(5));
    }
}
