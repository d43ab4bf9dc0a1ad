//! `cinelake-upload`: stage 1 on its own, the container image's entrypoint.

use cinelake_front::telemetry::{self, LogFormat};
use cinelake_upload::cli::{UploadArgs, execute};
use clap::Parser;

#[derive(Parser)]
#[command(
    name = "cinelake-upload",
    version,
    about = "Put movies.csv and series.csv in the lake's Raw zone"
)]
struct Cli {
    #[command(flatten)]
    args: UploadArgs,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    telemetry::init(LogFormat::detect());
    let result = execute(&Cli::parse().args).await;
    telemetry::exit_with(result.map(|_| ()).map_err(Into::into))
}
