//! `cinelake`: the one CLI over the whole pipeline. It only wires the stage crates.

mod sim;

use std::path::PathBuf;

use anyhow::Context;
use cinelake_lake::telemetry::{self, LogFormat};
use cinelake_sample::{SampleSpec, write_dir};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cinelake",
    version,
    about = "A movie-analytics data lake, on AWS or on one laptop"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Stage 1: check movies.csv and series.csv and put them in the Raw zone.
    Upload(cinelake_upload::cli::UploadArgs),
    /// Stage 2: fetch TMDB details of the films of interest into the Raw zone.
    Ingest(cinelake_ingest::cli::IngestArgs),
    /// Stage 3: Raw CSV and TMDB JSON to typed Parquet in the Trusted zone.
    Trusted(cinelake_trusted::cli::TrustedArgs),
    /// Stage 4: build the star schema in the Refined zone.
    Refined(cinelake_refined::cli::RefinedArgs),
    /// Run SQL on the lake (Polars SQL locally, or Athena).
    Query(cinelake_query::cli::QueryArgs),
    /// Create the dashboards' views (sql/views) in the local catalog or in Athena.
    Views(cinelake_query::cli::ViewsArgs),
    /// Run the TMDB simulator (synthetic or replay, with fault injection).
    TmdbSim(sim::SimArgs),
    /// Write sample movies.csv and series.csv in the real format (full scale by default).
    Sample(SampleArgs),
}

#[derive(clap::Args)]
struct SampleArgs {
    /// Directory to write movies.csv and series.csv into.
    #[arg(long, default_value = "./data")]
    out: PathBuf,
    /// Data rows of movies.csv.
    #[arg(long, default_value_t = cinelake_sample::FULL_MOVIES_ROWS)]
    movies_rows: u64,
    /// Data rows of series.csv.
    #[arg(long, default_value_t = cinelake_sample::FULL_SERIES_ROWS)]
    series_rows: u64,
    /// Seed: the same seed writes the same bytes.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// LF line ends instead of the real files' CRLF.
    #[arg(long)]
    lf: bool,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    telemetry::init(LogFormat::detect());
    let result = match Cli::parse().command {
        Command::Upload(args) => cinelake_upload::cli::execute(&args).await.map(|_| ()),
        Command::Ingest(args) => cinelake_ingest::cli::execute(&args).await.map(|_| ()),
        Command::Trusted(args) => cinelake_trusted::cli::execute(&args).await.map(|_| ()),
        Command::Refined(args) => cinelake_refined::cli::execute(&args).await.map(|_| ()),
        Command::Query(args) => cinelake_query::cli::query(&args).await,
        Command::Views(args) => cinelake_query::cli::views(&args).await,
        Command::TmdbSim(args) => sim::run(&args).await,
        Command::Sample(args) => sample(&args),
    };
    telemetry::exit_with(result.map_err(Into::into))
}

fn sample(args: &SampleArgs) -> anyhow::Result<()> {
    let spec = SampleSpec {
        movies_rows: args.movies_rows,
        series_rows: args.series_rows,
        seed: args.seed,
        crlf: !args.lf,
    };
    let files = write_dir(&args.out, &spec)
        .with_context(|| format!("writing sample data to {}", args.out.display()))?;
    for f in files {
        println!(
            "{}: {} rows, {} titles, {:.1} MB",
            f.path.display(),
            f.rows,
            f.titles,
            f.bytes as f64 / 1e6
        );
    }
    Ok(())
}
