//! The command-line face of stage 3, for `cinelake trusted` and the jobs Lambda's
//! settings.
//!
//! It turns flags into options and prints the reports.

use std::num::NonZeroUsize;

use anyhow::Context;
use cinelake_athena::{Athena, AthenaEngineSettings, Engine};
use cinelake_catalog::CatalogSettings;
use cinelake_lake::layout::ProcessingDate;
use cinelake_lake::manifest::new_run_id;
use cinelake_lake::settings::LakeSettings;

use crate::{CsvEngine, JobOptions, TableReport, TrustedJob, TrustedOptions, csv_job, tmdb_job};

/// Everything a run of the stage is configured by.
#[derive(Debug, Clone, PartialEq, clap::Args)]
pub struct TrustedSettings {
    #[command(flatten)]
    pub lake: LakeSettings,
    #[command(flatten)]
    pub catalog: CatalogSettings,
    /// Read this day's Raw CSV files instead of the newest.
    #[arg(long, env = "CINELAKE_SOURCE_DATE")]
    pub source_date: Option<ProcessingDate>,
    /// Largest share of rejected rows, in percent, a table may have and still be published.
    #[arg(long, env = "CINELAKE_MAX_REJECTED_PERCENT", default_value_t = 1.0)]
    pub max_rejected_percent: f64,
    /// Run only these jobs; all by default.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub only: Vec<TrustedJob>,
    /// CSV lines per chunk (one Parquet row group); one chunk per core is typed at a time,
    /// so fewer use less memory.
    #[arg(long, default_value_t = csv_job::CHUNK_ROWS)]
    pub chunk_rows: NonZeroUsize,
    /// TMDB records parsed at a time by each core (whole files, so about this many):
    /// fewer use less memory, more run faster.
    #[arg(long, default_value_t = tmdb_job::JSON_CHUNK_RECORDS)]
    pub json_chunk_records: NonZeroUsize,
    /// Convert movies.csv and series.csv with Polars here, or with Athena (needs an S3
    /// lake and the Glue catalog); the TMDB job runs here either way.
    #[arg(long, env = "CINELAKE_ENGINE", value_enum, default_value_t = Engine::Polars)]
    pub engine: Engine,
    /// Where Athena runs, with `--engine athena` (`--engine-workgroup`, else `--workgroup`).
    #[command(flatten)]
    pub athena: AthenaEngineSettings,
}

impl TrustedSettings {
    /// A run over `lake` registering in `catalog`, with the defaults of the flags.
    pub fn new(lake: LakeSettings, catalog: CatalogSettings) -> Self {
        TrustedSettings {
            lake,
            catalog,
            source_date: None,
            max_rejected_percent: 1.0,
            only: Vec::new(),
            chunk_rows: csv_job::CHUNK_ROWS,
            json_chunk_records: tmdb_job::JSON_CHUNK_RECORDS,
            engine: Engine::Polars,
            athena: AthenaEngineSettings::default(),
        }
    }

    /// The options of one run (a new run id).
    pub fn options(&self) -> TrustedOptions {
        TrustedOptions {
            jobs: JobOptions {
                run_id: new_run_id(),
                databases: self.catalog.databases(),
                max_rejected_share: self.max_rejected_percent / 100.0,
                chunk_rows: self.chunk_rows,
                json_chunk_records: self.json_chunk_records,
            },
            date: self.lake.processing_date(),
            source_date: self.source_date,
            only: self.only.clone(),
        }
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct TrustedArgs {
    #[command(flatten)]
    pub settings: TrustedSettings,
    /// Print the reports as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Runs the stage and prints its reports.
pub async fn execute(args: &TrustedArgs) -> anyhow::Result<Vec<TableReport>> {
    let settings = &args.settings;
    let store = settings
        .lake
        .open()
        .await
        .with_context(|| format!("opening lake {}", settings.lake.lake))?;
    let catalog = settings.catalog.open(&store).await?;
    let opts = settings.options();
    let reports = match settings.engine {
        Engine::Polars => crate::run(&store, &catalog, &opts).await?,
        Engine::Athena => {
            // Refused before connecting: loading AWS settings for nothing only adds noise.
            cinelake_athena::require_s3_and_glue(&store, catalog.kind())?;
            let athena =
                Athena::connect(settings.athena.config(&opts.jobs.databases.trusted, None)).await;
            crate::run_with(&store, &catalog, CsvEngine::Athena(&athena), &opts).await?
        }
    };
    print(&reports, args.json)?;
    Ok(reports)
}

/// The reports on stdout: a line a table, or JSON.
pub fn print(reports: &[TableReport], json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(reports)?);
    } else {
        for r in reports {
            if r.unchanged {
                println!(
                    "{}: unchanged since its conversion (the same Raw files), not read -> {}",
                    r.table, r.location
                );
                continue;
            }
            let from = r.rows_from.map(|f| format!(" ({f})")).unwrap_or_default();
            println!(
                "{}: {} rows in, {} written{from}, {} rejected -> {}",
                r.table, r.rows_in, r.rows_out, r.rejected, r.location
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // The constructor repeats the flags' defaults; this keeps the two from drifting.
    #[test]
    fn the_constructor_is_the_flags_defaults() {
        let parsed: TrustedSettings = cinelake_front::env::from_env(&[]).unwrap();
        let built = TrustedSettings::new(LakeSettings::at("./lake"), CatalogSettings::local());
        assert_eq!(parsed, built);
    }
}

/// `cinelake trusted-sql`: the statements a Trusted CSV job sends to Athena, written as
/// files for review or for a check (`cinelake_tools/sql_trusted.py` runs them on DuckDB).
#[derive(Debug, Clone, clap::Args)]
pub struct TrustedSqlArgs {
    /// The source file whose job it is.
    #[arg(long, value_enum)]
    pub table: SqlTable,
    /// The external table over the Raw CSV, database-qualified.
    #[arg(long)]
    pub raw_table: String,
    /// The S3 folder that holds the one CSV file.
    #[arg(long)]
    pub raw_location: String,
    /// Directory to write `<table>_raw_table.sql`, `<table>.sql` and
    /// `<table>_rejects.sql` into.
    #[arg(long)]
    pub out: std::path::PathBuf,
}

/// The source files a Trusted CSV job reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SqlTable {
    Movies,
    Series,
}

/// Writes the three statements of one table's job and prints their paths.
pub fn write_sql(args: &TrustedSqlArgs) -> anyhow::Result<()> {
    let kind = match args.table {
        SqlTable::Movies => cinelake_lake::source::CsvKind::Movies,
        SqlTable::Series => cinelake_lake::source::CsvKind::Series,
    };
    let s = crate::athena_select::statements(kind, &args.raw_table, &args.raw_location)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let table = cinelake_catalog::Table::of_csv(kind);
    let accepted = cinelake_athena::sql::statement(&s.accepted);
    for (name, text) in [
        (format!("{table}_raw_table.sql"), s.raw_ddl.as_str()),
        (format!("{table}.sql"), accepted),
        (format!("{table}_rejects.sql"), s.rejects.as_str()),
    ] {
        let path = args.out.join(name);
        std::fs::write(&path, format!("{text}\n"))
            .with_context(|| format!("writing {}", path.display()))?;
        println!("{}", path.display());
    }
    Ok(())
}
