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
