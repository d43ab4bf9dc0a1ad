//! Which workgroup and results location Athena runs in, from flags or the environment.
//!
//! The Athena engine of trusted and refined may run in a workgroup of its own, set by
//! [`AthenaEngineSettings`]. The views and `cinelake query` run in the ordinary one.

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
            deadline: None,
        }
    }
}

/// Where the Athena engine's statements run (`trusted --engine athena`): the ordinary settings, in a workgroup of the engine's own when one
/// is given. Its `CREATE TABLE AS SELECT` names an `external_location`, which Athena
/// refuses in a workgroup that enforces its configuration
/// (<https://docs.aws.amazon.com/athena/latest/ug/ctas-considerations-limitations.html>),
/// while the analysts' workgroup is best kept enforcing (its result location and scan
/// limit); the stack gives the engine one that does not enforce.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct AthenaEngineSettings {
    #[command(flatten)]
    pub athena: AthenaSettings,
    /// Athena workgroup of the engine's statements (one that does not enforce its
    /// configuration); the --workgroup when unset.
    #[arg(long, env = "CINELAKE_ATHENA_ENGINE_WORKGROUP")]
    pub engine_workgroup: Option<String>,
    /// Seconds the engine's whole job may take, every statement included: each one gets
    /// at most the time left less --athena-cleanup-secs, and is stopped when that runs
    /// out. Unset, only each statement's timeout bounds it (the jobs Lambda also bounds
    /// it by its own deadline).
    #[arg(long, env = "CINELAKE_ATHENA_DEADLINE_SECS")]
    pub deadline_secs: Option<u64>,
    /// Seconds kept at the end of the job's time for dropping its temporary tables.
    #[arg(long, env = "CINELAKE_ATHENA_CLEANUP_SECS", default_value_t = DEFAULT_CLEANUP_SECS)]
    pub cleanup_secs: u64,
}

/// Enough for a few DROP TABLE statements, which Athena runs in seconds.
pub const DEFAULT_CLEANUP_SECS: u64 = 30;

impl Default for AthenaEngineSettings {
    fn default() -> Self {
        AthenaEngineSettings {
            athena: AthenaSettings::default(),
            engine_workgroup: None,
            deadline_secs: None,
            cleanup_secs: DEFAULT_CLEANUP_SECS,
        }
    }
}

impl AthenaEngineSettings {
    /// The workgroup the engine's statements run in.
    pub fn workgroup(&self) -> &str {
        self.engine_workgroup
            .as_deref()
            .unwrap_or(&self.athena.workgroup)
    }

    /// The client configuration for the engine's statements run in `database`, for a
    /// job that starts now and must end by `until` too when given (the Lambda's
    /// deadline): the earlier of that and --deadline-secs from now.
    pub fn config(&self, database: &str, until: Option<std::time::Instant>) -> AthenaConfig {
        let own = self
            .deadline_secs
            .map(|s| std::time::Instant::now() + std::time::Duration::from_secs(s));
        let at = match (own, until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        AthenaConfig {
            workgroup: self.workgroup().to_string(),
            deadline: at.map(|at| crate::Deadline {
                at,
                cleanup: std::time::Duration::from_secs(self.cleanup_secs),
            }),
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
        assert_eq!(cli.engine.config("db", None).workgroup, "analysts");
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
        let config = cli.engine.config("db", None);
        assert_eq!(config.workgroup, "engine");
        assert_eq!(config.database, "db");
        assert_eq!(config.output_location.as_deref(), Some("s3://b/r/"));
        // No deadline unless one is asked for.
        assert_eq!(config.deadline, None);
        // The job ends by the earlier of --deadline-secs from now and the Lambda's.
        let timed =
            Cli::try_parse_from(["x", "--deadline-secs", "60", "--cleanup-secs", "5"]).unwrap();
        let now = std::time::Instant::now();
        let soon = now + std::time::Duration::from_secs(10);
        let d = timed.engine.config("db", Some(soon)).deadline.unwrap();
        assert_eq!((d.at, d.cleanup), (soon, std::time::Duration::from_secs(5)));
        let later = now + std::time::Duration::from_secs(3600);
        let d = timed.engine.config("db", Some(later)).deadline.unwrap();
        assert!(
            d.at < now + std::time::Duration::from_secs(61) && d.at > now,
            "{d:?}"
        );
        // The ordinary settings are untouched: the views still go to the analysts' one.
        assert_eq!(cli.engine.athena.config("db").workgroup, "analysts");
    }
}
