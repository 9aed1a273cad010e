//! Wiring and lifecycle: [`App::build`] connects storage, migrates, loads the secret key,
//! makes sure an admin account exists, optionally loads the demo shop and binds the
//! listener; [`App::run`] serves HTTP and runs the worker until shutdown, then finishes
//! in-flight requests and jobs.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::clock::Clock;
use crate::config::Config;
use crate::http::{self, AppState, SharedState};
use crate::jobs::{self, Worker};
use crate::mail::transport::Transport;
use crate::mail::Mailer;
use crate::payments::Payments;
use crate::secrets::{Secret, SecretBox};
use crate::settings::Settings;
use crate::store::Store;

/// A built application, ready to run.
pub struct App {
    state: SharedState,
    listener: TcpListener,
    worker: Worker,
    wrap: Option<RouterWrap>,
}

/// Something put around the whole HTTP surface (see [`App::wrap_router`]).
type RouterWrap = Box<dyn FnOnce(axum::Router) -> axum::Router + Send>;

/// Login name of the admin account created on first start.
pub const ADMIN_LOGIN: &str = "admin";

impl App {
    /// Prepares everything; a failure names what is wrong (database, data dir, key, port).
    pub async fn build(config: Config) -> anyhow::Result<App> {
        let clock = if config.test_clock {
            Clock::test()
        } else {
            Clock::system()
        };
        Self::build_with_clock(config, clock).await
    }

    /// Like [`App::build`] with a given clock (tests share one clock between instances).
    pub async fn build_with_clock(config: Config, clock: Clock) -> anyhow::Result<App> {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!(
                "cannot create the data folder {}",
                config.data_dir.display()
            )
        })?;
        let store = Store::connect(config.database_url.expose())
            .await
            .with_context(|| {
                format!(
                    "cannot open the database {}",
                    crate::store::redact_url(config.database_url.expose())
                )
            })?;
        store.migrate().await.context("database migration failed")?;
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let mut config = config;
        if config.public_url.is_empty() {
            config.public_url = format!("http://{}", listener.local_addr()?);
        }
        let (settings, payments, mailer) = services(&config, &store, &clock)?;
        ensure_admin(
            &store,
            &clock,
            config.admin_password.as_ref(),
            &config.public_url,
        )
        .await?;
        if config.demo {
            crate::demo::load(&store, &settings, &clock)
                .await
                .context("loading the demo shop failed")?;
        }
        let worker = worker(&config, &store, &clock, &payments, &mailer);
        let state = Arc::new(AppState {
            config,
            store,
            clock,
            settings,
            payments,
            mailer,
        });
        Ok(App {
            state,
            listener,
            worker,
            wrap: None,
        })
    }

    /// The bound address (the real port when 0 was asked for).
    pub fn address(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Shared state, for tests and operator commands.
    pub fn state(&self) -> SharedState {
        self.state.clone()
    }

    /// This instance's worker, for running jobs explicitly.
    pub fn worker(&self) -> Worker {
        self.worker.clone()
    }

    /// Puts `wrap` around the whole HTTP surface when it is served: `kessai bench` measures
    /// every request with a layer this way, leaving the production router as it is.
    pub fn wrap_router(
        mut self,
        wrap: impl FnOnce(axum::Router) -> axum::Router + Send + 'static,
    ) -> Self {
        self.wrap = Some(Box::new(wrap));
        self
    }

    /// Serves until `shutdown` completes, then stops accepting, finishes in-flight requests
    /// and jobs, and closes the database.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let worker_task = self
            .state
            .config
            .run_worker
            .then(|| tokio::spawn(self.worker.clone().run(stop_rx.clone())));
        let mut http_stop = stop_rx.clone();
        let router = http::router(self.state.clone());
        let router = match self.wrap {
            Some(wrap) => wrap(router),
            None => router,
        };
        let app = router.into_make_service_with_connect_info::<SocketAddr>();
        let server = axum::serve(self.listener, app).with_graceful_shutdown(async move {
            let _ = http_stop.wait_for(|stop| *stop).await;
        });
        tokio::spawn(async move {
            shutdown.await;
            tracing::info!("shutting down: finishing requests and jobs in flight");
            let _ = stop_tx.send(true);
        });
        server.await.context("HTTP server failed")?;
        if let Some(task) = worker_task {
            task.await.context("worker panicked")?;
        }
        self.state.store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Creates the admin account on first start and prints how to log in, once.
async fn ensure_admin(
    store: &Store,
    clock: &Clock,
    password: Option<&Secret>,
    public_url: &str,
) -> anyhow::Result<()> {
    if store.admin_count().await? > 0 {
        return Ok(());
    }
    let generated = password.is_none();
    let password = password
        .cloned()
        .unwrap_or_else(|| Secret::new(crate::secrets::random_token(12)));
    let hash = http::admin::auth::hash_password(password.expose())?;
    if store.create_admin(ADMIN_LOGIN, &hash, clock.now()).await? {
        println!("管理画面: {public_url}/admin  ログインID: {ADMIN_LOGIN}");
        if generated {
            // Printed once to the operator's terminal, never logged.
            println!(
                "初期パスワード: {}  （この表示は一度だけです。安全な場所に保管してください）",
                password.expose()
            );
        }
    }
    Ok(())
}

/// The settings, payments and mail services over the store (the secret key opens the
/// settings).
fn services(
    config: &Config,
    store: &Store,
    clock: &Clock,
) -> anyhow::Result<(Settings, Payments, Mailer)> {
    let secret_key = std::env::var("KESSAI_SECRET_KEY").ok();
    let secrets = SecretBox::load(&config.data_dir, secret_key.as_deref())?;
    let settings = Settings::new(
        store.clone(),
        secrets,
        clock.clone(),
        config.data_dir.clone(),
    );
    let payments = Payments::new(
        store.clone(),
        settings.clone(),
        clock.clone(),
        config.public_url.clone(),
        config.data_dir.clone(),
    )
    .with_stale_after(config.worker.stale_after);
    let transport = Transport::from_config(config.mail.smtp_url.as_ref(), &config.data_dir)?;
    tracing::info!(?transport, "outgoing mail");
    let mailer = Mailer::new(store.clone(), settings.clone(), clock.clone(), transport);
    Ok((settings, payments, mailer))
}

/// The worker with every job kind the application runs registered, and the periodic ones
/// (housekeeping every hour; the notification poll and the sweep of calls left without an
/// answer every minute) scheduled.
fn worker(
    config: &Config,
    store: &Store,
    clock: &Clock,
    payments: &Payments,
    mailer: &Mailer,
) -> Worker {
    let mut registry = jobs::Registry::new();
    jobs::housekeeping::register(&mut registry, store.clone(), clock.clone());
    crate::payments::jobs::register(&mut registry, payments);
    crate::mail::register(&mut registry, mailer.clone());
    Worker::new(
        store.clone(),
        clock.clone(),
        registry,
        config.worker.clone(),
    )
    .with_schedules(vec![
        jobs::schedule(jobs::housekeeping::schedule),
        jobs::schedule(|store, clock| async move {
            crate::payments::jobs::schedule_periodic(&store, &clock).await
        }),
    ])
}

/// `kessai worker`: only the background worker, until `shutdown` completes; jobs in flight
/// are finished before it returns.
pub async fn run_worker(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let clock = if config.test_clock {
        Clock::test()
    } else {
        Clock::system()
    };
    let store = Store::connect(config.database_url.expose())
        .await
        .with_context(|| {
            format!(
                "cannot open the database {}",
                crate::store::redact_url(config.database_url.expose())
            )
        })?;
    store.migrate().await.context("database migration failed")?;
    let (_, payments, mailer) = services(&config, &store, &clock)?;
    let worker = worker(&config, &store, &clock, &payments, &mailer);
    tracing::info!(owner = worker.owner(), "kessai worker is running");
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down: finishing jobs in flight");
        let _ = stop_tx.send(true);
    });
    worker.run(stop_rx).await;
    store.close().await;
    Ok(())
}
