//! ジョブ: the background job queue as the operator sees it, with dead jobs and their last
//! error, and a button to retry them; and 操作ログ, the audit log of operator actions.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use minijinja::context;

use super::auth::Admin;
use super::{page, redirect_with};
use crate::http::error::HttpError;
use crate::http::SharedState;
use crate::store::JobState;

/// GET /admin/jobs
pub async fn index(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let counts = state.store.job_counts().await?;
    let dead = state.store.jobs_in_state(JobState::Dead, 200).await?;
    let queued = state.store.jobs_in_state(JobState::Queued, 50).await?;
    let running = state.store.jobs_in_state(JobState::Running, 50).await?;
    page(
        StatusCode::OK,
        &admin,
        &headers,
        "jobs.html",
        "jobs",
        "ジョブ",
        context! { counts, dead, queued, running },
    )
}

/// POST /admin/jobs/{id}/retry
pub async fn retry(
    State(state): State<SharedState>,
    admin: Admin,
    Path(id): Path<i64>,
) -> Result<Response, HttpError> {
    let now = state.clock.now();
    if state.store.retry_dead_job(id, now).await? {
        state
            .store
            .audit(
                admin.login(),
                "ジョブを再実行",
                &format!("job {id}"),
                "",
                now,
            )
            .await?;
        Ok(redirect_with(
            "/admin/jobs",
            "ok",
            &format!("ジョブ {id} を再実行待ちにしました。"),
        ))
    } else {
        Ok(redirect_with(
            "/admin/jobs",
            "error",
            &format!("ジョブ {id} は停止中（dead）ではないため再実行できません。"),
        ))
    }
}

/// GET /admin/audit
pub async fn audit(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let entries = state.store.audit_entries(500).await?;
    page(
        StatusCode::OK,
        &admin,
        &headers,
        "audit.html",
        "audit",
        "操作ログ",
        context! { entries },
    )
}
