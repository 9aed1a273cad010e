//! Crash-point testing: a stream of API checkouts, card authorizations (Paygent module type,
//! tokens from the sandbox), captures and Paygent's push notifications runs against real
//! `kessai serve` processes and a `kessai sandbox` process of its own, while the test kills
//! a kessai process with SIGKILL at random moments and the processes abort themselves at
//! chosen points (`KESSAI_FAILPOINTS`: after an operation row is written, after the provider
//! answered, after a notification is stored before and after its processing is scheduled,
//! before a checkout's order is created). Every dead process is restarted. Then the
//! processes run without failpoints and their workers settle what the crashes left, on the
//! real clock: they run with the stale-call threshold and the job lease shortened to seconds
//! (`KESSAI_STALE_AFTER_SECONDS`, `KESSAI_JOB_LEASE_SECONDS`), and the test enqueues the
//! sweep and the notification poll rather than waiting for each minute's schedule. Last,
//! the sandbox's payments — read from its difference records with the keyed 091 inquiry,
//! which leaves kessai's own polling cursor alone — are compared with kessai's orders: none
//! lost, none doubled, none left pending, and each order's status the provider's.
//!
//! Ignored by default (it takes a while and starts processes); `.ci/run` runs it:
//! `cargo test -p kessai --test crash_points -- --ignored --nocapture`, on SQLite with one
//! process and, with `KESSAI_TEST_DATABASE_URL`, on PostgreSQL with two. `KESSAI_CRASH_KILLS`
//! sets how many SIGKILLs a run sends (default 10).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{TestApp, TestDatabase};
use kessai::payments::jobs::SettleStaleOperations;
use kessai::payments::notifications::PollNotifications;
use kessai::providers::paygent::client::{Client, Credentials};
use kessai::secrets::Secret;
use rand::Rng as _;
use serde_json::{json, Value};

const MERCHANT_ID: &str = "123456789";
const FAILPOINTS: &str = "after_operation_row:0.01,after_provider_answer:0.01,\
                          before_notification_scheduled:0.01,after_notification_stored:0.01,\
                          before_order_created:0.01";
/// Paygent statuses that make a checkout an order (オーソリOK, 消込済, 売上確定).
const ORDERED_STATUSES: [&str; 3] = ["20", "40", "44"];

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn log_file(dir: &Path, name: &str) -> File {
    File::options()
        .create(true)
        .append(true)
        .open(dir.join(format!("{name}.log")))
        .unwrap()
}

async fn wait_until_up(url: &str) -> bool {
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(r) = client.get(url).send().await {
            if r.status().is_success() {
                return true;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// One `kessai serve` process, restarted on the same port and database.
struct Kessai {
    name: String,
    port: u16,
    db: (String, std::path::PathBuf),
    logs: std::path::PathBuf,
    failpoints: bool,
    child: Option<Child>,
}

impl Kessai {
    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the process and waits until it answers; one that dies on its way up (a
    /// failpoint hit by the first requests) is started again.
    async fn start(&mut self) {
        let (url, dir) = self.db.clone();
        let health = format!("{}/healthz", self.base());
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let mut command = Command::new(env!("CARGO_BIN_EXE_kessai"));
            command
                .args([
                    "--listen",
                    &format!("127.0.0.1:{}", self.port),
                    "--data-dir",
                ])
                .arg(&dir)
                .args(["--database-url", &url, "serve"])
                .env("KESSAI_CONFIG", dir.join("none.toml"))
                // The windows a crash leaves things open for, in seconds rather than minutes.
                .env("KESSAI_STALE_AFTER_SECONDS", "2")
                .env("KESSAI_JOB_LEASE_SECONDS", "3")
                .env("KESSAI_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(log_file(&self.logs, &self.name));
            if self.failpoints {
                command.env(kessai::failpoint::VARIABLE, FAILPOINTS);
            }
            self.child = Some(command.spawn().unwrap());
            while Instant::now() < deadline && !self.died() {
                if let Ok(r) = client.get(&health).send().await {
                    if r.status().is_success() {
                        return;
                    }
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            self.kill();
        }
        panic!(
            "{} did not come up; see {}/{}.log",
            self.name,
            self.logs.display(),
            self.name
        );
    }

    /// SIGKILL, as `kill -9` sends it.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Whether the process died by itself (a failpoint's abort).
    fn died(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().ok().flatten().is_some())
    }
}

impl Drop for Kessai {
    fn drop(&mut self) {
        self.kill();
    }
}

struct Sandbox {
    base: String,
    child: Child,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_sandbox(dir: &Path, logs: &Path) -> Sandbox {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_kessai"))
        .arg("--data-dir")
        .arg(dir)
        .args(["sandbox", "--listen", &format!("127.0.0.1:{port}")])
        .env("KESSAI_CONFIG", dir.join("none.toml"))
        .env("KESSAI_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log_file(logs, "sandbox"))
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}/sandbox/paygent");
    assert!(wait_until_up(&format!("{base}/merchant?merchant_id={MERCHANT_ID}")).await);
    Sandbox { base, child }
}

#[derive(Default)]
struct Counts {
    checkouts: AtomicU64,
    ordered_answers: AtomicU64,
    captures_asked: AtomicU64,
    captured_answers: AtomicU64,
    failed_requests: AtomicU64,
    kills: AtomicU64,
}

/// How often each failpoint aborted a process, from the processes' logs.
fn aborts(logs: &Path) -> BTreeMap<String, usize> {
    let mut found = BTreeMap::new();
    for entry in std::fs::read_dir(logs).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("kessai: failpoint ") {
                let name = rest.split(':').next().unwrap_or_default().to_owned();
                *found.entry(name).or_default() += 1;
            }
        }
    }
    found
}

/// What a client needs to buy through any of the processes.
struct Driver {
    http: reqwest::Client,
    bases: Vec<String>,
    sandbox: String,
    key: String,
    checkout_body: String,
    counts: Arc<Counts>,
}

impl Driver {
    fn base(&self) -> &str {
        &self.bases[rand::thread_rng().gen_range(0..self.bases.len())]
    }

    /// An API POST, retried on another (or the restarted) process while the answer is lost
    /// or the request is still in flight, with the same idempotency key.
    async fn post(&self, path: &str, key: &str, body: String) -> Option<Value> {
        for _ in 0..4 {
            let sent = self
                .http
                .post(format!("{}{path}", self.base()))
                .bearer_auth(&self.key)
                .header("Idempotency-Key", key)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await;
            match sent {
                Ok(r) if r.status().is_success() => return r.json().await.ok(),
                Ok(r) if r.status().is_client_error() && r.status().as_u16() != 409 => {
                    self.counts.failed_requests.fetch_add(1, Ordering::Relaxed);
                    return None;
                }
                _ => tokio::time::sleep(Duration::from_millis(300)).await,
            }
        }
        self.counts.failed_requests.fetch_add(1, Ordering::Relaxed);
        None
    }

    async fn token(&self) -> Option<Value> {
        let form = [
            ("merchant_id", MERCHANT_ID),
            ("token_generate_key", "sandboxtokenkey"),
            ("card_number", "4111111111110000"),
            ("card_expire_year", "30"),
            ("card_expire_month", "12"),
            ("card_cvc", "123"),
            ("card_name", "TARO YAMADA"),
        ];
        let r = self
            .http
            .post(format!("{}/n/token/request", self.sandbox))
            .form(&form)
            .send()
            .await
            .ok()?;
        let token: Value = r.json().await.ok()?;
        (token["result"] == "0000").then_some(token)
    }

    /// One checkout: start, pay by card, and (most of the time) capture.
    async fn checkout(&self, run: &str, n: u64) {
        let Some(started) = self
            .post(
                "/api/v1/checkouts",
                &format!("{run}-{n}-start"),
                self.checkout_body.clone(),
            )
            .await
        else {
            return;
        };
        let Some(link_key) = started["link_key"].as_str() else {
            return;
        };
        self.counts.checkouts.fetch_add(1, Ordering::Relaxed);
        let Some(token) = self.token().await else {
            return;
        };
        let card = &token["tokenizedCardObject"];
        let body = json!({ "paygent": { "step": "card", "card": {
            "token": card["token"],
            "masked_card_number": card["masked_card_number"],
            "valid_until": card["valid_until"],
            "fingerprint": card["fingerprint"],
            "hc": token["hc"],
        }}});
        let Some(paid) = self
            .post(
                &format!("/api/v1/checkouts/{link_key}/submit"),
                &format!("{run}-{n}-card"),
                body.to_string(),
            )
            .await
        else {
            return;
        };
        let Some(order_id) = paid["order_id"].as_i64() else {
            return;
        };
        self.counts.ordered_answers.fetch_add(1, Ordering::Relaxed);
        if rand::thread_rng().gen_bool(0.3) {
            return;
        }
        self.counts.captures_asked.fetch_add(1, Ordering::Relaxed);
        let captured = self
            .post(
                &format!("/api/v1/orders/{order_id}/payment/capture"),
                &format!("{run}-{n}-capture"),
                "{}".into(),
            )
            .await;
        if captured.is_some_and(|c| c["state"] == "captured") {
            self.counts.captured_answers.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Has the sandbox push its due notifications, to one of the processes (registering the
/// URL again also lifts a pause that failed pushes to a dead process caused).
async fn push_notices(http: &reqwest::Client, sandbox: &str, bases: &[String]) {
    let base = &bases[rand::thread_rng().gen_range(0..bases.len())];
    let notify_url = format!("{base}/notify/paygent");
    let _ = http
        .post(format!("{sandbox}/merchant"))
        .form(&[("merchant_id", MERCHANT_ID), ("notify_url", &notify_url)])
        .send()
        .await;
    let _ = http
        .post(format!("{sandbox}/testtool/notices/deliver"))
        .send()
        .await;
}

/// The sandbox's payments, by payment id: (trading id, latest status), from every
/// difference record (091 with a `payment_notice_id` does not move the polling cursor).
async fn sandbox_payments(sandbox: &str) -> BTreeMap<String, (String, String)> {
    let client = Client::new(
        sandbox,
        Credentials {
            merchant_id: MERCHANT_ID.into(),
            connect_id: "sandboxconnect".into(),
            connect_password: Secret::new("sandboxpassword"),
        },
        Duration::from_secs(10),
        None,
    )
    .unwrap();
    let mut payments = BTreeMap::new();
    for id in 1.. {
        let id = id.to_string();
        let r = client
            .send(
                "091",
                &[
                    ("trading_id", ""),
                    ("payment_id", ""),
                    ("payment_notice_id", &id),
                ],
            )
            .await
            .unwrap();
        if r.get("success_code") != "0" {
            break;
        }
        payments.insert(
            r.get("payment_id").to_owned(),
            (
                r.get("trading_id").to_owned(),
                r.get("payment_status").to_owned(),
            ),
        );
    }
    payments
}

/// What the comparison found.
#[derive(Debug, Default)]
struct Verdict {
    provider_payments: usize,
    orders: usize,
    lost: Vec<String>,
    doubled: Vec<String>,
    stuck: usize,
    unprocessed_notifications: usize,
    status_drift: Vec<String>,
}

impl Verdict {
    fn settled(&self) -> bool {
        self.lost.is_empty()
            && self.doubled.is_empty()
            && self.stuck == 0
            && self.unprocessed_notifications == 0
            && self.status_drift.is_empty()
    }
}

async fn compare(store: &kessai::store::Store, sandbox: &str) -> Verdict {
    let far = chrono::Utc::now() + chrono::Duration::days(365);
    let provider: BTreeMap<String, (String, String)> = sandbox_payments(sandbox)
        .await
        .into_iter()
        .filter(|(_, (_, status))| ORDERED_STATUSES.contains(&status.as_str()))
        .collect();
    let orders = store
        .orders(&kessai::store::OrderFilter::default(), 1_000_000, 0)
        .await
        .unwrap();
    let mut verdict = Verdict {
        provider_payments: provider.len(),
        orders: orders.len(),
        stuck: store.stale_payment_operations(far).await.unwrap().len(),
        unprocessed_notifications: store.unprocessed_notifications(far).await.unwrap().len(),
        ..Verdict::default()
    };
    let mut orders_of: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for row in &orders {
        match &row.provider_payment_id {
            Some(id) => orders_of.entry(id.clone()).or_default().push(row.order.id),
            None => verdict
                .doubled
                .push(format!("order {} has no payment", row.order.id)),
        }
    }
    let mut trading_ids = BTreeSet::new();
    for (payment_id, (trading_id, status)) in &provider {
        if !trading_ids.insert(trading_id) {
            verdict
                .doubled
                .push(format!("trading id {trading_id} charged twice"));
        }
        match orders_of.get(payment_id).map(Vec::len) {
            None => verdict
                .lost
                .push(format!("payment {payment_id} ({trading_id})")),
            Some(1) => {}
            Some(n) => verdict
                .doubled
                .push(format!("payment {payment_id}: {n} orders")),
        }
        let kessai = store.payment_by_link_key(trading_id).await.unwrap();
        let code = kessai.and_then(|p| p.provider_status_code);
        if code.as_deref() != Some(status) {
            verdict.status_drift.push(format!(
                "payment {payment_id}: sandbox {status}, kessai {code:?}"
            ));
        }
    }
    for (payment_id, _) in orders_of {
        if !provider.contains_key(&payment_id) {
            verdict
                .doubled
                .push(format!("order of {payment_id}, unknown at the provider"));
        }
    }
    verdict
}

/// The demo shop on `db`, its Paygent pointed at the sandbox process; answers an API key
/// and the body of a checkout paid by Paygent card.
async fn prepare(db: TestDatabase, sandbox: &str) -> (TestDatabase, String, String) {
    let app = TestApp::spawn_on(db, true).await;
    app.set_paygent(&[("test_target", "url"), ("test_url", sandbox)])
        .await;
    let store = &app.state.store;
    let key = kessai::http::api::keys::create(store, "crash", "test", app.state.clock.now())
        .await
        .unwrap()
        .unwrap();
    let delivery = store.delivery_methods().await.unwrap()[0].id;
    let method = store
        .payment_methods()
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.settlement_kind == "paygent_card")
        .unwrap()
        .id;
    let body = json!({
        "items": [{ "product_code": "DEMO-TEA-01", "quantity": 1 }],
        "customer": common::api::customer("buyer@example.jp"),
        "delivery_method_id": delivery,
        "payment_method_id": method
    })
    .to_string();
    let key = key.key.expose().to_owned();
    (app.stop().await, key, body)
}

async fn crash_run(backend: &str, processes: usize) {
    let kills: u64 = std::env::var("KESSAI_CRASH_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(10);
    let db = TestDatabase::new(backend).await;
    // The processes' logs outlive the test's folder, for a failed run's post-mortem.
    let logs = std::env::temp_dir().join(format!("kessai_crash_points_{backend}"));
    let _ = std::fs::remove_dir_all(&logs);
    std::fs::create_dir_all(&logs).unwrap();
    let sandbox = start_sandbox(&db.dir, &logs).await;
    let (db, key, checkout_body) = prepare(db, &sandbox.base).await;
    let counts = Arc::new(Counts::default());
    let mut all = Vec::new();
    for i in 0..processes {
        let mut k = Kessai {
            name: format!("kessai-{i}"),
            port: free_port(),
            db: (db.url.clone(), db.dir.clone()),
            logs: logs.clone(),
            failpoints: true,
            child: None,
        };
        k.start().await;
        all.push(k);
    }
    let bases: Vec<String> = all.iter().map(Kessai::base).collect();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let driver = Arc::new(Driver {
        http: http.clone(),
        bases: bases.clone(),
        sandbox: sandbox.base.clone(),
        key,
        checkout_body,
        counts: counts.clone(),
    });
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = tokio::task::JoinSet::new();
    let run = kessai::secrets::random_token(6);
    for client in 0..4 {
        let (driver, stop, run) = (driver.clone(), stop.clone(), run.clone());
        tasks.spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                driver.checkout(&format!("{run}-{client}"), n).await;
                n += 1;
            }
        });
    }
    {
        let (stop, http, sandbox, bases) = (
            stop.clone(),
            http.clone(),
            sandbox.base.clone(),
            bases.clone(),
        );
        tasks.spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                push_notices(&http, &sandbox, &bases).await;
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        });
    }

    // The storm: SIGKILL a random process now and then; restart whatever died.
    let started = Instant::now();
    let pause = || Duration::from_millis(rand::thread_rng().gen_range(300..1500));
    let mut next_kill = Instant::now() + pause();
    while counts.kills.load(Ordering::Relaxed) < kills {
        tokio::time::sleep(Duration::from_millis(100)).await;
        for k in all.iter_mut() {
            if k.died() {
                k.kill();
                k.start().await;
            }
        }
        if Instant::now() >= next_kill {
            let victim = rand::thread_rng().gen_range(0..all.len());
            all[victim].kill();
            counts.kills.fetch_add(1, Ordering::Relaxed);
            all[victim].start().await;
            next_kill = Instant::now() + pause();
        }
    }
    stop.store(true, Ordering::Relaxed);
    while tasks.join_next().await.is_some() {}
    let storm = started.elapsed();

    // Settling: every process restarted without failpoints, on the real clock, with the
    // stale-call threshold and the job lease shortened to seconds.
    for k in all.iter_mut() {
        k.kill();
        k.failpoints = false;
        k.start().await;
    }
    let store = kessai::store::Store::connect(&db.url).await.unwrap();
    let settling = Instant::now();
    let mut verdict = compare(&store, &sandbox.base).await;
    let before = format!(
        "{} lost, {} stuck pending, {} notifications unprocessed, {} status drifts",
        verdict.lost.len(),
        verdict.stuck,
        verdict.unprocessed_notifications,
        verdict.status_drift.len()
    );
    for round in 0..40 {
        if verdict.settled() {
            break;
        }
        // A sweep and a poll now rather than at the next minute's schedule.
        let clock = kessai::clock::Clock::system();
        kessai::jobs::enqueue(&store, &clock, &SettleStaleOperations, None, None)
            .await
            .unwrap();
        kessai::jobs::enqueue(&store, &clock, &PollNotifications, None, None)
            .await
            .unwrap();
        push_notices(&http, &sandbox.base, &bases).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        verdict = compare(&store, &sandbox.base).await;
        eprintln!(
            "settling, round {round}: {} lost, {} doubled, {} stuck, {} unprocessed, {} drifts",
            verdict.lost.len(),
            verdict.doubled.len(),
            verdict.stuck,
            verdict.unprocessed_notifications,
            verdict.status_drift.len()
        );
    }
    store.close().await;
    let aborts = aborts(&logs);
    println!(
        "crash points ({backend}, {processes} kessai process(es)): {} SIGKILLs, {} failpoint aborts \
         {aborts:?} in {:.0?}; {} checkouts started, {} answered ordered, {} captures asked ({} answered \
         captured), {} requests without an answer; before settling: {before}; after settling ({:.0?}): {} orders, {} provider \
         payments, {} lost, {} doubled, {} stuck pending, {} notifications unprocessed, {} status \
         drifts",
        counts.kills.load(Ordering::Relaxed),
        aborts.values().sum::<usize>(),
        storm,
        counts.checkouts.load(Ordering::Relaxed),
        counts.ordered_answers.load(Ordering::Relaxed),
        counts.captures_asked.load(Ordering::Relaxed),
        counts.captured_answers.load(Ordering::Relaxed),
        counts.failed_requests.load(Ordering::Relaxed),
        settling.elapsed(),
        verdict.orders,
        verdict.provider_payments,
        verdict.lost.len(),
        verdict.doubled.len(),
        verdict.stuck,
        verdict.unprocessed_notifications,
        verdict.status_drift.len(),
    );
    assert!(verdict.provider_payments > 0, "nothing was bought");
    assert!(
        verdict.settled(),
        "{verdict:#?}; logs in {}",
        logs.display()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "starts processes and kills them for a while; .ci/run runs it"]
async fn checkouts_captures_and_notifications_survive_kills_on_sqlite() {
    crash_run("sqlite", 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "starts processes and kills them for a while; .ci/run runs it"]
async fn checkouts_captures_and_notifications_survive_kills_on_postgresql_with_two_processes() {
    if std::env::var("KESSAI_TEST_DATABASE_URL").is_err() {
        eprintln!("skipped: KESSAI_TEST_DATABASE_URL is not set");
        return;
    }
    crash_run("postgres", 2).await;
}
