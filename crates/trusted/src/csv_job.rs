//! Raw `movies.csv` / `series.csv` to typed Parquet, every row kept.
//!
//! Each line is read straight into typed Polars columns ([`csv_rows`]). Some lines are
//! rejected whole, with their line number and reason. These are lines with the wrong
//! field count, invalid UTF-8, or a non-number in a number column.
//!
//! Polars' CSV reader is not used. It would pad short rows silently and fail the file
//! on long ones. Typing its text columns afterwards meant a second pass and a copy of
//! every field.

use std::num::NonZeroUsize;

use cinelake_catalog::{Catalog, Table};
use cinelake_frames::PolarsContext;
use cinelake_frames::parallel::pipeline;
use cinelake_frames::parquet::{EncodedRowGroup, RowGroupEncoder};
use cinelake_frames::table::{TableSpec, publish_parquet_file};
use cinelake_lake::layout;
use cinelake_lake::source::CsvKind;
use cinelake_lake::{ObjectStream, Store};
use polars::prelude::*;

use crate::csv_rows;
use crate::lines::{Batch, Lines};
use crate::rejects::{Rejected, store_rejects};
use crate::spool::Spool;
use crate::{JobOptions, TableReport, TrustedError};

/// Lines per chunk, and rows per Parquet row group: one chunk per core is typed at a
/// time, which bounds memory to a slice of the file whatever its size.
pub const CHUNK_ROWS: NonZeroUsize = NonZeroUsize::new(100_000).expect("not zero");

/// What one source file became.
struct Transformed {
    /// The table's Parquet, spooled to a temporary file, and its digest.
    parquet: (tempfile::NamedTempFile, cinelake_lake::store::FileDigest),
    schema: Schema,
    rows_in: u64,
    rows_out: u64,
    rejected: Vec<Rejected>,
}

/// A chunk typed and encoded as Parquet row groups.
struct Encoded {
    /// Lines read, and rows kept.
    lines: u64,
    rows: u64,
    groups: Vec<EncodedRowGroup>,
    rejected: Vec<Rejected>,
}

/// Checks the header line.
pub(crate) fn check_header(line: &[u8], kind: CsvKind, key: &str) -> Result<(), TrustedError> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let header = String::from_utf8_lossy(line);
    let header = header.trim_end_matches('\r');
    if header != kind.header() {
        return Err(TrustedError::WrongHeader {
            key: key.to_string(),
            kind: kind.to_string(),
            found: header.chars().take(200).collect(),
        });
    }
    Ok(())
}

/// Types and encodes one chunk of at most `chunk_rows` lines.
fn encode_chunk(
    batch: &Batch,
    kind: CsvKind,
    key: &str,
    chunk_rows: NonZeroUsize,
    encoder: &RowGroupEncoder,
) -> Result<Encoded, TrustedError> {
    let mut encoded = Encoded {
        lines: 0,
        rows: 0,
        groups: Vec::new(),
        rejected: Vec::new(),
    };
    for c in csv_rows::split(&batch.bytes, 0, chunk_rows, batch.first_line) {
        let p = csv_rows::parse(&batch.bytes, c, kind, key)?;
        encoded.lines += c.lines;
        encoded.rows += p.frame.height() as u64;
        encoded.groups.extend(encoder.encode(&p.frame)?);
        encoded.rejected.extend(p.rejected);
    }
    Ok(encoded)
}

/// Reads the file a chunk at a time and writes the typed rows to a spooled Parquet file.
///
/// The chunks go through [`pipeline`]: one thread reads, one per core types and encodes
/// the next chunk as soon as it is free, and this one appends the row groups in the
/// file's order. At most one chunk per core, and the one being read, are held at a time,
/// whatever the file's size.
async fn transform(
    stream: ObjectStream,
    kind: CsvKind,
    key: &str,
    chunk_rows: NonZeroUsize,
) -> Result<Transformed, TrustedError> {
    let mut lines = Lines::new(stream);
    let header = lines.take(NonZeroUsize::MIN).await?;
    check_header(&header.bytes, kind, key)?;
    let runtime = tokio::runtime::Handle::current();
    let key = key.to_string();
    tokio::task::spawn_blocking(move || {
        let schema = csv_rows::schema(kind);
        let spool_error = |e| TrustedError::Spool {
            what: key.clone(),
            source: e,
        };
        let mut out = Spool::new().map_err(spool_error)?;
        let mut writer = cinelake_frames::parquet::writer(&mut out, &schema)?
            .batched(&schema)
            .context(|| "starting Parquet".into())?;
        let encoder = RowGroupEncoder::for_writer(&mut writer, &schema);
        let (mut rows_in, mut rows_out) = (0u64, 0u64);
        let mut rejected = Vec::new();
        pipeline::<_, _, TrustedError>(
            // The reading thread is not one of the runtime's, so it may wait on it.
            || {
                let batch = runtime.block_on(lines.take(chunk_rows))?;
                Ok((!batch.bytes.is_empty()).then_some(batch))
            },
            |batch: Batch| encode_chunk(&batch, kind, &key, chunk_rows, &encoder),
            |done: Result<Encoded, TrustedError>| {
                let e = done?;
                rows_in += e.lines;
                rows_out += e.rows;
                rejected.extend(e.rejected);
                RowGroupEncoder::append(&mut writer, e.groups)?;
                Ok(())
            },
        )?;
        writer.finish().context(|| "finishing Parquet".into())?;
        let parquet = out.finish().map_err(spool_error)?;
        Ok(Transformed {
            parquet,
            schema,
            rows_in,
            rows_out,
            rejected,
        })
    })
    .await
    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

/// The Raw key of the job's source file: the newest upload, or the one of `date`, with a
/// warning logged when it is stale.
pub(crate) async fn source(
    store: &Store,
    kind: CsvKind,
    date: Option<layout::ProcessingDate>,
) -> Result<String, TrustedError> {
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
    let today = chrono::Utc::now().date_naive();
    if let Some(warning) = cinelake_lake::raw::stale_csv_warning(kind, &key, today) {
        tracing::warn!("{warning}");
    }
    Ok(key)
}

/// Writes the Polars path's table of the Raw CSV `key` as `<dir>part-00000.parquet`,
/// without switching to it: what a `CREATE TABLE AS SELECT` into `dir` writes, for a
/// local Athena server that runs no SQL ([`cinelake_athena::STAND_IN_ENV`]).
pub(crate) async fn write_as_athena_would(
    store: &Store,
    kind: CsvKind,
    key: &str,
    dir: &str,
    opts: &JobOptions,
) -> Result<(), TrustedError> {
    let stream = store.get_stream(key).await?;
    let t = transform(stream, kind, key, opts.chunk_rows).await?;
    let (file, digest) = &t.parquet;
    store
        .put_file(
            &format!("{dir}part-00000.parquet"),
            file.path(),
            digest,
            &Default::default(),
            &|_| {},
        )
        .await?;
    Ok(())
}

/// Runs the job for one source file: the newest upload, or the one of `date`.
pub async fn run(
    store: &Store,
    catalog: &Catalog,
    kind: CsvKind,
    date: Option<layout::ProcessingDate>,
    opts: &JobOptions,
) -> Result<TableReport, TrustedError> {
    let table = Table::of_csv(kind).name();
    let key = source(store, kind, date).await?;
    let stream = store.get_stream(&key).await?;
    let t = transform(stream, kind, &key, opts.chunk_rows).await?;
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
    let spec = TableSpec::of(Table::of_csv(kind), &opts.databases);
    let (file, digest) = &t.parquet;
    let published = publish_parquet_file(
        store,
        catalog,
        &spec,
        &opts.run_id,
        (file.path(), digest),
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
        nulled: 0,
        location: published.location,
        rejects_key,
        unchanged: false,
        rows_from: None,
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
