//! Tests the Athena client's paths that moto cannot show.
//!
//! moto answers every query at once, in one page, and never fails one. These tests cover
//! a failed and a cancelled query, whose reason reaches the user. They cover a query the
//! client gives up on, which it stops with StopQueryExecution within the timeout. They
//! also cover results over several pages, and the rows a `CREATE TABLE AS SELECT` wrote
//! as Athena counts them (`UpdateCount`, which moto never gives).
//!
//! A small local server answers Athena's JSON protocol (awsJson1_1) for just these cases.
//! The real SDK talks to it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use cinelake_athena::{Athena, AthenaConfig, AthenaError, Deadline};
use serde_json::{Value, json};

#[derive(Default)]
struct Seen {
    /// Query text of each execution id (`q<n>`).
    queries: Vec<String>,
    stopped: Vec<String>,
}

type Shared = Arc<Mutex<Seen>>;

fn state_of(sql: &str) -> (&'static str, &'static str) {
    match sql {
        "SELECT fails" => ("FAILED", "line 1:8: Column 'fails' cannot be resolved"),
        "SELECT is_cancelled" => ("CANCELLED", "Query cancelled by the workgroup's limit"),
        "SELECT runs_forever" => ("RUNNING", ""),
        _ => ("SUCCEEDED", ""),
    }
}

async fn athena(State(seen): State<Shared>, headers: HeaderMap, body: String) -> impl IntoResponse {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim_start_matches("AmazonAthena.")
        .to_string();
    let req: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let id = req["QueryExecutionId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut seen = seen.lock().unwrap();
    let sql_of = |seen: &Seen, id: &str| -> String {
        id.strip_prefix('q')
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| seen.queries.get(n).cloned())
            .unwrap_or_default()
    };
    let out = match target.as_str() {
        "StartQueryExecution" => {
            seen.queries
                .push(req["QueryString"].as_str().unwrap_or_default().to_string());
            json!({"QueryExecutionId": format!("q{}", seen.queries.len() - 1)})
        }
        "GetQueryExecution" => {
            let (state, reason) = state_of(&sql_of(&seen, &id));
            let mut status = json!({"State": state});
            if !reason.is_empty() {
                status["StateChangeReason"] = json!(reason);
            }
            json!({"QueryExecution": {"QueryExecutionId": id, "Status": status}})
        }
        "StopQueryExecution" => {
            seen.stopped.push(id);
            json!({})
        }
        "GetQueryResults" if sql_of(&seen, &id).starts_with("CREATE TABLE") => {
            // A CTAS returns no rows, and the count of the rows it wrote.
            json!({"ResultSet": {"Rows": [], "ResultSetMetadata": {"ColumnInfo": []}},
                   "UpdateCount": 1234})
        }
        "GetQueryResults" => {
            // Three pages. The header row comes first on the first page only.
            let columns = json!({"ColumnInfo": [
                {"Name": "title", "Type": "varchar"},
                {"Name": "votes", "Type": "bigint"}
            ]});
            let row = |a: &str, b: Option<&str>| match b {
                Some(b) => json!({"Data": [{"VarCharValue": a}, {"VarCharValue": b}]}),
                None => json!({"Data": [{"VarCharValue": a}, {}]}),
            };
            match req["NextToken"].as_str() {
                None => json!({
                    "ResultSet": {"ResultSetMetadata": columns,
                                  "Rows": [row("title", Some("votes")), row("Central do Brasil", Some("41000"))]},
                    "NextToken": "page2"
                }),
                Some("page2") => json!({
                    "ResultSet": {"ResultSetMetadata": columns,
                                  "Rows": [row("Cidade de Deus", Some("800000")), row("Sem votos", None)]},
                    "NextToken": "page3"
                }),
                _ => json!({
                    "ResultSet": {"ResultSetMetadata": columns,
                                  "Rows": [row("Relatos Salvajes", Some("210000"))]}
                }),
            }
        }
        other => {
            return (
                StatusCode::BAD_REQUEST,
                [("content-type", "application/x-amz-json-1.1")],
                json!({"__type": "InvalidRequestException", "Message": format!("unknown {other}")})
                    .to_string(),
            );
        }
    };
    (
        StatusCode::OK,
        [("content-type", "application/x-amz-json-1.1")],
        out.to_string(),
    )
}

async fn server() -> (String, Shared) {
    let seen: Shared = Arc::default();
    let app = Router::new()
        .route("/", post(athena))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

fn client(url: &str, timeout: Duration) -> Athena {
    client_until(url, timeout, None)
}

fn client_until(url: &str, timeout: Duration, deadline: Option<Deadline>) -> Athena {
    let config = aws_sdk_athena::config::Builder::new()
        .behavior_version(aws_sdk_athena::config::BehaviorVersion::latest())
        .region(aws_sdk_athena::config::Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(aws_sdk_athena::config::Credentials::new(
            "k", "s", None, None, "test",
        ))
        .build();
    Athena::from_client(
        aws_sdk_athena::Client::from_conf(config),
        AthenaConfig {
            workgroup: "cinelake".into(),
            output_location: None,
            database: "cinelake_refined".into(),
            timeout,
            deadline,
        },
    )
}

#[tokio::test]
async fn a_failed_or_cancelled_query_says_why() {
    let (url, _) = server().await;
    let athena = client(&url, Duration::from_secs(30));
    let failed = athena.run("SELECT fails").await.unwrap_err();
    assert!(matches!(failed, AthenaError::Failed { .. }), "{failed:?}");
    let text = failed.to_string();
    assert!(
        text.contains("failed") && text.contains("Column 'fails' cannot be resolved"),
        "{text}"
    );
    let cancelled = athena.run("SELECT is_cancelled").await.unwrap_err();
    assert!(
        cancelled.to_string().contains("cancelled")
            && cancelled.to_string().contains("workgroup's limit"),
        "{cancelled}"
    );
}

#[tokio::test]
async fn a_query_given_up_on_is_stopped_in_time() {
    let (url, seen) = server().await;
    let athena = client(&url, Duration::from_secs(1));
    let started = Instant::now();
    let err = athena.run("SELECT runs_forever").await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    match &err {
        AthenaError::Timeout { id, stopped, .. } => {
            assert_eq!(stopped, "stopped");
            assert_eq!(seen.lock().unwrap().stopped, std::slice::from_ref(id));
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(err.to_string().contains("stopped"), "{err}");
}

/// A job of several statements with a short deadline. A statement gets at most the time
/// left less the clean-up's, not its own timeout, and is stopped when that runs out. No
/// statement is started once the time is gone. The clean-up still runs in the time kept
/// for it.
#[tokio::test]
async fn a_job_ends_by_its_deadline_and_keeps_time_to_drop_its_tables() {
    let (url, seen) = server().await;
    let deadline = Deadline {
        at: Instant::now() + Duration::from_secs(4),
        cleanup: Duration::from_secs(2),
    };
    let athena = client_until(&url, Duration::from_secs(600), Some(deadline));
    athena.run("SELECT 1").await.unwrap();
    let started = Instant::now();
    let err = tokio::time::timeout(Duration::from_secs(10), athena.run("SELECT runs_forever"))
        .await
        .expect("given up by the deadline, not by the 600 s timeout")
        .unwrap_err();
    // The statement is given up when the work's time runs out, about 2 s in. That is far
    // from its 600 s timeout.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    match &err {
        AthenaError::Timeout {
            id, limit, stopped, ..
        } => {
            assert_eq!(limit, "the job's deadline");
            assert_eq!(stopped, "stopped");
            assert_eq!(seen.lock().unwrap().stopped, std::slice::from_ref(id));
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(
        err.to_string().contains("(the job's deadline), stopped"),
        "{err}"
    );
    // The work's time is gone, so the next statement is not even started.
    let before = seen.lock().unwrap().queries.len();
    let err = athena
        .run("CREATE TABLE cinelake_trusted.movies__ctas_r1 AS SELECT 1")
        .await
        .unwrap_err();
    assert!(matches!(err, AthenaError::NoTimeLeft { .. }), "{err:?}");
    assert!(
        err.to_string().contains(
            "left no time to start `CREATE TABLE cinelake_trusted.movies__ctas_r1 AS ...`"
        ),
        "{err}"
    );
    assert_eq!(seen.lock().unwrap().queries.len(), before);
    // The clean-up runs in the time kept for it.
    athena.drop_quietly("cinelake_trusted.raw_movies__r1").await;
    assert_eq!(
        seen.lock().unwrap().queries.last().map(String::as_str),
        Some("DROP TABLE IF EXISTS cinelake_trusted.raw_movies__r1")
    );
}

#[tokio::test]
async fn rows_come_from_every_page_without_the_header() {
    let (url, _) = server().await;
    let rows = client(&url, Duration::from_secs(30))
        .query("SELECT title, votes FROM v_best_films")
        .await
        .unwrap();
    assert_eq!(rows.columns, ["title", "votes"]);
    let got: Vec<(Option<&str>, Option<&str>)> = rows
        .rows
        .iter()
        .map(|r| (r[0].as_deref(), r[1].as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (Some("Central do Brasil"), Some("41000")),
            (Some("Cidade de Deus"), Some("800000")),
            (Some("Sem votos"), None),
            (Some("Relatos Salvajes"), Some("210000")),
        ]
    );
}

#[tokio::test]
async fn a_ctas_counts_its_rows_by_athenas_update_count() {
    let (url, seen) = server().await;
    let created = client(&url, Duration::from_secs(30))
        .create_table_as("r.t__ctas_1", "s3://b/Refined/t/1/", "SELECT 1 AS n")
        .await
        .unwrap();
    assert_eq!(created.rows, 1234);
    assert_eq!(created.rows_from, cinelake_athena::RowsFrom::UpdateCount);
    // One statement only. There is no count query where Athena gave its count.
    let queries = seen.lock().unwrap().queries.clone();
    assert_eq!(queries.len(), 1, "{queries:?}");
    assert!(
        queries[0].contains("write_compression = 'ZSTD'"),
        "{queries:?}"
    );
}

/// The table of a `CREATE TABLE AS SELECT` must be in the catalog with the Polars path's
/// columns. Here the local catalog holds what Athena would have registered. A missing
/// table or a difference fails the write, naming the table and each column. The stand-in
/// for a server that runs no SQL registers what Athena would.
#[tokio::test]
async fn a_ctas_whose_table_has_other_columns_is_refused() {
    use cinelake_catalog::{Catalog, ColumnDef, parquet_table};

    let (url, _) = server().await;
    let athena = client(&url, Duration::from_secs(30));
    let dir = tempfile::tempdir().unwrap();
    let store = cinelake_lake::Store::open(dir.path().to_str().unwrap())
        .await
        .unwrap();
    let catalog = Catalog::open("local", &store).await.unwrap();
    let col = |name: &str, ty: &str| ColumnDef {
        name: name.into(),
        r#type: ty.into(),
        comment: None,
    };
    let expected = vec![col("tconst", "string"), col("year", "int")];
    let location = "s3://b/Refined/t/1/";

    // Nothing is registered, as with moto. Athena said it succeeded, yet the table is
    // missing. That is an error naming the table.
    let err = athena
        .create_version(&catalog, "r.t__ctas_1", location, "SELECT 1", &expected)
        .await
        .unwrap_err();
    assert!(matches!(err, AthenaError::NotRegistered { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with("r.t__ctas_1: Athena's CREATE TABLE AS SELECT succeeded, and the catalog does not hold the table"),
        "{err}"
    );
    // With the stand-in, the client registers what Athena would, and the write stands.
    let standing_in = client(&url, Duration::from_secs(30)).standing_in_for_registration();
    let created = standing_in
        .create_version(&catalog, "r.t__ctas_1", location, "SELECT 1", &expected)
        .await
        .unwrap();
    assert_eq!(created.rows, 1234);
    let registered = catalog.get_table("r", "t__ctas_1").await.unwrap().unwrap();
    assert_eq!(registered.storage_descriptor.columns, expected);
    assert_eq!(registered.storage_descriptor.location, location);

    // The table is registered with the same columns, spelled as Glue keeps them. The
    // write stands.
    let same = vec![col("TConst", "string"), col("year", "INT")];
    let def = parquet_table("t__ctas_2", "", same, location, vec![]);
    catalog.put_table("r", &def).await.unwrap();
    athena
        .create_version(&catalog, "r.t__ctas_2", location, "SELECT 1", &expected)
        .await
        .unwrap();

    // Another type and a column too many are refused, and each difference is named.
    let other = vec![
        col("tconst", "string"),
        col("year", "bigint"),
        col("extra", "double"),
    ];
    let def = parquet_table("t__ctas_3", "", other, location, vec![]);
    catalog.put_table("r", &def).await.unwrap();
    let err = athena
        .create_version(&catalog, "r.t__ctas_3", location, "SELECT 1", &expected)
        .await
        .unwrap_err();
    let AthenaError::Columns { table, differences } = &err else {
        panic!("expected a columns error, got {err}");
    };
    assert_eq!(table, "r.t__ctas_3");
    assert_eq!(
        differences,
        &[
            "column 2: year bigint where year int was expected",
            "column 3: extra double where none was expected",
        ]
    );
    assert!(
        err.to_string().contains("the previous version is kept"),
        "{err}"
    );
}
