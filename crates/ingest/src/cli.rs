//! The command-line face of stage 2, shared by `cinelake-ingest` and `cinelake ingest`,
//! and the configuration the Lambda reads from its environment.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use cinelake_lake::Store;
use cinelake_lake::config::LakeArgs;
use cinelake_lake::layout::ProcessingDate;
use cinelake_lake::manifest::new_run_id;
use cinelake_lake::progress::Progress;
use cinelake_tmdb::client::DEFAULT_BASE_URL;
use cinelake_tmdb::{ClientConfig, Credentials, Secret, TmdbClient, TmdbError};

use crate::{IngestOptions, Selection, Summary, ingest};

#[derive(Debug, Clone, clap::Args)]
pub struct TmdbArgs {
    /// TMDB API base URL (a simulator's, in tests and the demo).
    #[arg(long, env = "TMDB_BASE_URL", default_value = DEFAULT_BASE_URL)]
    pub tmdb_url: String,
    /// Requests a second, shared by all requests of the run.
    #[arg(long, env = "CINELAKE_TMDB_RPS", default_value_t = 40.0)]
    pub rps: f64,
    /// Requests in flight at once.
    #[arg(long, env = "CINELAKE_TMDB_CONCURRENCY", default_value_t = 16)]
    pub concurrency: usize,
    /// Timeout of one request, in seconds.
    #[arg(long, env = "CINELAKE_TMDB_TIMEOUT_SECS", default_value_t = 10.0)]
    pub timeout_secs: f64,
    /// Attempts per request, the first included.
    #[arg(long, env = "CINELAKE_TMDB_MAX_ATTEMPTS", default_value_t = 8)]
    pub max_attempts: u32,
}

#[derive(Debug, Clone, clap::Args)]
pub struct IngestArgs {
    #[command(flatten)]
    pub lake: LakeArgs,
    #[command(flatten)]
    pub tmdb: TmdbArgs,
    /// Select films from this day's Raw movies.csv instead of the newest.
    #[arg(long, env = "CINELAKE_SOURCE_DATE", value_parser = parse_date)]
    pub source_date: Option<ProcessingDate>,
    /// Genres of interest (any of them), comma-separated.
    #[arg(
        long,
        env = "CINELAKE_INGEST_GENRES",
        value_delimiter = ',',
        default_value = "Drama"
    )]
    pub genres: Vec<String>,
    /// Earliest release year (0 for none).
    #[arg(long, env = "CINELAKE_INGEST_MIN_YEAR", default_value_t = 2000)]
    pub min_year: i32,
    /// Latest release year.
    #[arg(long, env = "CINELAKE_INGEST_MAX_YEAR")]
    pub max_year: Option<i32>,
    /// Fetch at most this many films in this run.
    #[arg(long, env = "CINELAKE_INGEST_MAX_IDS")]
    pub max_ids: Option<usize>,
    /// Stop starting new work after this many seconds (the next run continues).
    #[arg(long)]
    pub max_seconds: Option<u64>,
    /// Seconds a run's lease lasts unless renewed; a crashed run blocks others this long.
    #[arg(long, env = "CINELAKE_INGEST_LEASE_SECS", default_value_t = 120)]
    pub lease_secs: u64,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

fn parse_date(s: &str) -> Result<ProcessingDate, String> {
    s.parse().map_err(|e: cinelake_lake::Error| e.to_string())
}

impl IngestArgs {
    pub fn selection(&self) -> Selection {
        Selection {
            genres: self
                .genres
                .iter()
                .filter(|g| !g.trim().is_empty())
                .cloned()
                .collect(),
            min_year: (self.min_year > 0).then_some(self.min_year),
            max_year: self.max_year,
        }
    }
}

impl TmdbArgs {
    pub fn client(&self, credentials: Credentials) -> Result<TmdbClient, TmdbError> {
        let mut config = ClientConfig::new(&self.tmdb_url, credentials);
        config.requests_per_second = self.rps;
        config.concurrency = self.concurrency.max(1);
        config.timeout = Duration::from_secs_f64(self.timeout_secs.max(0.1));
        config.max_attempts = self.max_attempts.max(1);
        TmdbClient::new(config)
    }
}

/// The TMDB credentials: `TMDB_READ_TOKEN` or `TMDB_API_KEY`, else the SSM SecureString
/// parameter named by `TMDB_API_KEY_SSM_PARAMETER` (how the Lambda gets it).
pub async fn resolve_credentials() -> anyhow::Result<Credentials> {
    if let Some(c) = Credentials::from_env() {
        return Ok(c);
    }
    let Some(name) = std::env::var("TMDB_API_KEY_SSM_PARAMETER")
        .ok()
        .filter(|s| !s.is_empty())
    else {
        return Err(TmdbError::NoCredentials.into());
    };
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let ssm = aws_sdk_ssm::Client::new(&config);
    let out = ssm
        .get_parameter()
        .name(&name)
        .with_decryption(true)
        .send()
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "reading SSM parameter {name}: {}",
                aws_sdk_ssm::error::DisplayErrorContext(&e)
            )
        })?;
    let value = out
        .parameter()
        .and_then(|p| p.value())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .with_context(|| format!("SSM parameter {name} is empty"))?;
    // v4 read tokens are JWTs; v3 keys are 32 hex digits.
    Ok(if value.starts_with("eyJ") {
        Credentials::Bearer(Secret::new(value))
    } else {
        Credentials::ApiKey(Secret::new(value))
    })
}

/// Runs the stage from the command line and prints its summary.
pub async fn execute(args: &IngestArgs) -> anyhow::Result<Summary> {
    execute_with(args, resolve_credentials().await?).await
}

/// [`execute`] with credentials given (the demo passes its simulator's key).
pub async fn execute_with(args: &IngestArgs, credentials: Credentials) -> anyhow::Result<Summary> {
    let store = Store::open(&args.lake.lake)
        .await
        .with_context(|| format!("opening lake {}", args.lake.lake))?;
    let client = args.tmdb.client(credentials)?;
    let mut opts = IngestOptions::new(&new_run_id(), args.lake.processing_date());
    opts.source_date = args.source_date;
    opts.selection = args.selection();
    opts.max_ids = args.max_ids;
    opts.concurrency = args.tmdb.concurrency.max(1);
    opts.lease_ttl = chrono::Duration::seconds(args.lease_secs.max(1) as i64);
    opts.stop_at = args
        .max_seconds
        .map(|s| Instant::now() + Duration::from_secs(s));
    let bar: Arc<std::sync::Mutex<Option<Progress>>> = Arc::new(std::sync::Mutex::new(None));
    let bar_for_progress = bar.clone();
    opts.progress = Some(Arc::new(move |done, total| {
        let mut guard = bar_for_progress.lock().unwrap_or_else(|p| p.into_inner());
        let p = guard.get_or_insert_with(|| Progress::count("films", total));
        p.set(done);
    }));
    let summary = ingest(&store, &client, &opts).await;
    if let Some(p) = bar.lock().unwrap_or_else(|p| p.into_inner()).take() {
        p.finish();
    }
    let summary = summary?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else if let Some(holder) = &summary.busy_holder {
        println!("another ingestion ({holder}) is running on this lake; nothing done");
    } else {
        println!(
            "{} selected: {} fetched, {} not found on TMDB, {} failed (retried next run), {} remaining; \
             {} files, {} requests, {} retries, {:.1} s ({:?})",
            summary.selected,
            summary.fetched,
            summary.not_found,
            summary.failed,
            summary.remaining,
            summary.files,
            summary.requests,
            summary.retries,
            summary.duration_ms as f64 / 1000.0,
            summary.stop
        );
    }
    Ok(summary)
}
