//! SQL on the lake.
//!
//! [`engine`] runs SQL locally with Polars SQL over every table the catalog lists;
//! [`views`] are the dashboards' views, kept in `sql/views/` as one SELECT each, written
//! so the same text runs on Athena ([`athena`]) and on the local engine.

pub mod athena;
pub mod cli;
pub mod dashboard;
pub mod engine;
pub mod json;
pub mod views;

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error(transparent)]
    Frames(#[from] cinelake_frames::FramesError),
    #[error(transparent)]
    Catalog(#[from] cinelake_catalog::CatalogError),
    #[error("SQL: {context}: {source}")]
    Sql {
        context: String,
        #[source]
        source: polars::error::PolarsError,
    },
    #[error("Athena {op}: {message}")]
    Athena { op: &'static str, message: String },
}
