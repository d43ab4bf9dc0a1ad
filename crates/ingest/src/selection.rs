//! Which Raw movies.csv the films of interest are selected from.
//!
//! The rule itself is `cinelake_rules::interest`, shared with the later stages.

use cinelake_lake::Store;
use cinelake_lake::layout::{self, ProcessingDate};
use cinelake_lake::source::CsvKind;

use crate::IngestError;

/// The newest `Raw/Local/CSV/Movies/YYYY/MM/DD/movies.csv`, or the one of `date`.
pub async fn latest_movies_key(
    store: &Store,
    date: Option<ProcessingDate>,
) -> Result<String, IngestError> {
    let key = cinelake_lake::raw::latest_csv(store, CsvKind::Movies, date)
        .await?
        .ok_or_else(|| IngestError::NoSource {
            lake: store.url(),
            detail: match date {
                Some(d) => format!("{} does not exist", layout::raw_csv_key(CsvKind::Movies, d)),
                None => format!(
                    "no movies.csv under {}; run the upload stage first",
                    layout::raw_csv_prefix(CsvKind::Movies)
                ),
            },
        })?;
    let today = chrono::Utc::now().date_naive();
    if let Some(warning) = cinelake_lake::raw::stale_csv_warning(CsvKind::Movies, &key, today) {
        tracing::warn!("{warning}");
    }
    Ok(key)
}
