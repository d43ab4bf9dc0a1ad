//! `cinelake run`: every stage in order against the lake and catalog the environment
//! (or `.env`) names, e.g. S3 and Glue with views in Athena. Each stage's options are
//! the same variables its own command reads (`.env.example`).

use std::path::PathBuf;

use cinelake_jobs::env_args;
use cinelake_query::cli::{DashboardArgs, EngineKind, ViewsArgs};

use crate::pipeline::{self, Steps};

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
    let ingest: cinelake_ingest::cli::IngestArgs = env_args(&[])?;
    let trusted: cinelake_trusted::cli::TrustedArgs = env_args(&[])?;
    let refined: cinelake_refined::cli::RefinedArgs = env_args(&[])?;
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
    let mut steps = Steps::new();
    if !args.skip_upload {
        steps
            .step(
                "1 upload",
                cinelake_upload::cli::execute(&upload),
                pipeline::describe_upload,
            )
            .await?;
    }
    let summary = steps
        .step(
            "2 tmdb-ingest",
            cinelake_ingest::cli::execute(&ingest),
            pipeline::describe_ingest,
        )
        .await?;
    if summary.remaining > 0 {
        println!(
            "note: {} films remain for TMDB; the next run fetches them (Trusted takes what is in Raw now)",
            summary.remaining
        );
    }
    steps
        .step("3 trusted", cinelake_trusted::cli::execute(&trusted), |r| {
            pipeline::describe_trusted(r)
        })
        .await?;
    steps
        .step("4 refined", cinelake_refined::cli::execute(&refined), |r| {
            pipeline::describe_refined(r)
        })
        .await?;
    steps
        .step("views", cinelake_query::cli::views(&views), |v| {
            pipeline::describe_views(v)
        })
        .await?;
    if let Some(out) = &args.dashboard {
        let mut board: DashboardArgs = env_args(&[])?;
        board.out = out.clone();
        steps
            .step(
                "dashboard",
                cinelake_query::cli::dashboard(&board),
                pipeline::describe_dashboard,
            )
            .await?;
    }
    steps.print_summary();
    Ok(())
}
