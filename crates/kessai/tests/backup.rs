//! `kessai backup` and `kessai restore`: a backup taken while buyers pay restores into a
//! fresh data dir as one consistent moment of the shop, with the key that opens its
//! provider secrets and its certificates; a changed byte, a database still in use and a
//! folder holding something else are refused.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use common::{Options, TestApp, TestDatabase};
use kessai::backup::{backup, restore, BackupError, KeySource};
use kessai::providers::schema::{Input, Values};
use kessai::providers::{validate, PROVIDERS};
use kessai::store::OrderFilter;
use kessai::Config;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::SqlitePool;

/// A folder for a backup, removed afterwards.
struct BackupDir(PathBuf);

impl BackupDir {
    fn new() -> Self {
        Self(std::env::temp_dir().join(format!(
            "kessai_backup_{}_{}",
            std::process::id(),
            kessai::secrets::random_token(6).replace(['-', '_'], "x")
        )))
    }
}

impl Drop for BackupDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The demo shop on SQLite, whatever backend the other suites run on.
async fn demo_shop() -> TestApp {
    TestApp::spawn_with(Options {
        demo: true,
        backend: Some("sqlite"),
        ..Options::default()
    })
    .await
}

fn config_of(db: &TestDatabase) -> Config {
    Config::for_tests(db.dir.clone(), db.url.clone())
}

/// Every table of a SQLite file, each row rendered with SQLite's `quote()`, rows sorted.
async fn dump(file: &Path) -> BTreeMap<String, Vec<String>> {
    let pool = SqlitePool::connect_with(SqliteConnectOptions::new().filename(file))
        .await
        .unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut out = BTreeMap::new();
    for table in tables {
        let columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info($1) ORDER BY cid")
                .bind(&table)
                .fetch_all(&pool)
                .await
                .unwrap();
        let row = columns
            .iter()
            .map(|c| format!("quote(\"{c}\")"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let mut rows: Vec<String> = sqlx::query_scalar(&format!("SELECT {row} FROM \"{table}\""))
            .fetch_all(&pool)
            .await
            .unwrap();
        rows.sort();
        out.insert(table, rows);
    }
    pool.close().await;
    out
}

/// One number from a query on a SQLite file.
async fn count(file: &Path, sql: &str) -> i64 {
    let pool = SqlitePool::connect_with(SqliteConnectOptions::new().filename(file))
        .await
        .unwrap();
    let n = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
    pool.close().await;
    n
}

/// The order ids in a SQLite file, in order.
async fn order_ids(file: &Path) -> Vec<i64> {
    let pool = SqlitePool::connect_with(SqliteConnectOptions::new().filename(file))
        .await
        .unwrap();
    let ids = sqlx::query_scalar("SELECT id FROM orders ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    ids
}

/// Every saved provider's settings, secrets opened.
async fn saved_settings(app: &TestApp) -> BTreeMap<&'static str, Values> {
    let mut out = BTreeMap::new();
    for spec in PROVIDERS {
        if app
            .state
            .store
            .provider_settings(spec.key)
            .await
            .unwrap()
            .is_some()
        {
            out.insert(spec.key, app.state.settings.provider(spec).await.unwrap());
        }
    }
    out
}

async fn orders_now(app: &TestApp) -> i64 {
    app.state
        .store
        .order_count(&OrderFilter::default())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_buyers_pay_restores_one_consistent_moment_with_its_key_and_certificates(
) {
    // Arrange: the demo shop keeps its client certificate in a folder of its own.
    let app = demo_shop().await;
    let (spec, folder_key) = PROVIDERS
        .iter()
        .find_map(|s| {
            validate::fields(s)
                .find(|f| matches!(f.input, Input::Folder))
                .map(|f| (*s, f.key))
        })
        .expect("a provider keeps certificates");
    app.set_provider(spec.key, &[(folder_key, "shop-certs/live")])
        .await;
    let certificate = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    std::fs::create_dir_all(app.db.dir.join("shop-certs/live")).unwrap();
    std::fs::write(
        app.db.dir.join("shop-certs/live/client_cert.pem"),
        certificate,
    )
    .unwrap();
    let dest = BackupDir::new();
    let live_config = config_of(&app.db);
    let (paid, done) = (AtomicUsize::new(0), AtomicBool::new(false));
    let progress = tokio::sync::Notify::new();

    // Act: three buyers pay by card, each once more after the backup is written, while the
    // backup is taken once the first three payments are in.
    let (shop, paid_so_far, written, told) = (&app, &paid, &done, &progress);
    let buyer = || async move {
        loop {
            let last = written.load(Ordering::SeqCst);
            shop.card_payment().await;
            paid_so_far.fetch_add(1, Ordering::SeqCst);
            told.notify_one();
            if last {
                break;
            }
        }
    };
    let take_backup = async {
        while paid.load(Ordering::SeqCst) < 3 {
            progress.notified().await;
        }
        let before = orders_now(&app).await;
        let manifest = backup(&live_config, None, &dest.0, false).await.unwrap();
        let after = orders_now(&app).await;
        done.store(true, Ordering::SeqCst);
        (before, manifest, after)
    };
    let ((before, manifest, after), (), (), ()) =
        tokio::join!(take_backup, buyer(), buyer(), buyer());
    let in_backup = dump(&dest.0.join("kessai.db")).await;
    let fresh = TestDatabase::new("sqlite").await;
    let restored = restore(&config_of(&fresh), None, &dest.0).await.unwrap();
    let restored_db = fresh.dir.join("kessai.db");

    // Assert: the restored database is the backup's, table by table, row by row.
    assert_eq!(dump(&restored_db).await, in_backup);
    assert_eq!(restored.manifest, manifest);
    assert!(restored.set_aside.is_empty(), "{:?}", restored.set_aside);
    let paths: Vec<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    assert!(paths.contains(&"kessai.db"), "{paths:?}");
    assert!(paths.contains(&"secret.key"), "{paths:?}");
    assert!(
        paths.contains(&"shop-certs/live/client_cert.pem"),
        "{paths:?}"
    );
    assert_eq!(manifest.secret_key, KeySource::File);
    assert_eq!(manifest.kessai_version, env!("CARGO_PKG_VERSION"));

    // It is one moment during the load: the orders committed before it, in order with no
    // gap, each with its items and its one checkout payment, and no reference left dangling.
    let ids = order_ids(&restored_db).await;
    let n = ids.len() as i64;
    assert!(before <= n && n <= after, "{before} <= {n} <= {after}");
    assert!(n < orders_now(&app).await, "buyers went on paying after it");
    let live_ids = order_ids(&app.db.dir.join("kessai.db")).await;
    assert_eq!(ids, live_ids[..ids.len()]);
    let without_payment = "SELECT COUNT(*) FROM orders o WHERE (SELECT COUNT(*) FROM payments p
                           WHERE p.order_id = o.id AND p.origin = 'checkout') <> 1";
    assert_eq!(count(&restored_db, without_payment).await, 0);
    let without_items = "SELECT COUNT(*) FROM orders o
                         WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id)";
    assert_eq!(count(&restored_db, without_items).await, 0);
    let dangling = "SELECT COUNT(*) FROM pragma_foreign_key_check";
    assert_eq!(count(&restored_db, dangling).await, 0);

    // The key came back with it: the restored shop opens its provider secrets, finds its
    // certificate where its settings say, and takes the next payment.
    assert_eq!(
        std::fs::read(fresh.dir.join("secret.key")).unwrap(),
        std::fs::read(app.db.dir.join("secret.key")).unwrap()
    );
    assert_eq!(
        std::fs::read(fresh.dir.join("shop-certs/live/client_cert.pem")).unwrap(),
        certificate
    );
    let live_settings = saved_settings(&app).await;
    let restored_app = TestApp::spawn_on(fresh, false).await;
    let restored_settings = saved_settings(&restored_app).await;
    assert_eq!(restored_settings, live_settings);
    let secret_fields = validate::fields(spec)
        .filter(|f| matches!(f.input, Input::Secret { .. }))
        .filter(|f| !restored_settings[spec.key][f.key].is_empty())
        .count();
    assert!(secret_fields > 0, "the demo stores secrets");
    let payment = restored_app.card_payment().await;
    assert!(payment.order_id.is_some_and(|id| id > n));
}

#[tokio::test]
async fn a_backup_with_one_byte_changed_is_refused_and_nothing_is_replaced() {
    // Arrange
    let app = demo_shop().await;
    let dest = BackupDir::new();
    backup(&config_of(&app.db), None, &dest.0, false)
        .await
        .unwrap();
    let copy = dest.0.join("kessai.db");
    let mut bytes = std::fs::read(&copy).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&copy, bytes).unwrap();
    let fresh = TestDatabase::new("sqlite").await;

    // Act
    let e = restore(&config_of(&fresh), None, &dest.0)
        .await
        .unwrap_err();

    // Assert
    assert!(
        matches!(&e, BackupError::Damaged { path, .. } if path.ends_with("kessai.db")),
        "{e}"
    );
    assert!(e.to_string().contains("nothing was restored"), "{e}");
    let left: Vec<_> = std::fs::read_dir(&fresh.dir).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test]
async fn a_restore_is_refused_while_kessai_has_the_database_open() {
    // Arrange
    let app = demo_shop().await;
    let dest = BackupDir::new();
    backup(&config_of(&app.db), None, &dest.0, false)
        .await
        .unwrap();
    let payment = app.card_payment().await;

    // Act
    let e = restore(&config_of(&app.db), None, &dest.0)
        .await
        .unwrap_err();

    // Assert: the running shop is untouched and no staged file is left behind.
    assert!(matches!(e, BackupError::InUse(_)), "{e}");
    assert!(e.to_string().contains("stop kessai"), "{e}");
    assert_eq!(app.payment(payment.id).await.id, payment.id);
    let staged: Vec<_> = std::fs::read_dir(&app.db.dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(staged.is_empty(), "{staged:?}");
}

#[tokio::test]
async fn a_folder_holding_something_is_refused_unless_forced() {
    // Arrange
    let app = demo_shop().await;
    let dest = BackupDir::new();
    std::fs::create_dir_all(&dest.0).unwrap();
    std::fs::write(dest.0.join("notes.txt"), "keep").unwrap();

    // Act
    let refused = backup(&config_of(&app.db), None, &dest.0, false).await;
    let forced = backup(&config_of(&app.db), None, &dest.0, true).await;

    // Assert
    assert!(
        matches!(&refused, Err(BackupError::NotEmpty(_))),
        "{refused:?}"
    );
    assert!(forced.unwrap().entry("kessai.db").is_some());
    assert_eq!(
        std::fs::read_to_string(dest.0.join("notes.txt")).unwrap(),
        "keep"
    );
}

#[tokio::test]
async fn on_postgresql_the_backup_holds_the_key_and_leaves_the_database_to_pg_dump() {
    if !common::backends().contains(&"postgres") {
        return;
    }
    // Arrange
    let app = TestApp::spawn_with(Options {
        demo: true,
        backend: Some("postgres"),
        ..Options::default()
    })
    .await;
    let dest = BackupDir::new();

    // Act
    let manifest = backup(&config_of(&app.db), None, &dest.0, false)
        .await
        .unwrap();
    let on_sqlite = TestDatabase::new("sqlite").await;
    let refused = restore(&config_of(&on_sqlite), None, &dest.0).await;

    // Assert
    assert_eq!(manifest.database, None);
    assert_eq!(manifest.backend, "postgres");
    assert!(manifest.entry("secret.key").is_some());
    assert!(
        matches!(refused, Err(BackupError::NoDatabaseInBackup)),
        "{refused:?}"
    );
    let restored = restore(&config_of(&app.db), None, &dest.0).await.unwrap();
    assert!(restored.set_aside.is_empty());
}

/// Every saved provider's secrets as stored (sealed).
async fn sealed_secrets(app: &TestApp) -> Vec<String> {
    let mut out = Vec::new();
    for spec in PROVIDERS {
        if let Some(stored) = app.state.store.provider_settings(spec.key).await.unwrap() {
            out.push(stored.secrets_json);
        }
    }
    out
}

#[tokio::test]
async fn a_key_rotation_seals_every_secret_again_and_keeps_the_old_key_aside() {
    for backend in common::backends() {
        // Arrange: the demo shop with its secrets sealed by its first key. SQLite can tell
        // that it still runs; PostgreSQL cannot, and the operator stops every instance.
        let app = TestApp::spawn_with(Options {
            demo: true,
            backend: Some(backend),
            ..Options::default()
        })
        .await;
        let before = saved_settings(&app).await;
        let sealed_before = sealed_secrets(&app).await;
        if backend == "sqlite" {
            let refused = kessai::backup::rotate_key(&config_of(&app.db), None).await;
            assert!(matches!(refused, Err(BackupError::InUse(_))), "{refused:?}");
        }
        let db = app.stop().await;
        let old_key = std::fs::read(db.dir.join("secret.key")).unwrap();

        // Act
        let rotated = kessai::backup::rotate_key(&config_of(&db), None)
            .await
            .unwrap();

        // Assert: every secret sealed anew, the old key kept aside, and the restarted shop
        // opens the same settings.
        assert!(rotated.secrets > 0);
        assert_eq!(rotated.key_file, db.dir.join("secret.key"));
        let old_file = rotated.old_key_file.expect("the old key is kept");
        assert_eq!(std::fs::read(&old_file).unwrap(), old_key);
        assert_ne!(std::fs::read(db.dir.join("secret.key")).unwrap(), old_key);
        assert!(!db.dir.join(kessai::backup::NEW_KEY_FILE).exists());
        let restarted = TestApp::spawn_on(db, false).await;
        let sealed_after = sealed_secrets(&restarted).await;
        assert_eq!(sealed_after.len(), sealed_before.len());
        let pairs = sealed_after.iter().zip(&sealed_before);
        assert!(pairs.filter(|(_, b)| *b != "{}").all(|(a, b)| a != b));
        assert_eq!(saved_settings(&restarted).await, before, "{backend}");
    }
}
