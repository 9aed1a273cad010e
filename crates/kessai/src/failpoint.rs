//! Test-only crash points: named places in the persist → call → record steps where a test
//! may have the process die, to check that what a crash leaves behind is settled.
//!
//! Inert unless `KESSAI_FAILPOINTS` names points, e.g.
//! `KESSAI_FAILPOINTS=after_operation_row:0.1,after_provider_answer:0.05`: at a named point,
//! with that probability (1 when left out), the process aborts at once
//! ([`std::process::abort`]), as a `kill -9` would stop it: no destructor runs, no
//! transaction commits, no response goes out. Read once, at the first point reached.

use std::collections::HashMap;
use std::sync::OnceLock;

use rand::Rng as _;

/// The variable that names the points.
pub const VARIABLE: &str = "KESSAI_FAILPOINTS";

/// The call's row is written (`pending`), the provider not called yet.
pub const AFTER_OPERATION_ROW: &str = "after_operation_row";
/// The provider answered; its answer is not recorded yet.
pub const AFTER_PROVIDER_ANSWER: &str = "after_provider_answer";
/// A notification is stored, its processing not scheduled yet (the poll schedules it).
pub const BEFORE_NOTIFICATION_SCHEDULED: &str = "before_notification_scheduled";
/// A notification is stored and its processing scheduled, the provider not acknowledged.
pub const AFTER_NOTIFICATION_STORED: &str = "after_notification_stored";
/// A checkout's authorization is recorded; its order is not created yet.
pub const BEFORE_ORDER_CREATED: &str = "before_order_created";

fn points() -> &'static HashMap<String, f64> {
    static POINTS: OnceLock<HashMap<String, f64>> = OnceLock::new();
    POINTS.get_or_init(|| parse(&std::env::var(VARIABLE).unwrap_or_default()))
}

/// `name:probability` pairs separated by commas; a bad probability counts as 1.
fn parse(text: &str) -> HashMap<String, f64> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| match item.split_once(':') {
            Some((name, p)) => (name.trim().to_owned(), p.trim().parse().unwrap_or(1.0)),
            None => (item.to_owned(), 1.0),
        })
        .collect()
}

/// Aborts the process here when `KESSAI_FAILPOINTS` names `name` and the dice say so.
pub fn hit(name: &str) {
    let Some(&probability) = points().get(name) else {
        return;
    };
    if rand::thread_rng().gen_bool(probability.clamp(0.0, 1.0)) {
        eprintln!("kessai: failpoint {name}: aborting");
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_are_named_with_an_optional_probability() {
        let points = parse(" after_operation_row:0.25, before_order_created ,x:nonsense,,");

        assert_eq!(points.get("after_operation_row"), Some(&0.25));
        assert_eq!(points.get("before_order_created"), Some(&1.0));
        assert_eq!(points.get("x"), Some(&1.0));
        assert_eq!(points.len(), 3);
    }

    #[test]
    fn a_point_nobody_named_does_nothing() {
        hit("a_point_nobody_named");
    }
}
