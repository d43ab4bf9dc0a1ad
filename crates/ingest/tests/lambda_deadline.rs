//! Tests the ingest Lambda as Lambda runs it.
//!
//! The binary polls a Runtime API server, which sends the deadline as Lambda does
//! (`Lambda-Runtime-Deadline-Ms`, milliseconds since the epoch). The run stops before
//! that instant, with what it fetched stored. cargo lambda's emulator sends a duration
//! there instead. So the other tests that run the functions (`crates/cli/tests`) exercise
//! only the emulator's branch.

mod common;

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use common::*;
use serde_json::Value;
use tokio::sync::mpsc;

/// The Runtime API's side: one invocation with the given deadline, then none.
struct Runtime {
    deadline_ms: u64,
    sent: AtomicBool,
    answers: mpsc::UnboundedSender<(String, Value)>,
}

async fn next(State(rt): State<Arc<Runtime>>) -> (HeaderMap, String) {
    if rt.sent.swap(true, Ordering::SeqCst) {
        // One invocation only. The next poll waits, as Lambda's does between events.
        std::future::pending::<()>().await;
    }
    let mut headers = HeaderMap::new();
    let mut set = |k: &'static str, v: String| {
        headers.insert(k, v.parse().expect("a header value"));
    };
    set("lambda-runtime-aws-request-id", "req-1".into());
    set("lambda-runtime-deadline-ms", rt.deadline_ms.to_string());
    set(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-1:123456789012:function:cinelake-tmdb-ingest".into(),
    );
    set("lambda-runtime-trace-id", "Root=1-0-0".into());
    (headers, r#"{"date":"2026-11-01"}"#.to_string())
}

async fn answer(
    State(rt): State<Arc<Runtime>>,
    Path((id, kind)): Path<(String, String)>,
    body: String,
) -> &'static str {
    let value = serde_json::from_str(&body).unwrap_or(Value::String(body));
    let _ = rt.answers.send((format!("{id}/{kind}"), value));
    "{}"
}

fn epoch_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

#[tokio::test(flavor = "multi_thread")]
async fn the_function_stops_before_lambdas_epoch_deadline() {
    let (dir, store) = local_store().await;
    let ids = imdb_ids(400);
    seed_movies(&store, &ids).await;
    let sim = start_sim(synthetic(Default::default())).await;

    let deadline = SystemTime::now() + Duration::from_secs(10);
    let (tx, mut answers) = mpsc::unbounded_channel();
    let runtime = Arc::new(Runtime {
        deadline_ms: epoch_ms(deadline),
        sent: AtomicBool::new(false),
        answers: tx,
    });
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route("/2018-06-01/runtime/invocation/{id}/{kind}", post(answer))
        .with_state(runtime);
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let api = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    // At 20 requests a second, the 400 films would take 20 s, twice the invocation's time.
    let mut function = Command::new(env!("CARGO_BIN_EXE_cinelake-ingest-lambda"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", api.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "cinelake-tmdb-ingest")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("CINELAKE_LAKE", store.url())
        .env("TMDB_BASE_URL", sim.base_url())
        .env("TMDB_API_KEY", KEY)
        .env("CINELAKE_TMDB_RPS", "20")
        .env("CINELAKE_LAMBDA_MARGIN_SECS", "4")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("function.log")).unwrap())
        .spawn()
        .unwrap();
    let answered = tokio::time::timeout(Duration::from_secs(30), answers.recv()).await;
    let answered_at = SystemTime::now();
    let _ = function.kill();
    let _ = function.wait();
    let log = std::fs::read_to_string(dir.path().join("function.log")).unwrap_or_default();
    let (path, summary) = answered
        .unwrap_or_else(|_| panic!("no answer within 30 s; the function's log:\n{log}"))
        .unwrap();
    assert_eq!(path, "req-1/response", "{summary}\n{log}");
    assert!(
        answered_at < deadline,
        "answered {:?} after the deadline",
        answered_at.duration_since(deadline).unwrap_or_default()
    );
    // It worked until about the margin before the deadline, not to the end of the work.
    let early = deadline.duration_since(answered_at).unwrap_or_default();
    assert!(
        early <= Duration::from_secs(6),
        "stopped {early:?} before the deadline, much sooner than its 4 s margin"
    );
    assert_eq!(summary["stop"], "deadline", "{summary}");
    let fetched = summary["fetched"].as_u64().unwrap();
    assert!(
        fetched > 0 && summary["remaining"].as_u64().unwrap() > 0,
        "{summary}"
    );
    assert_eq!(records(&store).await.len() as u64, fetched, "{summary}");
}
