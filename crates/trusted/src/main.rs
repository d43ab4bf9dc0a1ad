//! `cinelake-trusted`: stage 3 on its own (a container task or a Lambda wrapper).

use cinelake_lake::telemetry::{self, LogFormat};
use cinelake_trusted::cli::{TrustedArgs, execute};
use clap::Parser;

#[derive(Parser)]
#[command(
    name = "cinelake-trusted",
    version,
    about = "Raw CSV and TMDB JSON to typed Parquet in the Trusted zone"
)]
struct Cli {
    #[command(flatten)]
    args: TrustedArgs,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    telemetry::init(LogFormat::detect());
    let result = execute(&Cli::parse().args).await;
    telemetry::exit_with(result.map(|_| ()).map_err(Into::into))
}
