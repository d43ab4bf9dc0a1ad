//! The command-line face of stage 4, for `cinelake refined` and the jobs Lambda's
//! settings. It turns flags into options and prints the reports.

use anyhow::Context;
use cinelake_catalog::CatalogSettings;
use cinelake_lake::manifest::new_run_id;
use cinelake_lake::settings::LakeSettings;

use cinelake_rules::{MoneySettings, SelectionSettings};

use crate::{RefinedOptions, RefinedRun, Rules};

/// Everything a run of the stage is configured by.
#[derive(Debug, Clone, PartialEq, clap::Args)]
pub struct RefinedSettings {
    #[command(flatten)]
    pub lake: LakeSettings,
    #[command(flatten)]
    pub catalog: CatalogSettings,
    /// The films of interest: the same flags and variables as ingestion's.
    #[command(flatten)]
    pub selection: SelectionSettings,
    #[command(flatten)]
    pub money: MoneySettings,
}

impl RefinedSettings {
    /// The settings of a run over `lake` and `catalog`, every other one at its flag's
    /// default.
    pub fn new(lake: LakeSettings, catalog: CatalogSettings) -> Self {
        RefinedSettings {
            lake,
            catalog,
            selection: SelectionSettings::default(),
            money: MoneySettings::default(),
        }
    }

    /// The options of one run (a new run id).
    pub fn options(&self) -> RefinedOptions {
        RefinedOptions {
            run_id: new_run_id(),
            date: self.lake.processing_date(),
            databases: self.catalog.databases(),
            rules: Rules {
                selection: self.selection.selection(),
                money_floor_usd: self.money.money_floor_usd,
            },
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
pub async fn execute(args: &RefinedArgs) -> anyhow::Result<RefinedRun> {
    let settings = &args.settings;
    let store = settings
        .lake
        .open()
        .await
        .with_context(|| format!("opening lake {}", settings.lake.lake))?;
    let catalog = settings.catalog.open(&store).await?;
    let opts = settings.options();
    let run = crate::run(&store, &catalog, &opts).await?;
    print(&run, &opts.rules, args.json)?;
    Ok(run)
}

/// The reports on stdout: a line a table and one for the rules, or JSON.
pub fn print(run: &RefinedRun, rules: &Rules, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(run)?);
    } else {
        for r in &run.tables {
            println!("{}: {} rows -> {}", r.table, r.rows, r.location);
        }
        let s = &run.set_aside;
        println!(
            "rules: {}; {} films left out; {} budgets and {} revenues under {} USD read as unknown",
            rules.selection,
            s.films_left_out,
            s.placeholder_budgets,
            s.placeholder_revenues,
            rules.money_floor_usd
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // The constructor repeats the flags' defaults; this keeps the two from drifting.
    #[test]
    fn the_constructor_is_the_flags_defaults() {
        let parsed: RefinedSettings = cinelake_front::env::from_env(&[]).unwrap();
        let built = RefinedSettings::new(LakeSettings::at("./lake"), CatalogSettings::local());
        assert_eq!(parsed, built);
        assert_eq!(built.options().rules, Rules::default());
    }
}
