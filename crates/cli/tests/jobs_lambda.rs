//! Tests `cinelake-jobs-lambda` as Lambda runs it.
//!
//! The function speaks the Lambda runtime API to cargo lambda's emulator (`cargo lambda
//! watch --only-lambda-apis`), which `scripts/test` installs into `.venv-sam`. Each job is
//! sent with `cargo lambda invoke`, as the state machine in `infra/` sends it.

use std::time::Duration;

use serde_json::Value;

mod common;

use common::cinelake;
use common::lambda::{Function, binary};

#[test]
fn the_jobs_lambda_runs_trusted_refined_and_views_through_the_runtime_api() {
    cinelake_testkit::needs!(CargoLambda);
    let function = binary("cinelake-jobs-lambda");

    // A lake with Raw data: sample CSVs and TMDB records from the simulator.
    let dir = tempfile::tempdir().unwrap();
    let lake = common::raw_lake(dir.path(), 6000, 2000, &[]);
    let lake = lake.to_str().unwrap();

    let jobs = Function::start(
        &function,
        Duration::from_secs(600),
        &[
            ("CINELAKE_LAKE", lake.to_string()),
            ("CINELAKE_CATALOG", "local".to_string()),
        ],
        &dir.path().join("jobs.log"),
    );

    let report = |event: &str| -> Value {
        let (ok, text) = jobs.invoke(event);
        assert!(ok, "invoking {event}: {text}\n{}", jobs.log_tail());
        serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"))
    };
    let trusted = report(r#"{"job": "trusted"}"#);
    let tables: Vec<&str> = trusted["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["table"].as_str().unwrap())
        .collect();
    assert_eq!(tables.len(), 3, "{trusted}");
    assert_eq!(trusted["tables"][0]["rows_out"], 6000, "{trusted}");

    let refined = report(r#"{"job": "refined", "date": "2026-11-01"}"#);
    assert_eq!(
        refined["tables"].as_array().unwrap().len(),
        cinelake_catalog::Table::REFINED.len(),
        "{refined}"
    );
    let views = report(r#"{"job": "views"}"#);
    assert_eq!(
        views["views"].as_array().unwrap().len(),
        cinelake_query::views::VIEWS.len(),
        "{views}"
    );

    // A wrong event is refused by name, and the function keeps serving.
    let (ok, text) = jobs.invoke(r#"{"job": "gold"}"#);
    assert!(!ok && text.contains("unknown variant `gold`"), "{text}");
    let again = report(r#"{"job": "views"}"#);
    assert_eq!(again, views);

    // What the Lambda wrote is what the CLI reads.
    let films = cinelake(
        &[
            "query",
            "--lake",
            lake,
            "--format",
            "csv",
            "SELECT COUNT(*) AS n FROM fact_film",
        ],
        &[],
    );
    let n: u64 = films.lines().nth(1).unwrap().parse().unwrap();
    let expected = refined["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"].as_str().unwrap().ends_with(".fact_film"))
        .unwrap()["rows"]
        .as_u64()
        .unwrap();
    assert!(
        n > 0 && n == expected,
        "{n} films, the report said {expected}"
    );
}
