//! What the admin's lists share: paging (the `pager` macro of `list_macros.html` renders a
//! [`Pager`]), date-range filters entered as Japanese calendar days, and the selection of
//! rows by checkbox.

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::Serialize;

use crate::clock::jst;
use crate::domain::input::Invalid;

/// `?page=` of a list (a number from 1; anything else means the first page).
#[derive(Debug, Default, serde::Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    pub page: String,
}

/// One page of a list: its number (from 1) and size.
#[derive(Clone, Copy, Debug)]
pub struct Page {
    pub number: i64,
    pub size: i64,
}

impl Page {
    /// The page a `page` query value asks for (the first one when it is not a number).
    pub fn parse(text: &str, size: i64) -> Self {
        let number = text.trim().parse::<i64>().unwrap_or(1).max(1);
        Self { number, size }
    }

    /// Rows to skip.
    pub fn offset(self) -> i64 {
        (self.number - 1).saturating_mul(self.size)
    }

    /// The pager of this page for `total` rows; `query` is the list's query string without
    /// the page, kept in every link so the filters survive paging.
    pub fn pager(self, total: i64, query: String) -> Pager {
        let pages = ((total + self.size - 1) / self.size).max(1);
        Pager {
            page: self.number,
            pages,
            total,
            prev: (self.number > 1).then(|| (self.number - 1).min(pages)),
            next: (self.number < pages).then_some(self.number + 1),
            query,
        }
    }
}

/// What the `pager` macro shows: 「N 件」 and first/prev/next/last links.
#[derive(Clone, Debug, Serialize)]
pub struct Pager {
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    pub prev: Option<i64>,
    pub next: Option<i64>,
    /// The list's query string without `page`.
    pub query: String,
}

/// The query string of a list's filter fields that are filled in, for its paging, export
/// and return links.
pub fn query_string(fields: &[(&str, &str)]) -> String {
    let filled: Vec<&(&str, &str)> = fields
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .collect();
    serde_urlencoded::to_string(filled).expect("strings encode")
}

/// A day entered in a date field (`YYYY-MM-DD`, or `YYYY/MM/DD`), as the instant it starts
/// in Japan; with `end` the instant the next day starts, so the range includes the day.
/// Empty means no bound.
pub fn jst_day(
    field: &str,
    label: &str,
    text: &str,
    end: bool,
) -> Result<Option<DateTime<Utc>>, Invalid> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let day = NaiveDate::parse_from_str(&text.replace('/', "-"), "%Y-%m-%d").map_err(|_| {
        Invalid::new(
            field,
            format!("{label}は「2025-01-31」の形式で入力してください"),
        )
    })?;
    let day = if end {
        day.checked_add_days(Days::new(1))
            .ok_or_else(|| Invalid::new(field, format!("{label}が正しくありません")))?
    } else {
        day
    };
    let start = day
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(jst()).single())
        .ok_or_else(|| Invalid::new(field, format!("{label}が正しくありません")))?;
    Ok(Some(start.with_timezone(&Utc)))
}

/// Checks a from/to pair of [`jst_day`] bounds: the end must not come before the start.
pub fn day_range(
    from: Result<Option<DateTime<Utc>>, Invalid>,
    to: Result<Option<DateTime<Utc>>, Invalid>,
    to_field: &str,
    errors: &mut Vec<Invalid>,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let from = from.map_err(|e| errors.push(e)).ok().flatten();
    let to = to.map_err(|e| errors.push(e)).ok().flatten();
    match (from, to) {
        (Some(f), Some(t)) if t <= f => {
            errors.push(Invalid::new(
                to_field,
                "期間の終了日は開始日以降の日付を入力してください",
            ));
            (Some(f), None)
        }
        bounds => bounds,
    }
}

/// The ids ticked in a form (every `field` value that is a number).
pub fn ticked(pairs: &[(String, String)], field: &str) -> Vec<i64> {
    pairs
        .iter()
        .filter(|(k, _)| k == field)
        .filter_map(|(_, v)| v.trim().parse().ok())
        .collect()
}

/// The first value of `field` in a form, or empty.
pub fn value<'a>(pairs: &'a [(String, String)], field: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == field)
        .map_or("", |(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_starts_at_midnight_in_japan() {
        let from = jst_day("from", "開始日", "2025-01-31", false)
            .unwrap()
            .unwrap();
        assert_eq!(from.to_rfc3339(), "2025-01-30T15:00:00+00:00");
        let to = jst_day("to", "終了日", "2025/01/31", true)
            .unwrap()
            .unwrap();
        assert_eq!(to.to_rfc3339(), "2025-01-31T15:00:00+00:00");
        assert_eq!(jst_day("from", "開始日", " ", false).unwrap(), None);
        assert_eq!(
            jst_day("from", "開始日", "31/01/2025", false)
                .unwrap_err()
                .field,
            "from"
        );
    }

    #[test]
    fn pages_link_back_and_forth_within_the_total() {
        let pager = Page::parse("2", 50).pager(120, "q=1".into());
        assert_eq!((pager.pages, pager.prev, pager.next), (3, Some(1), Some(3)));
        let last = Page::parse("x", 50).pager(0, String::new());
        assert_eq!(
            (last.page, last.pages, last.prev, last.next),
            (1, 1, None, None)
        );
        assert_eq!(Page::parse("3", 20).offset(), 40);
    }
}
