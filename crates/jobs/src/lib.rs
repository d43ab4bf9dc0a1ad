//! The transform jobs behind one entry point, for the Lambda.
//!
//! The Step Functions state machine orders the jobs. An event names one:
//! `{"job": "trusted"}`, `{"job": "refined"}` or `{"job": "views"}`. With
//! `"engine": "athena"`, trusted's CSV jobs run on Athena. With `"polars"`, the flag's
//! default, they run in the function. Refined always runs in the function, because its
//! output is bounded by the films TMDB knows.
//!
//! The function reads its settings from the environment once per cold start. It uses
//! the same flags' variables as the CLI (`.env.example`). Each job calls its stage's
//! library. So the Lambda and `cinelake` cannot drift apart.

use cinelake_athena::{Athena, AthenaSettings, Engine};
use cinelake_catalog::Catalog;
use cinelake_lake::Store;
use cinelake_lake::layout::{self, ProcessingDate};
use cinelake_lake::lease::{Acquired, Lease};
use cinelake_lake::source::CsvKind;
use cinelake_query::cli::SqlTarget;
use cinelake_refined::cli::RefinedSettings;
use cinelake_trusted::cli::TrustedSettings;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Job {
    Trusted,
    Refined,
    Views,
}

impl Job {
    /// The error name a failed job returns, which the state machine catches.
    pub fn error_name(self) -> &'static str {
        match self {
            Job::Trusted => "TrustedJobFailed",
            Job::Refined => "RefinedJobFailed",
            Job::Views => "ViewsJobFailed",
        }
    }

    /// The job's name in events.
    pub fn name(self) -> &'static str {
        match self {
            Job::Trusted => "trusted",
            Job::Refined => "refined",
            Job::Views => "views",
        }
    }
}

/// The error name of a job that found the jobs lease held, which the state machine
/// retries (`infra/template.yaml`) rather than fails.
pub const BUSY_ERROR: &str = "JobsBusy";

/// How long a job's lease lasts.
///
/// It lasts to the invocation's deadline plus a margin, since Lambda stops the job
/// there. A job killed then frees the lease by expiry. When no deadline is given, it
/// lasts Lambda's longest invocation.
fn lease_ttl(until: Option<std::time::Instant>) -> chrono::Duration {
    const MARGIN: std::time::Duration = std::time::Duration::from_secs(30);
    const LONGEST: std::time::Duration = std::time::Duration::from_secs(900);
    let left = until.map_or(LONGEST, |u| {
        u.saturating_duration_since(std::time::Instant::now())
    });
    chrono::Duration::from_std(left + MARGIN).unwrap_or(chrono::Duration::MAX)
}

/// The invocation's event; unknown fields (a Step Functions envelope) are ignored.
#[derive(Debug, Clone, Deserialize)]
pub struct JobEvent {
    pub job: Job,
    /// Processing date (YYYY-MM-DD) the run's manifest is filed under; default today.
    #[serde(default)]
    pub date: Option<String>,
    /// Where trusted's CSV jobs run.
    ///
    /// When absent, the function's setting applies (`CINELAKE_ENGINE`, polars by
    /// default). That happens for a direct invocation. The state machine always sends
    /// an engine to trusted: its `Engine` input, else polars. Refined runs in the
    /// function and refuses `athena`. The views job ignores this field.
    #[serde(default)]
    pub engine: Option<Engine>,
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("invalid event field date: {0:?} is not a YYYY-MM-DD date")]
    BadDate(String),
    #[error(
        "invalid event field engine: refined runs in the function (polars) only; \
         \"athena\" applies to the trusted job"
    )]
    RefinedOnAthena,
    /// Another execution's job holds the jobs lease.
    #[error(
        "another job holds the jobs lease ({holder}, until {expires_at}): two executions \
         of the pipeline must not transform at once; retry after it ends"
    )]
    Busy {
        holder: String,
        expires_at: chrono::DateTime<chrono::Utc>,
    },
    #[error(transparent)]
    Lake(#[from] cinelake_lake::Error),
    #[error(transparent)]
    Athena(#[from] cinelake_athena::AthenaError),
    #[error(transparent)]
    Trusted(#[from] cinelake_trusted::TrustedError),
    #[error(transparent)]
    Refined(#[from] cinelake_refined::RefinedError),
    #[error(transparent)]
    Query(#[from] cinelake_query::QueryError),
}

impl JobError {
    /// The name the state machine sees: [`BUSY_ERROR`] for a held lease, else the
    /// job's own failure name.
    pub fn name(&self, job: Job) -> &'static str {
        match self {
            JobError::Busy { .. } => BUSY_ERROR,
            _ => job.error_name(),
        }
    }
}

/// The function's settings, read from its environment at a cold start.
#[derive(Debug, Clone)]
pub struct JobsSettings {
    pub trusted: TrustedSettings,
    pub refined: RefinedSettings,
    pub athena: AthenaSettings,
}

impl JobsSettings {
    pub fn from_env() -> Result<Self, clap::Error> {
        use cinelake_front::env::from_env;
        Ok(JobsSettings {
            trusted: from_env(&[])?,
            refined: from_env(&[])?,
            athena: from_env(&[])?,
        })
    }
}

/// Everything an invocation needs, built once per cold start.
pub struct Handler {
    settings: JobsSettings,
    store: Store,
    catalog: Catalog,
}

impl Handler {
    /// Opens the lake and the catalog the settings name.
    pub async fn new(settings: JobsSettings) -> anyhow::Result<Self> {
        let store = settings.trusted.lake.open().await?;
        let catalog = settings.trusted.catalog.open(&store).await?;
        Ok(Handler {
            settings,
            store,
            catalog,
        })
    }

    /// Runs one job and returns its report as JSON.
    pub async fn handle(&self, event: &JobEvent) -> Result<Value, JobError> {
        self.handle_until(event, None).await
    }

    /// Runs one job that must end by `until`, the invocation's deadline.
    ///
    /// The Athena engine's statements are given at most the time left. Its temporary
    /// tables are dropped before the deadline. The jobs' futures are boxed, because
    /// nested they are too deep for the compiler's layout computation.
    ///
    /// The event is checked first. Then the job takes the jobs lease, so a job of
    /// another execution never runs at the same time. If one does, this returns
    /// [`JobError::Busy`], and the state machine retries it.
    pub async fn handle_until(
        &self,
        event: &JobEvent,
        until: Option<std::time::Instant>,
    ) -> Result<Value, JobError> {
        let date = event
            .date
            .as_deref()
            .map(|d| {
                d.parse::<ProcessingDate>()
                    .map_err(|_| JobError::BadDate(d.to_string()))
            })
            .transpose()?;
        let engine = event.engine.unwrap_or(self.settings.trusted.engine);
        match event.job {
            Job::Refined if event.engine == Some(Engine::Athena) => {
                return Err(JobError::RefinedOnAthena);
            }
            Job::Trusted if engine == Engine::Athena => {
                cinelake_athena::require_s3_and_glue(&self.store, self.catalog.kind())?;
            }
            _ => {}
        }
        let holder = format!(
            "the {} job started at {}",
            event.job.name(),
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        let prefix = layout::jobs_lease_prefix();
        // Boxed, as the jobs are: the S3 calls' futures nest deep.
        let acquired = Box::pin(Lease::acquire(
            &self.store,
            &prefix,
            &holder,
            lease_ttl(until),
        ));
        let lease = match acquired.await? {
            Acquired::Held(lease) => lease,
            Acquired::Busy { holder, expires_at } => {
                return Err(JobError::Busy { holder, expires_at });
            }
        };
        let result = Box::pin(self.run_job(event, date, engine, until)).await;
        let released = Box::pin(lease.release(&self.store)).await;
        let report = result?;
        released?;
        Ok(report)
    }

    async fn run_job(
        &self,
        event: &JobEvent,
        date: Option<ProcessingDate>,
        engine: Engine,
        until: Option<std::time::Instant>,
    ) -> Result<Value, JobError> {
        Ok(match event.job {
            Job::Trusted => {
                let mut settings = self.settings.trusted.clone();
                settings.lake.date = date.or(settings.lake.date);
                let opts = settings.options();
                let reports = match engine {
                    Engine::Polars => {
                        Box::pin(cinelake_trusted::run(&self.store, &self.catalog, &opts)).await?
                    }
                    Engine::Athena => {
                        let athena = Athena::connect(
                            settings.athena.config(&opts.jobs.databases.trusted, until),
                        )
                        .await;
                        Box::pin(cinelake_trusted::run_with(
                            &self.store,
                            &self.catalog,
                            cinelake_trusted::CsvEngine::Athena(&athena),
                            &opts,
                        ))
                        .await?
                    }
                };
                let mut summary = trusted_summary(&opts.jobs.run_id, &reports);
                if engine == Engine::Athena {
                    summary["engine"] = json!(engine);
                }
                let today = chrono::Utc::now().date_naive();
                if let Some(warning) = stale_csv_warning(&reports, today) {
                    // The state machine sends it to the alert topic; the run goes on.
                    summary["stale_csv"] = json!(warning);
                }
                summary
            }
            Job::Refined => {
                let mut settings = self.settings.refined.clone();
                settings.lake.date = date.or(settings.lake.date);
                let opts = settings.options();
                let run =
                    Box::pin(cinelake_refined::run(&self.store, &self.catalog, &opts)).await?;
                let tables: Vec<Value> = run
                    .tables
                    .iter()
                    .map(|r| json!({"table": r.table, "rows": r.rows}))
                    .collect();
                json!({
                    "job": "refined",
                    "run_id": opts.run_id,
                    "manifest": layout::run_manifest_key(cinelake_refined::STAGE, &opts.run_id),
                    "tables": tables,
                    "set_aside": run.set_aside,
                })
            }
            Job::Views => {
                // Views live where the tables are: Athena over Glue, or the local catalog;
                // in the ordinary workgroup (CINELAKE_ATHENA_WORKGROUP), never the
                // engine's.
                let catalog = &self.settings.refined.catalog;
                let target = SqlTarget::for_views(
                    &self.settings.refined.lake.lake,
                    catalog.clone(),
                    self.settings.athena.clone(),
                );
                let dbs = catalog.databases();
                let views = match target.engine {
                    cinelake_query::cli::EngineKind::Athena => {
                        // v_data_freshness reads data_sources (the local path writes it
                        // in in_local_catalog).
                        Box::pin(cinelake_query::sources::publish_sources(
                            &self.store,
                            &self.catalog,
                            &dbs,
                        ))
                        .await?;
                        let athena = cinelake_athena::Athena::connect(
                            self.settings.athena.config(&dbs.refined),
                        )
                        .await;
                        Box::pin(cinelake_query::create_views::in_athena(&athena)).await?
                    }
                    cinelake_query::cli::EngineKind::Local => {
                        Box::pin(cinelake_query::create_views::in_local_catalog(
                            &self.store,
                            &self.catalog,
                            &dbs,
                        ))
                        .await?
                        .into_iter()
                        .map(|(name, _)| name)
                        .collect()
                    }
                };
                json!({"job": "views", "views": views})
            }
        })
    }
}

/// What a trusted run returns.
///
/// It has one entry a table. A partitioned table's collections are added up: how many
/// were converted and which, the newest few by date, and how many were unchanged. It
/// also says where the manifest with every source and partition is. Its size does not
/// grow with the months collected, because Step Functions keeps it in the state.
fn trusted_summary(run_id: &str, reports: &[cinelake_trusted::TableReport]) -> Value {
    #[derive(Default)]
    struct Sum {
        converted: u64,
        unchanged: u64,
        rows_in: u64,
        rows_out: u64,
        rejected: u64,
        /// Whether the table is partitioned (its reports name a `dt`).
        partitioned: bool,
        /// The dts converted, in the order of the reports (by date).
        dts: Vec<String>,
    }
    let mut tables: Vec<(String, Sum)> = Vec::new();
    for r in reports {
        // A partition's report names its table and then its partition (`<table> dt=...`).
        let (table, partition) = match r.table.split_once(' ') {
            Some((t, p)) => (t, Some(p)),
            None => (r.table.as_str(), None),
        };
        let at = match tables.iter().position(|t| t.0 == table) {
            Some(i) => i,
            None => {
                tables.push((table.to_string(), Sum::default()));
                tables.len() - 1
            }
        };
        let sum = &mut tables[at].1;
        sum.partitioned |= partition.is_some();
        if r.unchanged {
            sum.unchanged += 1;
            continue;
        }
        sum.converted += 1;
        sum.rows_in += r.rows_in;
        sum.rows_out += r.rows_out;
        sum.rejected += r.rejected;
        if let Some(dt) = partition.and_then(|p| p.strip_prefix("dt=")) {
            sum.dts.push(dt.to_string());
        }
    }
    let tables: Vec<Value> = tables
        .into_iter()
        .map(|(table, s)| {
            let mut entry = json!({
                "table": table,
                "partitions": s.converted,
                "rows_in": s.rows_in,
                "rows_out": s.rows_out,
                "rejected": s.rejected,
            });
            if s.partitioned {
                // Usually the month's new collection alone; the newest few when a
                // first run converts years of them (the manifest lists every one).
                let skip = s.dts.len().saturating_sub(LISTED_DTS);
                entry["partitions_unchanged"] = json!(s.unchanged);
                entry["converted_dts"] = json!(&s.dts[skip..]);
            }
            entry
        })
        .collect();
    json!({
        "job": "trusted",
        "run_id": run_id,
        "manifest": layout::run_manifest_key(cinelake_trusted::STAGE, run_id),
        "tables": tables,
    })
}

/// Whether the Raw CSVs a trusted run read are older than the dashboards accept
/// (`CSV_STALE_AFTER_DAYS`): each stale file's warning, in one line.
fn stale_csv_warning(
    reports: &[cinelake_trusted::TableReport],
    today: chrono::NaiveDate,
) -> Option<String> {
    let mut warnings: Vec<String> = Vec::new();
    for key in reports.iter().flat_map(|r| &r.source) {
        for kind in CsvKind::ALL {
            if let Some(w) = cinelake_lake::raw::stale_csv_warning(kind, key, today)
                && !warnings.contains(&w)
            {
                warnings.push(w);
            }
        }
    }
    (!warnings.is_empty()).then(|| warnings.join(" "))
}

/// The converted collections a trusted response names (the newest), at most.
const LISTED_DTS: usize = 12;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_name_the_job_and_ignore_the_envelope() {
        let e: JobEvent =
            serde_json::from_str(r#"{"job":"refined","Execution":{"Id":"x"}}"#).unwrap();
        assert_eq!(e.job, Job::Refined);
        assert_eq!(e.date, None);
        assert_eq!(e.engine, None);
        let e: JobEvent = serde_json::from_str(r#"{"job":"trusted","engine":"athena"}"#).unwrap();
        assert_eq!(e.engine, Some(Engine::Athena));
        let bad =
            serde_json::from_str::<JobEvent>(r#"{"job":"trusted","engine":"spark"}"#).unwrap_err();
        assert!(bad.to_string().contains("spark"), "{bad}");
        let bad = serde_json::from_str::<JobEvent>(r#"{"job":"gold"}"#).unwrap_err();
        assert!(bad.to_string().contains("gold"), "{bad}");
    }

    #[test]
    fn flags_reach_the_stage_options() {
        let settings: TrustedSettings = cinelake_front::env::from_env(&[
            "--date",
            "2026-11-01",
            "--lake",
            "s3://b",
            "--only",
            "movies,tmdb",
        ])
        .unwrap();
        assert_eq!(settings.lake.lake, "s3://b");
        let opts = settings.options();
        assert_eq!(opts.date.to_string(), "2026-11-01");
        assert_eq!(
            opts.only,
            [
                cinelake_trusted::TrustedJob::Movies,
                cinelake_trusted::TrustedJob::Tmdb
            ]
        );
        assert!(cinelake_front::env::from_env::<TrustedSettings>(&["--date", "1st May"]).is_err());
        assert!(cinelake_front::env::from_env::<TrustedSettings>(&["--only", "gold"]).is_err());
        assert!(cinelake_front::env::from_env::<TrustedSettings>(&["--chunk-rows", "0"]).is_err());
    }

    fn report(table: &str, rows: u64, unchanged: bool) -> cinelake_trusted::TableReport {
        cinelake_trusted::TableReport {
            table: table.to_string(),
            source: vec![],
            rows_in: rows,
            rows_out: rows,
            rejected: 0,
            nulled: 0,
            location: String::new(),
            rejects_key: None,
            unchanged,
            rows_from: None,
        }
    }

    #[test]
    fn a_trusted_summary_names_the_converted_collections_and_counts_the_others() {
        let mut reports = vec![report("db.movies", 100, false)];
        for month in 1..=3 {
            reports.push(report(&format!("db.tmdb dt=2026-0{month}-01"), 0, true));
        }
        reports.push(report("db.tmdb dt=2026-04-01", 7, false));
        let s = trusted_summary("r", &reports);
        assert_eq!(
            s["tables"],
            json!([
                {"table": "db.movies", "partitions": 1, "rows_in": 100, "rows_out": 100, "rejected": 0},
                {"table": "db.tmdb", "partitions": 1, "rows_in": 7, "rows_out": 7, "rejected": 0,
                 "partitions_unchanged": 3, "converted_dts": ["2026-04-01"]},
            ])
        );
        // A first run over years of collections names the newest twelve.
        let all: Vec<_> = (0..36)
            .map(|m| {
                report(
                    &format!("db.tmdb dt={}-{:02}-01", 2023 + m / 12, m % 12 + 1),
                    1,
                    false,
                )
            })
            .collect();
        let s = trusted_summary("r", &all);
        let dts = s["tables"][0]["converted_dts"].as_array().unwrap();
        assert_eq!(s["tables"][0]["partitions"], 36);
        assert_eq!(dts.len(), LISTED_DTS);
        assert_eq!(dts[0], "2025-01-01");
        assert_eq!(dts[11], "2025-12-01");
    }

    #[test]
    fn a_stale_csv_is_named_once_in_the_summary() {
        let day = |d: &str| d.parse::<chrono::NaiveDate>().unwrap();
        let mut movies = report("db.movies", 1, false);
        movies.source = vec!["Raw/Local/CSV/Movies/2026/01/01/movies.csv".into()];
        let mut series = report("db.series", 1, false);
        series.source = vec!["Raw/Local/CSV/Series/2026/03/01/series.csv".into()];
        let mut tmdb = report("db.tmdb dt=2026-04-01", 1, false);
        tmdb.source = vec!["Raw/TMDB/JSON/2026/04/01/run-00000.json".into()];
        let reports = [movies, series, tmdb];
        assert_eq!(stale_csv_warning(&reports, day("2026-04-01")), None);
        let warning = stale_csv_warning(&reports, day("2026-04-02")).unwrap();
        assert!(warning.contains("91 days old"), "{warning}");
        assert!(warning.contains("Movies/2026/01/01"), "{warning}");
        assert!(!warning.contains("Series"), "{warning}");
        let both = stale_csv_warning(&reports, day("2026-06-01")).unwrap();
        assert!(both.contains("Movies") && both.contains("Series"), "{both}");
    }

    #[test]
    fn each_job_fails_under_its_own_name() {
        assert_eq!(Job::Trusted.error_name(), "TrustedJobFailed");
        assert_eq!(Job::Views.error_name(), "ViewsJobFailed");
    }
}
