//! A TMDB simulator, a real HTTP server on 127.0.0.1 that speaks TMDB's paths, JSON
//! shapes and error bodies. It checks the key. It injects the faults the real API
//! shows: latency, 429 with `Retry-After`, 5xx, hung requests and malformed bodies.
//!
//! Synthetic mode invents deterministic details for any IMDb id. Replay mode serves
//! recorded responses from Raw-style JSON files, byte for byte.

mod faults;
mod replay;
mod synthetic;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

pub use faults::Faults;
pub use replay::{ReplayError, Replayed};

/// Where answers come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// Invented, deterministic for the seed; `not_found_share` of ids are unknown.
    Synthetic { seed: u64, not_found_share: f64 },
    /// Recorded responses.
    Replay(Arc<Replayed>),
}

#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The v3 key accepted in `api_key`; `None` accepts any.
    pub api_key: Option<String>,
    /// The v4 token accepted as `Authorization: Bearer`; `None` accepts any.
    pub read_token: Option<String>,
    pub source: Source,
    pub faults: Faults,
    /// How the synthetic catalogue changes with the date; `None`: it never does.
    pub timeline: Option<Timeline>,
    /// The simulator's today; tests move it (`SimHandle::set_date`).
    pub clock: SimClock,
}

/// How the synthetic catalogue changes with the clock's date, as TMDB's does: audience
/// figures move every month from `since`, and some films are only known from a date.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// The month the figures start moving from (month 0).
    pub since: chrono::NaiveDate,
    /// Share of the films TMDB knows that it only learns of on `late_from`; before,
    /// looking them up finds nothing.
    pub late_share: f64,
    pub late_from: chrono::NaiveDate,
}

impl Timeline {
    /// Whole months from `since` to `date` (0 before it).
    fn months(&self, date: chrono::NaiveDate) -> u32 {
        use chrono::Datelike;
        let m = |d: chrono::NaiveDate| d.year() * 12 + d.month0() as i32;
        (m(date) - m(self.since)).max(0) as u32
    }
}

/// The simulator's date: the system's (UTC) unless set.
#[derive(Debug, Clone, Default)]
pub struct SimClock(Arc<std::sync::Mutex<Option<chrono::NaiveDate>>>);

impl SimClock {
    pub fn today(&self) -> chrono::NaiveDate {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .unwrap_or_else(|| chrono::Utc::now().date_naive())
    }

    pub fn set(&self, date: chrono::NaiveDate) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(date);
    }
}

impl SimConfig {
    pub fn synthetic(api_key: &str) -> Self {
        SimConfig {
            api_key: Some(api_key.to_string()),
            read_token: None,
            source: Source::Synthetic {
                seed: 1,
                not_found_share: 0.16,
            },
            faults: Faults::default(),
            timeline: None,
            clock: SimClock::default(),
        }
    }

    /// Replays every `*.json` array of records under `dir`.
    pub fn replay(api_key: &str, dir: &Path) -> Result<Self, ReplayError> {
        Ok(SimConfig {
            source: Source::Replay(Arc::new(Replayed::load(dir)?)),
            ..SimConfig::synthetic(api_key)
        })
    }
}

/// What the simulator served, by outcome.
#[derive(Debug, Default)]
pub struct SimStats {
    pub requests: AtomicU64,
    pub ok: AtomicU64,
    pub not_found: AtomicU64,
    pub unauthorized: AtomicU64,
    pub rate_limited: AtomicU64,
    pub server_errors: AtomicU64,
    pub hung: AtomicU64,
    pub malformed: AtomicU64,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct SimStatsSnapshot {
    pub requests: u64,
    pub ok: u64,
    pub not_found: u64,
    pub unauthorized: u64,
    pub rate_limited: u64,
    pub server_errors: u64,
    pub hung: u64,
    pub malformed: u64,
}

impl SimStats {
    pub fn snapshot(&self) -> SimStatsSnapshot {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        SimStatsSnapshot {
            requests: g(&self.requests),
            ok: g(&self.ok),
            not_found: g(&self.not_found),
            unauthorized: g(&self.unauthorized),
            rate_limited: g(&self.rate_limited),
            server_errors: g(&self.server_errors),
            hung: g(&self.hung),
            malformed: g(&self.malformed),
        }
    }
}

struct Sim {
    config: SimConfig,
    faults: faults::FaultState,
    stats: Arc<SimStats>,
}

/// A running simulator; dropping it stops the server.
pub struct SimHandle {
    pub addr: SocketAddr,
    stats: Arc<SimStats>,
    clock: SimClock,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl SimHandle {
    /// `http://127.0.0.1:<port>`, the client's base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn stats(&self) -> SimStatsSnapshot {
        self.stats.snapshot()
    }

    /// Moves the simulator's today (for the timeline).
    pub fn set_date(&self, date: chrono::NaiveDate) {
        self.clock.set(date);
    }

    /// Stops accepting and waits for the server task.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }

    /// Serves until the process is stopped (the `cinelake tmdb-sim` command).
    pub async fn wait(mut self) {
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// Starts the simulator on `addr` (port 0 picks a free one).
pub async fn start(config: SimConfig, addr: SocketAddr) -> std::io::Result<SimHandle> {
    let stats = Arc::new(SimStats::default());
    let clock = config.clock.clone();
    let sim = Arc::new(Sim {
        faults: faults::FaultState::new(&config.faults),
        config,
        stats: stats.clone(),
    });
    let app = Router::new()
        .route("/3/find/{external_id}", get(find))
        .route("/3/movie/{movie_id}", get(movie))
        .fallback(unknown_path)
        .with_state(sim);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
    });
    Ok(SimHandle {
        addr,
        stats,
        clock,
        shutdown: Some(tx),
        task: Some(task),
    })
}

type Params = Query<HashMap<String, String>>;

async fn find(
    State(sim): State<Arc<Sim>>,
    UrlPath(external_id): UrlPath<String>,
    Query(params): Params,
    headers: HeaderMap,
) -> Response {
    if let Some(early) = sim.gate(&params, &headers).await {
        return early;
    }
    if sim.faults.fails_id(&external_id) {
        sim.stats.server_errors.fetch_add(1, Ordering::Relaxed);
        return sim.status(
            StatusCode::SERVICE_UNAVAILABLE,
            9,
            "Service offline - This service is temporarily offline, try again later.",
        );
    }
    if params.get("external_source").map(String::as_str) != Some("imdb_id") {
        return sim.status(
            StatusCode::UNPROCESSABLE_ENTITY,
            26,
            "You must provide a valid external source.",
        );
    }
    let found = match &sim.config.source {
        Source::Synthetic {
            seed,
            not_found_share,
        } => synthetic::tmdb_id_of(&external_id, *seed, *not_found_share).filter(|_| {
            synthetic::number_of(&external_id).is_none_or(|n| !sim.not_yet_known(n, *seed))
        }),
        Source::Replay(r) => r.tmdb_id_of(&external_id),
    };
    let results = match found {
        Some(id) => serde_json::json!([{ "id": id, "media_type": "movie", "adult": false }]),
        None => serde_json::json!([]),
    };
    let body = serde_json::json!({
        "movie_results": results,
        "person_results": [],
        "tv_results": [],
        "tv_episode_results": [],
        "tv_season_results": [],
    });
    sim.ok(body.to_string())
}

async fn movie(
    State(sim): State<Arc<Sim>>,
    UrlPath(movie_id): UrlPath<String>,
    Query(params): Params,
    headers: HeaderMap,
) -> Response {
    if let Some(early) = sim.gate(&params, &headers).await {
        return early;
    }
    let Ok(id) = movie_id.parse::<u64>() else {
        return sim.not_found();
    };
    let body = match &sim.config.source {
        Source::Synthetic {
            seed,
            not_found_share,
        } => synthetic::details(id, *seed, *not_found_share, sim.months())
            .filter(|_| synthetic::number_of_tmdb(id).is_none_or(|n| !sim.not_yet_known(n, *seed))),
        Source::Replay(r) => r.record(id).map(str::to_string),
    };
    match body {
        Some(b) => sim.ok(b),
        None => sim.not_found(),
    }
}

async fn unknown_path(State(sim): State<Arc<Sim>>) -> Response {
    sim.not_found()
}

impl Sim {
    /// Months of figure drift at the clock's date.
    fn months(&self) -> u32 {
        self.config
            .timeline
            .as_ref()
            .map_or(0, |t| t.months(self.config.clock.today()))
    }

    /// Whether the film (by IMDb number) is one TMDB only learns of after the clock's
    /// date.
    fn not_yet_known(&self, number: u64, seed: u64) -> bool {
        self.config.timeline.as_ref().is_some_and(|t| {
            synthetic::late(number, seed, t.late_share) && self.config.clock.today() < t.late_from
        })
    }

    /// Authentication, then the injected faults; `Some` ends the request early.
    async fn gate(
        &self,
        params: &HashMap<String, String>,
        headers: &HeaderMap,
    ) -> Option<Response> {
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        if !self.authorised(params, headers) {
            self.stats.unauthorized.fetch_add(1, Ordering::Relaxed);
            return Some(self.status(
                StatusCode::UNAUTHORIZED,
                7,
                "Invalid API key: You must be granted a valid key.",
            ));
        }
        if let Some(wait) = self.faults.rate_limited() {
            self.stats.rate_limited.fetch_add(1, Ordering::Relaxed);
            let mut r = self.status(
                StatusCode::TOO_MANY_REQUESTS,
                25,
                "Your request count (#) is over the allowed limit of (40).",
            );
            let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return Some(r);
        }
        let roll = self.faults.roll();
        if !self.config.faults.latency.is_zero() {
            tokio::time::sleep(self.config.faults.latency).await;
        }
        match roll {
            faults::Fault::Hang => {
                self.stats.hung.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(self.config.faults.hang_for).await;
                Some(self.status(
                    StatusCode::GATEWAY_TIMEOUT,
                    24,
                    "Your request to the backend server timed out. Try again.",
                ))
            }
            faults::Fault::ServerError => {
                self.stats.server_errors.fetch_add(1, Ordering::Relaxed);
                Some(self.status(
                    StatusCode::SERVICE_UNAVAILABLE,
                    9,
                    "Service offline - This service is temporarily offline, try again later.",
                ))
            }
            faults::Fault::Malformed => {
                self.stats.malformed.fetch_add(1, Ordering::Relaxed);
                Some(json_response(
                    StatusCode::OK,
                    "{\"adult\":false,\"backdrop_path\":\"/x.jpg\",\"budg".to_string(),
                ))
            }
            faults::Fault::None => None,
        }
    }

    fn authorised(&self, params: &HashMap<String, String>, headers: &HeaderMap) -> bool {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let key = params.get("api_key").map(String::as_str);
        match (key, bearer) {
            (Some(k), _) => self.config.api_key.as_deref().is_none_or(|want| want == k),
            (None, Some(t)) => self
                .config
                .read_token
                .as_deref()
                .is_none_or(|want| want == t),
            (None, None) => false,
        }
    }

    fn ok(&self, body: String) -> Response {
        self.stats.ok.fetch_add(1, Ordering::Relaxed);
        json_response(StatusCode::OK, body)
    }

    fn not_found(&self) -> Response {
        self.stats.not_found.fetch_add(1, Ordering::Relaxed);
        self.status(
            StatusCode::NOT_FOUND,
            34,
            "The resource you requested could not be found.",
        )
    }

    fn status(&self, status: StatusCode, code: i64, message: &str) -> Response {
        let body = serde_json::json!({
            "success": false,
            "status_code": code,
            "status_message": message,
        });
        json_response(status, body.to_string())
    }
}

fn json_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json;charset=utf-8")],
        body,
    )
        .into_response()
}

/// Default hang: far past any sane client timeout.
pub const DEFAULT_HANG: Duration = Duration::from_secs(300);

/// The TMDB id synthetic mode gives an IMDb id, or `None` if it plays unknown.
pub fn synthetic_tmdb_id(imdb_id: &str, seed: u64, not_found_share: f64) -> Option<u64> {
    synthetic::tmdb_id_of(imdb_id, seed, not_found_share)
}
