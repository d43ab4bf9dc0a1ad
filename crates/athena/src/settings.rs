//! Which workgroup and results location Athena runs in, from flags or the environment.

use crate::AthenaConfig;

#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct AthenaSettings {
    /// Athena workgroup.
    #[arg(long, env = "CINELAKE_ATHENA_WORKGROUP", default_value = "primary")]
    pub workgroup: String,
    /// Where Athena writes results (s3://bucket/prefix/), unless the workgroup sets it.
    #[arg(long, env = "CINELAKE_ATHENA_OUTPUT")]
    pub athena_output: Option<String>,
}

impl Default for AthenaSettings {
    fn default() -> Self {
        AthenaSettings {
            workgroup: "primary".into(),
            athena_output: None,
        }
    }
}

impl AthenaSettings {
    /// The client configuration for statements run in `database`.
    pub fn config(&self, database: &str) -> AthenaConfig {
        AthenaConfig {
            workgroup: self.workgroup.clone(),
            output_location: self.athena_output.clone(),
            database: database.to_string(),
        }
    }
}
