//! Raw `movies.csv` / `series.csv` to typed Parquet, every row kept.
//!
//! A first pass over the bytes finds rows with the wrong field count or invalid UTF-8
//! (Polars would pad short rows silently and fail the file on long ones); Polars then
//! reads the rest as text, with `|`, no quoting (a `"` is data) and `\N` as null, and
//! casts. A value that does not parse in a number column rejects its row.

use std::io::Cursor;
use std::sync::Arc;

use cinelake_catalog::Catalog;
use cinelake_frames::PolarsContext;
use cinelake_frames::table::{TableSpec, publish};
use cinelake_lake::Store;
use cinelake_lake::layout;
use cinelake_lake::source::{CsvKind, NULL as SOURCE_NULL};
use polars::prelude::*;

use crate::mapping::{Kind, columns};
use crate::rejects::{Rejected, store_rejects};
use crate::{JobOptions, TableReport, TrustedError};

/// The Trusted table name of a source file.
pub fn table_name(kind: CsvKind) -> &'static str {
    match kind {
        CsvKind::Movies => "movies",
        CsvKind::Series => "series",
    }
}

/// Rows that passed the first pass, and those that did not.
struct Prescan {
    data_rows: u64,
    rejected: Vec<Rejected>,
    /// When rows were rejected: the remaining rows (no header) and their line numbers.
    kept: Option<(Vec<u8>, Vec<i64>)>,
}

fn prescan(bytes: &[u8], kind: CsvKind, key: &str) -> Result<Prescan, TrustedError> {
    let header_end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(bytes.len());
    let header = String::from_utf8_lossy(&bytes[..header_end]);
    let header = header.trim_end_matches('\r');
    if header != kind.header() {
        return Err(TrustedError::WrongHeader {
            key: key.to_string(),
            kind: kind.to_string(),
            found: header.chars().take(200).collect(),
        });
    }
    let expected = kind.column_count();
    let body = bytes.get(header_end + 1..).unwrap_or(&[]);
    let mut lines: Vec<&[u8]> = body.split(|&b| b == b'\n').collect();
    if body.is_empty() || body.ends_with(b"\n") {
        lines.pop(); // the final line end does not start a row
    }
    let data_rows = lines.len() as u64;
    let mut rejected = Vec::new();
    let mut bad = vec![false; lines.len()];
    for (i, raw) in lines.iter().enumerate() {
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        let reason = match std::str::from_utf8(line) {
            Err(e) => Some(format!("not UTF-8 at byte {}", e.valid_up_to())),
            Ok(_) => {
                let fields = line.iter().filter(|&&b| b == b'|').count() + 1;
                (fields != expected).then(|| format!("{fields} fields, expected {expected}"))
            }
        };
        if let Some(reason) = reason {
            rejected.push(Rejected {
                source: key.to_string(),
                line: Some(i as u64 + 2),
                position: None,
                reason,
                raw: Some(String::from_utf8_lossy(line).into_owned()),
            });
            bad[i] = true;
        }
    }
    let kept = (!rejected.is_empty()).then(|| {
        let mut buf = Vec::with_capacity(body.len());
        let mut numbers = Vec::with_capacity(lines.len());
        for (i, raw) in lines.iter().enumerate().filter(|(i, _)| !bad[*i]) {
            buf.extend_from_slice(raw);
            buf.push(b'\n');
            numbers.push(i as i64 + 2);
        }
        (buf, numbers)
    });
    Ok(Prescan {
        data_rows,
        rejected,
        kept,
    })
}

/// Reads, types and splits one source file; the rows to publish and the rejected ones.
fn transform(
    bytes: bytes::Bytes,
    kind: CsvKind,
    key: &str,
) -> Result<(DataFrame, Vec<Rejected>, u64), TrustedError> {
    let scan = prescan(&bytes, kind, key)?;
    let cols = columns(kind);
    let schema = Schema::from_iter(
        cols.iter()
            .map(|c| Field::new(c.source.into(), DataType::String)),
    );
    let (buffer, has_header, lines) = match scan.kept {
        Some((buf, lines)) => (bytes::Bytes::from(buf), false, Some(lines)),
        None => (bytes, true, None),
    };
    let options = CsvReadOptions::default()
        .with_has_header(has_header)
        .with_schema(Some(Arc::new(schema)))
        .map_parse_options(|p| {
            p.with_separator(b'|')
                .with_quote_char(None)
                .with_missing_is_null(false)
                .with_null_values(Some(NullValues::AllColumnsSingle(SOURCE_NULL.into())))
        });
    let mut df = options
        .into_reader_with_file_handle(Cursor::new(buffer))
        .finish()
        .context(|| format!("reading {key}"))?;
    let line_col = match lines {
        Some(l) => Column::new("_line".into(), l),
        None => Column::new(
            "_line".into(),
            (0..df.height() as i64).map(|i| i + 2).collect::<Vec<_>>(),
        ),
    };
    df.with_column(line_col)
        .context(|| "numbering lines".into())?;

    // The row as it came (nulls written back as \N), kept for rejected rows only.
    let raw = concat_str(
        cols.iter()
            .map(|c| col(c.source).fill_null(lit(SOURCE_NULL)))
            .collect::<Vec<_>>(),
        "|",
        false,
    )
    .alias("_raw");
    // Empty fields are nulls too.
    let blank_to_null: Vec<Expr> = cols
        .iter()
        .map(|c| {
            when(col(c.source).eq(lit("")))
                .then(lit(NULL).cast(DataType::String))
                .otherwise(col(c.source))
                .alias(c.source)
        })
        .collect();
    let mut typed = Vec::new();
    let mut reasons = Vec::new();
    for c in &cols {
        let dtype = match c.kind {
            Kind::Int32 => Some(DataType::Int32),
            Kind::Int64 => Some(DataType::Int64),
            Kind::Float64 => Some(DataType::Float64),
            _ => None,
        };
        match (c.kind, dtype) {
            (_, Some(dt)) => {
                let parsed = col(c.source).cast(dt.clone());
                reasons.push(
                    when(
                        col(c.source)
                            .is_not_null()
                            .and(col(c.source).neq(lit("")))
                            .and(parsed.clone().is_null()),
                    )
                    .then(concat_str(
                        [
                            lit(format!("{}: \"", c.source)),
                            col(c.source),
                            lit(format!("\" is not {}", kind_name(c.kind))),
                        ],
                        "",
                        true,
                    ))
                    .otherwise(lit(NULL).cast(DataType::String)),
                );
                typed.push(parsed.alias(c.target));
                // "" casts to null too: empty fields are nulls.
            }
            (Kind::List, _) => typed.push(col(c.source).str().split(lit(",")).alias(c.target)),
            _ => typed.push(col(c.source).alias(c.target)),
        }
    }
    // The reasons are computed once; the raw text only for the (few) rejected rows.
    let mut checked = df
        .lazy()
        .with_column(concat_str(reasons, "; ", true).alias("_reason"))
        .collect()
        .context(|| format!("checking {key}"))?;
    let bad_mask: BooleanChunked = checked
        .column("_reason")
        .and_then(|c| c.str().cloned())
        .context(|| "reading reasons".into())?
        .iter()
        .map(|r| Some(r.is_some_and(|r| !r.is_empty())))
        .collect();
    let bad = checked
        .filter(&bad_mask)
        .context(|| "selecting rejected rows".into())?
        .lazy()
        .select([col("_line"), col("_reason"), raw])
        .collect()
        .context(|| format!("typing {key}"))?;
    if bad.height() > 0 {
        checked = checked
            .filter(&!&bad_mask)
            .context(|| "selecting good rows".into())?;
    }
    let good = checked
        .lazy()
        .with_columns(blank_to_null)
        .select(typed)
        .collect()
        .context(|| format!("typing {key}"))?;

    let mut rejected = scan.rejected;
    let lines = bad
        .column("_line")
        .and_then(|c| c.i64().cloned())
        .context(|| "reading rejects".into())?;
    let reasons = bad
        .column("_reason")
        .and_then(|c| c.str().cloned())
        .context(|| "reading rejects".into())?;
    let raws = bad
        .column("_raw")
        .and_then(|c| c.str().cloned())
        .context(|| "reading rejects".into())?;
    for ((line, reason), raw) in lines.iter().zip(reasons.iter()).zip(raws.iter()) {
        rejected.push(Rejected {
            source: key.to_string(),
            line: line.map(|l| l as u64),
            position: None,
            reason: reason.unwrap_or_default().to_string(),
            raw: raw.map(str::to_string),
        });
    }
    rejected.sort_by_key(|r| r.line);
    Ok((good, rejected, scan.data_rows))
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Int32 | Kind::Int64 => "a whole number",
        Kind::Float64 => "a number",
        _ => "",
    }
}

/// Runs the job for one source file: the newest upload, or the one of `date`.
pub async fn run(
    store: &Store,
    catalog: &Catalog,
    kind: CsvKind,
    date: Option<layout::ProcessingDate>,
    opts: &JobOptions,
) -> Result<TableReport, TrustedError> {
    let table = table_name(kind);
    let key = cinelake_lake::raw::latest_csv(store, kind, date)
        .await?
        .ok_or_else(|| TrustedError::NoSource {
            what: format!("Raw {}", kind.file_name()),
            lake: store.url(),
            hint: format!(
                "nothing under {}; run the upload stage first",
                layout::raw_csv_prefix(kind)
            ),
        })?;
    let bytes = store.get(&key).await?;
    let key_for_task = key.clone();
    let (mut good, rejected, rows_in) =
        tokio::task::spawn_blocking(move || transform(bytes, kind, &key_for_task))
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?;
    let rows_out = good.height() as u64;
    let n_rejected = rejected.len() as u64;
    if rows_in != rows_out + n_rejected {
        return Err(TrustedError::CountMismatch {
            table: table.into(),
            rows_in,
            rows_out,
            rejected: n_rejected,
        });
    }
    let rejects_key = store_rejects(store, table, &opts.run_id, &rejected).await?;
    check_share(table, n_rejected, rows_in, opts, &rejects_key, &rejected)?;
    let spec = TableSpec {
        db: opts.databases.trusted.clone(),
        name: table.into(),
        description: format!("{}: one row per title and artist, typed", kind.file_name()),
        prefix: layout::trusted_csv_prefix(kind),
    };
    let published = publish(store, catalog, &spec, &opts.run_id, &mut good).await?;
    tracing::info!(table, rows_in, rows_out, rejected = n_rejected, location = %published.location, "trusted table written");
    Ok(TableReport {
        table: published.table,
        source: vec![key],
        rows_in,
        rows_out,
        rejected: n_rejected,
        location: published.location,
        rejects_key,
    })
}

/// Fails the table when too many rows were refused.
pub(crate) fn check_share(
    table: &str,
    rejected: u64,
    total: u64,
    opts: &JobOptions,
    rejects_key: &Option<String>,
    rows: &[Rejected],
) -> Result<(), TrustedError> {
    let share = if total == 0 {
        0.0
    } else {
        rejected as f64 / total as f64
    };
    if share > opts.max_rejected_share {
        let first = rows
            .first()
            .map(|r| match (r.line, r.position) {
                (Some(l), _) => format!("{} line {l}: {}", r.source, r.reason),
                (None, Some(p)) => format!("{} record {p}: {}", r.source, r.reason),
                _ => format!("{}: {}", r.source, r.reason),
            })
            .unwrap_or_default();
        return Err(TrustedError::TooManyRejected {
            table: table.into(),
            rejected,
            total,
            share: share * 100.0,
            threshold: opts.max_rejected_share * 100.0,
            rejects_key: rejects_key.clone().unwrap_or_default(),
            first,
        });
    }
    Ok(())
}
