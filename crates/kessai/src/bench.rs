//! `kessai bench`: complete card checkouts and captures over real HTTP, with many clients at
//! once, against a real kessai started in-process on a fresh database, next to a baseline
//! measured in the same run.
//!
//! One client's loop is what a headless shop does: start a checkout (`POST
//! /api/v1/checkouts`), have the buyer's card tokenised by the Paygent token API (the
//! in-process sandbox), pay with the token (`POST …/submit`, the card step: a 020 authorization against the
//! sandbox) and capture the order (`POST …/payment/capture`: a 022). The baseline is a second
//! minimal server on the same runtime, HTTP stack and database that does one durable INSERT
//! per request and nothing else: the floor any request that writes can reach here.
//!
//! Every request is measured on the server by a layer put around the router
//! ([`crate::App::wrap_router`]); kessai's share is its handling time minus the provider
//! round-trips recorded through [`crate::providers::timing`], since the sandbox's handling is
//! the provider's, not kessai's. Clients measure the wall time of their requests too. The
//! bench prints a table and writes nothing else; its database is removed afterwards.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};

use crate::clock::Clock;
use crate::config::Config;
use crate::providers::timing::ProviderWait;
use crate::secrets::random_token;
use crate::store::Store;
use crate::App;

/// Flags of `kessai bench`.
#[derive(Clone, Debug, clap::Args)]
pub struct BenchArgs {
    /// A postgres:// URL: the bench creates a fresh database `kessai_bench_<random>` on that
    /// server and drops it afterwards [default: a fresh SQLite file in a temporary folder].
    /// It replaces the main server's `--database-url` for this subcommand.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// Concurrent clients.
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// Seconds measured, per scenario.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Seconds of load before measuring starts, per scenario.
    #[arg(long, default_value_t = 2)]
    pub warmup: u64,
}

/// The test card the sandbox authorizes.
const CARD_NUMBER: &str = "4111111111110000";

/// What a request is, by method and path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Op {
    /// `POST /api/v1/checkouts`
    Create,
    /// `POST /api/v1/checkouts/{link_key}/submit`, the card step (020 against the sandbox)
    Authorize,
    /// `POST /api/v1/orders/{id}/payment/capture` (022 against the sandbox)
    Capture,
    /// Paygent's push notifications (差分通知) the sandbox sends back to kessai.
    Notify,
    /// The sandbox's token API (the provider's, driven by the client).
    Token,
    /// The sandbox answering kessai's telegrams (the provider's).
    Telegram,
    /// The baseline's one INSERT.
    Baseline,
    /// Anything else.
    Other,
}

impl Op {
    fn of(method: &Method, path: &str) -> Op {
        if method != Method::POST {
            return Op::Other;
        }
        match path {
            "/api/v1/checkouts" => Op::Create,
            "/baseline" => Op::Baseline,
            "/sandbox/paygent/n/token/request" => Op::Token,
            p if p.starts_with("/api/v1/checkouts/") && p.ends_with("/submit") => Op::Authorize,
            p if p.starts_with("/api/v1/orders/") && p.ends_with("/payment/capture") => Op::Capture,
            p if p.starts_with("/notify/") => Op::Notify,
            p if p.starts_with("/sandbox/paygent/n/") => Op::Telegram,
            _ => Op::Other,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Op::Create => "checkout create",
            Op::Authorize => "card authorize (020)",
            Op::Capture => "capture (022)",
            Op::Notify => "push notification",
            Op::Token => "token API (sandbox)",
            Op::Telegram => "telegrams (sandbox)",
            Op::Baseline => "baseline INSERT",
            Op::Other => "other",
        }
    }
}

mod report;

use report::report;

/// Latencies and counts of the measured window. Nothing is recorded outside it.
#[derive(Default)]
struct Recorder {
    on: AtomicBool,
    /// Server handling time less provider round-trips, per operation.
    kessai: Mutex<HashMap<Op, Vec<Duration>>>,
    /// Provider round-trips inside the requests, per operation.
    provider: Mutex<HashMap<Op, Vec<Duration>>>,
    /// Client wall time of successful requests, per operation.
    wall: Mutex<HashMap<Op, Vec<Duration>>>,
    /// Failures: (operation, where seen, status or reason) → count.
    errors: Mutex<BTreeMap<(Op, &'static str, String), u64>>,
    checkouts: AtomicU64,
    captures: AtomicU64,
    baseline: AtomicU64,
}

fn push(map: &Mutex<HashMap<Op, Vec<Duration>>>, op: Op, d: Duration) {
    map.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(op)
        .or_default()
        .push(d);
}

impl Recorder {
    fn recording(&self) -> bool {
        self.on.load(Ordering::Relaxed)
    }

    fn error(&self, op: Op, seen_by: &'static str, what: String) {
        if self.recording() {
            *self
                .errors
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry((op, seen_by, what))
                .or_default() += 1;
        }
    }

    fn wall(&self, op: Op, d: Duration) {
        if self.recording() {
            push(&self.wall, op, d);
        }
    }

    fn count(&self, counter: &AtomicU64) {
        if self.recording() {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The layer around both servers: times each request and takes out the provider's share.
async fn measure(State(recorder): State<Arc<Recorder>>, request: Request, next: Next) -> Response {
    let op = Op::of(request.method(), request.uri().path());
    let wait = ProviderWait::new();
    let started = Instant::now();
    let response = wait.scope(next.run(request)).await;
    let handled = started.elapsed();
    if recorder.recording() {
        let provider = wait.total();
        push(&recorder.kessai, op, handled.saturating_sub(provider));
        if provider > Duration::ZERO {
            push(&recorder.provider, op, provider);
        }
        // Requests the clients do not make (notifications) are only seen here.
        if matches!(op, Op::Notify | Op::Telegram | Op::Other) && !response.status().is_success() {
            recorder.error(op, "server", response.status().to_string());
        }
    }
    response
}

/// The baseline's only route: one durable INSERT.
async fn baseline_write(State(store): State<Store>) -> StatusCode {
    match store
        .audit("bench", "baseline", "", "", chrono::Utc::now())
        .await
    {
        Ok(()) => StatusCode::NO_CONTENT,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The database the bench owns: a SQLite file, or a PostgreSQL database dropped afterwards.
struct BenchDatabase {
    url: String,
    dir: PathBuf,
    postgres: Option<(String, String)>,
}

impl BenchDatabase {
    async fn create(server_url: Option<&str>) -> anyhow::Result<BenchDatabase> {
        let suffix: String = random_token(9)
            .to_lowercase()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        let name = format!("kessai_bench_{suffix}");
        let dir = std::env::temp_dir().join(&name);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let Some(admin_url) = server_url else {
            return Ok(BenchDatabase {
                url: format!("sqlite://{}?mode=rwc", dir.join("kessai.db").display()),
                dir,
                postgres: None,
            });
        };
        if !(admin_url.starts_with("postgres://") || admin_url.starts_with("postgresql://")) {
            let _ = std::fs::remove_dir_all(&dir);
            anyhow::bail!("--database-url must be a postgres:// URL (leave it out for SQLite)");
        }
        let (base, query) = match admin_url.split_once('?') {
            Some((base, query)) => (base, format!("?{query}")),
            None => (admin_url, String::new()),
        };
        let Some((server, _)) = base.rsplit_once('/').filter(|(s, _)| s.contains("://")) else {
            let _ = std::fs::remove_dir_all(&dir);
            anyhow::bail!("--database-url must end with /<database>");
        };
        let admin = Store::connect(admin_url).await.with_context(|| {
            format!("cannot connect to {}", crate::store::redact_url(admin_url))
        })?;
        let created = admin.execute_raw(&format!("CREATE DATABASE {name}")).await;
        admin.close().await;
        if let Err(e) = created {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(e).context("cannot create the bench database");
        }
        Ok(BenchDatabase {
            url: format!("{server}/{name}{query}"),
            dir,
            postgres: Some((admin_url.to_owned(), name)),
        })
    }

    fn backend(&self) -> &'static str {
        if self.postgres.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    }

    async fn remove(self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some((admin_url, name)) = self.postgres {
            match Store::connect(&admin_url).await {
                Ok(admin) => {
                    if let Err(e) = admin
                        .execute_raw(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await
                    {
                        eprintln!("kessai bench: cannot drop the database {name}: {e}");
                    }
                    admin.close().await;
                }
                Err(e) => eprintln!("kessai bench: cannot drop the database {name}: {e}"),
            }
        }
    }
}

/// Runs the bench and prints its table.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.clients > 0, "--clients must be at least 1");
    anyhow::ensure!(args.seconds > 0, "--seconds must be at least 1");
    let db = BenchDatabase::create(args.database_url.as_deref()).await?;
    let result = bench(&args, &db).await;
    let backend = db.backend();
    db.remove().await;
    print!("{}", report(&args, backend, &result?));
    Ok(())
}

/// What a client needs to drive one server.
struct Driver {
    http: reqwest::Client,
    base: String,
    key: String,
    checkout_body: String,
    run_id: String,
    recorder: Arc<Recorder>,
}

/// What came back from one request.
enum Answer {
    Ok(Value),
    Failed,
}

impl Driver {
    /// One POST; a failure is counted under its status (or transport error) and the wall
    /// time of a success recorded.
    async fn post(
        &self,
        op: Op,
        path: &str,
        idempotency: Option<String>,
        content_type: &'static str,
        body: String,
    ) -> Answer {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body);
        if let Some(key) = idempotency {
            request = request
                .bearer_auth(&self.key)
                .header("Idempotency-Key", key);
        }
        let started = Instant::now();
        let sent = match request.send().await {
            Ok(response) => {
                let status = response.status();
                response.bytes().await.map(|bytes| (status, bytes))
            }
            Err(e) => Err(e),
        };
        let elapsed = started.elapsed();
        match sent {
            Ok((status, bytes)) if status.is_success() => {
                self.recorder.wall(op, elapsed);
                if bytes.is_empty() {
                    return Answer::Ok(Value::Null);
                }
                match serde_json::from_slice(&bytes) {
                    Ok(value) => Answer::Ok(value),
                    Err(_) => {
                        self.recorder
                            .error(op, "client", format!("{status} not JSON"));
                        Answer::Failed
                    }
                }
            }
            Ok((status, bytes)) => {
                let code = serde_json::from_slice::<Value>(&bytes)
                    .ok()
                    .and_then(|v| v["code"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                self.recorder
                    .error(op, "client", format!("{status} {code}").trim().to_owned());
                Answer::Failed
            }
            Err(e) => {
                let reason = if e.is_timeout() {
                    "timeout"
                } else if e.is_connect() {
                    "connect error"
                } else {
                    "transport error"
                };
                self.recorder.error(op, "client", reason.to_owned());
                Answer::Failed
            }
        }
    }

    fn idempotency_key(&self, client: usize, n: u64, op: &str) -> Option<String> {
        Some(format!("{}-{client}-{n}-{op}", self.run_id))
    }

    /// One complete checkout and its capture.
    async fn checkout(&self, client: usize, n: u64) {
        let Answer::Ok(started) = self
            .post(
                Op::Create,
                "/api/v1/checkouts",
                self.idempotency_key(client, n, "start"),
                "application/json",
                self.checkout_body.clone(),
            )
            .await
        else {
            return;
        };
        let Some(link_key) = started["link_key"].as_str() else {
            self.recorder
                .error(Op::Create, "client", "no link_key".into());
            return;
        };
        let form = serde_urlencoded::to_string([
            ("merchant_id", "123456789"),
            ("token_generate_key", "sandboxtokenkey"),
            ("card_number", CARD_NUMBER),
            ("card_expire_year", "30"),
            ("card_expire_month", "12"),
            ("card_cvc", "123"),
            ("card_name", "TARO YAMADA"),
        ])
        .expect("a form encodes");
        let Answer::Ok(token) = self
            .post(
                Op::Token,
                "/sandbox/paygent/n/token/request",
                None,
                "application/x-www-form-urlencoded",
                form,
            )
            .await
        else {
            return;
        };
        if token["result"] != "0000" {
            self.recorder
                .error(Op::Token, "client", format!("result {}", token["result"]));
            return;
        }
        let card = &token["tokenizedCardObject"];
        let body = json!({
            "paygent": {
                "step": "card",
                "card": {
                    "token": card["token"],
                    "masked_card_number": card["masked_card_number"],
                    "valid_until": card["valid_until"],
                    "fingerprint": card["fingerprint"],
                    "hc": token["hc"],
                }
            }
        });
        let Answer::Ok(paid) = self
            .post(
                Op::Authorize,
                &format!("/api/v1/checkouts/{link_key}/submit"),
                self.idempotency_key(client, n, "card"),
                "application/json",
                body.to_string(),
            )
            .await
        else {
            return;
        };
        let (Some("ordered"), Some(order_id)) =
            (paid["status"].as_str(), paid["order_id"].as_i64())
        else {
            self.recorder.error(
                Op::Authorize,
                "client",
                format!("status {}", paid["status"]),
            );
            return;
        };
        self.recorder.count(&self.recorder.checkouts);
        let Answer::Ok(captured) = self
            .post(
                Op::Capture,
                &format!("/api/v1/orders/{order_id}/payment/capture"),
                self.idempotency_key(client, n, "capture"),
                "application/json",
                "{}".into(),
            )
            .await
        else {
            return;
        };
        if captured["state"] == "captured" {
            self.recorder.count(&self.recorder.captures);
        } else {
            self.recorder.error(
                Op::Capture,
                "client",
                format!("state {}", captured["state"]),
            );
        }
    }

    /// One baseline request.
    async fn baseline(&self) {
        if let Answer::Ok(_) = self
            .post(
                Op::Baseline,
                "/baseline",
                None,
                "application/json",
                "{}".into(),
            )
            .await
        {
            self.recorder.count(&self.recorder.baseline);
        }
    }
}

#[derive(Clone, Copy)]
enum Scenario {
    Checkout,
    Baseline,
}

/// Runs `clients` loops of `scenario`: warm-up, then the measured window. Returns the
/// window's length.
async fn drive(args: &BenchArgs, driver: Arc<Driver>, scenario: Scenario) -> Duration {
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = tokio::task::JoinSet::new();
    for client in 0..args.clients {
        let driver = driver.clone();
        let stop = stop.clone();
        clients.spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                match scenario {
                    Scenario::Checkout => driver.checkout(client, n).await,
                    Scenario::Baseline => driver.baseline().await,
                }
                n += 1;
            }
        });
    }
    tokio::time::sleep(Duration::from_secs(args.warmup)).await;
    driver.recorder.on.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    driver.recorder.on.store(false, Ordering::Relaxed);
    let window = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    while clients.join_next().await.is_some() {}
    window
}

/// The figures of one run.
struct Results {
    clients: usize,
    checkout_window: Duration,
    checkout: Arc<Recorder>,
    baseline_window: Duration,
    baseline: Arc<Recorder>,
}

async fn bench(args: &BenchArgs, db: &BenchDatabase) -> anyhow::Result<Results> {
    // The admin exists before the app starts, so it prints no first-start login line.
    let store = Store::connect(&db.url).await?;
    store.migrate().await?;
    let hash = crate::http::admin::auth::hash_password(&random_token(16))?;
    store
        .create_admin(crate::app::ADMIN_LOGIN, &hash, chrono::Utc::now())
        .await?;
    store.close().await;

    let mut config = Config::for_tests(db.dir.clone(), db.url.clone());
    config.demo = true;
    config.test_clock = false;
    config.run_worker = true;
    let app = App::build_with_clock(config, Clock::system()).await?;
    let address = app.address();
    let state = app.state();
    let checkout = Arc::new(Recorder::default());
    let layer = checkout.clone();
    let app = app.wrap_router(move |router| {
        router.layer(axum::middleware::from_fn_with_state(layer, measure))
    });
    let (stop_app, app_stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run(async {
        let _ = app_stopped.await;
    }));

    let store = state.store.clone();
    let key = crate::http::api::keys::create(&store, "bench", "bench", state.clock.now())
        .await?
        .map_err(|e| anyhow::anyhow!("cannot create the API key: {e:?}"))?;
    let delivery = store
        .delivery_methods()
        .await?
        .first()
        .context("the demo has a delivery method")?
        .id;
    let method = store
        .payment_methods()
        .await?
        .into_iter()
        .find(|m| m.settlement_kind == "paygent_card")
        .context("the demo has a Paygent card method")?
        .id;
    let checkout_body = json!({
        "items": [{ "product_code": "DEMO-TEA-01", "quantity": 1 }],
        "customer": {
            "email": "buyer@example.jp",
            "family_name": "山田",
            "given_name": "太郎",
            "family_kana": "ヤマダ",
            "given_kana": "タロウ",
            "postal_code": "100-0001",
            "prefecture": "東京都",
            "address1": "千代田区千代田1-1",
            "phone": "03-1234-5678"
        },
        "delivery_method_id": delivery,
        "payment_method_id": method
    })
    .to_string();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients * 2)
        .timeout(Duration::from_secs(60))
        .build()?;
    let run_id = random_token(6);

    let driver = Arc::new(Driver {
        http: http.clone(),
        base: format!("http://{address}"),
        key: key.key.expose().to_owned(),
        checkout_body,
        run_id: run_id.clone(),
        recorder: checkout.clone(),
    });
    let checkout_window = drive(args, driver, Scenario::Checkout).await;

    // The baseline: the same runtime, HTTP stack, layer and database, one INSERT a request.
    let baseline = Arc::new(Recorder::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let baseline_address = listener.local_addr()?;
    let router = Router::new()
        .route("/baseline", post(baseline_write))
        .with_state(store.clone())
        .layer(axum::middleware::from_fn_with_state(
            baseline.clone(),
            measure,
        ));
    let (stop_baseline, baseline_stopped) = tokio::sync::oneshot::channel::<()>();
    let baseline_server = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = baseline_stopped.await;
            })
            .await
    });
    let driver = Arc::new(Driver {
        http,
        base: format!("http://{baseline_address}"),
        key: String::new(),
        checkout_body: String::new(),
        run_id,
        recorder: baseline.clone(),
    });
    let baseline_window = drive(args, driver, Scenario::Baseline).await;

    let _ = stop_baseline.send(());
    baseline_server.await?.context("baseline server failed")?;
    let _ = stop_app.send(());
    server.await??;
    Ok(Results {
        clients: args.clients,
        checkout_window,
        checkout,
        baseline_window,
        baseline,
    })
}

/// The `q` quantile of sorted durations.
#[cfg(test)]
mod tests {
    use super::report::quantile;
    use super::*;

    #[test]
    fn requests_are_told_apart_by_method_and_path() {
        let post = Method::POST;
        assert_eq!(Op::of(&post, "/api/v1/checkouts"), Op::Create);
        assert_eq!(Op::of(&post, "/api/v1/checkouts/abc/submit"), Op::Authorize);
        assert_eq!(
            Op::of(&post, "/api/v1/orders/7/payment/capture"),
            Op::Capture
        );
        assert_eq!(Op::of(&post, "/sandbox/paygent/n/token/request"), Op::Token);
        assert_eq!(
            Op::of(&post, "/sandbox/paygent/n/card/request"),
            Op::Telegram
        );
        assert_eq!(Op::of(&Method::GET, "/api/v1/checkouts"), Op::Other);
    }

    #[test]
    fn quantiles_pick_from_sorted_durations() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(quantile(&v, 0.5), Duration::from_millis(51));
        assert_eq!(quantile(&v, 0.99), Duration::from_millis(99));
        assert_eq!(quantile(&v, 1.0), Duration::from_millis(100));
        assert_eq!(quantile(&[], 0.5), Duration::ZERO);
    }
}
