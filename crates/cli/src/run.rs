//! `cinelake run`: every stage in order against the lake and catalog the environment
//! (or `.env`) names, e.g. S3 and Glue with views in Athena. Each stage's options are
//! the same variables its own command reads (`.env.example`).

use std::path::PathBuf;

use cinelake_jobs::env_args;
use cinelake_query::cli::{DashboardArgs, EngineKind, ViewsArgs};

use crate::pipeline::{Stages, Steps};

#[derive(clap::Args)]
pub struct RunArgs {
    /// Configuration file read before the stages (variables already set win).
    #[arg(long, default_value = ".env")]
    pub env_file: PathBuf,
    /// Leave Raw's CSV files as they are (they were uploaded already).
    #[arg(long)]
    pub skip_upload: bool,
    /// Also write the local dashboard, from the lake, to this HTML file.
    #[arg(long)]
    pub dashboard: Option<PathBuf>,
}

pub async fn run(args: &RunArgs) -> anyhow::Result<()> {
    let upload: cinelake_upload::cli::UploadArgs = env_args(&[])?;
    let mut views: ViewsArgs = env_args(&[])?;
    views.target.engine = if views.target.catalog.catalog == "glue" {
        EngineKind::Athena
    } else {
        EngineKind::Local
    };
    println!(
        "lake {}, catalog {} ({}_trusted, {}_refined), views on {:?}",
        upload.lake.lake,
        views.target.catalog.catalog,
        views.target.catalog.database_prefix,
        views.target.catalog.database_prefix,
        views.target.engine
    );
    let dashboard = match &args.dashboard {
        Some(out) => {
            let mut board: DashboardArgs = env_args(&[])?;
            board.out = out.clone();
            Some(board)
        }
        None => None,
    };
    let stages = Stages {
        upload: (!args.skip_upload).then_some(upload),
        ingest: env_args(&[])?,
        tmdb_credentials: None,
        trusted: env_args(&[])?,
        refined: env_args(&[])?,
        views,
        dashboard,
    };
    let mut steps = Steps::new();
    stages.run(&mut steps).await?;
    steps.print_summary();
    Ok(())
}
