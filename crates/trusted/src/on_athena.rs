//! A Raw CSV to Trusted on Athena, for files past one machine.
//!
//! It gives the same table, rejects and refusals as [`crate::csv_job`], by SQL
//! (`sql/trusted/`). Each file goes through these steps:
//!
//! 1. A temporary external table is made over the Raw CSV's folder. Its one column
//!    holds each line.
//! 2. Its rejected lines and its line count are queried first. The rejects carry the
//!    Polars path's reasons.
//! 3. The rejects are stored in the quarantine. The rejected share is checked against
//!    the same threshold. This happens before anything is written.
//! 4. One `CREATE TABLE AS SELECT` writes the accepted lines into a new version of the
//!    table.
//! 5. The catalog is switched to it as the Polars path switches
//!    ([`switch_to_version`]).
//! 6. The temporary tables are dropped and old versions pruned.
//!
//! Two things differ from the Polars path. A reject has no line number, because Athena
//! does not say which line a row was. And the rows written are Athena's count of them,
//! or a count query's ([`cinelake_athena::RowsFrom`]).

use std::num::NonZeroUsize;

use cinelake_athena::Athena;
use cinelake_athena::sql;
use cinelake_catalog::{Catalog, ColumnDef, Table};
use cinelake_frames::table::{
    TableSpec, delete_unswitched_version, switch_to_version, version_dir,
};
use cinelake_frames::types::columns_of;
use cinelake_lake::Store;
use cinelake_lake::layout::ProcessingDate;
use cinelake_lake::source::CsvKind;

use crate::athena_select::{Statements, statements};
use crate::csv_job::{check_header, check_share, source, write_as_athena_would};
use crate::lines::Lines;
use crate::rejects::{Rejected, store_rejects};
use crate::{JobOptions, TableReport, TrustedError, csv_rows};

/// The columns Athena's table has: those the Polars job writes ([`csv_rows`]'s schema,
/// as it registers them), so readers see one table whichever engine wrote it. Where
/// Athena registered the statement's table (real Athena does, moto does not), its
/// columns are compared with these before the catalog is switched.
pub fn polars_columns(kind: CsvKind) -> Result<Vec<ColumnDef>, TrustedError> {
    Ok(columns_of(&csv_rows::schema(kind))?)
}

/// Runs the job for one source file on Athena: the newest upload, or the one of `date`.
pub async fn run(
    store: &Store,
    catalog: &Catalog,
    athena: &Athena,
    kind: CsvKind,
    date: Option<ProcessingDate>,
    opts: &JobOptions,
) -> Result<TableReport, TrustedError> {
    let key = source(store, kind, date).await?;
    // The header is checked here, as the Polars path checks it: the SQL skips it unread.
    let mut lines = Lines::new(store.get_stream(&key).await?);
    let header = lines.take(NonZeroUsize::MIN).await?;
    check_header(&header.bytes, kind, &key)?;
    drop(lines);
    let folder = match key.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/"),
        None => String::new(),
    };
    let table = Table::of_csv(kind);
    let run = sql::name_part(&opts.run_id);
    let db = &opts.databases.trusted;
    let raw_table = format!("{db}.raw_{table}__{run}");
    let ctas_table = format!("{db}.{table}__ctas_{run}");
    let sql = statements(kind, &raw_table, &store.location(&folder))?;
    // A CREATE given up on may still have made the table: it is dropped then too.
    if let Err(e) = athena.run(&sql.raw_ddl).await {
        athena.drop_quietly(&raw_table).await;
        return Err(e.into());
    }
    let converted = convert(
        store,
        catalog,
        athena,
        kind,
        &key,
        &raw_table,
        &ctas_table,
        &sql,
        opts,
    )
    .await;
    // The external table over Raw goes whatever happened; the job's own error first.
    let dropped = athena.run_cleanup(&sql::drop_table(&raw_table)).await;
    match (converted, dropped) {
        (Ok(report), Ok(_)) => Ok(report),
        (Ok(_), Err(e)) => Err(e.into()),
        (Err(e), dropped) => {
            if let Err(d) = dropped {
                tracing::warn!(table = %raw_table, error = %d, "could not drop the Raw CSV's external table");
            }
            Err(e)
        }
    }
}

/// Everything after the external table exists: rejects and counts, the threshold, the
/// table written and switched to.
#[allow(clippy::too_many_arguments)]
async fn convert(
    store: &Store,
    catalog: &Catalog,
    athena: &Athena,
    kind: CsvKind,
    key: &str,
    raw_table: &str,
    ctas_table: &str,
    sql: &Statements,
    opts: &JobOptions,
) -> Result<TableReport, TrustedError> {
    let table = Table::of_csv(kind);
    let found = athena.query(&sql.rejects).await?;
    let (raw, reason) = (found.column("raw")?, found.column("reason")?);
    let rejected: Vec<Rejected> = found
        .rows
        .iter()
        .map(|row| {
            let line = row.get(raw).cloned().flatten();
            let why = row.get(reason).cloned().flatten().ok_or_else(|| {
                TrustedError::RejectWithoutReason {
                    table: table.name().into(),
                    raw: line.clone().unwrap_or_default(),
                }
            })?;
            Ok(Rejected {
                source: key.to_string(),
                line: None,
                position: None,
                reason: why,
                raw: line,
                kept: false,
            })
        })
        .collect::<Result<_, TrustedError>>()?;
    let rows_in = athena
        .count(&format!("SELECT count(*) AS n FROM {raw_table}"))
        .await?;
    let n_rejected = rejected.len() as u64;
    let rejects_key = store_rejects(store, table.name(), &opts.run_id, &rejected).await?;
    check_share(
        table.name(),
        n_rejected,
        rows_in,
        opts,
        &rejects_key,
        &rejected,
    )?;

    let spec = TableSpec::of(table, &opts.databases);
    let dir = version_dir(&spec, &opts.run_id);
    let columns = polars_columns(kind)?;
    let mut written = athena
        .create_version(
            catalog,
            ctas_table,
            &store.location(&dir),
            &sql.accepted,
            &columns,
        )
        .await
        .map_err(TrustedError::from);
    if written.is_ok() && athena.stands_in() {
        // A local server ran no SQL: the files Athena would have written.
        if let Err(e) = write_as_athena_would(store, kind, key, &dir, opts).await {
            written = Err(e);
        }
    }
    let created = match written.and_then(|c| {
        if rows_in == c.rows + n_rejected {
            Ok(c)
        } else {
            Err(TrustedError::CountMismatch {
                table: table.name().into(),
                rows_in,
                rows_out: c.rows,
                rejected: n_rejected,
            })
        }
    }) {
        Ok(c) => c,
        Err(e) => {
            // Never switched to: the new version and Athena's table go, the previous
            // Trusted data stays.
            athena.drop_version_table(catalog, ctas_table).await;
            delete_unswitched_version(store, &dir).await;
            return Err(e);
        }
    };
    // Dropped before the switch, its columns compared already: a failure to drop must
    // neither leave the job failed with the catalog moved nor stop the switch.
    athena.drop_version_table(catalog, ctas_table).await;
    let location = switch_to_version(store, catalog, &spec, &dir, columns).await?;
    tracing::info!(table = %table, rows_in, rows_out = created.rows, rejected = n_rejected, %location, from = %created.rows_from, "trusted table written by Athena");
    Ok(TableReport {
        table: format!("{}.{}", spec.db, spec.name),
        source: vec![key.to_string()],
        rows_in,
        rows_out: created.rows,
        rejected: n_rejected,
        nulled: 0,
        location,
        rejects_key,
        unchanged: false,
        rows_from: Some(created.rows_from),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn athenas_table_has_the_polars_columns() {
        assert_eq!(polars_columns(CsvKind::Series).unwrap()[4].name, "end_year");
    }
}
