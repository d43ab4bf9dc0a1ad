//! The command-line face of stage 4 (`cinelake refined`, and the jobs Lambda's
//! settings): flags to options, and the reports printed.

use anyhow::Context;
use cinelake_catalog::CatalogSettings;
use cinelake_lake::manifest::new_run_id;
use cinelake_lake::settings::LakeSettings;

use crate::{RefinedOptions, RefinedReport};

/// Everything a run of the stage is configured by.
#[derive(Debug, Clone, PartialEq, clap::Args)]
pub struct RefinedSettings {
    #[command(flatten)]
    pub lake: LakeSettings,
    #[command(flatten)]
    pub catalog: CatalogSettings,
}

impl RefinedSettings {
    /// The options of one run (a new run id).
    pub fn options(&self) -> RefinedOptions {
        RefinedOptions {
            run_id: new_run_id(),
            date: self.lake.processing_date(),
            databases: self.catalog.databases(),
        }
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct RefinedArgs {
    #[command(flatten)]
    pub settings: RefinedSettings,
    /// Print the reports as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Runs the stage and prints its reports.
pub async fn execute(args: &RefinedArgs) -> anyhow::Result<Vec<RefinedReport>> {
    let settings = &args.settings;
    let store = settings
        .lake
        .open()
        .await
        .with_context(|| format!("opening lake {}", settings.lake.lake))?;
    let catalog = settings.catalog.open(&store).await?;
    let reports = crate::run(&store, &catalog, &settings.options()).await?;
    print(&reports, args.json)?;
    Ok(reports)
}

/// The reports on stdout: a line a table, or JSON.
pub fn print(reports: &[RefinedReport], json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(reports)?);
    } else {
        for r in reports {
            println!("{}: {} rows -> {}", r.table, r.rows, r.location);
        }
    }
    Ok(())
}
