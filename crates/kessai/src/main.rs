//! The `kessai` command: parses the command line, loads configuration and hands over to the
//! library. Roles are subcommands of the one binary.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};
use kessai::config::ConfigArgs;
use kessai::sandbox_server::{SandboxConfig, SandboxServer, SandboxTlsConfig};
use kessai::App;

#[derive(Parser)]
#[command(
    name = "kessai",
    version,
    about = "決済 — payment operations for Japanese e-commerce"
)]
struct Cli {
    #[command(flatten)]
    config: ConfigArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the storefront, admin, API and sandboxes, with the background worker.
    Serve,
    /// Run only the background worker (for multi-instance deployments).
    Worker,
    /// Apply database migrations and exit.
    Migrate,
    /// Serve only the provider sandboxes on their own address (HTTP, and HTTPS with --tls).
    Sandbox(SandboxArgs),
    /// Measure checkouts and captures per second and latency on a fresh database, next to a
    /// baseline of one INSERT per request (see docs/BENCHMARKS.md).
    Bench(kessai::bench::BenchArgs),
    /// B2 出荷データ取込: import the CSV B2 gave back (送り状番号 per order), shipping and
    /// capturing each order, with a progress bar; fails when any row failed.
    #[command(name = "b2-import")]
    B2Import(kessai::b2_cli::B2ImportArgs),
    /// Back up the SQLite database (consistent while kessai runs), the secret key and the
    /// uploaded certificates into a folder with a manifest; on PostgreSQL only the files
    /// (the database is pg_dump's). See docs/OPERATIONS.md.
    Backup(kessai::backup::BackupArgs),
    /// Restore a backup made by `kessai backup`; stop kessai first.
    Restore(kessai::backup::RestoreArgs),
    /// Seal the stored provider secrets with a new key, in one transaction; stop kessai
    /// first. See docs/OPERATIONS.md.
    #[command(name = "rotate-key")]
    RotateKey,
}

/// Default address of `kessai sandbox`.
const SANDBOX_LISTEN: &str = "127.0.0.1:8081";

/// Flags of `kessai sandbox`. Its `--listen` is the sandbox's own address and replaces the
/// main server's `--listen` for this subcommand.
#[derive(clap::Args)]
struct SandboxArgs {
    /// Address of the plain HTTP sandbox.
    #[arg(long, env = "KESSAI_SANDBOX_LISTEN", default_value = SANDBOX_LISTEN)]
    listen: SocketAddr,
    /// Also serve the sandboxes over HTTPS, asking for the client certificate (P016).
    #[arg(long, env = "KESSAI_SANDBOX_TLS")]
    tls: bool,
    /// Address of the HTTPS sandbox.
    #[arg(
        long,
        env = "KESSAI_SANDBOX_TLS_LISTEN",
        default_value = "127.0.0.1:8443"
    )]
    tls_listen: SocketAddr,
    /// Folder of the sandbox certificates, made on first use [default: <data dir>/sandbox-tls].
    #[arg(long, env = "KESSAI_SANDBOX_TLS_DIR")]
    tls_dir: Option<PathBuf>,
}

/// Parses the command line.
///
/// `kessai sandbox --listen` has the name (and clap id) of the main server's global
/// `--listen`, and clap hands a global's value down to the subcommand when the subcommand
/// has none of higher precedence: `KESSAI_LISTEN` would replace the sandbox's default. That
/// variable is the address of `kessai serve`, so it is ignored here; so is
/// `KESSAI_DATABASE_URL` for `kessai bench --database-url`.
fn parse<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let matches = Cli::command().try_get_matches_from(args)?;
    let mut cli = Cli::from_arg_matches(&matches)?;
    match (&mut cli.command, matches.subcommand()) {
        (Command::Sandbox(sandbox), Some(("sandbox", given))) => {
            let from_main_server = given.value_source("listen") == Some(ValueSource::EnvVariable)
                && std::env::var_os("KESSAI_SANDBOX_LISTEN").is_none();
            if from_main_server {
                sandbox.listen = SANDBOX_LISTEN.parse().expect("a valid default address");
            }
        }
        // The bench measures on a database of its own, never the one KESSAI_DATABASE_URL
        // names for `kessai serve`.
        (Command::Bench(bench), Some(("bench", given)))
            if given.value_source("database_url") == Some(ValueSource::EnvVariable) =>
        {
            bench.database_url = None;
        }
        _ => {}
    }
    Ok(cli)
}

fn main() -> ExitCode {
    let cli = parse(std::env::args_os()).unwrap_or_else(|e| e.exit());
    init_tracing(matches!(
        cli.command,
        Command::Bench(_)
            | Command::B2Import(_)
            | Command::Backup(_)
            | Command::Restore(_)
            | Command::RotateKey
    ));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime starts");
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kessai: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Bench(args) = cli.command {
        return kessai::bench::run(args).await;
    }
    let config = cli.config.load()?;
    match cli.command {
        Command::Serve => {
            let app = App::build(config).await?;
            tracing::info!(address = %app.address(), "kessai is serving");
            app.run(shutdown_signal()).await
        }
        Command::Worker => kessai::app::run_worker(config, shutdown_signal()).await,
        Command::Migrate => {
            let store = kessai::store::Store::connect(config.database_url.expose()).await?;
            store.migrate().await?;
            println!(
                "migrations applied to {}",
                kessai::store::redact_url(config.database_url.expose())
            );
            Ok(())
        }
        Command::Bench(_) => unreachable!("handled above"),
        Command::B2Import(args) => {
            if kessai::b2_cli::run(config, args).await? {
                Ok(())
            } else {
                anyhow::bail!("B2 出荷データ取込で失敗した行があります(上の一覧を確認してください)")
            }
        }
        Command::Backup(args) => kessai::backup::run_backup(config, args).await,
        Command::Restore(args) => kessai::backup::run_restore(config, args).await,
        Command::RotateKey => kessai::backup::run_rotate_key(config).await,
        Command::Sandbox(args) => {
            let tls = args.tls.then(|| SandboxTlsConfig {
                listen: args.tls_listen,
                dir: args
                    .tls_dir
                    .unwrap_or_else(|| config.data_dir.join("sandbox-tls")),
            });
            let server = SandboxServer::build(SandboxConfig {
                listen: args.listen,
                tls,
            })
            .await?;
            tracing::info!(
                address = %server.address(),
                tls_address = ?server.tls_address(),
                "kessai sandbox is serving"
            );
            server.run(shutdown_signal()).await
        }
    }
}

/// Logs to stderr; `quiet` (the bench, the B2 import's progress bar, backup and restore) logs
/// only warnings unless `KESSAI_LOG` says otherwise.
fn init_tracing(quiet: bool) {
    use tracing_subscriber::EnvFilter;
    let default = if quiet { "warn" } else { "info,sqlx=warn" };
    let filter = EnvFilter::try_from_env("KESSAI_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let json = std::env::var("KESSAI_LOG_FORMAT").is_ok_and(|f| f == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed when this is called,
/// before the server answers, so a signal that comes right after start-up stops it cleanly
/// rather than killing it.
fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{signal, SignalKind};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let (mut interrupt, mut terminate) = signals;
            let interrupt = async {
                match interrupt.as_mut() {
                    Some(s) => drop(s.recv().await),
                    None => std::future::pending::<()>().await,
                }
            };
            let terminate = async {
                match terminate.as_mut() {
                    Some(s) => drop(s.recv().await),
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! { _ = interrupt => {}, _ = terminate => {} }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_sandbox_listen_flag_is_the_sandboxs_own_address() {
        let cli = parse([
            "kessai",
            "sandbox",
            "--listen",
            "127.0.0.1:9001",
            "--tls",
            "--tls-listen",
            "127.0.0.1:9443",
        ])
        .unwrap();

        let Command::Sandbox(args) = cli.command else {
            panic!("not the sandbox subcommand");
        };
        assert_eq!(args.listen, "127.0.0.1:9001".parse().unwrap());
        assert!(args.tls);
        assert_eq!(args.tls_listen, "127.0.0.1:9443".parse().unwrap());
        assert_eq!(args.tls_dir, None);
    }

    #[test]
    fn the_main_servers_listen_variable_does_not_move_the_sandbox() {
        // Only this test sets the variable; the others give --listen on the command line.
        std::env::set_var("KESSAI_LISTEN", "127.0.0.1:9999");

        let sandbox = parse(["kessai", "sandbox"]);
        let serve = parse(["kessai", "serve"]);

        std::env::remove_var("KESSAI_LISTEN");
        let Command::Sandbox(args) = sandbox.unwrap().command else {
            panic!("not the sandbox subcommand");
        };
        assert_eq!(args.listen, SANDBOX_LISTEN.parse().unwrap());
        assert_eq!(
            serve.unwrap().config.listen,
            Some("127.0.0.1:9999".parse().unwrap())
        );
    }
}
