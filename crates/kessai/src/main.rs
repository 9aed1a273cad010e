//! The `kessai` command: parses the command line, loads configuration and hands over to the
//! library. Roles are subcommands of the one binary.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kessai::config::ConfigArgs;
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
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
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env("KESSAI_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
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

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
