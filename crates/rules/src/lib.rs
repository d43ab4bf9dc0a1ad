//! The rules of the analysis that more than one stage applies. They are kept below the
//! stages, so that neither imports the other. Ingestion fetches the films of interest
//! ([`interest`]). The later stages decide with the same rule and settings.

pub mod interest;
pub mod money;

pub use interest::{CENTURY_FROM, Selected, Selection, SelectionSettings, Selector, select};
pub use money::{MONEY_FLOOR_USD, MoneySettings};

#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("reading {what}: {detail}")]
    Unreadable { what: String, detail: String },
}
