//! `cinelake`: the one CLI over the whole pipeline. It only wires the stage crates.

mod demo;
mod envfile;
mod pipeline;
mod run;
mod sim;

use std::path::PathBuf;

use anyhow::Context;
use cinelake_front::telemetry::{self, LogFormat};
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
    /// The whole pipeline on this machine: sample data, TMDB simulator, every stage,
    /// the views and the dashboard, on a directory lake.
    Demo(demo::DemoArgs),
    /// Every stage in order with the configuration in .env (e.g. S3, Glue and Athena).
    Run(run::RunArgs),
    /// Stage 1: check movies.csv and series.csv and put them in the Raw zone.
    Upload(cinelake_upload::cli::UploadArgs),
    /// Stage 2: fetch TMDB details of the films of interest into the Raw zone.
    Ingest(cinelake_ingest::cli::IngestArgs),
    /// Stage 3: Raw CSV and TMDB JSON to typed Parquet in the Trusted zone.
    Trusted(cinelake_trusted::cli::TrustedArgs),
    /// Write the SQL a Trusted CSV job sends to Athena (`--engine athena`), to review it.
    TrustedSql(cinelake_trusted::cli::TrustedSqlArgs),
    /// Stage 4: build the star schema in the Refined zone.
    Refined(cinelake_refined::cli::RefinedArgs),
    /// Run SQL on the lake (Polars SQL locally, or Athena).
    Query(cinelake_query::cli::QueryArgs),
    /// Create the dashboards' views (sql/views) in the local catalog or in Athena.
    Views(cinelake_query::cli::ViewsArgs),
    /// Write the dashboard: one self-contained HTML file with three sheets.
    Dashboard(cinelake_query::cli::DashboardArgs),
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

fn main() -> std::process::ExitCode {
    cinelake_front::memory::one_malloc_arena_per_core();
    let cli = Cli::parse();
    // The configuration file goes into the environment before any thread exists.
    let env_file = match &cli.command {
        Command::Run(args) => envfile_for(args),
        _ => Ok(()),
    };
    telemetry::init(LogFormat::detect());
    if let Err(e) = env_file {
        return telemetry::exit_with(Err(e.into()));
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return telemetry::exit_with(Err(e.into())),
    };
    let result = runtime.block_on(execute(cli.command));
    telemetry::exit_with(result.map_err(Into::into))
}

fn envfile_for(args: &run::RunArgs) -> anyhow::Result<()> {
    match envfile::load(&args.env_file) {
        Ok(_) => Ok(()),
        // No .env is fine when the variables come from the environment itself.
        Err(envfile::EnvFileError::Read { source, .. })
            if source.kind() == std::io::ErrorKind::NotFound
                && args.env_file == std::path::Path::new(".env") =>
        {
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

async fn execute(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Demo(args) => demo::run(&args).await,
        Command::Run(args) => run::run(&args).await,
        Command::Dashboard(args) => cinelake_query::cli::dashboard(&args).await.map(|_| ()),
        Command::Upload(args) => cinelake_upload::cli::execute(&args).await.map(|_| ()),
        Command::Ingest(args) => cinelake_ingest::cli::execute(&args).await.map(|_| ()),
        Command::Trusted(args) => cinelake_trusted::cli::execute(&args).await.map(|_| ()),
        Command::TrustedSql(args) => cinelake_trusted::cli::write_sql(&args),
        Command::Refined(args) => cinelake_refined::cli::execute(&args).await.map(|_| ()),
        Command::Query(args) => cinelake_query::cli::query(&args).await,
        Command::Views(args) => cinelake_query::cli::views(&args).await.map(|_| ()),
        Command::TmdbSim(args) => sim::run(&args).await,
        Command::Sample(args) => sample(&args),
    }
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
