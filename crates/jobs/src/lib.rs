//! The transform jobs behind one entry point, for the Lambda (and the Step Functions
//! state machine that orders them): `{"job": "trusted"}`, `{"job": "refined"}`,
//! `{"job": "views"}`. Each job reads its configuration from the environment, exactly
//! as the CLI does (`.env.example`), so the Lambda and `cinelake` cannot drift apart.

use clap::{Args, Parser};
use serde::Deserialize;
use serde_json::{Value, json};

use cinelake_query::cli::{EngineKind, ViewsArgs};
use cinelake_refined::cli::RefinedArgs;
use cinelake_trusted::cli::TrustedArgs;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Job {
    Trusted,
    Refined,
    Views,
}

/// The invocation's event; unknown fields (a Step Functions envelope) are ignored.
#[derive(Debug, Clone, Deserialize)]
pub struct JobEvent {
    pub job: Job,
    /// Processing date (YYYY-MM-DD) the run's manifest is filed under; default today.
    #[serde(default)]
    pub date: Option<String>,
}

#[derive(Parser)]
#[command(no_binary_name = true)]
struct FromEnv<T: Args> {
    #[command(flatten)]
    args: T,
}

/// Options of type `T` from the environment and the given flags.
pub fn env_args<T: Args>(flags: &[String]) -> anyhow::Result<T> {
    Ok(FromEnv::<T>::try_parse_from(flags)?.args)
}

/// Runs one job and returns its report as JSON. (The jobs' futures are boxed: nested,
/// they are too deep for the compiler's layout computation.)
pub async fn run(event: &JobEvent) -> anyhow::Result<Value> {
    let mut flags = Vec::new();
    if let Some(d) = &event.date {
        flags.extend(["--date".to_string(), d.clone()]);
    }
    Ok(match event.job {
        Job::Trusted => {
            let args: TrustedArgs = env_args(&flags)?;
            let reports = Box::pin(cinelake_trusted::cli::execute(&args)).await?;
            json!({"job": "trusted", "tables": reports})
        }
        Job::Refined => {
            let args: RefinedArgs = env_args(&flags)?;
            let reports = Box::pin(cinelake_refined::cli::execute(&args)).await?;
            json!({"job": "refined", "tables": reports})
        }
        Job::Views => {
            let mut args: ViewsArgs = env_args(&[])?;
            // Views live where the tables are: Athena over Glue, or the local catalog.
            args.target.engine = if args.target.catalog.catalog == "glue" {
                EngineKind::Athena
            } else {
                EngineKind::Local
            };
            let views = Box::pin(cinelake_query::cli::views(&args)).await?;
            json!({"job": "views", "views": views})
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_name_the_job_and_ignore_the_envelope() {
        let e: JobEvent =
            serde_json::from_str(r#"{"job":"refined","Execution":{"Id":"x"}}"#).unwrap();
        assert_eq!(e.job, Job::Refined);
        assert_eq!(e.date, None);
        let bad = serde_json::from_str::<JobEvent>(r#"{"job":"gold"}"#).unwrap_err();
        assert!(bad.to_string().contains("gold"), "{bad}");
    }

    #[test]
    fn flags_reach_the_stage_options() {
        let args: TrustedArgs = env_args(&[
            "--date".into(),
            "2026-11-01".into(),
            "--lake".into(),
            "s3://b".into(),
        ])
        .unwrap();
        assert_eq!(args.lake.lake, "s3://b");
        assert_eq!(args.lake.processing_date().to_string(), "2026-11-01");
        assert!(env_args::<TrustedArgs>(&["--date".into(), "1st May".into()]).is_err());
    }
}
