//! Which workgroup and results location Athena runs in, from flags or the environment.
//! The Athena engine of trusted and refined may run in a workgroup of its own
//! ([`AthenaEngineSettings`]); the views and `cinelake query` run in the ordinary one.

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

/// Where the Athena engine's statements run (`trusted --engine athena`): the ordinary settings, in a workgroup of the engine's own when one
/// is given. Its `CREATE TABLE AS SELECT` names an `external_location`, which Athena
/// refuses in a workgroup that enforces its configuration
/// (<https://docs.aws.amazon.com/athena/latest/ug/ctas-considerations-limitations.html>),
/// while the analysts' workgroup is best kept enforcing (its result location and scan
/// limit); the stack gives the engine one that does not enforce.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct AthenaEngineSettings {
    #[command(flatten)]
    pub athena: AthenaSettings,
    /// Athena workgroup of the engine's statements (one that does not enforce its
    /// configuration); the --workgroup when unset.
    #[arg(long, env = "CINELAKE_ATHENA_ENGINE_WORKGROUP")]
    pub engine_workgroup: Option<String>,
}

impl AthenaEngineSettings {
    /// The workgroup the engine's statements run in.
    pub fn workgroup(&self) -> &str {
        self.engine_workgroup
            .as_deref()
            .unwrap_or(&self.athena.workgroup)
    }

    /// The client configuration for the engine's statements run in `database`.
    pub fn config(&self, database: &str) -> AthenaConfig {
        AthenaConfig {
            workgroup: self.workgroup().to_string(),
            ..self.athena.config(database)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        engine: AthenaEngineSettings,
    }

    #[test]
    fn the_engine_runs_in_its_own_workgroup_or_else_the_ordinary_one() {
        let cli = Cli::try_parse_from(["x", "--workgroup", "analysts"]).unwrap();
        assert_eq!(cli.engine.config("db").workgroup, "analysts");
        let cli = Cli::try_parse_from([
            "x",
            "--workgroup",
            "analysts",
            "--engine-workgroup",
            "engine",
            "--athena-output",
            "s3://b/r/",
        ])
        .unwrap();
        let config = cli.engine.config("db");
        assert_eq!(config.workgroup, "engine");
        assert_eq!(config.database, "db");
        assert_eq!(config.output_location.as_deref(), Some("s3://b/r/"));
        // The ordinary settings are untouched: the views still go to the analysts' one.
        assert_eq!(cli.engine.athena.config("db").workgroup, "analysts");
    }
}
