//! The one source of "now". In production it is the system clock; where the test clock is
//! enabled (tests, demos, sandboxes) it can be moved forward so deadlines, authorization
//! expiry and recurring due dates can be exercised without waiting.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, FixedOffset, Utc};

/// Shared clock; cloning shares the offset.
#[derive(Clone, Debug)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
    movable: bool,
}

/// Asked to move a clock that is not a test clock.
#[derive(Debug, thiserror::Error)]
#[error("the clock can only be moved when the test clock is enabled")]
pub struct ClockNotMovable;

impl Clock {
    /// The system clock, which cannot be moved.
    pub fn system() -> Self {
        Self {
            offset_ms: Arc::new(AtomicI64::new(0)),
            movable: false,
        }
    }

    /// A clock that starts at system time and can be moved forward.
    pub fn test() -> Self {
        Self {
            offset_ms: Arc::new(AtomicI64::new(0)),
            movable: true,
        }
    }

    /// Current time in UTC.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// This year in Japan.
    pub fn year_in_japan(&self) -> i32 {
        use chrono::Datelike as _;
        self.now().with_timezone(&jst()).year()
    }

    /// Today's date in Japan.
    pub fn today_in_japan(&self) -> chrono::NaiveDate {
        self.now().with_timezone(&jst()).date_naive()
    }

    /// Whether [`Clock::advance`] is allowed.
    pub fn is_movable(&self) -> bool {
        self.movable
    }

    /// Moves the clock forward by `by` (never backward: a negative duration is ignored).
    pub fn advance(&self, by: Duration) -> Result<DateTime<Utc>, ClockNotMovable> {
        if !self.movable {
            return Err(ClockNotMovable);
        }
        self.offset_ms
            .fetch_add(by.num_milliseconds().max(0), Ordering::Relaxed);
        Ok(self.now())
    }
}

/// Japan Standard Time (UTC+9, no daylight saving), in which times are shown.
pub fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("+09:00 is a valid offset")
}

/// Formats a UTC instant for operators, in Asia/Tokyo (`2026/11/23 18:04`).
pub fn format_jst(t: DateTime<Utc>) -> String {
    t.with_timezone(&jst()).format("%Y/%m/%d %H:%M").to_string()
}

/// A date as the storefront shows it: `2025年1月12日(日)`.
pub fn format_date_ja(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    const WEEKDAYS: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];
    format!(
        "{}年{}月{}日({})",
        d.year(),
        d.month(),
        d.day(),
        WEEKDAYS[d.weekday().num_days_from_monday() as usize]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_shown_with_the_japanese_weekday() {
        let d = chrono::NaiveDate::from_ymd_opt(2025, 1, 12).unwrap();
        assert_eq!(format_date_ja(d), "2025年1月12日(日)");
    }

    #[test]
    fn system_clock_refuses_to_move() {
        assert!(Clock::system().advance(Duration::days(1)).is_err());
    }

    #[test]
    fn test_clock_moves_forward_and_clones_share_it() {
        let clock = Clock::test();
        let other = clock.clone();
        let before = clock.now();
        clock.advance(Duration::days(60)).unwrap();
        assert!(other.now() - before >= Duration::days(60));
    }

    #[test]
    fn times_are_shown_in_tokyo() {
        let t = DateTime::parse_from_rfc3339("2026-11-23T15:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(format_jst(t), "2026/11/24 00:30");
    }
}
