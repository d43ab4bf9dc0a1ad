//! `cinelake-upload`: stage 1 on its own, the container image's entrypoint.

use clap::Parser;
use cinelake_lake::telemetry::{self, LogFormat};
use cinelake_upload::cli::{UploadArgs, execute};

#[derive(Parser)]
#[command(name = "cinelake-upload", version, about = "Put movies.csv and series.csv in the lake's Raw zone")]
struct Cli {
    #[command(flatten)]
    args: UploadArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init(LogFormat::detect());
    execute(&Cli::parse().args).await.map(|_| ())
}
