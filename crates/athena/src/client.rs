//! The Athena client runs a statement to completion and fetches a query's rows.

use std::time::{Duration, Instant};

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
    /// How long a statement may run before the client stops it (`StopQueryExecution`).
    /// It is shorter than the Lambda that waits for it, so nothing runs on unwatched.
    pub timeout: Duration,
    /// When the whole job must be over, if it must. Each statement gets at most the
    /// time left to it (see [`Deadline`]).
    pub deadline: Option<Deadline>,
}

/// The end of a job of several statements, and the time kept before it for the
/// clean-up.
///
/// A statement of the work gets at most the time left until `at`, less `cleanup`. It
/// is stopped when that runs out. A clean-up statement, such as the drop of a
/// temporary table, may use the time up to `at`. So a job given up on still drops what
/// it made before the Lambda that runs it is killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    pub at: Instant,
    pub cleanup: Duration,
}

/// What limited a statement when the job's deadline did.
const BY_DEADLINE: &str = "the job's deadline";

/// What a statement is for: the job's work, or its clean-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Work,
    Cleanup,
}

pub struct Athena {
    client: Client,
    config: AthenaConfig,
    /// Whether the client registers a `CREATE TABLE AS SELECT`'s table itself, as
    /// Athena would. It does so for a local server that runs no SQL (moto), and never
    /// for AWS.
    pub(crate) stand_in_registers: bool,
}

/// Set to `1` with a local Athena endpoint (`AWS_ENDPOINT_URL_ATHENA` or
/// `AWS_ENDPOINT_URL`).
///
/// It turns on the stand-in for what Athena does in a `CREATE TABLE AS SELECT` and
/// moto does not. The client registers the statement's table in Glue. Trusted writes
/// the rows the Polars path makes of the same file, where Athena would. The tests set
/// it. Beside AWS's own endpoints it is ignored.
pub const STAND_IN_ENV: &str = "CINELAKE_ATHENA_STAND_IN_REGISTERS";

/// A statement that wrote rows (`CREATE TABLE AS SELECT`, `INSERT`).
///
/// It holds the statement's execution id. It also holds the rows Athena says it wrote
/// (`UpdateCount`), when Athena says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub id: String,
    pub rows: Option<u64>,
}

/// Where the rows a `CREATE TABLE AS SELECT` wrote were counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowsFrom {
    /// Athena's own count of the rows written (`UpdateCount`). It costs no scan.
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

/// A table a `CREATE TABLE AS SELECT` created, with the statement's id and the rows written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub id: String,
    pub rows: u64,
    pub rows_from: RowsFrom,
}

/// A finished query's column names, their Athena types (`varchar`, `bigint`, `double`,
/// ...), and its rows. The rows are text, because Athena returns every value as text.
pub struct ResultRows {
    /// The query's execution id, for errors about its rows.
    pub id: String,
    pub columns: Vec<String>,
    pub types: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

impl ResultRows {
    /// The position of column `name`. The match ignores case, because Athena lowercases
    /// names.
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
        // Only ever beside a local endpoint. AWS's Athena registers the table itself.
        let stand_in_registers = std::env::var(STAND_IN_ENV).is_ok_and(|v| v == "1")
            && (std::env::var_os("AWS_ENDPOINT_URL_ATHENA").is_some()
                || std::env::var_os("AWS_ENDPOINT_URL").is_some());
        Athena {
            client: Client::new(&shared),
            config,
            stand_in_registers,
        }
    }

    pub fn from_client(client: Client, config: AthenaConfig) -> Self {
        Athena {
            client,
            config,
            stand_in_registers: false,
        }
    }

    /// Whether this client stands in for what a local server that runs no SQL leaves
    /// undone ([`STAND_IN_ENV`]).
    ///
    /// That is the tables a `CREATE TABLE AS SELECT` registers, and the files it
    /// writes. The caller writes the files, because it knows the rows.
    pub fn stands_in(&self) -> bool {
        self.stand_in_registers
    }

    /// The same client, registering each `CREATE TABLE AS SELECT`'s table itself as
    /// Athena would. It is for a local server that runs no SQL.
    pub fn standing_in_for_registration(mut self) -> Self {
        self.stand_in_registers = true;
        self
    }

    /// The database an unqualified table name is in.
    pub fn database(&self) -> &str {
        &self.config.database
    }

    /// Runs one statement of the job's work to completion and returns its execution id.
    pub async fn run(&self, sql: &str) -> Result<String> {
        self.run_for(sql, Purpose::Work).await
    }

    /// Runs one statement of the job's clean-up (a drop), which may use the time the
    /// deadline keeps for it.
    pub async fn run_cleanup(&self, sql: &str) -> Result<String> {
        self.run_for(sql, Purpose::Cleanup).await
    }

    /// How long a statement may run, and what set that limit.
    ///
    /// The limit is the statement's timeout, or less when the job's deadline leaves less.
    fn allowed(&self, purpose: Purpose) -> (Duration, String) {
        let timeout = self.config.timeout;
        let by_timeout = (timeout, format!("its timeout of {} s", timeout.as_secs()));
        let Some(deadline) = self.config.deadline else {
            return by_timeout;
        };
        let end = match purpose {
            Purpose::Work => deadline.at.checked_sub(deadline.cleanup),
            Purpose::Cleanup => Some(deadline.at),
        };
        let left = end.map_or(Duration::ZERO, |end| {
            end.saturating_duration_since(Instant::now())
        });
        if left < timeout {
            (left, BY_DEADLINE.to_string())
        } else {
            by_timeout
        }
    }

    async fn run_for(&self, sql: &str, purpose: Purpose) -> Result<String> {
        let (allowed, limit) = self.allowed(purpose);
        if allowed.is_zero() && limit == BY_DEADLINE {
            // Nothing is started that could not be waited for.
            return Err(AthenaError::NoTimeLeft {
                statement: sql.split_whitespace().take(4).collect::<Vec<_>>().join(" "),
            });
        }
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
        let started = Instant::now();
        let mut wait = Duration::from_millis(200);
        while started.elapsed() < allowed {
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
                    let left = allowed.saturating_sub(started.elapsed());
                    tokio::time::sleep(wait.min(left)).await;
                    wait = (wait * 2).min(Duration::from_secs(2));
                }
            }
        }
        // The statement is given up on. It is stopped so that it neither runs on nor is
        // billed unwatched.
        let stopped = self
            .client
            .stop_query_execution()
            .query_execution_id(&id)
            .send()
            .await;
        Err(AthenaError::Timeout {
            id,
            waited_secs: started.elapsed().as_secs(),
            limit,
            stopped: match stopped {
                Ok(_) => "stopped".into(),
                Err(e) => format!(
                    "and could not be stopped: {}",
                    cinelake_lake::error::chain(&e)
                ),
            },
        })
    }

    /// Runs a statement that writes rows to completion.
    ///
    /// It returns the rows written as Athena counts them (`GetQueryResults`'
    /// `UpdateCount`), which costs no scan.
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
    /// written as zstd Parquet under `location`, and counts the rows.
    ///
    /// The count is Athena's `UpdateCount` where it gives one. Otherwise it comes from a
    /// count query over the new table, because moto, the local stand-in, gives none.
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
