//! `kessai b2-import <FILE>`: B2 出荷データ取込 from the command line, for files larger than
//! the admin's upload takes. The same import as the 受注リスト's button
//! ([`Payments::import_b2`]), with a progress bar on stderr, every failed row with its line,
//! and a summary; the command fails when any row did.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;

use crate::config::Config;
use crate::payments::shipments::b2_import::Summary;
use crate::payments::Payments;
use crate::App;

/// Flags of `kessai b2-import`.
#[derive(Clone, Debug, clap::Args)]
pub struct B2ImportArgs {
    /// The CSV B2 gave back (Shift_JIS) with the 送り状番号 it issued.
    pub file: PathBuf,
    /// The name the audit log gives the importer.
    #[arg(long, default_value = "b2-import")]
    pub actor: String,
}

/// Width of the progress bar, in cells.
const BAR_WIDTH: usize = 30;

/// Runs the command on the configured database; `Ok(false)` when a row failed.
///
/// Provider calls go where `kessai serve` sends them: the built-in sandboxes live in the
/// serving process, at its public URL, which defaults to its listening address as `serve`
/// has it. This process listens on a port of its own, never answered, and runs no worker.
pub async fn run(mut config: Config, args: B2ImportArgs) -> anyhow::Result<bool> {
    let file = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    if config.public_url.is_empty() {
        config.public_url = format!("http://{}", config.listen);
    }
    config.listen = ([127, 0, 0, 1], 0).into();
    config.run_worker = false;
    let app = App::build(config).await?;
    let summary = import(
        &app.state().payments,
        &file,
        &args.actor,
        &mut std::io::stderr(),
    )
    .await?;
    Ok(summary.failed == 0)
}

/// Imports `file` as `actor`, drawing the progress on `out`, then the failed rows and the
/// summary. A file that cannot be read is an error and nothing is written.
pub async fn import(
    payments: &Payments,
    file: &[u8],
    actor: &str,
    out: &mut impl Write,
) -> anyhow::Result<Summary> {
    let mut drawn = None;
    let rows = payments
        .import_b2(file, actor, |done, total| {
            // Redrawn when the percentage moves: a few hundred lines at most in a log file.
            let percent = done * 100 / total.max(1);
            if drawn != Some(percent) {
                drawn = Some(percent);
                let _ = write!(out, "\r{}", bar(done, total));
                let _ = out.flush();
            }
        })
        .await
        .map_err(|unreadable| anyhow::anyhow!(unreadable.0))?;
    writeln!(out)?;
    for row in rows.iter().filter(|r| r.outcome.is_failure()) {
        writeln!(
            out,
            "{}行目 注文番号 {} 送り状番号 {}: {}",
            row.line,
            row.order_number,
            row.slip_no,
            row.outcome.detail()
        )?;
    }
    let summary = Summary::of(&rows);
    writeln!(out, "{}", summary.message())?;
    Ok(summary)
}

/// The progress bar: `[###############               ]  50/100`.
pub fn bar(done: usize, total: usize) -> String {
    let filled = (done * BAR_WIDTH).checked_div(total).unwrap_or(BAR_WIDTH);
    let width = total.to_string().len();
    format!(
        "[{}{}] {done:>width$}/{total}",
        "#".repeat(filled.min(BAR_WIDTH)),
        " ".repeat(BAR_WIDTH - filled.min(BAR_WIDTH)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_fills_with_the_rows_done() {
        assert_eq!(bar(0, 4), format!("[{}] 0/4", " ".repeat(30)));
        assert_eq!(
            bar(50, 100),
            format!("[{}{}]  50/100", "#".repeat(15), " ".repeat(15))
        );
        assert_eq!(bar(7, 7), format!("[{}] 7/7", "#".repeat(30)));
        assert_eq!(bar(0, 0), format!("[{}] 0/0", "#".repeat(30)));
    }
}
