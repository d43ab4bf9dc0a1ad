//! Stage 2, tmdb-ingest, which fetches TMDB details for the films of interest.
//!
//! The details go to `Raw/TMDB/JSON/YYYY/MM/DD/<run>-<seq>.json`, each record exactly as
//! TMDB returned it.
//!
//! The stage is resumable by design. The checkpoint ([`state`]) is updated after every
//! stored file. A run stops cleanly before a deadline, such as the Lambda's. The next
//! run continues where it stopped. A lease (`cinelake_lake::lease`, under
//! `Raw/TMDB/_state/lease/`) keeps two runs from working at once.
//!
//! Each run also refreshes what it fetched before the current period. It asks TMDB
//! again about ids it did not know ([`refresh`]).

pub mod cli;
pub mod lambda;
pub mod refresh;
pub mod run;
pub mod selection;
pub mod settings;
pub mod state;

pub use cinelake_rules::Selection;
pub use refresh::{Period, RefreshPolicy};
pub use run::{IngestOptions, Stop, Summary, ingest};
pub use settings::{IngestSettings, TmdbSettings, resolve_credentials};

pub const STAGE: &str = "tmdb-ingest";

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Lake(#[from] cinelake_lake::Error),

    #[error("TMDB: {0}")]
    Tmdb(#[from] cinelake_tmdb::TmdbError),

    #[error("no movies.csv to select films from in {lake}: {detail}")]
    NoSource { lake: String, detail: String },

    #[error(transparent)]
    Rules(#[from] cinelake_rules::RulesError),

    #[error("reading SSM parameter {parameter}: {}", cinelake_lake::error::chain(source.as_ref()))]
    Ssm {
        parameter: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    #[error("SSM parameter {parameter} is empty")]
    EmptySecret { parameter: String },

    #[error("ingestion state {key} is unreadable: {detail}")]
    BadState { key: String, detail: String },
}
