//! This crate runs SQL on the lake.
//!
//! [`engine`] runs SQL locally with Polars SQL over every table the catalog lists.
//! [`views`] are the dashboards' views, kept in `sql/views/` as one SELECT each. They
//! are written so the same text runs on Athena (`cinelake-athena`) and on the local
//! engine. [`dashboard`] writes the local dashboard from them.

pub mod cli;
pub mod create_views;
pub mod dashboard;
pub mod engine;
pub mod json;
pub mod sources;
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
    #[error(
        "SQL: {context}: there is no table or view {name}. There are: {known}. \
         (Athena's names <prefix>_refined.<table> and <prefix>_trusted.<table> work too.)"
    )]
    UnknownTable {
        context: String,
        name: String,
        known: String,
    },
    #[error(transparent)]
    Athena(#[from] cinelake_athena::AthenaError),
    #[error(transparent)]
    Lake(#[from] cinelake_lake::Error),
    #[error("writing {path}: {source}")]
    Write {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "lake {lake} has no refined tables in catalog database {database}: run `cinelake refined` first"
    )]
    NoStarSchema { lake: String, database: String },
    #[error(
        "views in the Glue catalog ({database}) are Athena's: create them with `cinelake views --engine athena` \
         (the local engine would write plain SQL, which Athena cannot read)"
    )]
    LocalViewsInGlue { database: String },
}
