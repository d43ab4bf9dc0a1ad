//! The rules of the analysis that more than one stage applies, kept below the stages so
//! that neither imports the other: ingestion fetches the films of interest
//! ([`interest`]), and the later stages decide with the same rule and settings.

pub mod interest;

pub use interest::{Selected, Selection, SelectionSettings, select};

#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("reading {what}: {detail}")]
    Unreadable { what: String, detail: String },
}
