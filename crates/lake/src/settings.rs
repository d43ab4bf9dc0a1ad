//! Where the lake is and which date a run files under.
//!
//! Both come from flags or the environment (see `.env.example`). Every stage takes
//! these settings.

use crate::layout::ProcessingDate;

/// Where the lake is and which processing date a run files under.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct LakeSettings {
    /// The lake: a directory, or s3://bucket[/prefix]. S3-compatible servers are reached
    /// through AWS_ENDPOINT_URL.
    #[arg(long, env = "CINELAKE_LAKE", default_value = "./lake")]
    pub lake: String,

    /// Processing date (UTC) to file outputs under, for reruns; default today.
    #[arg(long, env = "CINELAKE_DATE")]
    pub date: Option<ProcessingDate>,
}

impl LakeSettings {
    /// The lake at `url`, filing under today's date.
    pub fn at(url: &str) -> Self {
        LakeSettings {
            lake: url.to_string(),
            date: None,
        }
    }

    pub fn processing_date(&self) -> ProcessingDate {
        ProcessingDate::or_today(self.date)
    }

    /// Opens the store, naming the lake if it cannot be opened.
    pub async fn open(&self) -> crate::Result<crate::Store> {
        crate::Store::open(&self.lake).await
    }
}
