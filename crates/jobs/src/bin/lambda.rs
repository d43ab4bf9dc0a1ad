//! `cinelake-jobs-lambda`: the Trusted and Refined jobs and the views as one AWS Lambda
//! (provided.al2023, arm64), built with `cargo lambda build --release --arm64`. The
//! state machine in `infra/` invokes it with `{"job": "trusted" | "refined" | "views"}`.

use std::sync::Arc;

use cinelake_front::lambda::{failure, invocation_deadline};
use cinelake_front::telemetry::{self, LogFormat};
use cinelake_jobs::{Handler, JobEvent, JobsSettings};
use lambda_runtime::{Error, LambdaEvent, service_fn};

fn main() -> Result<(), Error> {
    // Before the runtime's threads exist, which tokio::main would start first.
    cinelake_front::memory::one_malloc_arena_per_core();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve())
}

async fn serve() -> Result<(), Error> {
    telemetry::init(LogFormat::Json);
    let handler = Arc::new(Handler::new(JobsSettings::from_env()?).await?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<JobEvent>| {
        let handler = handler.clone();
        async move {
            tracing::info!(job = ?event.payload.job, "invocation");
            // The deadline as this process's clock: the time left from now.
            let left = invocation_deadline(event.context.deadline)
                .duration_since(std::time::SystemTime::now())
                .unwrap_or_default();
            handler
                .handle_until(&event.payload, Some(std::time::Instant::now() + left))
                .await
                .map_err(|e| failure(e.name(event.payload.job), &e))
        }
    }))
    .await
}
