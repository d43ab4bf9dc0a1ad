//! `cinelake run`, which runs every stage in order.
//!
//! The stages run against the lake and catalog the environment (or `.env`) names, for
//! example S3 and Glue with views in Athena. Each stage's options are the same
//! variables its own command reads (`.env.example`).

use std::path::PathBuf;

use cinelake_athena::AthenaSettings;
use cinelake_catalog::CatalogSettings;
use cinelake_front::env::from_env;
use cinelake_ingest::cli::IngestArgs;
use cinelake_query::cli::{DashboardArgs, SqlTarget, ViewsArgs};
use cinelake_refined::cli::RefinedArgs;
use cinelake_trusted::cli::TrustedArgs;
use cinelake_upload::cli::UploadArgs;

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
    let upload: UploadArgs = from_env(&[])?;
    let catalog: CatalogSettings = from_env(&[])?;
    let views = ViewsArgs {
        target: SqlTarget::for_views(
            &upload.lake.lake,
            catalog.clone(),
            from_env::<AthenaSettings>(&[])?,
        ),
    };
    println!(
        "lake {}, catalog {} ({}_trusted, {}_refined), views on {:?}",
        upload.lake.lake,
        catalog.catalog,
        catalog.database_prefix,
        catalog.database_prefix,
        views.target.engine
    );
    let dashboard = match &args.dashboard {
        Some(out) => {
            let mut board: DashboardArgs = from_env(&[])?;
            board.out = out.clone();
            Some(board)
        }
        None => None,
    };
    let stages = Stages {
        upload: (!args.skip_upload).then_some(upload),
        ingest: from_env::<IngestArgs>(&[])?,
        tmdb_credentials: None,
        trusted: from_env::<TrustedArgs>(&[])?,
        refined: from_env::<RefinedArgs>(&[])?,
        views,
        dashboard,
    };
    let mut steps = Steps::new();
    stages.run(&mut steps).await?;
    steps.print_summary();
    Ok(())
}
