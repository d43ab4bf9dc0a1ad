//! Options every stage shares, from flags or the environment (see `.env.example`).

use crate::layout::ProcessingDate;

/// Where the lake is and which processing date a run files under.
#[derive(Debug, Clone, clap::Args)]
pub struct LakeArgs {
    /// The lake: a directory, or s3://bucket[/prefix]. S3-compatible servers are reached
    /// through AWS_ENDPOINT_URL.
    #[arg(long, env = "CINELAKE_LAKE", default_value = "./lake")]
    pub lake: String,

    /// Processing date (UTC) to file outputs under, for reruns; default today.
    #[arg(long, env = "CINELAKE_DATE", value_parser = parse_date)]
    pub date: Option<ProcessingDate>,
}

impl LakeArgs {
    pub fn processing_date(&self) -> ProcessingDate {
        ProcessingDate::or_today(self.date)
    }
}

fn parse_date(s: &str) -> Result<ProcessingDate, String> {
    s.parse().map_err(|e: crate::Error| e.to_string())
}
