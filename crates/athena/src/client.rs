//! The Athena client: a statement run to completion, and a query's rows.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::meta::region::RegionProviderChain;
use aws_sdk_athena::Client;
use aws_sdk_athena::types::{QueryExecutionContext, QueryExecutionState, ResultConfiguration};

use crate::{AthenaError, Result, call};

#[derive(Debug, Clone)]
pub struct AthenaConfig {
    pub workgroup: String,
    /// `s3://bucket/prefix/` for results, unless the workgroup enforces its own.
    pub output_location: Option<String>,
    pub database: String,
    /// How long a statement may run before the client stops it (`StopQueryExecution`):
    /// shorter than the Lambda that waits for it, so nothing runs on unwatched.
    pub timeout: Duration,
}

pub struct Athena {
    client: Client,
    config: AthenaConfig,
}

/// A finished query: column names, their Athena types (`varchar`, `bigint`, `double`,
/// ...), and rows of text (Athena returns every value as text).
pub struct ResultRows {
    pub columns: Vec<String>,
    pub types: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

impl Athena {
    pub async fn connect(config: AthenaConfig) -> Self {
        let region = RegionProviderChain::default_provider().or_else("us-east-1");
        let shared = aws_config::defaults(BehaviorVersion::latest())
            .region(region)
            .load()
            .await;
        Athena {
            client: Client::new(&shared),
            config,
        }
    }

    pub fn from_client(client: Client, config: AthenaConfig) -> Self {
        Athena { client, config }
    }

    /// Runs one statement to completion; its execution id.
    pub async fn run(&self, sql: &str) -> Result<String> {
        let mut start = self
            .client
            .start_query_execution()
            .query_string(sql)
            .work_group(&self.config.workgroup)
            .query_execution_context(
                QueryExecutionContext::builder()
                    .catalog("AwsDataCatalog")
                    .database(&self.config.database)
                    .build(),
            );
        if let Some(out) = &self.config.output_location {
            start = start
                .result_configuration(ResultConfiguration::builder().output_location(out).build());
        }
        let id = start
            .send()
            .await
            .map_err(call("StartQueryExecution"))?
            .query_execution_id()
            .unwrap_or_default()
            .to_string();
        let started = std::time::Instant::now();
        let mut wait = Duration::from_millis(200);
        while started.elapsed() < self.config.timeout {
            let out = self
                .client
                .get_query_execution()
                .query_execution_id(&id)
                .send()
                .await
                .map_err(call("GetQueryExecution"))?;
            let status = out.query_execution().and_then(|q| q.status());
            match status.and_then(|s| s.state()) {
                Some(QueryExecutionState::Succeeded) => return Ok(id),
                Some(state @ (QueryExecutionState::Failed | QueryExecutionState::Cancelled)) => {
                    let reason = status
                        .and_then(|s| s.state_change_reason())
                        .unwrap_or("no reason given");
                    return Err(AthenaError::Failed {
                        id,
                        state: state.as_str().to_lowercase(),
                        reason: reason.to_string(),
                    });
                }
                _ => {
                    let left = self.config.timeout.saturating_sub(started.elapsed());
                    tokio::time::sleep(wait.min(left)).await;
                    wait = (wait * 2).min(Duration::from_secs(2));
                }
            }
        }
        // Given up on: stopped, so that it neither runs on nor is billed unwatched.
        let stopped = self
            .client
            .stop_query_execution()
            .query_execution_id(&id)
            .send()
            .await;
        Err(AthenaError::Timeout {
            id,
            waited_secs: started.elapsed().as_secs(),
            stopped: match stopped {
                Ok(_) => "stopped".into(),
                Err(e) => format!(
                    "and could not be stopped: {}",
                    cinelake_lake::error::chain(&e)
                ),
            },
        })
    }

    /// Runs a query and fetches its rows.
    pub async fn query(&self, sql: &str) -> Result<ResultRows> {
        let id = self.run(sql).await?;
        let mut pages = self
            .client
            .get_query_results()
            .query_execution_id(&id)
            .into_paginator()
            .send();
        let mut columns = Vec::new();
        let mut types = Vec::new();
        let mut rows = Vec::new();
        let mut first = true;
        while let Some(page) = pages.next().await {
            let page = page.map_err(call("GetQueryResults"))?;
            let Some(rs) = page.result_set() else {
                continue;
            };
            if columns.is_empty() {
                let info = rs
                    .result_set_metadata()
                    .map(|m| m.column_info())
                    .unwrap_or_default();
                columns = info.iter().map(|c| c.name().to_string()).collect();
                types = info.iter().map(|c| c.r#type().to_lowercase()).collect();
            }
            for (i, row) in rs.rows().iter().enumerate() {
                // The first row of the first page repeats the column names.
                if first && i == 0 {
                    continue;
                }
                rows.push(
                    row.data()
                        .iter()
                        .map(|d| d.var_char_value().map(str::to_string))
                        .collect(),
                );
            }
            first = false;
        }
        Ok(ResultRows {
            columns,
            types,
            rows,
        })
    }
}
