//! The stage's settings, from flags or the environment (`.env.example`).
//!
//! They are the same for `cinelake ingest` and the Lambda. The Lambda reads them once
//! per cold start. They become the run's [`IngestOptions`] in one place,
//! [`IngestSettings::options`].

use std::num::{NonZeroU32, NonZeroU64, NonZeroUsize};
use std::time::{Duration, Instant};

use cinelake_lake::layout::ProcessingDate;
use cinelake_lake::manifest::new_run_id;
use cinelake_lake::settings::LakeSettings;
use cinelake_rules::SelectionSettings;
use cinelake_tmdb::client::DEFAULT_BASE_URL;
use cinelake_tmdb::{ClientConfig, Credentials, Secret, TmdbClient, TmdbError};

use crate::refresh::{Period, RefreshPolicy};
use crate::{IngestError, IngestOptions};

/// How TMDB is reached.
#[derive(Debug, Clone, PartialEq, clap::Args)]
pub struct TmdbSettings {
    /// TMDB API base URL (a simulator's, in tests and the demo).
    #[arg(long, env = "TMDB_BASE_URL", default_value = DEFAULT_BASE_URL)]
    pub tmdb_url: String,
    /// Requests a second, shared by all requests of the run.
    #[arg(long, env = "CINELAKE_TMDB_RPS", default_value_t = 40.0)]
    pub rps: f64,
    /// Requests in flight at once.
    #[arg(long, env = "CINELAKE_TMDB_CONCURRENCY", default_value = "16")]
    pub concurrency: NonZeroUsize,
    /// Timeout of one request, in seconds.
    #[arg(long, env = "CINELAKE_TMDB_TIMEOUT_SECS", default_value_t = 10.0)]
    pub timeout_secs: f64,
    /// Attempts per request, the first included.
    #[arg(long, env = "CINELAKE_TMDB_MAX_ATTEMPTS", default_value = "8")]
    pub max_attempts: NonZeroU32,
    /// Seconds TMDB may give no answer at all, to any request, before the run stops
    /// with one error (what it fetched is kept, the rest stays due).
    #[arg(long, env = "CINELAKE_TMDB_UNREACHABLE_SECS", default_value_t = 60.0)]
    pub unreachable_secs: f64,
}

impl TmdbSettings {
    /// TMDB (or a simulator) at `base_url`, with the defaults of the flags.
    pub fn new(base_url: &str) -> Self {
        TmdbSettings {
            tmdb_url: base_url.to_string(),
            rps: 40.0,
            concurrency: NonZeroUsize::new(16).expect("not zero"),
            timeout_secs: 10.0,
            max_attempts: NonZeroU32::new(8).expect("not zero"),
            unreachable_secs: 60.0,
        }
    }

    pub fn client(&self, credentials: Credentials) -> Result<TmdbClient, TmdbError> {
        let mut config = ClientConfig::new(&self.tmdb_url, credentials);
        config.requests_per_second = self.rps;
        config.concurrency = self.concurrency;
        config.timeout = Duration::from_secs_f64(self.timeout_secs.max(0.1));
        config.max_attempts = self.max_attempts;
        // A huge or infinite value means never.
        config.unreachable_after =
            Duration::try_from_secs_f64(self.unreachable_secs.max(0.0)).unwrap_or(Duration::MAX);
        TmdbClient::new(config)
    }
}

/// Everything a run of the stage is configured by.
#[derive(Debug, Clone, PartialEq, clap::Args)]
pub struct IngestSettings {
    #[command(flatten)]
    pub lake: LakeSettings,
    #[command(flatten)]
    pub tmdb: TmdbSettings,
    /// Select films from this day's Raw movies.csv instead of the newest.
    #[arg(long, env = "CINELAKE_SOURCE_DATE")]
    pub source_date: Option<ProcessingDate>,
    #[command(flatten)]
    pub selection: SelectionSettings,
    /// Fetch at most this many films in this run.
    #[arg(long, env = "CINELAKE_INGEST_MAX_IDS")]
    pub max_ids: Option<usize>,
    /// Fetch a film again when its last fetch is before the current period: `month`
    /// (before the 1st of the run's month), a number of days (`30d`), or `never`.
    #[arg(long, env = "CINELAKE_INGEST_REFRESH_PERIOD", default_value = "month")]
    pub refresh_period: Period,
    /// Ask TMDB again about an id it did not know this many months later (0: never).
    #[arg(long, env = "CINELAKE_INGEST_RECHECK_MONTHS", default_value_t = 6)]
    pub recheck_missing_months: u32,
    /// At most this many TMDB requests this run (new films first, then refreshes, then
    /// re-checks).
    #[arg(long, env = "CINELAKE_INGEST_MAX_REQUESTS")]
    pub max_requests: Option<usize>,
    /// Stop starting new work after this many seconds (the next run continues).
    #[arg(long)]
    pub max_seconds: Option<u64>,
    /// Seconds a run's lease lasts unless renewed; a crashed run blocks others this long.
    #[arg(long, env = "CINELAKE_INGEST_LEASE_SECS", default_value = "120")]
    pub lease_secs: NonZeroU64,
}

impl IngestSettings {
    /// A run over `lake` against `tmdb`, with the defaults of the flags.
    pub fn new(lake: LakeSettings, tmdb: TmdbSettings) -> Self {
        IngestSettings {
            lake,
            tmdb,
            source_date: None,
            selection: SelectionSettings::default(),
            max_ids: None,
            refresh_period: Period::Month,
            recheck_missing_months: 6,
            max_requests: None,
            max_seconds: None,
            lease_secs: NonZeroU64::new(120).expect("not zero"),
        }
    }

    /// The options of one run (a new run id), stopping after `max_seconds` if set.
    pub fn options(&self) -> IngestOptions {
        let mut opts = IngestOptions::new(&new_run_id(), self.lake.processing_date());
        opts.source_date = self.source_date;
        opts.selection = self.selection.selection();
        opts.max_ids = self.max_ids;
        opts.refresh = RefreshPolicy {
            period: self.refresh_period,
            recheck_missing_months: self.recheck_missing_months,
            max_requests: self.max_requests,
        };
        opts.concurrency = self.tmdb.concurrency;
        opts.lease_ttl = chrono::Duration::seconds(self.lease_secs.get() as i64);
        opts.stop_at = self
            .max_seconds
            .map(|s| Instant::now() + Duration::from_secs(s));
        opts
    }
}

/// The TMDB credentials: `TMDB_READ_TOKEN` or `TMDB_API_KEY`, else the SSM SecureString
/// parameter named by `TMDB_API_KEY_SSM_PARAMETER` (how the Lambda gets it).
pub async fn resolve_credentials() -> Result<Credentials, IngestError> {
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
        .map_err(|e| IngestError::Ssm {
            parameter: name.clone(),
            source: Box::new(e),
        })?;
    let value = out
        .parameter()
        .and_then(|p| p.value())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| IngestError::EmptySecret {
            parameter: name.clone(),
        })?;
    // v4 read tokens are JWTs; v3 keys are 32 hex digits.
    Ok(if value.starts_with("eyJ") {
        Credentials::Bearer(Secret::new(value))
    } else {
        Credentials::ApiKey(Secret::new(value))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // The constructors repeat the flags' defaults; this keeps the two from drifting.
    #[test]
    fn the_constructors_are_the_flags_defaults() {
        let parsed: IngestSettings =
            cinelake_front::env::from_env(&["--tmdb-url", "http://127.0.0.1:1"]).unwrap();
        let built = IngestSettings::new(
            LakeSettings::at("./lake"),
            TmdbSettings::new("http://127.0.0.1:1"),
        );
        assert_eq!(parsed, built);
    }
}
