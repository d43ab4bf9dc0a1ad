//! `cinelake-ingest-lambda`: stage 2 as an AWS Lambda (provided.al2023, arm64), built with
//! `cargo lambda build --release --arm64`. Configuration comes from the environment
//! (`.env.example`); the event may override date, limits and filters.

use std::sync::Arc;
use std::time::Duration;

use cinelake_front::env::from_env;
use cinelake_front::lambda::{failure, invocation_deadline};
use cinelake_front::telemetry::{self, LogFormat};
use cinelake_ingest::IngestSettings;
use cinelake_ingest::lambda::{Handler, IngestEvent};
use lambda_runtime::{Error, LambdaEvent, service_fn};

/// The function's environment: the stage's settings, and the margin before the deadline.
#[derive(Debug, clap::Args)]
struct Env {
    #[command(flatten)]
    settings: IngestSettings,
    /// Seconds kept free before the invocation deadline.
    #[arg(long, env = "CINELAKE_LAMBDA_MARGIN_SECS", default_value_t = 45)]
    margin_secs: u64,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init(LogFormat::Json);
    let env: Env = from_env(&[])?;
    let handler = Arc::new(Handler::new(env.settings, Duration::from_secs(env.margin_secs)).await?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<IngestEvent>| {
        let handler = handler.clone();
        async move {
            let deadline = invocation_deadline(event.context.deadline);
            handler
                .handle(event.payload, deadline)
                .await
                .map_err(|e| failure("IngestFailed", &e))
        }
    }))
    .await
}
