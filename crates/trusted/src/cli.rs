//! The command-line face of stage 3, shared by `cinelake-trusted` and `cinelake trusted`.

use anyhow::Context;
use cinelake_catalog::{Catalog, Databases};
use cinelake_lake::Store;
use cinelake_lake::config::LakeArgs;
use cinelake_lake::layout::ProcessingDate;
use cinelake_lake::manifest::{Entry, RunRecorder, new_run_id};
use cinelake_lake::source::CsvKind;

use crate::{JobOptions, STAGE, TableReport, csv_job, tmdb_job};

/// Where tables are registered.
#[derive(Debug, Clone, clap::Args)]
pub struct CatalogArgs {
    /// `local` (definitions stored in the lake under _catalog/) or `glue`.
    #[arg(long, env = "CINELAKE_CATALOG", default_value = "local")]
    pub catalog: String,
    /// Database names are <prefix>_trusted and <prefix>_refined.
    #[arg(long, env = "CINELAKE_DATABASE_PREFIX", default_value = "cinelake")]
    pub database_prefix: String,
}

impl CatalogArgs {
    pub async fn open(&self, store: &Store) -> anyhow::Result<Catalog> {
        Ok(Catalog::open(&self.catalog, store).await?)
    }

    pub fn databases(&self) -> Databases {
        Databases::with_prefix(&self.database_prefix)
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct TrustedArgs {
    #[command(flatten)]
    pub lake: LakeArgs,
    #[command(flatten)]
    pub catalog: CatalogArgs,
    /// Read this day's Raw CSV files instead of the newest.
    #[arg(long, env = "CINELAKE_SOURCE_DATE", value_parser = parse_date)]
    pub source_date: Option<ProcessingDate>,
    /// Largest share of rejected rows, in percent, a table may have and still be published.
    #[arg(long, env = "CINELAKE_MAX_REJECTED_PERCENT", default_value_t = 1.0)]
    pub max_rejected_percent: f64,
    /// Run only these jobs (movies, series, tmdb); all by default.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// CSV lines per chunk (one Parquet row group); one chunk per core is typed at a time,
    /// so fewer use less memory.
    #[arg(long, default_value_t = csv_job::CHUNK_ROWS)]
    pub chunk_rows: usize,
    /// TMDB records parsed at a time by each core (whole files, so about this many):
    /// fewer use less memory, more run faster.
    #[arg(long, default_value_t = tmdb_job::JSON_CHUNK_RECORDS)]
    pub json_chunk_records: usize,
    /// Print the reports as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

fn parse_date(s: &str) -> Result<ProcessingDate, String> {
    s.parse().map_err(|e: cinelake_lake::Error| e.to_string())
}

/// Runs the stage's jobs in turn; the first failure stops it (tables already written stay).
pub async fn execute(args: &TrustedArgs) -> anyhow::Result<Vec<TableReport>> {
    let store = Store::open(&args.lake.lake)
        .await
        .with_context(|| format!("opening lake {}", args.lake.lake))?;
    let catalog = args.catalog.open(&store).await?;
    let run_id = new_run_id();
    let opts = JobOptions {
        run_id: run_id.clone(),
        databases: args.catalog.databases(),
        max_rejected_share: args.max_rejected_percent / 100.0,
        chunk_rows: args.chunk_rows.max(1),
        json_chunk_records: args.json_chunk_records.max(1),
    };
    let wanted = |job: &str| args.only.is_empty() || args.only.iter().any(|o| o == job);
    let mut recorder = RunRecorder::start(STAGE, &run_id, args.lake.processing_date(), &store);
    let mut reports = Vec::new();
    let result: anyhow::Result<()> = async {
        for kind in CsvKind::ALL {
            if wanted(&kind.to_string()) {
                reports.push(csv_job::run(&store, &catalog, kind, args.source_date, &opts).await?);
            }
        }
        if wanted("tmdb") {
            reports.extend(tmdb_job::run(&store, &catalog, &opts).await?);
        }
        Ok(())
    }
    .await;
    for r in &reports {
        for s in &r.source {
            recorder.input(Entry {
                key: s.clone(),
                bytes: None,
                rows: None,
                sha256: None,
                note: None,
            });
        }
        recorder.output(Entry {
            key: r.location.clone(),
            bytes: None,
            rows: Some(r.rows_out),
            sha256: None,
            note: Some(format!(
                "{}: {} in, {} rejected",
                r.table, r.rows_in, r.rejected
            )),
        });
        recorder.count("rows_in", r.rows_in);
        recorder.count("rows_out", r.rows_out);
        recorder.count("rejected", r.rejected);
    }
    recorder
        .finish(&store, result.as_ref().err().map(|e| format!("{e:#}")))
        .await?;
    result?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        for r in &reports {
            println!(
                "{}: {} rows in, {} written, {} rejected -> {}",
                r.table, r.rows_in, r.rows_out, r.rejected, r.location
            );
        }
    }
    Ok(reports)
}
