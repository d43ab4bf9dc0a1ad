//! Which engine Trusted's CSV jobs run on.
//!
//! Polars is the default. It runs on the machine that runs the jobs, on any lake.
//! Athena goes past one machine, but only on the S3 lake and the Glue catalog. The
//! trusted stage and the jobs Lambda both read this choice, so it is named once, here.

use cinelake_lake::Store;

use crate::{AthenaError, Result};

#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// Polars, in this process, on any lake and catalog.
    #[default]
    Polars,
    /// Amazon Athena (`CREATE TABLE AS SELECT`), on an S3 lake with the Glue catalog.
    Athena,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Polars => "polars",
            Engine::Athena => "athena",
        }
    }
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Refuses a lake or catalog Athena cannot reach: it reads and writes S3 and knows only
/// the tables Glue holds, so a directory lake or the local catalog would leave it
/// reading nothing, or writing tables no local reader finds.
pub fn require_s3_and_glue(store: &Store, catalog_kind: &str) -> Result<()> {
    let on_s3 = matches!(store, Store::S3(_));
    if on_s3 && catalog_kind == "glue" {
        return Ok(());
    }
    Err(AthenaError::NeedsS3AndGlue {
        lake: store.url(),
        catalog: catalog_kind.to_string(),
    })
}
