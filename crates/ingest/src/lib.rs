//! Stage 2, tmdb-ingest: fetches TMDB details for the films of interest into
//! `Raw/TMDB/JSON/YYYY/MM/DD/<run>-<seq>.json`, each record exactly as TMDB returned it.
//!
//! Resumable by design: the checkpoint ([`state`]) is updated after every stored file, a
//! run stops cleanly before a deadline (the Lambda's), and the next run continues where
//! it stopped. A lease ([`lease`]) keeps two runs from working at once.

pub mod cli;
pub mod lambda;
pub mod lease;
pub mod run;
pub mod select;
pub mod state;

pub use run::{IngestOptions, Stop, Summary, ingest};
pub use select::Selection;

pub const STAGE: &str = "tmdb-ingest";

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Lake(#[from] cinelake_lake::Error),

    #[error("TMDB: {0}")]
    Tmdb(#[from] cinelake_tmdb::TmdbError),

    #[error("no movies.csv to select films from in {lake}: {detail}")]
    NoSource { lake: String, detail: String },

    #[error("reading the Raw movies file: {detail}")]
    BadSource { detail: String },

    #[error("ingestion state {key} is unreadable: {detail}")]
    BadState { key: String, detail: String },

    #[error("the lease was taken over by run {holder}; stopping without writing more")]
    LeaseLost { holder: String },
}
