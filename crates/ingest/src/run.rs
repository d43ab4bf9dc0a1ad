//! Runs one ingestion, from the selection to the stored records.
//!
//! A run selects the films, skips what is settled, and fetches the rest concurrently
//! under one rate limit. It commits every 100 records as a Raw file plus a checkpoint
//! segment.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use bytes::Bytes;
use cinelake_lake::Store;
use cinelake_lake::layout::{self, ProcessingDate};
use cinelake_lake::manifest::{Entry, RunRecorder};
use cinelake_tmdb::{Lookup, RawRecord, TmdbClient, TmdbError};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tracing::Instrument;

use cinelake_lake::lease::{Acquired, Lease};
use cinelake_rules::{Selection, Selector};

use crate::refresh::{RefreshPolicy, Why};
use crate::selection::latest_movies_key;
use crate::state::{self, Segment};
use crate::{IngestError, STAGE};

/// Records per Raw file, as the zone layout promises.
pub const RECORDS_PER_FILE: usize = 100;

#[derive(Clone)]
pub struct IngestOptions {
    pub run_id: String,
    /// The date Raw files are filed under (the TMDB collection date).
    pub date: ProcessingDate,
    /// Read this day's movies.csv instead of the newest.
    pub source_date: Option<ProcessingDate>,
    pub selection: Selection,
    /// Fetch at most this many ids this run.
    pub max_ids: Option<usize>,
    /// Which fetched and unknown films are due again, and the run's request budget.
    pub refresh: RefreshPolicy,
    /// Stop starting new work at this instant (a Lambda deadline minus a margin).
    pub stop_at: Option<Instant>,
    /// Abandon requests still in flight at this instant. The default is 20 s after
    /// `stop_at`.
    pub hard_stop: Option<Instant>,
    /// Requests in flight at once.
    pub concurrency: NonZeroUsize,
    pub lease_ttl: chrono::Duration,
    /// Called with (settled so far, to do) as the run goes, for a progress bar.
    pub progress: Option<std::sync::Arc<dyn Fn(u64, u64) + Send + Sync>>,
}

impl std::fmt::Debug for IngestOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IngestOptions")
            .field("run_id", &self.run_id)
            .field("date", &self.date)
            .field("selection", &self.selection)
            .field("max_ids", &self.max_ids)
            .field("refresh", &self.refresh)
            .finish_non_exhaustive()
    }
}

impl IngestOptions {
    pub fn new(run_id: &str, date: ProcessingDate) -> Self {
        IngestOptions {
            run_id: run_id.to_string(),
            date,
            source_date: None,
            selection: Selection::default(),
            max_ids: None,
            refresh: RefreshPolicy::default(),
            stop_at: None,
            hard_stop: None,
            concurrency: NonZeroUsize::new(16).expect("16 is not zero"),
            lease_ttl: chrono::Duration::minutes(2),
            progress: None,
        }
    }
}

/// Why the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// Every selected id is fetched or known missing (or failed this time).
    Complete,
    /// The deadline came. The next run continues.
    Deadline,
    /// `max_ids` reached.
    Limit,
    /// Another run holds the lease. This one did nothing.
    Busy,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    pub run_id: String,
    pub stop: Stop,
    pub selected: u64,
    pub fetched: u64,
    pub not_found: u64,
    /// Films looked up for the first time (fetched, or found unknown).
    #[serde(default)]
    pub new: u64,
    /// Films fetched again because their last fetch is before the current period.
    #[serde(default)]
    pub refreshed: u64,
    /// Ids TMDB did not know, asked again (found or still unknown).
    #[serde(default)]
    pub rechecked: u64,
    /// Ids that failed after every retry this run. They stay pending for the next run.
    pub failed: u64,
    /// Selected ids still due after this run. Such an id has never been fetched, is not
    /// refreshed this period, or has been unknown long enough to ask again.
    pub remaining: u64,
    pub files: u64,
    pub requests: u64,
    pub retries: u64,
    pub duration_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub busy_holder: Option<String>,
}

enum Outcome {
    Fetched {
        imdb: String,
        tmdb: u64,
        raw: RawRecord,
    },
    NotFound {
        imdb: String,
        tmdb: Option<u64>,
    },
    Failed {
        imdb: String,
        error: TmdbError,
    },
}

/// A film to fetch: its IMDb id, its TMDB id when known, and why it is due.
type Pending = (String, Option<u64>, Why);

async fn fetch_one(client: &TmdbClient, imdb: String, known: Option<u64>) -> Outcome {
    let tmdb = match known {
        Some(t) => t,
        None => match client.find_imdb(&imdb).await {
            Ok(Lookup::Found(t)) => t,
            Ok(Lookup::NotFound) => return Outcome::NotFound { imdb, tmdb: None },
            Err(error) => return Outcome::Failed { imdb, error },
        },
    };
    match client.movie(tmdb).await {
        Ok(Lookup::Found(raw)) => Outcome::Fetched { imdb, tmdb, raw },
        Ok(Lookup::NotFound) => Outcome::NotFound {
            imdb,
            tmdb: Some(tmdb),
        },
        Err(error) => Outcome::Failed { imdb, error },
    }
}

/// The batch being filled.
#[derive(Default)]
struct Batch {
    records: Vec<RawRecord>,
    segment: Segment,
}

impl Batch {
    fn is_empty(&self) -> bool {
        self.records.is_empty()
            && self.segment.not_found.is_empty()
            && self.segment.id_map.is_empty()
    }
}

struct Committer<'a> {
    store: &'a Store,
    lease: &'a Lease,
    renewed: Instant,
    opts: &'a IngestOptions,
    seq: u32,
    files: u64,
    segment_keys: Vec<String>,
    recorder: &'a mut RunRecorder,
}

impl Committer<'_> {
    /// Renews the lease when a third of its time has passed since the last renewal.
    async fn keep_lease(&mut self) -> Result<(), IngestError> {
        let third = self
            .opts
            .lease_ttl
            .to_std()
            .unwrap_or(Duration::from_secs(60))
            / 3;
        if self.renewed.elapsed() >= third {
            self.lease.renew(self.store).await?;
            self.renewed = Instant::now();
        }
        Ok(())
    }

    /// Stores the batch's records, then the segment that settles them.
    async fn commit(
        &mut self,
        batch: &mut Batch,
        state: &mut state::State,
    ) -> Result<(), IngestError> {
        if batch.is_empty() {
            return Ok(());
        }
        self.lease.renew(self.store).await?;
        self.renewed = Instant::now();
        self.seq += 1;
        let mut segment = std::mem::take(&mut batch.segment);
        segment.date = Some(self.opts.date.iso());
        let records = std::mem::take(&mut batch.records);
        if !records.is_empty() {
            let key = layout::raw_tmdb_json_key(self.opts.date, &self.opts.run_id, self.seq);
            let mut body =
                String::with_capacity(records.iter().map(|r| r.get().len() + 1).sum::<usize>() + 2);
            body.push('[');
            for (i, r) in records.iter().enumerate() {
                if i > 0 {
                    body.push(',');
                }
                body.push_str(r.get());
            }
            body.push(']');
            let bytes = body.len() as u64;
            self.store.put(&key, Bytes::from(body)).await?;
            self.recorder.output(Entry {
                key: key.clone(),
                bytes: Some(bytes),
                rows: Some(records.len() as u64),
                sha256: None,
                note: None,
            });
            self.files += 1;
            segment.raw_key = Some(key);
        }
        let seg_key = state::segment_key(&self.opts.run_id, self.seq);
        state::put_segment(self.store, &seg_key, &segment).await?;
        state.apply(&segment);
        self.segment_keys.push(seg_key);
        Ok(())
    }
}

/// Runs one ingestion. `Ok` with [`Stop::Busy`] when another run holds the lease.
/// Every log line of the run carries its stage and run id.
pub async fn ingest(
    store: &Store,
    client: &TmdbClient,
    opts: &IngestOptions,
) -> Result<Summary, IngestError> {
    let span = tracing::info_span!("run", stage = STAGE, run_id = %opts.run_id);
    ingest_in_span(store, client, opts).instrument(span).await
}

async fn ingest_in_span(
    store: &Store,
    client: &TmdbClient,
    opts: &IngestOptions,
) -> Result<Summary, IngestError> {
    let started = Instant::now();
    let stats_before = client.stats();
    let mut summary = Summary {
        run_id: opts.run_id.clone(),
        stop: Stop::Complete,
        selected: 0,
        fetched: 0,
        not_found: 0,
        new: 0,
        refreshed: 0,
        rechecked: 0,
        failed: 0,
        remaining: 0,
        files: 0,
        requests: 0,
        retries: 0,
        duration_ms: 0,
        busy_holder: None,
    };
    let lease = match Lease::acquire(
        store,
        &layout::raw_tmdb_state_key("lease/"),
        &opts.run_id,
        opts.lease_ttl,
    )
    .await?
    {
        Acquired::Held(l) => l,
        Acquired::Busy { holder, expires_at } => {
            tracing::info!(holder = %holder, %expires_at, "another ingestion holds the lease; exiting without work");
            summary.stop = Stop::Busy;
            summary.busy_holder = Some(holder);
            return Ok(summary);
        }
    };
    let mut recorder = RunRecorder::start(STAGE, &opts.run_id, opts.date, store);
    let result = work(store, client, opts, &lease, &mut recorder, &mut summary).await;
    let stats = client.stats();
    summary.requests = stats.requests - stats_before.requests;
    summary.retries = stats.retries - stats_before.retries;
    summary.duration_ms = started.elapsed().as_millis() as u64;
    for (name, n) in [
        ("selected", summary.selected),
        ("fetched", summary.fetched),
        ("not_found", summary.not_found),
        ("new", summary.new),
        ("refreshed", summary.refreshed),
        ("rechecked", summary.rechecked),
        ("failed", summary.failed),
        ("remaining", summary.remaining),
        ("files", summary.files),
        ("requests", summary.requests),
        ("retries", summary.retries),
    ] {
        recorder.count(name, n);
    }
    let error = result.as_ref().err().map(|e| e.to_string());
    let manifest = recorder.finish(store, error).await;
    let released = lease.release(store).await;
    result?;
    manifest?;
    released?;
    tracing::info!(
        fetched = summary.fetched,
        not_found = summary.not_found,
        new = summary.new,
        refreshed = summary.refreshed,
        rechecked = summary.rechecked,
        failed = summary.failed,
        remaining = summary.remaining,
        files = summary.files,
        requests = summary.requests,
        retries = summary.retries,
        duration_ms = summary.duration_ms,
        stop = ?summary.stop,
        "ingestion finished"
    );
    Ok(summary)
}

async fn work(
    store: &Store,
    client: &TmdbClient,
    opts: &IngestOptions,
    lease: &Lease,
    recorder: &mut RunRecorder,
    summary: &mut Summary,
) -> Result<(), IngestError> {
    let loaded = state::load(store).await?;
    let mut st = loaded.state;
    let due = due_films(store, opts, &st, recorder).await?;
    summary.selected = due.selected.len() as u64;
    let mut committer = Committer {
        store,
        lease,
        renewed: Instant::now(),
        opts,
        seq: 0,
        files: 0,
        segment_keys: loaded.segment_keys,
        recorder,
    };
    let mut ended = fetch_loop(client, opts, due.pending, &mut committer, &mut st, summary).await;
    if let Some(LoopError::Store(e)) = ended.error {
        return Err(e);
    }
    // Whatever was fetched is stored, even when TMDB ends the run.
    committer.commit(&mut ended.batch, &mut st).await?;
    summary.files = committer.files;
    let today = opts.date.date();
    summary.remaining = due
        .selected
        .iter()
        .filter(|id| opts.refresh.due(&st, id, today).is_some())
        .count() as u64;
    if let Some(LoopError::Tmdb(e)) = ended.error {
        return Err(e.into());
    }
    state::compact(store, &mut st, &committer.segment_keys, &opts.date.iso()).await?;
    summary.stop = stop_reason(ended.deadline_hit, due.limited);
    Ok(())
}

/// The films this run has to fetch.
struct Due {
    /// Every film of interest in the source file.
    selected: std::collections::BTreeSet<String>,
    /// The films due, each with its TMDB id when known and why it is due. New films come
    /// first, then refreshes, then re-checks. The list keeps within `max_ids` and the
    /// request budget.
    pending: Vec<Pending>,
    /// Whether `max_ids` or the request budget left some out.
    limited: bool,
}

/// Selects the films of interest from the source file and keeps those not settled.
async fn due_films(
    store: &Store,
    opts: &IngestOptions,
    st: &state::State,
    recorder: &mut RunRecorder,
) -> Result<Due, IngestError> {
    let source_key = latest_movies_key(store, opts.source_date).await?;
    // Read a piece at a time. The file is 164 MB today and is never held whole.
    let mut source = store.get_stream(&source_key).await?;
    let mut selector = Selector::new(&opts.selection);
    while let Some(piece) = source.next().await? {
        selector.feed(&piece)?;
    }
    let selected = selector.finish()?;
    recorder.input(Entry {
        key: source_key.clone(),
        bytes: None,
        rows: Some(selected.rows),
        sha256: None,
        note: Some(format!("{} ids selected", selected.ids.len())),
    });
    let today = opts.date.date();
    let mut pending: Vec<Pending> = selected
        .ids
        .iter()
        .filter_map(|id| {
            let why = opts.refresh.due(st, id, today)?;
            Some((id.clone(), st.id_map.get(id).copied(), why))
        })
        .collect();
    // The sort is stable, so ids stay in order within each kind.
    pending.sort_by_key(|(_, _, why)| *why);
    let due = pending.len();
    if let Some(m) = opts.max_ids {
        pending.truncate(m);
    }
    if let Some(budget) = opts.refresh.max_requests {
        let mut spent = 0usize;
        let within = pending
            .iter()
            .take_while(|(_, tmdb, _)| {
                spent += RefreshPolicy::cost(tmdb.is_some());
                spent <= budget
            })
            .count();
        pending.truncate(within);
    }
    let limited = pending.len() < due;
    let count = |w: Why| pending.iter().filter(|p| p.2 == w).count();
    tracing::info!(
        new = count(Why::New),
        refresh = count(Why::Refresh),
        recheck = count(Why::Recheck),
        left_for_later = due - pending.len(),
        "due films"
    );
    tracing::info!(source = %source_key, selected = selected.ids.len(), to_fetch = pending.len(), "selected films");
    Ok(Due {
        selected: selected.ids,
        pending,
        limited,
    })
}

/// How the fetch loop ended.
struct LoopEnd {
    /// What was fetched since the last commit.
    batch: Batch,
    /// The stop came (soft or hard) before every film was fetched.
    deadline_hit: bool,
    error: Option<LoopError>,
}

/// What ends a fetch loop early.
enum LoopError {
    /// A TMDB answer no retry can mend, such as a refused key. What was fetched is stored.
    Tmdb(TmdbError),
    /// Storing failed, or the lease was lost. Nothing more is written.
    Store(IngestError),
}

/// Fetches `pending` concurrently under the client's rate limit and commits every
/// [`RECORDS_PER_FILE`] records.
///
/// It goes on until every film is done, the stop instant comes, or an error is fatal.
async fn fetch_loop(
    client: &TmdbClient,
    opts: &IngestOptions,
    pending: Vec<Pending>,
    committer: &mut Committer<'_>,
    st: &mut state::State,
    summary: &mut Summary,
) -> LoopEnd {
    let todo = pending.len() as u64;
    let stop_at = opts.stop_at;
    let deadline_hit = std::sync::atomic::AtomicBool::new(false);
    let mut results = futures_util::stream::iter(pending)
        .take_while(|_| {
            let go = stop_at.is_none_or(|t| Instant::now() < t);
            if !go {
                deadline_hit.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            std::future::ready(go)
        })
        .map(|(imdb, known, why)| async move { (why, fetch_one(client, imdb, known).await) })
        .buffer_unordered(opts.concurrency.get());

    let mut batch = Batch::default();
    let mut done = 0u64;
    let mut error: Option<LoopError> = None;
    // In-flight requests may outlive the soft stop by up to a request's retries. The
    // hard stop comes a little later and abandons them unrecorded. They are fetched
    // next time.
    let hard_stop = opts
        .hard_stop
        .or(stop_at.map(|t| t + Duration::from_secs(20)));
    loop {
        let next = match hard_stop {
            Some(h) => match tokio::time::timeout_at(h.into(), results.next()).await {
                Ok(n) => n,
                Err(_) => {
                    deadline_hit.store(true, std::sync::atomic::Ordering::Relaxed);
                    break;
                }
            },
            None => results.next().await,
        };
        let Some((why, outcome)) = next else { break };
        done += 1;
        if !matches!(outcome, Outcome::Failed { .. }) {
            match why {
                Why::New => summary.new += 1,
                Why::Refresh => summary.refreshed += 1,
                Why::Recheck => summary.rechecked += 1,
            }
        }
        match outcome {
            Outcome::Fetched { imdb, tmdb, raw } => {
                summary.fetched += 1;
                batch.segment.fetched.insert(imdb, tmdb);
                batch.records.push(raw);
            }
            Outcome::NotFound { imdb, tmdb } => {
                summary.not_found += 1;
                if let Some(t) = tmdb {
                    batch.segment.id_map.insert(imdb.clone(), t);
                }
                batch.segment.not_found.insert(imdb);
            }
            Outcome::Failed { imdb, error: e } => {
                if e.is_fatal() {
                    error = Some(LoopError::Tmdb(e));
                    break;
                }
                summary.failed += 1;
                tracing::warn!(imdb_id = %imdb, error = %e, "film not fetched this run; it stays pending");
            }
        }
        let kept = if batch.records.len() >= RECORDS_PER_FILE {
            committer.commit(&mut batch, st).await
        } else {
            committer.keep_lease().await
        };
        if let Err(e) = kept {
            error = Some(LoopError::Store(e));
            break;
        }
        if let Some(p) = &opts.progress {
            p(done, todo);
        }
    }
    LoopEnd {
        batch,
        deadline_hit: deadline_hit.load(std::sync::atomic::Ordering::Relaxed),
        error,
    }
}

/// Why a run that did not fail ended.
fn stop_reason(deadline_hit: bool, limited: bool) -> Stop {
    if deadline_hit {
        Stop::Deadline
    } else if limited {
        Stop::Limit
    } else {
        Stop::Complete
    }
}

/// Each id and the Raw files that hold it, for tests and checks. It reads every record
/// of every Raw TMDB file.
pub async fn stored_records(store: &Store) -> Result<BTreeMap<String, Vec<String>>, IngestError> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for obj in store.list(&layout::raw_tmdb_json_prefix()).await? {
        let body = store.get(&obj.key).await?;
        for imdb in state::records_in(&body, &obj.key)?.into_keys() {
            out.entry(imdb).or_default().push(obj.key.clone());
        }
    }
    Ok(out)
}
