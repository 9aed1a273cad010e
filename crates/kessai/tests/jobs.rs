//! The durable job queue: retries with back-off, the dead state and its retry, dedup keys,
//! lease expiry after a crashed worker, and two workers on one database never running the
//! same job twice — on SQLite and (when configured) PostgreSQL.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::Duration;
use common::{backends, TestDatabase};
use kessai::clock::Clock;
use kessai::config::WorkerConfig;
use kessai::jobs::{enqueue, Job, JobError, Outcome, Registry, Worker};
use kessai::store::{JobState, Store};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct Count {
    n: u64,
}

impl Job for Count {
    const KIND: &'static str = "test_count";
}

#[derive(Serialize, Deserialize)]
struct AlwaysFails;

impl Job for AlwaysFails {
    const KIND: &'static str = "test_always_fails";
    const MAX_ATTEMPTS: i32 = 3;
}

type Runs = Arc<Mutex<HashMap<u64, u32>>>;

fn registry(runs: Runs) -> Registry {
    let mut r = Registry::new();
    r.register(move |job: Count| {
        let runs = runs.clone();
        async move {
            *runs.lock().unwrap().entry(job.n).or_default() += 1;
            Ok::<(), JobError>(())
        }
    });
    r.register(|_: AlwaysFails| async {
        Err::<(), JobError>(JobError("provider unreachable".into()))
    });
    r
}

async fn store_for(db: &TestDatabase) -> Store {
    let store = Store::connect(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    store
}

fn config() -> WorkerConfig {
    WorkerConfig {
        lease: Duration::seconds(30),
        ..WorkerConfig::default()
    }
}

#[tokio::test]
async fn a_failing_job_backs_off_then_dies_and_can_be_retried_by_the_admin() {
    for backend in backends() {
        let db = TestDatabase::new(backend).await;
        let store = store_for(&db).await;
        let clock = Clock::test();
        let worker = Worker::new(
            store.clone(),
            clock.clone(),
            registry(Runs::default()),
            config(),
        );
        let id = enqueue(&store, &clock, &AlwaysFails, None, None)
            .await
            .unwrap()
            .unwrap();

        assert_eq!(worker.run_one().await.unwrap(), Some((id, Outcome::Retry)));
        assert_eq!(
            worker.run_one().await.unwrap(),
            None,
            "{backend}: not due before the back-off"
        );
        clock.advance(Duration::seconds(2)).unwrap();
        assert_eq!(worker.run_one().await.unwrap(), Some((id, Outcome::Retry)));
        clock.advance(Duration::seconds(4)).unwrap();
        assert_eq!(worker.run_one().await.unwrap(), Some((id, Outcome::Dead)));
        clock.advance(Duration::hours(2)).unwrap();
        assert_eq!(
            worker.run_one().await.unwrap(),
            None,
            "{backend}: dead jobs are not run"
        );

        let dead = store.jobs_in_state(JobState::Dead, 10).await.unwrap();
        assert_eq!(dead[0].last_error.as_deref(), Some("provider unreachable"));
        assert!(store.retry_dead_job(id, clock.now()).await.unwrap());
        assert_eq!(
            worker.run_one().await.unwrap(),
            Some((id, Outcome::Retry)),
            "{backend}: retried with fresh attempts"
        );
    }
}

#[tokio::test]
async fn a_dedup_key_enqueues_a_job_only_once() {
    for backend in backends() {
        let db = TestDatabase::new(backend).await;
        let store = store_for(&db).await;
        let clock = Clock::test();
        let first = enqueue(
            &store,
            &clock,
            &Count { n: 1 },
            Some("notify:123".into()),
            None,
        )
        .await
        .unwrap();
        let second = enqueue(
            &store,
            &clock,
            &Count { n: 1 },
            Some("notify:123".into()),
            None,
        )
        .await
        .unwrap();
        assert!(first.is_some());
        assert_eq!(second, None, "{backend}");
    }
}

#[tokio::test]
async fn a_job_whose_worker_crashed_is_run_again_after_its_lease() {
    for backend in backends() {
        let db = TestDatabase::new(backend).await;
        let store = store_for(&db).await;
        let clock = Clock::test();
        let runs = Runs::default();
        let worker = Worker::new(
            store.clone(),
            clock.clone(),
            registry(runs.clone()),
            config(),
        );
        let id = enqueue(&store, &clock, &Count { n: 7 }, None, None)
            .await
            .unwrap()
            .unwrap();

        // A worker claims the job and dies before finishing it.
        let crashed = store
            .claim_job("crashed-worker", clock.now(), Duration::seconds(30))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(crashed.id, id);
        assert_eq!(
            worker.run_one().await.unwrap(),
            None,
            "{backend}: leased jobs are not taken"
        );

        clock.advance(Duration::seconds(31)).unwrap();
        assert_eq!(
            worker.run_one().await.unwrap(),
            Some((id, Outcome::Done)),
            "{backend}"
        );
        assert_eq!(runs.lock().unwrap()[&7], 1);
        let row = store.job(id).await.unwrap().unwrap();
        assert_eq!((row.state.as_str(), row.attempts), ("done", 2));

        // The crashed worker coming back cannot overwrite the outcome.
        assert!(
            !store
                .complete_job(&crashed, "crashed-worker", clock.now())
                .await
                .unwrap(),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn two_workers_on_one_database_never_run_the_same_job_twice() {
    for backend in backends() {
        let db = TestDatabase::new(backend).await;
        let jobs: u64 = if backend == "postgres" { 3000 } else { 1000 };
        let clock = Clock::test();
        let setup = store_for(&db).await;
        for n in 0..jobs {
            enqueue(&setup, &clock, &Count { n }, None, None)
                .await
                .unwrap();
        }
        let runs = Runs::default();
        let mut tasks = Vec::new();
        for _ in 0..2 {
            // Each worker has its own connection pool, as two processes would.
            let store = Store::connect(&db.url).await.unwrap();
            let worker = Worker::new(store, clock.clone(), registry(runs.clone()), config());
            for _ in 0..4 {
                let worker = worker.clone();
                tasks.push(tokio::spawn(async move {
                    worker.run_until_idle().await.unwrap()
                }));
            }
        }
        let mut ran = 0;
        for t in tasks {
            ran += t.await.unwrap();
        }
        let runs = runs.lock().unwrap().clone();
        assert_eq!(ran as u64, jobs, "{backend}: every job claimed once");
        assert_eq!(runs.len() as u64, jobs, "{backend}: every job ran");
        assert!(
            runs.values().all(|n| *n == 1),
            "{backend}: no job ran twice"
        );
        let counts = setup.job_counts().await.unwrap();
        assert_eq!(counts, vec![("done".to_owned(), jobs as i64)], "{backend}");
    }
}
