//! The TMDB client. It can `find` an IMDb id and fetch a movie's details, nothing more.
//!
//! One [`RateLimiter`] and one semaphore are shared by every request. So any number of
//! callers stay under TMDB's rate and a bounded number of connections. A permit is held
//! only while a request is in flight, never while it backs off.

use std::num::{NonZeroU32, NonZeroUsize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::value::RawValue;
use tokio::sync::Semaphore;

use crate::credentials::Credentials;
use crate::error::TmdbError;
use crate::limiter::RateLimiter;
use crate::retry::{Backoff, INVALID_KEY, NOT_FOUND_CODES, RETRYABLE_CODES, parse_retry_after};

/// One TMDB response body, byte for byte.
pub type RawRecord = Box<RawValue>;

pub const DEFAULT_BASE_URL: &str = "https://api.themoviedb.org";

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Scheme and host, e.g. `https://api.themoviedb.org` or a simulator's URL.
    pub base_url: String,
    pub credentials: Credentials,
    pub requests_per_second: f64,
    /// Requests in flight at once.
    pub concurrency: NonZeroUsize,
    /// Whole-request timeout (connect, send, and read the body).
    pub timeout: Duration,
    /// Attempts per request, the first included.
    pub max_attempts: NonZeroU32,
    pub backoff: Backoff,
    /// How long TMDB may give no answer at all before the client gives up on it, rather
    /// than on one film at a time. No answer at all means every request fails to
    /// connect or is cut off.
    pub unreachable_after: Duration,
    /// `language` of movie details.
    pub language: String,
}

impl ClientConfig {
    pub fn new(base_url: &str, credentials: Credentials) -> Self {
        ClientConfig {
            base_url: base_url.trim_end_matches('/').to_string(),
            credentials,
            requests_per_second: 40.0,
            concurrency: NonZeroUsize::new(16).expect("16 is not zero"),
            timeout: Duration::from_secs(10),
            max_attempts: NonZeroU32::new(8).expect("8 is not zero"),
            backoff: Backoff::default(),
            unreachable_after: Duration::from_secs(60),
            language: "pt-BR".into(),
        }
    }
}

/// Whether TMDB knows the thing asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<T> {
    Found(T),
    NotFound,
}

/// Counters of everything the client sent and met.
#[derive(Debug, Default)]
pub struct ClientStats {
    requests: AtomicU64,
    retries: AtomicU64,
    rate_limited: AtomicU64,
    server_errors: AtomicU64,
    transport_errors: AtomicU64,
    malformed: AtomicU64,
}

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct StatsSnapshot {
    pub requests: u64,
    pub retries: u64,
    pub rate_limited: u64,
    pub server_errors: u64,
    pub transport_errors: u64,
    pub malformed: u64,
}

impl ClientStats {
    pub fn snapshot(&self) -> StatsSnapshot {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StatsSnapshot {
            requests: get(&self.requests),
            retries: get(&self.retries),
            rate_limited: get(&self.rate_limited),
            server_errors: get(&self.server_errors),
            transport_errors: get(&self.transport_errors),
            malformed: get(&self.malformed),
        }
    }
}

/// Since when no request has had an answer from TMDB, over every request in flight.
#[derive(Debug, Default)]
struct Silence {
    since: Option<Instant>,
    failures: u64,
    last: String,
}

#[derive(Clone)]
pub struct TmdbClient {
    http: reqwest::Client,
    config: Arc<ClientConfig>,
    limiter: Arc<RateLimiter>,
    permits: Arc<Semaphore>,
    stats: Arc<ClientStats>,
    silence: Arc<Mutex<Silence>>,
}

impl std::fmt::Debug for TmdbClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TmdbClient")
            .field("base_url", &self.config.base_url)
            .finish_non_exhaustive()
    }
}

/// What one attempt came to.
enum Attempt {
    Done(Lookup<bytes::Bytes>),
    Retry {
        reason: String,
        after: Option<Duration>,
    },
}

impl TmdbClient {
    pub fn new(config: ClientConfig) -> Result<Self, TmdbError> {
        let url = reqwest::Url::parse(&config.base_url).map_err(|e| TmdbError::BadBaseUrl {
            url: config.base_url.clone(),
            reason: e.to_string(),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(TmdbError::BadBaseUrl {
                url: config.base_url.clone(),
                reason: "expected http or https".into(),
            });
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .pool_max_idle_per_host(config.concurrency.get())
            .user_agent(concat!("cinelake/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| TmdbError::Client(e.without_url().to_string()))?;
        Ok(TmdbClient {
            http,
            limiter: Arc::new(RateLimiter::new(config.requests_per_second)),
            permits: Arc::new(Semaphore::new(config.concurrency.get())),
            stats: Arc::new(ClientStats::default()),
            silence: Arc::new(Mutex::new(Silence::default())),
            config: Arc::new(config),
        })
    }

    pub fn stats(&self) -> StatsSnapshot {
        self.stats.snapshot()
    }

    /// The TMDB movie id of an IMDb id (`/3/find/{imdb_id}?external_source=imdb_id`).
    pub async fn find_imdb(&self, imdb_id: &str) -> Result<Lookup<u64>, TmdbError> {
        if !is_imdb_id(imdb_id) {
            return Ok(Lookup::NotFound);
        }
        let path = format!("/3/find/{imdb_id}");
        let body = match self.get(&path, &[("external_source", "imdb_id")]).await? {
            Lookup::Found(b) => b,
            Lookup::NotFound => return Ok(Lookup::NotFound),
        };
        #[derive(serde::Deserialize)]
        struct Found {
            movie_results: Vec<Id>,
        }
        #[derive(serde::Deserialize)]
        struct Id {
            id: u64,
        }
        let found: Found = serde_json::from_slice(&body).map_err(|e| TmdbError::Unexpected {
            path: path.clone(),
            reason: format!("find answer without movie_results: {e}"),
        })?;
        Ok(match found.movie_results.first() {
            Some(m) => Lookup::Found(m.id),
            None => Lookup::NotFound,
        })
    }

    /// A movie's details in the configured language, exactly as TMDB returned them.
    pub async fn movie(&self, tmdb_id: u64) -> Result<Lookup<RawRecord>, TmdbError> {
        let path = format!("/3/movie/{tmdb_id}");
        let language = self.config.language.clone();
        let body = match self.get(&path, &[("language", &language)]).await? {
            Lookup::Found(b) => b,
            Lookup::NotFound => return Ok(Lookup::NotFound),
        };
        // `get` already proved the body is JSON; a record must be an object with an id.
        let raw: RawRecord = serde_json::from_slice(&body).map_err(|e| TmdbError::Unexpected {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        #[derive(serde::Deserialize)]
        struct Id {
            id: u64,
        }
        match serde_json::from_str::<Id>(raw.get()) {
            Ok(id) if id.id == tmdb_id => Ok(Lookup::Found(raw)),
            Ok(id) => Err(TmdbError::Unexpected {
                path,
                reason: format!("asked for movie {tmdb_id}, got {}", id.id),
            }),
            Err(e) => Err(TmdbError::Unexpected {
                path,
                reason: format!("movie details without a numeric id: {e}"),
            }),
        }
    }

    /// GET with rate limit, bounded concurrency and retries. `NotFound` for 404 and
    /// TMDB's not-found codes; a 200 body is returned only if it parses as JSON.
    async fn get(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Lookup<bytes::Bytes>, TmdbError> {
        let max = self.config.max_attempts.get();
        let mut last = String::new();
        for attempt in 1..=max {
            let outcome = {
                let _permit = self
                    .permits
                    .acquire()
                    .await
                    .map_err(|e| TmdbError::Client(e.to_string()))?;
                self.check_reachable()?;
                self.limiter.acquire().await;
                self.stats.requests.fetch_add(1, Ordering::Relaxed);
                self.attempt(path, query).await?
            };
            match outcome {
                Attempt::Done(result) => return Ok(result),
                Attempt::Retry { reason, after } => {
                    self.check_reachable()?;
                    tracing::debug!(path, attempt, reason = %reason, "retrying");
                    last = reason;
                    if attempt < max {
                        self.stats.retries.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(self.config.backoff.delay(attempt, after)).await;
                    }
                }
            }
        }
        Err(TmdbError::Exhausted {
            path: path.to_string(),
            attempts: max,
            last,
        })
    }

    /// `Unreachable` once no request has had an answer for `unreachable_after`. Then
    /// every request gives up at once. The run ends with one error, not a round of
    /// retries for each film.
    fn check_reachable(&self) -> Result<(), TmdbError> {
        let silence = self.silence.lock().unwrap_or_else(|e| e.into_inner());
        match silence.since {
            Some(since) if since.elapsed() >= self.config.unreachable_after => {
                Err(TmdbError::Unreachable {
                    url: self.config.base_url.clone(),
                    secs: since.elapsed().as_secs(),
                    failures: silence.failures,
                    last: silence.last.clone(),
                })
            }
            _ => Ok(()),
        }
    }

    /// Notes that a request had an answer (any HTTP status), or none (`Some(reason)`).
    fn heard(&self, failure: Option<&str>) {
        let mut silence = self.silence.lock().unwrap_or_else(|e| e.into_inner());
        match failure {
            None => *silence = Silence::default(),
            Some(reason) => {
                silence.since.get_or_insert_with(Instant::now);
                silence.failures += 1;
                silence.last = reason.to_string();
            }
        }
    }

    async fn attempt(&self, path: &str, query: &[(&str, &str)]) -> Result<Attempt, TmdbError> {
        let mut request = self
            .http
            .get(format!("{}{path}", self.config.base_url))
            .query(query);
        request = match &self.config.credentials {
            Credentials::ApiKey(key) => request.query(&[("api_key", key.expose())]),
            Credentials::Bearer(token) => request.bearer_auth(token.expose()),
        };
        let transport = |e: reqwest::Error| {
            self.stats.transport_errors.fetch_add(1, Ordering::Relaxed);
            // `without_url`: the URL may carry the api_key.
            let kind = if e.is_timeout() {
                "timed out"
            } else if e.is_connect() {
                "could not connect"
            } else {
                "transport error"
            };
            Attempt::Retry {
                reason: {
                    let e = e.without_url();
                    let causes =
                        std::iter::successors(std::error::Error::source(&e), |c| c.source());
                    std::iter::once(e.to_string())
                        .chain(causes.map(ToString::to_string))
                        .fold(kind.to_string(), |acc, m| {
                            if acc.contains(&m) {
                                acc
                            } else {
                                format!("{acc}: {m}")
                            }
                        })
                },
                after: None,
            }
        };
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                let retry = transport(e);
                if let Attempt::Retry { reason, .. } = &retry {
                    self.heard(Some(reason));
                }
                return Ok(retry);
            }
        };
        self.heard(None);
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let body = match response.bytes().await {
            Ok(b) => b,
            Err(e) => return Ok(transport(e)),
        };
        let tmdb = TmdbStatus::parse(&body);
        if status == 200 {
            if serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_err() {
                self.stats.malformed.fetch_add(1, Ordering::Relaxed);
                return Ok(Attempt::Retry {
                    reason: format!("malformed JSON body ({} bytes)", body.len()),
                    after: None,
                });
            }
            return Ok(Attempt::Done(Lookup::Found(body)));
        }
        if status == 401 || tmdb.code == Some(INVALID_KEY) {
            return Err(TmdbError::Unauthorized {
                status,
                code: tmdb.code.unwrap_or(-1),
                message: tmdb.message,
            });
        }
        if status == 404 || tmdb.code.is_some_and(|c| NOT_FOUND_CODES.contains(&c)) {
            return Ok(Attempt::Done(Lookup::NotFound));
        }
        let retryable_code = tmdb.code.is_some_and(|c| RETRYABLE_CODES.contains(&c));
        if status == 429 || status >= 500 || retryable_code {
            if status == 429 {
                self.stats.rate_limited.fetch_add(1, Ordering::Relaxed);
            } else {
                self.stats.server_errors.fetch_add(1, Ordering::Relaxed);
            }
            return Ok(Attempt::Retry {
                reason: format!(
                    "HTTP {status}, TMDB status_code {}: {}",
                    tmdb.code.unwrap_or(-1),
                    tmdb.message
                ),
                after: retry_after,
            });
        }
        Err(TmdbError::Rejected {
            path: path.to_string(),
            status,
            code: tmdb.code.unwrap_or(-1),
            message: tmdb.message,
        })
    }
}

/// TMDB's error body: `{success, status_code, status_message}`.
struct TmdbStatus {
    code: Option<i64>,
    message: String,
}

impl TmdbStatus {
    fn parse(body: &[u8]) -> Self {
        #[derive(serde::Deserialize)]
        struct Body {
            status_code: Option<i64>,
            status_message: Option<String>,
        }
        match serde_json::from_slice::<Body>(body) {
            Ok(b) => TmdbStatus {
                code: b.status_code,
                message: b.status_message.unwrap_or_default(),
            },
            Err(_) => TmdbStatus {
                code: None,
                message: String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
            },
        }
    }
}

/// `tt` and digits: the only ids put in a URL path.
pub fn is_imdb_id(id: &str) -> bool {
    id.len() > 2 && id.starts_with("tt") && id[2..].bytes().all(|b| b.is_ascii_digit())
}
