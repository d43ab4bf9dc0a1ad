//! Finding things in the Raw zone.

use crate::layout::{self, ProcessingDate};
use crate::source::CsvKind;
use crate::{Result, Store};

/// The Raw key of a source file: the one of `date` if given (and present), else the
/// newest upload. `None` when there is none.
pub async fn latest_csv(
    store: &Store,
    kind: CsvKind,
    date: Option<ProcessingDate>,
) -> Result<Option<String>> {
    if let Some(d) = date {
        let key = layout::raw_csv_key(kind, d);
        return Ok(store.head(&key).await?.map(|_| key));
    }
    Ok(store
        .list(&layout::raw_csv_prefix(kind))
        .await?
        .into_iter()
        .filter_map(|o| layout::parse_raw_csv_key(kind, &o.key).map(|d| (d, o.key)))
        .max()
        .map(|(_, key)| key))
}

/// How old the newest Raw CSV may be before the runs and the dashboards warn. The
/// pipeline runs monthly: 90 days is three runs in a row without newer IMDb files.
pub const CSV_STALE_AFTER_DAYS: i64 = 90;

/// The warning for a Raw CSV (a key built by [`layout::raw_csv_key`]) older than
/// [`CSV_STALE_AFTER_DAYS`] on `today`, or `None` when it is fresh enough or not such a
/// key. The ingestion and trusted runs log it; the dashboards say the same.
pub fn stale_csv_warning(kind: CsvKind, key: &str, today: chrono::NaiveDate) -> Option<String> {
    let date = layout::parse_raw_csv_key(kind, key)?.date();
    let age = (today - date).num_days();
    (age > CSV_STALE_AFTER_DAYS).then(|| {
        format!(
            "the IMDb files are {age} days old ({key}), older than {CSV_STALE_AFTER_DAYS} days: \
             the figures are built from stale files; upload newer ones"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_raw_csv_is_stale_past_the_stated_age() {
        let key = layout::raw_csv_key(CsvKind::Movies, ProcessingDate::new(day("2026-01-01")));
        // 2026-04-01 is 90 days on: not yet stale; a day later it is.
        assert_eq!(
            stale_csv_warning(CsvKind::Movies, &key, day("2026-04-01")),
            None
        );
        let warning = stale_csv_warning(CsvKind::Movies, &key, day("2026-04-02")).unwrap();
        assert!(warning.contains("91 days old"), "{warning}");
        assert!(warning.contains(&key), "{warning}");
        assert!(warning.contains("older than 90 days"), "{warning}");
        // Not a Raw CSV key of that kind: nothing to say.
        assert_eq!(
            stale_csv_warning(CsvKind::Series, &key, day("2030-01-01")),
            None
        );
    }
}
