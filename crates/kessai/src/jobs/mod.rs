//! Background work: typed jobs stored in the durable job table and run by workers.
//!
//! A job type implements [`Job`] (a serde payload plus a `KIND` name); its handler is
//! registered in a [`Registry`]. [`Worker`] claims due jobs with a lease, runs them, and
//! records success, a retry with exponential back-off, or the `dead` state after the last
//! attempt. Handlers must be idempotent: a job whose worker crashed is run again once its
//! lease expires.

pub mod housekeeping;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::watch;
use tracing::Instrument;

use crate::clock::Clock;
use crate::config::WorkerConfig;
use crate::store::{ClaimedJob, NewJob, Store, StoreError};

pub use housekeeping::Housekeeping;

/// Something a worker enqueues every minute (a periodic job's run of that minute, under a
/// dedup key so several instances enqueue it once).
pub type Schedule = Arc<
    dyn Fn(Store, Clock) -> Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send>>
        + Send
        + Sync,
>;

/// A [`Schedule`] from an async function.
pub fn schedule<F, Fut>(f: F) -> Schedule
where
    F: Fn(Store, Clock) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), StoreError>> + Send + 'static,
{
    Arc::new(move |store, clock| Box::pin(f(store, clock)))
}

/// A kind of background job.
pub trait Job: Serialize + DeserializeOwned + Send + 'static {
    /// Stable name stored in the job table.
    const KIND: &'static str;
    /// Attempts before the job is declared dead.
    const MAX_ATTEMPTS: i32 = 8;
}

/// A job failure, kept as the job's `last_error`.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct JobError(pub String);

impl From<StoreError> for JobError {
    fn from(e: StoreError) -> Self {
        Self(e.to_string())
    }
}

type BoxFuture = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send>>;
type Handler = Arc<dyn Fn(String) -> BoxFuture + Send + Sync>;

type DeadHandler = Arc<dyn Fn(String, String) -> DeadFuture + Send + Sync>;
type DeadFuture = Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send>>;

/// Maps job kinds to their handlers, and to what is done when a job of the kind dies.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<&'static str, Handler>,
    dead: HashMap<&'static str, DeadHandler>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the handler of job type `J`.
    pub fn register<J, F, Fut>(&mut self, handler: F)
    where
        J: Job,
        F: Fn(J) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), JobError>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        self.handlers.insert(
            J::KIND,
            Arc::new(move |payload: String| {
                let handler = handler.clone();
                Box::pin(async move {
                    let job: J = serde_json::from_str(&payload).map_err(|e| {
                        JobError(format!("payload of {} cannot be read: {e}", J::KIND))
                    })?;
                    handler(job).await
                }) as BoxFuture
            }),
        );
    }
}

impl Registry {
    /// What follows when a job of type `J` fails for the last time (its failure's message
    /// given): the work it stood for is marked failed where the operator looks, so no job
    /// dies silently.
    pub fn on_dead<J, F, Fut>(&mut self, hook: F)
    where
        J: Job,
        F: Fn(J, String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), StoreError>> + Send + 'static,
    {
        let hook = Arc::new(hook);
        self.dead.insert(
            J::KIND,
            Arc::new(move |payload: String, error: String| {
                let hook = hook.clone();
                Box::pin(async move {
                    match serde_json::from_str::<J>(&payload) {
                        Ok(job) => hook(job, error).await,
                        Err(_) => Ok(()),
                    }
                }) as DeadFuture
            }),
        );
    }
}

/// Enqueues `job` to run at `run_at`; with a dedup key, at most one such job ever exists.
pub async fn enqueue<J: Job>(
    store: &Store,
    clock: &Clock,
    job: &J,
    dedup_key: Option<String>,
    run_at: Option<DateTime<Utc>>,
) -> Result<Option<i64>, StoreError> {
    let now = clock.now();
    store
        .enqueue_job(&new_job(job, dedup_key, run_at.unwrap_or(now)), now)
        .await
}

/// The row of a typed job, for the store functions that enqueue jobs inside the transaction
/// of the change that causes them.
pub fn new_job<J: Job>(job: &J, dedup_key: Option<String>, run_at: DateTime<Utc>) -> NewJob {
    NewJob {
        kind: J::KIND.to_owned(),
        payload: serde_json::to_string(job).expect("job payloads serialize"),
        dedup_key,
        run_at,
        max_attempts: J::MAX_ATTEMPTS,
    }
}

/// Delay before retry `attempt` (1-based): 2^attempt seconds, at most one hour.
pub fn backoff(attempt: i32) -> Duration {
    Duration::seconds(2i64.saturating_pow(attempt.clamp(0, 12) as u32).min(3600))
}

/// What happened to one claimed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Retry,
    Dead,
    /// The lease was lost before the outcome could be recorded (another worker owns it).
    LeaseLost,
}

/// Claims and runs jobs.
#[derive(Clone)]
pub struct Worker {
    store: Store,
    clock: Clock,
    registry: Arc<Registry>,
    config: WorkerConfig,
    owner: String,
    schedules: Vec<Schedule>,
}

impl Worker {
    /// A worker with a unique owner name and no periodic schedule.
    pub fn new(store: Store, clock: Clock, registry: Registry, config: WorkerConfig) -> Self {
        let owner = format!(
            "worker-{}-{}",
            std::process::id(),
            crate::secrets::random_token(6)
        );
        Self {
            store,
            clock,
            registry: Arc::new(registry),
            config,
            owner,
            schedules: Vec::new(),
        }
    }

    /// The worker, also enqueueing `schedules` every minute while it runs.
    pub fn with_schedules(mut self, schedules: Vec<Schedule>) -> Self {
        self.schedules = schedules;
        self
    }

    /// This worker's lease owner name.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Claims one due job and runs it; `None` when nothing is due.
    pub async fn run_one(&self) -> Result<Option<(i64, Outcome)>, StoreError> {
        let Some(job) = self
            .store
            .claim_job(&self.owner, self.clock.now(), self.config.lease)
            .await?
        else {
            return Ok(None);
        };
        let span = tracing::info_span!("job", job.id = job.id, job.kind = %job.kind, job.attempt = job.attempts);
        let outcome = self.execute(&job).instrument(span).await?;
        Ok(Some((job.id, outcome)))
    }

    /// Runs due jobs until none is left (tests and operator commands use this instead of
    /// waiting for the background loop).
    pub async fn run_until_idle(&self) -> Result<usize, StoreError> {
        let mut count = 0;
        while self.run_one().await?.is_some() {
            count += 1;
        }
        Ok(count)
    }

    async fn execute(&self, job: &ClaimedJob) -> Result<Outcome, StoreError> {
        let result = match self.registry.handlers.get(job.kind.as_str()) {
            Some(handler) => handler(job.payload.clone()).await,
            None => Err(JobError(format!("no handler for job kind {}", job.kind))),
        };
        let now = self.clock.now();
        match result {
            Ok(()) => {
                let kept = self.store.complete_job(job, &self.owner, now).await?;
                Ok(if kept {
                    Outcome::Done
                } else {
                    Outcome::LeaseLost
                })
            }
            Err(e) => {
                let dead = job.attempts >= job.max_attempts;
                if dead {
                    tracing::error!(error = %e, "job failed for the last time and is dead");
                } else {
                    tracing::warn!(error = %e, "job failed; will retry");
                }
                let kept = self
                    .store
                    .fail_job(job, &self.owner, &e.0, now + backoff(job.attempts), now)
                    .await?;
                if let (true, true, Some(hook)) =
                    (kept, dead, self.registry.dead.get(job.kind.as_str()))
                {
                    hook(job.payload.clone(), e.0.clone()).await?;
                }
                Ok(match (kept, dead) {
                    (false, _) => Outcome::LeaseLost,
                    (true, true) => Outcome::Dead,
                    (true, false) => Outcome::Retry,
                })
            }
        }
    }

    /// Runs until `shutdown` turns true: `concurrency` loops claim jobs; on shutdown no new
    /// job is claimed and the jobs in flight are finished before this returns.
    pub async fn run(self, shutdown: watch::Receiver<bool>) {
        let mut loops = tokio::task::JoinSet::new();
        for _ in 0..self.config.concurrency.max(1) {
            let worker = self.clone();
            let mut shutdown = shutdown.clone();
            loops.spawn(async move {
                while !*shutdown.borrow() {
                    match worker.run_one().await {
                        Ok(Some(_)) => continue,
                        Ok(None) => {}
                        Err(e) => tracing::error!(error = %e, "cannot claim a job"),
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(worker.config.idle_poll) => {}
                        _ = shutdown.changed() => {}
                    }
                }
            });
        }
        let scheduler = self.clone();
        let mut stop = shutdown.clone();
        loops.spawn(async move {
            while !*stop.borrow() {
                for schedule in &scheduler.schedules {
                    if let Err(e) = schedule(scheduler.store.clone(), scheduler.clock.clone()).await
                    {
                        tracing::error!(error = %e, "cannot schedule a periodic job");
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
                    _ = stop.changed() => {}
                }
            }
        });
        while loops.join_next().await.is_some() {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped_at_an_hour() {
        assert_eq!(backoff(1), Duration::seconds(2));
        assert_eq!(backoff(3), Duration::seconds(8));
        assert_eq!(backoff(20), Duration::seconds(3600));
    }
}
