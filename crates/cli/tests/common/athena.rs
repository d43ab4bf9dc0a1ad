//! Drives moto's Athena for the tests.
//!
//! moto runs no SQL. So the tests queue the result sets it is to give the next statements
//! through its API (`/moto-api/static/athena/query-results`). There is one result set per
//! statement, in the order sent, per region.

use cinelake_testkit::S3Server;
use serde_json::{Value, json};

/// Queues the result sets moto's Athena gives the next statements in `region`, one each.
pub async fn queue(region: &str, results: Vec<Value>) {
    let body = json!({"region": region, "results": results});
    let response = reqwest::Client::new()
        .post(format!(
            "{}/moto-api/static/athena/query-results",
            S3Server::Moto.endpoint()
        ))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
}

/// Takes what an earlier, failed run of this test left queued in its region, because
/// moto's queue outlives a test. Then this run's answers are the ones it queues. It starts
/// queries, off the test's workgroup, until one gets moto's empty answer.
pub async fn drain(athena: &aws_sdk_athena::Client) {
    const WORKGROUP: &str = "athena_engine_drain";
    // Created by an earlier run, perhaps.
    let _ = athena.create_work_group().name(WORKGROUP).send().await;
    for _ in 0..10_000 {
        let id = athena
            .start_query_execution()
            .query_string("SELECT 1")
            .work_group(WORKGROUP)
            .send()
            .await
            .expect("StartQueryExecution")
            .query_execution_id()
            .unwrap_or_default()
            .to_string();
        // moto gives results once it has moved the query to SUCCEEDED. It moves the query
        // one state per call.
        loop {
            let q = athena
                .get_query_execution()
                .query_execution_id(&id)
                .send()
                .await
                .expect("GetQueryExecution");
            let state = q
                .query_execution()
                .and_then(|e| e.status())
                .and_then(|s| s.state());
            if state == Some(&aws_sdk_athena::types::QueryExecutionState::Succeeded) {
                break;
            }
        }
        let out = athena
            .get_query_results()
            .query_execution_id(&id)
            .send()
            .await
            .expect("GetQueryResults");
        let columns = out
            .result_set()
            .and_then(|r| r.result_set_metadata())
            .map_or(0, |m| m.column_info().len());
        if columns == 0 {
            return;
        }
    }
    panic!("moto's Athena queue did not empty");
}

/// A result set with no rows, for a statement whose results are not read, such as a DDL
/// statement or a CTAS. Its one column tells it from moto's answer when nothing is
/// queued, which has no column at all. [`Aws::drain`] looks for that answer.
pub fn nothing() -> Value {
    json!({"rows": [], "column_info": [column("queued", "varchar")]})
}

pub fn column(name: &str, ty: &str) -> Value {
    json!({"Name": name, "Type": ty, "CatalogName": "hive", "SchemaName": "", "TableName": "",
           "Label": name, "Precision": 0, "Scale": 0, "Nullable": "UNKNOWN",
           "CaseSensitive": true})
}

/// A query's result set: the header row first, as Athena sends it.
pub fn result(columns: &[(&str, &str)], rows: &[Vec<Option<String>>]) -> Value {
    let cell = |v: Option<&str>| match v {
        Some(v) => json!({"VarCharValue": v}),
        None => json!({}),
    };
    let mut all =
        vec![json!({"Data": columns.iter().map(|(n, _)| cell(Some(n))).collect::<Vec<_>>()})];
    for r in rows {
        all.push(json!({"Data": r.iter().map(|v| cell(v.as_deref())).collect::<Vec<_>>()}));
    }
    json!({"rows": all, "column_info": columns.iter().map(|(n, t)| column(n, t)).collect::<Vec<_>>()})
}

pub fn count(n: u64) -> Value {
    result(&[("n", "bigint")], &[vec![Some(n.to_string())]])
}

pub fn rejects(lines: &[(&str, &str)]) -> Value {
    let rows: Vec<Vec<Option<String>>> = lines
        .iter()
        .map(|(raw, reason)| vec![Some(raw.to_string()), Some(reason.to_string())])
        .collect();
    result(&[("raw", "varchar"), ("reason", "varchar")], &rows)
}

/// What one successful trusted run on Athena sends for a table, in order, and what moto
/// answers each with. The run counts `lines` lines and refuses `rejected` of them.
pub fn trusted_answers(lines: u64, rejected: &[(&str, &str)]) -> Vec<Value> {
    vec![
        nothing(),                            // CREATE EXTERNAL TABLE over the Raw CSV
        rejects(rejected),                    // its rejected lines
        count(lines),                         // its lines
        nothing(),                            // CREATE TABLE AS SELECT
        count(lines - rejected.len() as u64), // the rows written (moto gives no UpdateCount)
        nothing(),                            // DROP the CTAS's table
        nothing(),                            // DROP the external table
    ]
}
