//! Tests `cinelake query --engine athena` against moto's Athena.
//!
//! The result rows are set through moto's API (`/moto-api/static/athena/query-results`).
//! The header row is not a row, values come back typed by Athena's column types, and a
//! null stays null.

use cinelake_testkit::{S3Server, aws_env};

mod common;

use common::cinelake;

#[tokio::test(flavor = "multi_thread")]
async fn a_query_on_athena_prints_typed_rows() {
    cinelake_testkit::needs!(SeaweedFs, Moto);
    let moto = S3Server::Moto.endpoint();
    let cell = |v: Option<&str>| match v {
        Some(v) => serde_json::json!({"VarCharValue": v}),
        None => serde_json::json!({}),
    };
    let row = |a: Option<&str>, b: Option<&str>, c: Option<&str>| serde_json::json!({"Data": [cell(a), cell(b), cell(c)]});
    let results = serde_json::json!({
        "region": "us-east-1",
        "results": [{
            "rows": [
                row(Some("title"), Some("votes"), Some("rating")),
                row(Some("Central do Brasil"), Some("41000"), Some("8.0")),
                row(Some("Sem votos"), None, None),
            ],
            "column_info": [
                {"Name": "title", "Type": "varchar", "CatalogName": "hive", "SchemaName": "",
                 "TableName": "", "Label": "title", "Precision": 0, "Scale": 0,
                 "Nullable": "UNKNOWN", "CaseSensitive": true},
                {"Name": "votes", "Type": "bigint", "CatalogName": "hive", "SchemaName": "",
                 "TableName": "", "Label": "votes", "Precision": 19, "Scale": 0,
                 "Nullable": "UNKNOWN", "CaseSensitive": false},
                {"Name": "rating", "Type": "double", "CatalogName": "hive", "SchemaName": "",
                 "TableName": "", "Label": "rating", "Precision": 17, "Scale": 0,
                 "Nullable": "UNKNOWN", "CaseSensitive": false}
            ]
        }]
    });
    let set = reqwest::Client::new()
        .post(format!("{moto}/moto-api/static/athena/query-results"))
        .header("content-type", "application/json")
        .body(results.to_string())
        .send()
        .await
        .unwrap();
    assert!(set.status().is_success(), "{}", set.status());

    let out = tokio::task::spawn_blocking(move || {
        let env = aws_env(S3Server::Moto);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        cinelake(
            &[
                "query",
                "--engine",
                "athena",
                "--catalog",
                "glue",
                "--athena-output",
                "s3://results/athena/",
                "--athena-timeout-secs",
                "30",
                "--format",
                "json",
                "SELECT title, votes, rating FROM v_best_films",
            ],
            &env,
        )
    })
    .await
    .unwrap();
    let rows: serde_json::Value =
        serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(
        rows,
        serde_json::json!([
            {"title": "Central do Brasil", "votes": 41000, "rating": 8.0},
            {"title": "Sem votos", "votes": null, "rating": null}
        ]),
        "{out}"
    );
}
