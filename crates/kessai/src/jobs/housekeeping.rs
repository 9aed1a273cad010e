//! Hourly housekeeping: expired admin and shop sessions, old failed-login records, finished
//! jobs and API idempotency records older than a day are deleted so the tables stay small.

use chrono::{Duration, Timelike};
use serde::{Deserialize, Serialize};

use super::{enqueue, Job, JobError, Registry};
use crate::clock::Clock;
use crate::store::{Store, StoreError};

/// Deletes what no longer serves a purpose.
#[derive(Debug, Serialize, Deserialize)]
pub struct Housekeeping;

impl Job for Housekeeping {
    const KIND: &'static str = "housekeeping";
    const MAX_ATTEMPTS: i32 = 3;
}

/// Registers the housekeeping job.
pub fn register(registry: &mut Registry, store: Store, clock: Clock) {
    registry.register(move |_: Housekeeping| {
        let (store, clock) = (store.clone(), clock.clone());
        async move {
            let now = clock.now();
            let access = store
                .purge_expired_access(now, now - Duration::days(1))
                .await?;
            let shop_sessions = store.purge_expired_shop_sessions(now).await?;
            let jobs = store.purge_done_jobs(now - Duration::days(30)).await?;
            let idempotency = store
                .purge_idempotency_keys(now - Duration::hours(crate::store::IDEMPOTENCY_KEEP_HOURS))
                .await?;
            tracing::info!(
                access,
                shop_sessions,
                jobs,
                idempotency,
                "housekeeping removed old rows"
            );
            Ok::<(), JobError>(())
        }
    });
}

/// Enqueues this hour's housekeeping once, whichever instance asks first.
pub async fn schedule(store: Store, clock: Clock) -> Result<(), StoreError> {
    let now = clock.now();
    let hour = now
        .with_minute(0)
        .and_then(|t| t.with_second(0))
        .unwrap_or(now);
    enqueue(
        &store,
        &clock,
        &Housekeeping,
        Some(format!("housekeeping:{}", hour.format("%Y-%m-%dT%H"))),
        None,
    )
    .await?;
    Ok(())
}
