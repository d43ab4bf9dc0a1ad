//! `cinelake-refined`: stage 4 on its own.

use cinelake_lake::telemetry::{self, LogFormat};
use cinelake_refined::cli::{RefinedArgs, execute};
use clap::Parser;

#[derive(Parser)]
#[command(
    name = "cinelake-refined",
    version,
    about = "Build the star schema in the Refined zone"
)]
struct Cli {
    #[command(flatten)]
    args: RefinedArgs,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    telemetry::init(LogFormat::detect());
    let result = execute(&Cli::parse().args).await;
    telemetry::exit_with(result.map(|_| ()).map_err(Into::into))
}
