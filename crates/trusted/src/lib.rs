//! Stage 3, trusted: Raw to typed Parquet.
//!
//! [`csv_job`] turns the newest Raw `movies.csv` and `series.csv` into
//! `Trusted/Local/Parquet/{Movies,Series}/`, every row kept (one per title and artist);
//! [`tmdb_job`] turns each `Raw/TMDB/JSON/YYYY/MM/DD/` folder into the partition
//! `Trusted/TMDB/Parquet/Movies/dt=YYYY-MM-DD/`. Rows that cannot be read go to
//! `Trusted/_rejected/<table>/` with their source, line or position, and reason
//! ([`rejects`]); too many of them fail the job and keep the previous Trusted data.

pub mod cli;
pub mod csv_job;
mod csv_rows;
mod lines;
pub mod mapping;
pub mod rejects;
pub mod tmdb_job;

use cinelake_catalog::Databases;

pub const STAGE: &str = "trusted";

#[derive(Debug, thiserror::Error)]
pub enum TrustedError {
    #[error(transparent)]
    Lake(#[from] cinelake_lake::Error),
    #[error(transparent)]
    Frames(#[from] cinelake_frames::FramesError),
    #[error(transparent)]
    Catalog(#[from] cinelake_catalog::CatalogError),
    #[error("no {what} in {lake}: {hint}")]
    NoSource {
        what: String,
        lake: String,
        hint: String,
    },
    #[error("{key}: not a {kind} file: the header is {found:?}")]
    WrongHeader {
        key: String,
        kind: String,
        found: String,
    },
    #[error(
        "{table}: {rejected} of {total} rows rejected ({share:.2}%), above the {threshold:.2}% allowed; \
         the previous Trusted data is kept. Reasons are in {rejects_key}; first: {first}"
    )]
    TooManyRejected {
        table: String,
        rejected: u64,
        total: u64,
        share: f64,
        threshold: f64,
        rejects_key: String,
        first: String,
    },
    #[error("{table}: {rows_in} rows in, but {rows_out} written and {rejected} rejected")]
    CountMismatch {
        table: String,
        rows_in: u64,
        rows_out: u64,
        rejected: u64,
    },
}

/// Settings the jobs share.
#[derive(Debug, Clone)]
pub struct JobOptions {
    pub run_id: String,
    pub databases: Databases,
    /// Largest share of rejected rows (0 to 1) a table may have and still be published.
    pub max_rejected_share: f64,
    /// CSV rows typed at a time ([`csv_job::CHUNK_ROWS`] unless testing the seams).
    pub chunk_rows: usize,
    /// TMDB records parsed at a time ([`tmdb_job::JSON_CHUNK_RECORDS`] unless testing).
    pub json_chunk_records: usize,
}

/// What one table's job did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TableReport {
    pub table: String,
    pub source: Vec<String>,
    pub rows_in: u64,
    pub rows_out: u64,
    pub rejected: u64,
    pub location: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejects_key: Option<String>,
}
