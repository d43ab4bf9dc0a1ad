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
use cinelake_frames::table::{TableSpec, publish_parquet};
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

/// Rows typed at a time: bounds memory to a slice of the file, whatever its size.
pub const CHUNK_ROWS: usize = 100_000;

/// What the first pass found: the good lines (as byte ranges of the file, with their
/// line numbers) and the refused ones.
struct Prescan {
    data_rows: u64,
    rejected: Vec<Rejected>,
    good: Vec<(i64, usize, usize)>,
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
    let mut rejected = Vec::new();
    let mut good = Vec::new();
    let mut start = header_end + 1;
    let mut line_no = 1i64;
    while start < bytes.len() {
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| start + i);
        line_no += 1;
        let line = &bytes[start..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let reason = match std::str::from_utf8(line) {
            Err(e) => Some(format!("not UTF-8 at byte {}", e.valid_up_to())),
            Ok(_) => {
                let fields = line.iter().filter(|&&b| b == b'|').count() + 1;
                (fields != expected).then(|| format!("{fields} fields, expected {expected}"))
            }
        };
        match reason {
            Some(reason) => rejected.push(Rejected {
                source: key.to_string(),
                line: Some(line_no as u64),
                position: None,
                reason,
                raw: Some(String::from_utf8_lossy(line).into_owned()),
            }),
            None => good.push((line_no, start, start + line.len())),
        }
        start = end + 1;
    }
    Ok(Prescan {
        data_rows: (line_no - 1) as u64,
        rejected,
        good,
    })
}

/// One chunk of good lines, typed: the rows to publish, and the rows refused for a value.
fn type_chunk(
    df: DataFrame,
    kind: CsvKind,
    key: &str,
) -> Result<(DataFrame, DataFrame), TrustedError> {
    let cols = columns(kind);
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
    // Each number column is parsed once; the reason and the value both read the result.
    let mut casts = Vec::new();
    for c in &cols {
        let dtype = match c.kind {
            Kind::Int32 => Some(DataType::Int32),
            Kind::Int64 => Some(DataType::Int64),
            Kind::Float64 => Some(DataType::Float64),
            _ => None,
        };
        match (c.kind, dtype) {
            (_, Some(dt)) => {
                casts.push(
                    col(c.source)
                        .cast(dt.clone())
                        .alias(format!("_typed_{}", c.target)),
                );
                let parsed = col(format!("_typed_{}", c.target));
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
                // "" casts to null too: empty fields are nulls.
                typed.push(parsed.alias(c.target));
            }
            (Kind::List, _) => typed.push(col(c.source).str().split(lit(",")).alias(c.target)),
            _ => typed.push(col(c.source).alias(c.target)),
        }
    }
    let mut checked = df
        .lazy()
        .with_columns(casts)
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
    Ok((good, bad))
}

/// What one source file became.
struct Transformed {
    parquet: bytes::Bytes,
    schema: Schema,
    rows_in: u64,
    rows_out: u64,
    rejected: Vec<Rejected>,
}

/// Reads, types and writes one source file a chunk at a time.
fn transform(
    bytes: bytes::Bytes,
    kind: CsvKind,
    key: &str,
    chunk_rows: usize,
) -> Result<Transformed, TrustedError> {
    let scan = prescan(&bytes, kind, key)?;
    let text_schema = Arc::new(Schema::from_iter(
        columns(kind)
            .iter()
            .map(|c| Field::new(c.source.into(), DataType::String)),
    ));
    let mut rejected = scan.rejected;
    let mut out = Vec::new();
    let mut writer = None;
    let mut schema = None;
    let mut rows_out = 0u64;
    let empty = [(0i64, 0usize, 0usize); 0];
    let chunks: Vec<&[(i64, usize, usize)]> = if scan.good.is_empty() {
        vec![&empty[..]]
    } else {
        scan.good.chunks(chunk_rows.max(1)).collect()
    };
    for chunk in chunks {
        let mut buf = Vec::with_capacity(chunk.iter().map(|(_, s, e)| e - s + 1).sum());
        for (_, s, e) in chunk {
            buf.extend_from_slice(&bytes[*s..*e]);
            buf.push(b'\n');
        }
        let mut df = if buf.is_empty() {
            DataFrame::empty_with_schema(&text_schema)
        } else {
            CsvReadOptions::default()
                .with_has_header(false)
                .with_schema(Some(text_schema.clone()))
                .map_parse_options(|p| {
                    p.with_separator(b'|')
                        .with_quote_char(None)
                        .with_missing_is_null(false)
                        .with_null_values(Some(NullValues::AllColumnsSingle(SOURCE_NULL.into())))
                })
                .into_reader_with_file_handle(Cursor::new(buf))
                .finish()
                .context(|| format!("reading {key}"))?
        };
        let lines: Vec<i64> = chunk.iter().map(|(l, _, _)| *l).collect();
        df.with_column(Column::new("_line".into(), lines))
            .context(|| "numbering lines".into())?;
        let (good, bad) = type_chunk(df, kind, key)?;
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
        if writer.is_none() {
            let s = good.schema().as_ref().clone();
            writer = Some(
                cinelake_frames::parquet::writer(&mut out, &s)?
                    .batched(&s)
                    .context(|| "starting Parquet".into())?,
            );
            schema = Some(s);
        }
        if let Some(w) = writer.as_mut() {
            w.write_batch(&good).context(|| "writing Parquet".into())?;
        }
        rows_out += good.height() as u64;
    }
    if let Some(w) = writer {
        w.finish().context(|| "finishing Parquet".into())?;
    }
    rejected.sort_by_key(|r| r.line);
    Ok(Transformed {
        parquet: bytes::Bytes::from(out),
        schema: schema.unwrap_or_default(),
        rows_in: scan.data_rows,
        rows_out,
        rejected,
    })
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
    let chunk_rows = opts.chunk_rows;
    let t = tokio::task::spawn_blocking(move || transform(bytes, kind, &key_for_task, chunk_rows))
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?;
    let (rows_in, rows_out, rejected) = (t.rows_in, t.rows_out, t.rejected);
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
    let published = publish_parquet(
        store,
        catalog,
        &spec,
        &opts.run_id,
        t.parquet,
        &t.schema,
        rows_out,
    )
    .await?;
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
