//! `cinelake-jobs-lambda`: the Trusted and Refined jobs and the views as one AWS Lambda
//! (provided.al2023, arm64), built with `cargo lambda build --release --arm64`. The
//! state machine in `infra/` invokes it with `{"job": "trusted" | "refined" | "views"}`.

use cinelake_jobs::{JobEvent, run};
use cinelake_lake::telemetry::{self, LogFormat};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init(LogFormat::Json);
    lambda_runtime::run(service_fn(|event: LambdaEvent<JobEvent>| async move {
        tracing::info!(job = ?event.payload.job, "invocation");
        run(&event.payload)
            .await
            .map_err(|e| Error::from(format!("{e:#}")))
    }))
    .await
}
