//! Polars on the lake.
//!
//! [`parquet`] writes frames as Parquet that Athena reads (plain UTF-8 strings, date32,
//! int64 money, float64 ratings); [`types`] maps their types to Glue's, refusing the ones
//! Athena would misread; [`table`] publishes a table atomically (a new version under its
//! own prefix, then the catalog switched to it) and reads one back through the catalog.

pub mod parallel;
pub mod parquet;
pub mod table;
pub mod types;

#[derive(Debug, thiserror::Error)]
pub enum FramesError {
    #[error(transparent)]
    Lake(#[from] cinelake_lake::Error),
    #[error(transparent)]
    Catalog(#[from] cinelake_catalog::CatalogError),
    #[error("{context}: {source}")]
    Polars {
        context: String,
        #[source]
        source: polars::error::PolarsError,
    },
    #[error("column {column}: type {dtype} has no faithful Athena type ({why})")]
    UnsupportedType {
        column: String,
        dtype: String,
        why: &'static str,
    },
    #[error("table {0} is not in the catalog")]
    NoTable(String),
    #[error("{location} is outside the lake {lake}")]
    ForeignLocation { location: String, lake: String },
}

pub type Result<T, E = FramesError> = std::result::Result<T, E>;

/// Attaches what was being done to a Polars error.
pub trait PolarsContext<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> PolarsContext<T> for polars::error::PolarsResult<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| FramesError::Polars {
            context: what(),
            source,
        })
    }
}
