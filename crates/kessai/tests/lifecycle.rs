//! The server's life: restart on the same data keeps everything, SIGTERM shuts down cleanly,
//! and two `kessai serve` processes work side by side on one PostgreSQL database.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{TestApp, TestDatabase, ADMIN_PASSWORD};

#[tokio::test]
async fn restarting_on_the_same_database_keeps_everything() {
    let app = TestApp::demo().await;
    app.login().await;
    let csrf = app.csrf().await;
    app.post_form(
        "/admin/delivery",
        &[
            ("csrf", &csrf),
            ("name", "メール便"),
            ("carrier", "japanpost"),
        ],
    )
    .await;
    let methods_before = app.state.store.payment_methods().await.unwrap().len();
    let paygent_before = app
        .state
        .settings
        .provider(&kessai::providers::paygent::settings::SETTINGS)
        .await
        .unwrap();
    let db = app.stop().await;

    let app = TestApp::spawn_on(db, true).await;
    app.login().await;
    assert_eq!(
        app.state.store.payment_methods().await.unwrap().len(),
        methods_before,
        "demo not loaded twice"
    );
    assert!(app
        .state
        .store
        .delivery_methods()
        .await
        .unwrap()
        .iter()
        .any(|d| d.name == "メール便"));
    let paygent_after = app
        .state
        .settings
        .provider(&kessai::providers::paygent::settings::SETTINGS)
        .await
        .unwrap();
    assert_eq!(
        paygent_before, paygent_after,
        "secrets still open with the kept key"
    );
}

#[tokio::test]
async fn the_sandboxes_are_mounted() {
    let app = TestApp::spawn().await;
    let r = app.get("/sandbox").await;
    assert_eq!(r.status().as_u16(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["providers"].is_array());
}

#[tokio::test]
async fn the_test_clock_moves_forward_only_when_enabled() {
    let app = TestApp::spawn().await;
    let before = app.state.clock.now();
    let r = app
        .client
        .post(app.url("/test/clock"))
        .json(&serde_json::json!({ "seconds": 86400 }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(app.state.clock.now() - before >= chrono::Duration::days(1));
}

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_server(db: &TestDatabase) -> Server {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_kessai"))
        .args(["--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(&db.dir)
        .args([
            "--database-url",
            &db.url,
            "--admin-password",
            ADMIN_PASSWORD,
            "--demo",
            "serve",
        ])
        .env("KESSAI_CONFIG", db.dir.join("none.toml"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server { child, port };
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(r) = client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
        {
            if r.status().is_success() {
                return server;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("kessai serve did not become healthy on port {port}");
}

async fn login_status(port: u16) -> u16 {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let html = client
        .get(format!("http://127.0.0.1:{port}/admin/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = common::csrf_of(&html);
    let r = client
        .post(format!("http://127.0.0.1:{port}/admin/login"))
        .form(&[
            ("login", "admin"),
            ("password", ADMIN_PASSWORD),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    r.status().as_u16()
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly() {
    let db = TestDatabase::new(common::default_backend()).await;
    let mut server = start_server(&db).await;
    let pid = server.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let mut status = None;
    for _ in 0..100 {
        if let Some(s) = server.child.try_wait().unwrap() {
            status = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        status.expect("exited within 10 s").success(),
        "clean exit code"
    );
}

#[tokio::test]
async fn two_serve_processes_share_one_postgresql_database() {
    if std::env::var("KESSAI_TEST_DATABASE_URL").is_err() {
        eprintln!("skipped: KESSAI_TEST_DATABASE_URL is not set");
        return;
    }
    let db = TestDatabase::new("postgres").await;
    // Both start together: migrations, the admin account and the demo shop race safely.
    let (a, b) = tokio::join!(start_server(&db), start_server(&db));
    assert_eq!(login_status(a.port).await, 303, "first instance logs in");
    assert_eq!(
        login_status(b.port).await,
        303,
        "second instance logs in with the same account"
    );
    let store = kessai::store::Store::connect(&db.url).await.unwrap();
    assert_eq!(store.admin_count().await.unwrap(), 1);
    let kinds: Vec<String> = store
        .payment_methods()
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.settlement_kind)
        .collect();
    let mut unique = kinds.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        kinds.len(),
        unique.len(),
        "demo payment methods created once: {kinds:?}"
    );
    store.close().await;
}

#[tokio::test]
async fn migrate_and_worker_commands_run_against_a_database() {
    let db = TestDatabase::new(common::default_backend()).await;
    let out = Command::new(env!("CARGO_BIN_EXE_kessai"))
        .args(["--database-url", &db.url, "--data-dir"])
        .arg(&db.dir)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("migrations applied"));

    // A job enqueued here is run by a separate `kessai worker` process.
    let store = kessai::store::Store::connect(&db.url).await.unwrap();
    let clock = kessai::clock::Clock::system();
    let id = kessai::jobs::enqueue(&store, &clock, &kessai::jobs::Housekeeping, None, None)
        .await
        .unwrap()
        .unwrap();
    let mut worker = Command::new(env!("CARGO_BIN_EXE_kessai"))
        .args(["--database-url", &db.url, "--data-dir"])
        .arg(&db.dir)
        .arg("worker")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut state = String::new();
    for _ in 0..100 {
        state = store.job(id).await.unwrap().unwrap().state;
        if state == "done" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status()
        .unwrap()
        .success());
    assert!(
        worker.wait().unwrap().success(),
        "worker exits cleanly on SIGTERM"
    );
    assert_eq!(state, "done", "the worker process ran the job");
    store.close().await;
}
