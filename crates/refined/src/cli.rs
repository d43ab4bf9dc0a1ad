//! The command-line face of stage 4, shared by `cinelake-refined` and `cinelake refined`.

use anyhow::Context;
use cinelake_lake::Store;
use cinelake_lake::config::LakeArgs;
use cinelake_lake::manifest::{Entry, RunRecorder, new_run_id};
use cinelake_trusted::cli::CatalogArgs;

use crate::{RefinedReport, STAGE, run};

#[derive(Debug, Clone, clap::Args)]
pub struct RefinedArgs {
    #[command(flatten)]
    pub lake: LakeArgs,
    #[command(flatten)]
    pub catalog: CatalogArgs,
    /// Print the reports as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

pub async fn execute(args: &RefinedArgs) -> anyhow::Result<Vec<RefinedReport>> {
    let store = Store::open(&args.lake.lake)
        .await
        .with_context(|| format!("opening lake {}", args.lake.lake))?;
    let catalog = args.catalog.open(&store).await?;
    let run_id = new_run_id();
    let mut recorder = RunRecorder::start(STAGE, &run_id, args.lake.processing_date(), &store);
    let result = run(&store, &catalog, &args.catalog.databases(), &run_id).await;
    if let Ok(reports) = &result {
        for r in reports {
            recorder.output(Entry {
                key: r.location.clone(),
                bytes: None,
                rows: Some(r.rows),
                sha256: None,
                note: Some(r.table.clone()),
            });
        }
    }
    recorder
        .finish(&store, result.as_ref().err().map(|e| e.to_string()))
        .await?;
    let reports = result?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        for r in &reports {
            println!("{}: {} rows -> {}", r.table, r.rows, r.location);
        }
    }
    Ok(reports)
}
