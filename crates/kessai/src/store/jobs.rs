//! The durable job table: enqueue with an optional dedup key, claim with a lease, complete,
//! fail with back-off, and a visible `dead` state the admin can retry.
//!
//! A claim increments `attempts`; completion and failure are accepted only from the worker
//! that holds the current lease (`lease_owner` and `attempts` match), so a worker whose
//! lease expired cannot overwrite the outcome of the worker that took the job over.

use chrono::{DateTime, Duration, Utc};

use super::{on_pool, Pool, Store, StoreError};

/// Where a job is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Queued,
    Running,
    Done,
    Dead,
}

impl JobState {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Dead => "dead",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "queued" => Some(Self::Queued),
            "running" => Some(Self::Running),
            "done" => Some(Self::Done),
            "dead" => Some(Self::Dead),
            _ => None,
        }
    }
}

/// A job to enqueue.
#[derive(Clone, Debug)]
pub struct NewJob {
    pub kind: String,
    pub payload: String,
    /// At most one job ever exists per dedup key.
    pub dedup_key: Option<String>,
    pub run_at: DateTime<Utc>,
    pub max_attempts: i32,
}

/// A job claimed by a worker.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ClaimedJob {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub attempts: i32,
    pub max_attempts: i32,
}

/// A job as the admin sees it.
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub dedup_key: Option<String>,
    pub state: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub updated_at: DateTime<Utc>,
}

const CLAIM_POSTGRES: &str = "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = $1,
    lease_until = $2, updated_at = $3
    WHERE id = (SELECT id FROM jobs
                WHERE (state = 'queued' AND run_at <= $3) OR (state = 'running' AND lease_until < $3)
                ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING id, kind, payload, attempts, max_attempts";

// SQLite serialises writers, so the sub-select and update run as one atomic statement.
const CLAIM_SQLITE: &str = "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = $1,
    lease_until = $2, updated_at = $3
    WHERE id = (SELECT id FROM jobs
                WHERE (state = 'queued' AND run_at <= $3) OR (state = 'running' AND lease_until < $3)
                ORDER BY run_at, id LIMIT 1)
    RETURNING id, kind, payload, attempts, max_attempts";

/// Inserts a [`NewJob`] through `$executor` (a pool, or `&mut *tx` to enqueue inside an open
/// transaction of either backend) and evaluates to its id, or `None` when a job with the same
/// dedup key exists.
macro_rules! insert_job {
    ($executor:expr, $job:expr, $now:expr) => {{
        let job: &$crate::store::NewJob = $job;
        let sql = "INSERT INTO jobs (kind, payload, dedup_key, state, attempts, max_attempts, run_at, created_at, updated_at)
                   VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6, $6)
                   ON CONFLICT (dedup_key) DO NOTHING RETURNING id";
        let id: Option<i64> = sqlx::query_scalar(sql)
            .bind(&job.kind).bind(&job.payload).bind(&job.dedup_key).bind(job.max_attempts).bind(job.run_at).bind($now)
            .fetch_optional($executor).await?;
        id
    }};
}
pub(crate) use insert_job;

impl Store {
    /// Enqueues a job; returns its id, or `None` when a job with the same dedup key exists.
    pub async fn enqueue_job(
        &self,
        job: &NewJob,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        Ok(on_pool!(self, p => insert_job!(p, job, now)))
    }

    /// Claims the next due job (or one whose lease expired) for `owner` until `now + lease`.
    pub async fn claim_job(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Option<ClaimedJob>, StoreError> {
        let until = now + lease;
        Ok(match &self.pool {
            Pool::Sqlite(p) => {
                sqlx::query_as(CLAIM_SQLITE)
                    .bind(owner)
                    .bind(until)
                    .bind(now)
                    .fetch_optional(p)
                    .await?
            }
            Pool::Postgres(p) => {
                sqlx::query_as(CLAIM_POSTGRES)
                    .bind(owner)
                    .bind(until)
                    .bind(now)
                    .fetch_optional(p)
                    .await?
            }
        })
    }

    /// Marks a claimed job done; returns false when the lease had been lost to another worker.
    pub async fn complete_job(
        &self,
        job: &ClaimedJob,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE jobs SET state = 'done', lease_owner = NULL, lease_until = NULL, updated_at = $4
                   WHERE id = $1 AND lease_owner = $2 AND attempts = $3 AND state = 'running'";
        let n = on_pool!(self, p => sqlx::query(sql).bind(job.id).bind(owner).bind(job.attempts).bind(now)
            .execute(p).await?.rows_affected());
        Ok(n == 1)
    }

    /// Records a failure: back to `queued` at `retry_at`, or `dead` once attempts are used up.
    /// Returns false when the lease had been lost.
    pub async fn fail_job(
        &self,
        job: &ClaimedJob,
        owner: &str,
        error: &str,
        retry_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let state = if job.attempts >= job.max_attempts {
            JobState::Dead
        } else {
            JobState::Queued
        };
        let sql = "UPDATE jobs SET state = $4, run_at = $5, last_error = $6, lease_owner = NULL, lease_until = NULL,
                   updated_at = $7 WHERE id = $1 AND lease_owner = $2 AND attempts = $3 AND state = 'running'";
        let n = on_pool!(self, p => sqlx::query(sql).bind(job.id).bind(owner).bind(job.attempts).bind(state.as_str())
            .bind(retry_at).bind(error).bind(now).execute(p).await?.rows_affected());
        Ok(n == 1)
    }

    /// Puts a dead job back in the queue with fresh attempts.
    pub async fn retry_dead_job(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let sql = "UPDATE jobs SET state = 'queued', attempts = 0, run_at = $2, updated_at = $2 WHERE id = $1 AND state = 'dead'";
        Ok(
            on_pool!(self, p => sqlx::query(sql).bind(id).bind(now).execute(p).await?.rows_affected())
                == 1,
        )
    }

    /// `(attempts, max_attempts)` of the job holding `dedup_key`: a handler that was given
    /// only its payload learns this way whether its failure is the last one.
    pub async fn job_attempts(&self, dedup_key: &str) -> Result<Option<(i32, i32)>, StoreError> {
        let sql = "SELECT attempts, max_attempts FROM jobs WHERE dedup_key = $1";
        Ok(on_pool!(self, p => sqlx::query_as(sql).bind(dedup_key).fetch_optional(p).await?))
    }

    /// One job.
    pub async fn job(&self, id: i64) -> Result<Option<JobRow>, StoreError> {
        let sql = "SELECT id, kind, payload, dedup_key, state, attempts, max_attempts, run_at, last_error, updated_at
                   FROM jobs WHERE id = $1";
        Ok(on_pool!(self, p => sqlx::query_as(sql).bind(id).fetch_optional(p).await?))
    }

    /// Jobs in a state, newest first.
    pub async fn jobs_in_state(
        &self,
        state: JobState,
        limit: i64,
    ) -> Result<Vec<JobRow>, StoreError> {
        let sql = "SELECT id, kind, payload, dedup_key, state, attempts, max_attempts, run_at, last_error, updated_at
                   FROM jobs WHERE state = $1 ORDER BY id DESC LIMIT $2";
        Ok(
            on_pool!(self, p => sqlx::query_as(sql).bind(state.as_str()).bind(limit).fetch_all(p).await?),
        )
    }

    /// Count of jobs per state.
    pub async fn job_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let sql = "SELECT state, COUNT(*) FROM jobs GROUP BY state ORDER BY state";
        Ok(on_pool!(self, p => sqlx::query_as(sql).fetch_all(p).await?))
    }

    /// Deletes finished jobs last updated before `before`; dead jobs stay until retried. A
    /// dedup key therefore guards against duplicates for as long as its job is kept; records
    /// that must be unique forever (notifications) carry their own unique keys.
    pub async fn purge_done_jobs(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let sql = "DELETE FROM jobs WHERE state = 'done' AND updated_at < $1";
        Ok(on_pool!(self, p => sqlx::query(sql).bind(before).execute(p).await?.rows_affected()))
    }
}
