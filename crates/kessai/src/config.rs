//! Typed configuration: command-line flags, `KESSAI_*` environment variables and an
//! optional `kessai.toml`, merged in that order of precedence over built-in defaults.
//!
//! The resulting [`Config`] is passed by value into [`crate::App::build`]; nothing reads
//! configuration from a global.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::secrets::Secret;

/// Everything a kessai process needs to start.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address the HTTP server binds (port 0 picks a free port).
    pub listen: SocketAddr,
    /// Folder for the SQLite database, the encryption key, uploaded certificates and mail.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`.
    pub database_url: Secret,
    /// Create the demo shop on start (idempotent).
    pub demo: bool,
    /// Password for the `admin` account when it is first created.
    pub admin_password: Option<Secret>,
    /// Whether the test clock may be moved forward (test environment and sandboxes).
    pub test_clock: bool,
    /// Public base URL used in links the server hands out (notification URLs, redirects).
    pub public_url: String,
    /// Run the background worker inside `serve`.
    pub run_worker: bool,
    /// Worker tuning.
    pub worker: WorkerConfig,
    /// Outgoing mail.
    pub mail: MailConfig,
}

/// Outgoing mail: SMTP when a URL is set, else `.eml` files under `<data dir>/mail`.
#[derive(Clone, Debug, Default)]
pub struct MailConfig {
    /// `smtps://user:pass@host`, `smtp://user:pass@host:587?tls=required` or
    /// `smtp://host:25` (see docs/CONFIGURATION.md); masked in debug output.
    pub smtp_url: Option<Secret>,
}

/// Background worker tuning.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// How long a claimed job is leased before another worker may take it over.
    pub lease: chrono::Duration,
    /// How long an idle worker waits before polling the job table again.
    pub idle_poll: std::time::Duration,
    /// How many jobs one worker process runs at once.
    pub concurrency: usize,
    /// How long a provider call may stay without an answer before the sweep settles it (and
    /// a stored notification without its job before the poll schedules it again).
    pub stale_after: chrono::Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            lease: chrono::Duration::seconds(60),
            idle_poll: std::time::Duration::from_millis(500),
            concurrency: 4,
            stale_after: chrono::Duration::minutes(crate::payments::jobs::STALE_AFTER_MINUTES),
        }
    }
}

/// Settings as they may appear in `kessai.toml`, all optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub demo: Option<bool>,
    pub admin_password: Option<String>,
    pub test_clock: Option<bool>,
    pub public_url: Option<String>,
    pub mail: Option<MailFileConfig>,
}

/// The `[mail]` table of `kessai.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailFileConfig {
    pub smtp_url: Option<String>,
}

/// Flags and environment variables, all optional so the file and defaults can fill gaps.
#[derive(Debug, Default, Clone, clap::Args)]
pub struct ConfigArgs {
    /// Path of an optional TOML configuration file.
    #[arg(
        long,
        env = "KESSAI_CONFIG",
        default_value = "kessai.toml",
        global = true
    )]
    pub config: PathBuf,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "KESSAI_LISTEN", global = true)]
    pub listen: Option<SocketAddr>,
    /// Data folder [default: ./data].
    #[arg(long, env = "KESSAI_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Database URL [default: SQLite file kessai.db in the data folder].
    #[arg(
        long,
        env = "KESSAI_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Load the demo shop (products, delivery methods, sandbox providers, payment methods).
    #[arg(long, env = "KESSAI_DEMO", global = true)]
    pub demo: bool,
    /// Password of the `admin` account when it is first created (otherwise one is generated
    /// and printed once).
    #[arg(
        long,
        env = "KESSAI_ADMIN_PASSWORD",
        global = true,
        hide_env_values = true
    )]
    pub admin_password: Option<String>,
    /// Allow the test clock to be moved forward (never in production).
    #[arg(long, env = "KESSAI_TEST_CLOCK", global = true)]
    pub test_clock: bool,
    /// Public base URL of this server [default: http://<listen>].
    #[arg(long, env = "KESSAI_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// SMTP server for outgoing mail, e.g. smtps://user:pass@mail.example.jp [default: none,
    /// mails are written to <data dir>/mail as .eml files].
    #[arg(long, env = "KESSAI_SMTP_URL", global = true, hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Tests only: seconds before a call without an answer counts as left by a crash
    /// [default: 300].
    #[arg(long, env = "KESSAI_STALE_AFTER_SECONDS", global = true, hide = true)]
    pub stale_after_seconds: Option<u32>,
    /// Tests only: seconds a claimed job is leased [default: 60].
    #[arg(long, env = "KESSAI_JOB_LEASE_SECONDS", global = true, hide = true)]
    pub job_lease_seconds: Option<u32>,
}

/// A configuration that cannot be used, with the setting named.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("database_url must start with sqlite: or postgres:// (got {0})")]
    DatabaseUrl(String),
}

impl ConfigArgs {
    /// Merges flags/environment over the optional file over defaults.
    pub fn load(self) -> Result<Config, ConfigError> {
        let file = read_file(&self.config)?;
        let listen = self
            .listen
            .or(file.listen)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        let data_dir = self
            .data_dir
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("data"));
        let database_url = self.database_url.or(file.database_url).unwrap_or_else(|| {
            format!("sqlite://{}?mode=rwc", data_dir.join("kessai.db").display())
        });
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError::DatabaseUrl(crate::store::redact_url(
                &database_url,
            )));
        }
        let public_url = self
            .public_url
            .or(file.public_url)
            .unwrap_or_else(|| format!("http://{listen}"))
            .trim_end_matches('/')
            .to_owned();
        Ok(Config {
            listen,
            data_dir,
            database_url: Secret::new(database_url),
            demo: self.demo || file.demo.unwrap_or(false),
            admin_password: self.admin_password.or(file.admin_password).map(Secret::new),
            test_clock: self.test_clock || file.test_clock.unwrap_or(false),
            public_url,
            run_worker: true,
            worker: worker_config(self.stale_after_seconds, self.job_lease_seconds),
            mail: MailConfig {
                smtp_url: self
                    .smtp_url
                    .or(file.mail.and_then(|m| m.smtp_url))
                    .map(Secret::new),
            },
        })
    }
}

/// The worker's defaults with the windows tests shorten.
fn worker_config(stale_after_seconds: Option<u32>, lease_seconds: Option<u32>) -> WorkerConfig {
    let mut worker = WorkerConfig::default();
    if let Some(seconds) = stale_after_seconds {
        worker.stale_after = chrono::Duration::seconds(seconds.into());
    }
    if let Some(seconds) = lease_seconds {
        worker.lease = chrono::Duration::seconds(seconds.max(1).into());
    }
    worker
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(FileConfig::default()),
        Err(source) => Err(ConfigError::Read {
            path: path.to_owned(),
            source,
        }),
    }
}

impl Config {
    /// A configuration for tests: random port, the given data dir and database.
    pub fn for_tests(data_dir: PathBuf, database_url: String) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir,
            database_url: Secret::new(database_url),
            demo: false,
            admin_password: None,
            test_clock: true,
            public_url: String::new(),
            run_worker: false,
            worker: WorkerConfig::default(),
            mail: MailConfig::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(dir: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "kessai_config_{dir}_{}",
            crate::secrets::random_token(6)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("kessai.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn the_smtp_url_comes_from_the_mail_table_and_a_flag_wins_and_neither_is_printed() {
        let path = file_with(
            "mail",
            "[mail]\nsmtp_url = \"smtps://shop:from-file@mail.example.jp\"\n",
        );
        let from_file = ConfigArgs {
            config: path.clone(),
            ..ConfigArgs::default()
        }
        .load()
        .unwrap();
        let from_flag = ConfigArgs {
            config: path.clone(),
            smtp_url: Some("smtps://shop:from-flag@mail.example.jp".into()),
            ..ConfigArgs::default()
        }
        .load()
        .unwrap();

        assert_eq!(
            from_file.mail.smtp_url.as_ref().map(Secret::expose),
            Some("smtps://shop:from-file@mail.example.jp")
        );
        assert_eq!(
            from_flag.mail.smtp_url.as_ref().map(Secret::expose),
            Some("smtps://shop:from-flag@mail.example.jp")
        );
        assert!(!format!("{from_file:?}").contains("from-file"));
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    #[test]
    fn an_unknown_key_in_the_mail_table_is_named() {
        let path = file_with("unknown", "[mail]\nsmtp_host = \"mail.example.jp\"\n");

        let e = ConfigArgs {
            config: path.clone(),
            ..ConfigArgs::default()
        }
        .load()
        .unwrap_err();

        assert!(e.to_string().contains("smtp_host"), "{e}");
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }
}
