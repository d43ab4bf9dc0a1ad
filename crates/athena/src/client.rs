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

/// A statement that wrote rows (`CREATE TABLE AS SELECT`, `INSERT`): its execution id
/// and the rows Athena says it wrote (`UpdateCount`), when it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub id: String,
    pub rows: Option<u64>,
}

/// Where the rows a `CREATE TABLE AS SELECT` wrote were counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowsFrom {
    /// Athena's own count of the rows written (`UpdateCount`): no scan.
    UpdateCount,
    /// A `SELECT count(*)` over the new table, where Athena gave no count.
    CountQuery,
}

impl std::fmt::Display for RowsFrom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RowsFrom::UpdateCount => "rows as Athena counted them writing (UpdateCount)",
            RowsFrom::CountQuery => "rows by a count query over the new table",
        })
    }
}

/// A table a `CREATE TABLE AS SELECT` created: the statement's id and the rows written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub id: String,
    pub rows: u64,
    pub rows_from: RowsFrom,
}

/// A finished query: column names, their Athena types (`varchar`, `bigint`, `double`,
/// ...), and rows of text (Athena returns every value as text).
pub struct ResultRows {
    /// The query's execution id, for errors about its rows.
    pub id: String,
    pub columns: Vec<String>,
    pub types: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

impl ResultRows {
    /// The position of column `name` (case-insensitive: Athena lowercases names).
    pub fn column(&self, name: &str) -> Result<usize> {
        self.columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(name))
            .ok_or_else(|| AthenaError::Unexpected {
                id: self.id.clone(),
                detail: format!("no column {name} among {:?}", self.columns),
            })
    }
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

    /// The database an unqualified table name is in.
    pub fn database(&self) -> &str {
        &self.config.database
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

    /// Runs a statement that writes rows to completion; with the rows written as
    /// Athena counts them (`GetQueryResults`' `UpdateCount`), which costs no scan.
    pub async fn write(&self, sql: &str) -> Result<Written> {
        let id = self.run(sql).await?;
        let out = self
            .client
            .get_query_results()
            .query_execution_id(&id)
            .max_results(1)
            .send()
            .await
            .map_err(call("GetQueryResults"))?;
        let rows = out.update_count().and_then(|n| u64::try_from(n).ok());
        Ok(Written { id, rows })
    }

    /// Runs `CREATE TABLE <table> ... AS <select>` ([`crate::sql::ctas`]) with its rows
    /// written as zstd Parquet under `location`, and counts them: Athena's
    /// `UpdateCount` where it gives one, else a count query over the new table (moto,
    /// the local stand-in, gives none).
    pub async fn create_table_as(
        &self,
        table: &str,
        location: &str,
        select: &str,
    ) -> Result<Created> {
        let written = self
            .write(&crate::sql::ctas(table, location, select))
            .await?;
        Ok(match written.rows {
            Some(rows) => Created {
                id: written.id,
                rows,
                rows_from: RowsFrom::UpdateCount,
            },
            None => Created {
                id: written.id,
                rows: self
                    .count(&format!("SELECT count(*) AS n FROM {table}"))
                    .await?,
                rows_from: RowsFrom::CountQuery,
            },
        })
    }

    /// Runs a query and fetches its rows.
    pub async fn query(&self, sql: &str) -> Result<ResultRows> {
        let id = self.run(sql).await?;
        self.rows_of(id).await
    }

    /// Runs a query of one row holding one count (`SELECT count(*) ...`).
    pub async fn count(&self, sql: &str) -> Result<u64> {
        let rows = self.query(sql).await?;
        let cell = rows.rows.first().and_then(|r| r.first()).cloned().flatten();
        cell.as_deref()
            .and_then(|c| c.trim().parse::<u64>().ok())
            .ok_or_else(|| AthenaError::Unexpected {
                id: rows.id.clone(),
                detail: format!("a count was asked for, and the first cell is {cell:?}"),
            })
    }

    async fn rows_of(&self, id: String) -> Result<ResultRows> {
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
            id,
            columns,
            types,
            rows,
        })
    }
}
