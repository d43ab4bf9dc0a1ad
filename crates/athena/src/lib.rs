//! Amazon Athena, for the stages that run SQL there.
//!
//! The query stage creates the dashboards' views in Athena and runs analysts' SQL.
//! Any stage that needs SQL at a scale past one machine runs it here too. The crate
//! has one client and one error type. The error keeps the SDK's error as its source.

mod client;
mod ctas;
mod engine;
mod settings;
pub mod sql;

pub use client::{
    Athena, AthenaConfig, Created, Deadline, ResultRows, RowsFrom, STAND_IN_ENV, Written,
};
pub use engine::{Engine, require_s3_and_glue};
pub use settings::{AthenaEngineSettings, AthenaSettings};

use cinelake_lake::error::chain;

type SdkError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum AthenaError {
    /// A call to Athena failed; the SDK's error (with its service message) is the source.
    #[error("Athena {op}: {}", chain(source.as_ref()))]
    Call {
        op: &'static str,
        #[source]
        source: SdkError,
    },
    #[error("Athena query {id} {state}: {reason}")]
    Failed {
        id: String,
        state: String,
        reason: String,
    },
    #[error("Athena query {id} did not finish in {waited_secs} s ({limit}), {stopped}")]
    Timeout {
        id: String,
        waited_secs: u64,
        /// What limited it: its own timeout, or the job's deadline.
        limit: String,
        /// `stopped`, or why it could not be.
        stopped: String,
    },
    /// The job's deadline left no time for another statement, which was not started.
    #[error("the job's deadline left no time to start `{statement} ...` on Athena")]
    NoTimeLeft { statement: String },
    #[error("{file}: {detail}")]
    Template { file: String, detail: String },
    /// Athena registered the table of a `CREATE TABLE AS SELECT` with other columns than
    /// the Polars path registers: the SQL and the Polars code disagree.
    #[error(
        "{table}: Athena wrote other columns than the Polars path writes ({}); nothing was switched to it, the previous version is kept",
        differences.join("; ")
    )]
    Columns {
        table: String,
        differences: Vec<String>,
    },
    /// Athena said a `CREATE TABLE AS SELECT` succeeded, and Glue does not hold its
    /// table: something other than the statement went wrong (a catalog, or permissions).
    #[error(
        "{table}: Athena's CREATE TABLE AS SELECT succeeded, and the catalog does not hold the table"
    )]
    NotRegistered { table: String },
    #[error(transparent)]
    Catalog(#[from] cinelake_catalog::CatalogError),
    /// A query's rows were not what its caller reads (a column missing, a count not a
    /// number).
    #[error("Athena query {id}: {detail}")]
    Unexpected { id: String, detail: String },
    #[error(
        "the Athena engine needs an S3 lake and the Glue catalog, and this run has lake {lake} \
         and catalog {catalog}: Athena reads and writes S3 and knows only Glue's tables. \
         Use --engine polars here, or --lake s3://... --catalog glue"
    )]
    NeedsS3AndGlue { lake: String, catalog: String },
}

pub type Result<T, E = AthenaError> = std::result::Result<T, E>;

/// Wraps a failed SDK call, keeping the SDK's error as the source.
fn call<E>(op: &'static str) -> impl FnOnce(E) -> AthenaError
where
    E: std::error::Error + Send + Sync + 'static,
{
    move |e| AthenaError::Call {
        op,
        source: Box::new(e),
    }
}
