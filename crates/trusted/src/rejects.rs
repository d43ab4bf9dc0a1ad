//! The quarantine, which keeps the rows a job refused and notes on values read as null.
//!
//! It is one JSON object a line, at `Trusted/_rejected/<table>/<run id>.jsonl`.

use bytes::Bytes;
use cinelake_lake::Store;
use cinelake_lake::layout;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Rejected {
    /// The Raw object the row came from.
    pub source: String,
    /// 1-based line in a CSV file (the header is line 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// 0-based position of a record in a JSON array; absent when the whole file is refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<u64>,
    pub reason: String,
    /// The row or record as it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
    /// A note, not a refusal: the record was published, with the value the reason names
    /// read as null.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub kept: bool,
}

/// Stores the rejects of one table's run; `None` when there are none.
pub async fn store_rejects(
    store: &Store,
    table: &str,
    run_id: &str,
    rows: &[Rejected],
) -> cinelake_lake::Result<Option<String>> {
    if rows.is_empty() {
        return Ok(None);
    }
    let mut body = String::new();
    for r in rows {
        // Serialising these plain fields cannot fail.
        body.push_str(&serde_json::to_string(r).unwrap_or_default());
        body.push('\n');
    }
    let key = format!("{}{run_id}.jsonl", layout::rejected_prefix(table));
    store.put(&key, Bytes::from(body)).await?;
    Ok(Some(key))
}
