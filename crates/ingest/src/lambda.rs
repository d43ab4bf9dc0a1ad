//! The Lambda face of stage 2. EventBridge Scheduler invokes it (monthly, and again
//! while the last summary says work remains); it stops before the invocation's deadline
//! with everything fetched stored, and returns the run summary.

use std::time::{Duration, Instant, SystemTime};

use cinelake_lake::Store;
use cinelake_lake::layout::ProcessingDate;
use cinelake_lake::manifest::new_run_id;
use cinelake_tmdb::TmdbClient;
use serde::Deserialize;

use crate::{IngestOptions, Selection, Summary, ingest};

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
}

/// Everything an invocation needs, built once per cold start.
pub struct Handler {
    pub store: Store,
    pub client: TmdbClient,
    pub selection: Selection,
    pub concurrency: usize,
    /// Time kept free before the deadline for the last commits and the manifest (at
    /// most a quarter of the invocation's time).
    pub margin: Duration,
    /// How long a lease lasts unless renewed (a killed invocation blocks others this long).
    pub lease_ttl: chrono::Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("invalid event field {field}: {value:?} is not a YYYY-MM-DD date")]
    BadDate { field: &'static str, value: String },
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
        let date = ProcessingDate::or_today(parse("date", &event.date)?);
        let mut opts = IngestOptions::new(&new_run_id(), date);
        opts.source_date = parse("source_date", &event.source_date)?;
        opts.max_ids = event.max_ids;
        opts.concurrency = self.concurrency;
        opts.selection = Selection {
            genres: event
                .genres
                .clone()
                .unwrap_or_else(|| self.selection.genres.clone()),
            min_year: event.min_year.or(self.selection.min_year),
            max_year: event.max_year.or(self.selection.max_year),
        };
        let total = deadline
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO);
        // A short timeout (a local `cargo lambda watch` gives 30 s) keeps a quarter free.
        let margin = self.margin.min(total / 4);
        let left = total.saturating_sub(margin);
        opts.stop_at = Some(Instant::now() + left);
        // In-flight requests get half the margin; the other half is for the last commit.
        opts.hard_stop = Some(Instant::now() + left + margin / 2);
        opts.lease_ttl = self.lease_ttl;
        tracing::info!(run_id = %opts.run_id, invocation_secs = total.as_secs(), working_secs = left.as_secs(), "invocation");
        Ok(ingest(&self.store, &self.client, &opts).await?)
    }
}
