//! Stage 3, trusted: Raw to typed Parquet.
//!
//! [`csv_job`] turns the newest Raw `movies.csv` and `series.csv` into
//! `Trusted/Local/Parquet/{Movies,Series}/`. Every row is kept, one per title and
//! artist.
//!
//! [`tmdb_job`] turns each `Raw/TMDB/JSON/YYYY/MM/DD/` folder into the partition
//! `Trusted/TMDB/Parquet/Movies/dt=YYYY-MM-DD/`. It converts only the folders that are
//! new or changed since their partition was converted.
//!
//! Rows that cannot be read go to `Trusted/_rejected/<table>/` ([`rejects`]). Each
//! keeps its source, line or position, and reason. Too many of them fail the job, and
//! the previous Trusted data is kept.

pub mod athena_select;
pub mod cli;
pub mod csv_job;
mod csv_rows;
mod lines;
pub mod mapping;
pub mod on_athena;
pub mod partition_sources;
mod record_types;
pub mod rejects;
mod spool;
pub mod tmdb_job;

use std::num::NonZeroUsize;

use cinelake_athena::Athena;
use cinelake_catalog::{Catalog, Databases};
use cinelake_lake::Store;
use cinelake_lake::layout::ProcessingDate;
use cinelake_lake::manifest::{Entry, RunRecorder};
use cinelake_lake::source::CsvKind;
use tracing::Instrument;

pub const STAGE: &str = "trusted";

#[derive(Debug, thiserror::Error)]
pub enum TrustedError {
    #[error(transparent)]
    Lake(#[from] cinelake_lake::Error),
    /// The temporary file the output is written to (the system's temporary directory).
    #[error("writing the Parquet of {what} to a temporary file ({}): {source}", std::env::temp_dir().display())]
    Spool {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Frames(#[from] cinelake_frames::FramesError),
    #[error(transparent)]
    Catalog(#[from] cinelake_catalog::CatalogError),
    #[error("no {what} in {lake}: {hint}")]
    NoSource {
        what: String,
        lake: String,
        hint: String,
    },
    #[error("{key}: not a {kind} file: the header is {found:?}")]
    WrongHeader {
        key: String,
        kind: String,
        found: String,
    },
    #[error(
        "{table}: {rejected} of {total} rows rejected ({share:.2}%), above the {threshold:.2}% allowed; \
         the previous Trusted data is kept. Reasons are in {rejects_key}; first: {first}"
    )]
    TooManyRejected {
        table: String,
        rejected: u64,
        total: u64,
        share: f64,
        threshold: f64,
        rejects_key: String,
        first: String,
    },
    #[error(transparent)]
    Athena(#[from] cinelake_athena::AthenaError),
    /// Athena gave a rejected line without its reason: the SQL is at fault, and the
    /// quarantine would say nothing of why.
    #[error("{table}: Athena gave a rejected line without a reason: {raw:?}")]
    RejectWithoutReason { table: String, raw: String },
    #[error("{table}: {rows_in} rows in, but {rows_out} written and {rejected} rejected")]
    CountMismatch {
        table: String,
        rows_in: u64,
        rows_out: u64,
        rejected: u64,
    },
}

/// Settings the jobs share.
#[derive(Debug, Clone)]
pub struct JobOptions {
    pub run_id: String,
    pub databases: Databases,
    /// Largest share of rejected rows (0 to 1) a table may have and still be published.
    pub max_rejected_share: f64,
    /// CSV rows typed at a time ([`csv_job::CHUNK_ROWS`] unless testing the seams).
    pub chunk_rows: NonZeroUsize,
    /// TMDB records parsed at a time ([`tmdb_job::JSON_CHUNK_RECORDS`] unless testing).
    pub json_chunk_records: NonZeroUsize,
}

impl JobOptions {
    /// The defaults of a run with id `run_id`.
    pub fn new(run_id: &str, databases: Databases) -> Self {
        JobOptions {
            run_id: run_id.to_string(),
            databases,
            max_rejected_share: 0.01,
            chunk_rows: csv_job::CHUNK_ROWS,
            json_chunk_records: tmdb_job::JSON_CHUNK_RECORDS,
        }
    }
}

/// The jobs of the stage, each of which a run may do alone (`--only`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TrustedJob {
    Movies,
    Series,
    Tmdb,
}

/// One run of the stage.
#[derive(Debug, Clone)]
pub struct TrustedOptions {
    pub jobs: JobOptions,
    /// The processing date the run's manifest is filed under.
    pub date: ProcessingDate,
    /// Read this day's Raw CSV files instead of the newest.
    pub source_date: Option<ProcessingDate>,
    /// Only these jobs; every job when empty.
    pub only: Vec<TrustedJob>,
}

impl TrustedOptions {
    fn wants(&self, job: TrustedJob) -> bool {
        self.only.is_empty() || self.only.contains(&job)
    }
}

/// Where the CSV jobs run; the TMDB job runs in this process whichever.
#[derive(Clone, Copy)]
pub enum CsvEngine<'a> {
    Polars,
    /// Athena ([`on_athena`]): needs an S3 lake and the Glue catalog.
    Athena(&'a Athena),
}

/// Runs the stage's jobs in turn and records the run's manifest; the first failure
/// stops it (tables already written stay, and the manifest says what failed).
pub async fn run(
    store: &Store,
    catalog: &Catalog,
    opts: &TrustedOptions,
) -> Result<Vec<TableReport>, TrustedError> {
    run_with(store, catalog, CsvEngine::Polars, opts).await
}

/// [`run`], with the CSV jobs on `engine`. Athena is refused, before anything is read,
/// unless the lake is on S3 and the catalog is Glue.
pub async fn run_with(
    store: &Store,
    catalog: &Catalog,
    engine: CsvEngine<'_>,
    opts: &TrustedOptions,
) -> Result<Vec<TableReport>, TrustedError> {
    if let CsvEngine::Athena(_) = engine {
        cinelake_athena::require_s3_and_glue(store, catalog.kind())?;
    }
    let span = tracing::info_span!("run", stage = STAGE, run_id = %opts.jobs.run_id);
    run_in_span(store, catalog, engine, opts)
        .instrument(span)
        .await
}

async fn run_in_span(
    store: &Store,
    catalog: &Catalog,
    engine: CsvEngine<'_>,
    opts: &TrustedOptions,
) -> Result<Vec<TableReport>, TrustedError> {
    let mut recorder = RunRecorder::start(STAGE, &opts.jobs.run_id, opts.date, store);
    if let CsvEngine::Athena(_) = engine {
        recorder.rule(
            "engine",
            "athena for movies and series (CREATE TABLE AS SELECT, sql/trusted); polars for tmdb",
        );
    }
    let mut reports = Vec::new();
    let result: Result<(), TrustedError> = async {
        for (kind, job) in [
            (CsvKind::Movies, TrustedJob::Movies),
            (CsvKind::Series, TrustedJob::Series),
        ] {
            if opts.wants(job) {
                let report = match engine {
                    CsvEngine::Polars => {
                        csv_job::run(store, catalog, kind, opts.source_date, &opts.jobs).await?
                    }
                    CsvEngine::Athena(athena) => {
                        on_athena::run(store, catalog, athena, kind, opts.source_date, &opts.jobs)
                            .await?
                    }
                };
                reports.push(report);
            }
        }
        if opts.wants(TrustedJob::Tmdb) {
            reports.extend(tmdb_job::run(store, catalog, &opts.jobs).await?);
        }
        Ok(())
    }
    .await;
    for r in &reports {
        if r.unchanged {
            recorder.output(Entry {
                key: r.location.clone(),
                bytes: None,
                rows: None,
                sha256: None,
                note: Some(format!(
                    "{}: unchanged, its Raw files are those it was converted from; not read, not rewritten",
                    r.table
                )),
            });
            recorder.count("partitions_unchanged", 1);
            continue;
        }
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
            note: Some(match r.rows_from {
                None => format!("{}: {} in, {} rejected", r.table, r.rows_in, r.rejected),
                Some(from) => format!(
                    "{}: {} in, {} rejected; {from}",
                    r.table, r.rows_in, r.rejected
                ),
            }),
        });
        recorder.count("rows_in", r.rows_in);
        recorder.count("rows_out", r.rows_out);
        recorder.count("rejected", r.rejected);
    }
    recorder
        .finish(
            store,
            result
                .as_ref()
                .err()
                .map(|e| cinelake_lake::error::chain(e)),
        )
        .await?;
    result?;
    Ok(reports)
}

/// What one table's job did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TableReport {
    pub table: String,
    pub source: Vec<String>,
    pub rows_in: u64,
    pub rows_out: u64,
    pub rejected: u64,
    /// Rows published with a value read as null (each noted in the quarantine file).
    #[serde(skip_serializing_if = "is_zero")]
    pub nulled: u64,
    pub location: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejects_key: Option<String>,
    /// A partition left as an earlier run converted it, its Raw files being the ones
    /// that run read: this run read and wrote nothing for it (its counts are 0).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unchanged: bool,
    /// Where `rows_out` was counted when not here: Athena's count of the rows it wrote,
    /// or a count query's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows_from: Option<cinelake_athena::RowsFrom>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}
