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
    /// Seconds a statement may run before it is stopped (keep it under the Lambda's
    /// 900 s, which waits for it).
    #[arg(long, env = "CINELAKE_ATHENA_TIMEOUT_SECS", default_value_t = DEFAULT_TIMEOUT_SECS)]
    pub athena_timeout_secs: u64,
}

/// Ten minutes: well inside the jobs Lambda's fifteen.
pub const DEFAULT_TIMEOUT_SECS: u64 = 600;

impl Default for AthenaSettings {
    fn default() -> Self {
        AthenaSettings {
            workgroup: "primary".into(),
            athena_output: None,
            athena_timeout_secs: DEFAULT_TIMEOUT_SECS,
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
            timeout: std::time::Duration::from_secs(self.athena_timeout_secs),
        }
    }
}
