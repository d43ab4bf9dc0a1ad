//! `cinelake-ingest-lambda`: stage 2 as an AWS Lambda (provided.al2023, arm64), built with
//! `cargo lambda build --release --arm64`. Configuration comes from the environment
//! (`.env.example`); the event may override date, limits and filters.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use cinelake_ingest::cli::{IngestArgs, resolve_credentials};
use cinelake_ingest::lambda::{Handler, IngestEvent};
use cinelake_lake::Store;
use cinelake_lake::telemetry::{self, LogFormat};
use clap::Parser;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[derive(Parser)]
struct Env {
    #[command(flatten)]
    args: IngestArgs,
    /// Seconds kept free before the invocation deadline.
    #[arg(long, env = "CINELAKE_LAMBDA_MARGIN_SECS", default_value_t = 45)]
    margin_secs: u64,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init(LogFormat::Json);
    // The same options as the CLI, read from the environment only.
    let env = Env::parse_from(["cinelake-ingest-lambda"]);
    let store = Store::open(&env.args.lake.lake).await?;
    let client = env.args.tmdb.client(resolve_credentials().await?)?;
    let handler = Arc::new(Handler {
        store,
        client,
        selection: env.args.selection(),
        concurrency: env.args.tmdb.concurrency.max(1),
        margin: Duration::from_secs(env.margin_secs),
        lease_ttl: chrono::Duration::seconds(env.args.lease_secs.max(1) as i64),
    });
    lambda_runtime::run(service_fn(move |event: LambdaEvent<IngestEvent>| {
        let handler = handler.clone();
        async move {
            let deadline = invocation_deadline(event.context.deadline);
            handler
                .handle(event.payload, deadline)
                .await
                .map_err(|e| Error::from(telemetry::error_chain(&e)))
        }
    }))
    .await
}

/// The invocation's deadline. Lambda sends milliseconds since the epoch; the local
/// emulator of `cargo lambda watch` (1.9) sends the timeout itself (600000), so a value
/// too small to be a date this century is read as a duration from now.
fn invocation_deadline(deadline_ms: u64) -> SystemTime {
    const YEAR_2001_MS: u64 = 978_307_200_000;
    if deadline_ms < YEAR_2001_MS {
        SystemTime::now() + Duration::from_millis(deadline_ms)
    } else {
        SystemTime::UNIX_EPOCH + Duration::from_millis(deadline_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_as_dates_or_as_durations() {
        let real = invocation_deadline(1_795_859_400_000);
        assert_eq!(
            real,
            SystemTime::UNIX_EPOCH + Duration::from_millis(1_795_859_400_000)
        );
        let local = invocation_deadline(600_000);
        let left = local.duration_since(SystemTime::now()).unwrap();
        assert!(left > Duration::from_secs(590) && left <= Duration::from_secs(600));
    }
}
