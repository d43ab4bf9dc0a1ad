//! `cinelake-ingest`: stage 2 on the command line.

use cinelake_front::telemetry::{self, LogFormat};
use cinelake_ingest::cli::{IngestArgs, execute};
use clap::Parser;

#[derive(Parser)]
#[command(
    name = "cinelake-ingest",
    version,
    about = "Fetch TMDB details of the films of interest into the Raw zone"
)]
struct Cli {
    #[command(flatten)]
    args: IngestArgs,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    telemetry::init(LogFormat::detect());
    let result = execute(&Cli::parse().args).await;
    telemetry::exit_with(result.map(|_| ()).map_err(Into::into))
}
