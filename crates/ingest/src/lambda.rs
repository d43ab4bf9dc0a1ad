//! The Lambda face of stage 2.
//!
//! EventBridge Scheduler invokes it monthly. It invokes it again while the last summary
//! says work remains. The Lambda stops before the invocation's deadline, with
//! everything fetched stored, and returns the run summary.

use std::time::{Duration, Instant, SystemTime};

use cinelake_lake::Store;
use cinelake_lake::layout::ProcessingDate;
use cinelake_tmdb::TmdbClient;
use serde::Deserialize;

use crate::settings::{IngestSettings, resolve_credentials};
use crate::{Summary, ingest};

/// What an invocation may override; every field is optional, and unknown fields (an
/// EventBridge envelope) are ignored.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct IngestEvent {
    /// Processing date to file under, YYYY-MM-DD.
    pub date: Option<String>,
    pub source_date: Option<String>,
    pub max_ids: Option<usize>,
    pub genres: Option<Vec<String>>,
    pub min_year: Option<i32>,
    pub max_year: Option<i32>,
    /// `month`, a number of days (`30d`) or `never`.
    pub refresh_period: Option<String>,
    pub recheck_missing_months: Option<u32>,
    pub max_requests: Option<usize>,
}

/// Everything an invocation needs, built once per cold start.
pub struct Handler {
    pub store: Store,
    pub client: TmdbClient,
    /// The function's settings (its environment); an event overrides some per invocation.
    pub settings: IngestSettings,
    /// Time kept free before the deadline for the last commits and the manifest (at
    /// most a quarter of the invocation's time).
    pub margin: Duration,
}

impl Handler {
    /// The handler of a function configured by `settings`: the lake opened and the
    /// TMDB client made once, for every invocation of this instance.
    pub async fn new(
        settings: IngestSettings,
        margin: Duration,
    ) -> Result<Self, crate::IngestError> {
        let store = settings.lake.open().await?;
        let client = settings.tmdb.client(resolve_credentials().await?)?;
        Ok(Handler {
            store,
            client,
            settings,
            margin,
        })
    }
}

/// Work never gets less than this of an invocation (or three quarters of it, if that
/// is shorter), so a margin as long as the timeout still makes progress every round.
const MIN_WORK: Duration = Duration::from_secs(5);

/// How long an invocation of `total` works, and the margin it actually keeps: the
/// configured margin, unless that leaves less than [`MIN_WORK`].
fn working_time(total: Duration, margin: Duration) -> (Duration, Duration) {
    let floor = MIN_WORK.min(total * 3 / 4);
    let left = total.saturating_sub(margin).max(floor);
    (left, total - left)
}

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("invalid event field {field}: {value:?} is not a YYYY-MM-DD date")]
    BadDate { field: &'static str, value: String },
    #[error("invalid event field refresh_period: {0}")]
    BadPeriod(String),
    #[error(transparent)]
    Ingest(#[from] crate::IngestError),
}

impl Handler {
    /// Runs one ingestion that stops `margin` before `deadline`.
    pub async fn handle(
        &self,
        event: IngestEvent,
        deadline: SystemTime,
    ) -> Result<Summary, HandlerError> {
        let parse = |field: &'static str,
                     v: &Option<String>|
         -> Result<Option<ProcessingDate>, HandlerError> {
            v.as_ref()
                .map(|s| {
                    s.parse().map_err(|_| HandlerError::BadDate {
                        field,
                        value: s.clone(),
                    })
                })
                .transpose()
        };
        let mut opts = self.settings.options();
        if let Some(date) = parse("date", &event.date)? {
            opts.date = date;
        }
        if let Some(date) = parse("source_date", &event.source_date)? {
            opts.source_date = Some(date);
        }
        opts.max_ids = event.max_ids.or(opts.max_ids);
        if let Some(genres) = &event.genres {
            opts.selection.genres = genres.clone();
        }
        opts.selection.min_year = event.min_year.or(opts.selection.min_year);
        opts.selection.max_year = event.max_year.or(opts.selection.max_year);
        if let Some(p) = &event.refresh_period {
            opts.refresh.period = p.parse().map_err(HandlerError::BadPeriod)?;
        }
        if let Some(m) = event.recheck_missing_months {
            opts.refresh.recheck_missing_months = m;
        }
        opts.refresh.max_requests = event.max_requests.or(opts.refresh.max_requests);
        let total = deadline
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO);
        let (left, margin) = working_time(total, self.margin);
        opts.stop_at = Some(Instant::now() + left);
        // In-flight requests get half the margin; the other half is for the last commit.
        opts.hard_stop = Some(Instant::now() + left + margin / 2);
        tracing::info!(run_id = %opts.run_id, invocation_secs = total.as_secs(), working_secs = left.as_secs(), "invocation");
        Ok(ingest(&self.store, &self.client, &opts).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_margin_is_kept_but_never_leaves_less_than_five_seconds_of_work() {
        let secs = Duration::from_secs;
        assert_eq!(working_time(secs(900), secs(45)), (secs(855), secs(45)));
        assert_eq!(working_time(secs(600), secs(594)), (secs(6), secs(594)));
        assert_eq!(working_time(secs(600), secs(900)), (secs(5), secs(595)));
        // A short invocation keeps a quarter free for the last commit.
        let ms = Duration::from_millis;
        assert_eq!(working_time(ms(1500), ms(500)), (ms(1125), ms(375)));
        assert_eq!(working_time(secs(4), secs(45)), (secs(3), secs(1)));
        assert_eq!(working_time(secs(0), secs(45)), (secs(0), secs(0)));
    }
}
