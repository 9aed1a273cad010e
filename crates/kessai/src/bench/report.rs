//! The bench's report: per-operation counts, rates and latency quantiles, as printed.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::{BenchArgs, Op, Recorder, Results};

pub(super) fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn sorted(map: &Mutex<HashMap<Op, Vec<Duration>>>, op: Op) -> Vec<Duration> {
    let mut v = map
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&op)
        .cloned()
        .unwrap_or_default();
    v.sort_unstable();
    v
}

fn per_second(n: u64, window: Duration) -> f64 {
    n as f64 / window.as_secs_f64()
}

/// One line per operation: counts, kessai-side and provider and wall latencies.
fn rows(out: &mut String, recorder: &Recorder, window: Duration, ops: &[Op]) {
    let _ = writeln!(
        out,
        "  {:<22} {:>7} {:>8} │ {:>8} {:>8} {:>8} │ {:>9} │ {:>8} {:>8}",
        "operation",
        "count",
        "per s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "prov p50",
        "wall p50",
        "wall p99"
    );
    for &op in ops {
        let kessai = sorted(&recorder.kessai, op);
        let provider = sorted(&recorder.provider, op);
        let wall = sorted(&recorder.wall, op);
        let dash = |v: &[Duration], q: f64| {
            if v.is_empty() {
                "—".to_owned()
            } else {
                ms(quantile(v, q))
            }
        };
        let _ = writeln!(
            out,
            "  {:<22} {:>7} {:>8.1} │ {:>8} {:>8} {:>8} │ {:>9} │ {:>8} {:>8}",
            op.label(),
            kessai.len(),
            per_second(kessai.len() as u64, window),
            dash(&kessai, 0.5),
            dash(&kessai, 0.99),
            dash(&kessai, 1.0),
            dash(&provider, 0.5),
            dash(&wall, 0.5),
            dash(&wall, 0.99),
        );
    }
}

fn errors(out: &mut String, recorder: &Recorder) {
    let errors = recorder
        .errors
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if errors.is_empty() {
        let _ = writeln!(out, "  errors: none");
    }
    for ((op, seen_by, what), n) in errors.iter() {
        let _ = writeln!(out, "  error: {} ({seen_by}): {what} × {n}", op.label());
    }
}

pub(super) fn report(args: &BenchArgs, backend: &str, r: &Results) -> String {
    let mut out = String::new();
    let c = &r.checkout;
    let checkouts = c.checkouts.load(Ordering::Relaxed);
    let captures = c.captures.load(Ordering::Relaxed);
    let _ = writeln!(
        out,
        "kessai bench — {backend}, {} clients, {} s measured after {} s warm-up, per scenario",
        r.clients, args.seconds, args.warmup
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "checkouts: {:.1}/s ({checkouts} in {:.2} s), captures: {:.1}/s ({captures})",
        per_second(checkouts, r.checkout_window),
        r.checkout_window.as_secs_f64(),
        per_second(captures, r.checkout_window),
    );
    let _ = writeln!(
        out,
        "  kessai-side = server handling time less provider round-trips (prov); wall = client"
    );
    rows(
        &mut out,
        c,
        r.checkout_window,
        &[Op::Create, Op::Authorize, Op::Capture, Op::Notify],
    );
    let _ = writeln!(out, "  the provider's side (not kessai's):");
    rows(&mut out, c, r.checkout_window, &[Op::Token, Op::Telegram]);
    errors(&mut out, c);
    let _ = writeln!(out);
    let b = &r.baseline;
    let n = b.baseline.load(Ordering::Relaxed);
    let _ = writeln!(
        out,
        "baseline (same HTTP stack, one INSERT per request): {:.1} req/s ({n} in {:.2} s)",
        per_second(n, r.baseline_window),
        r.baseline_window.as_secs_f64(),
    );
    rows(&mut out, b, r.baseline_window, &[Op::Baseline]);
    errors(&mut out, b);
    out
}
