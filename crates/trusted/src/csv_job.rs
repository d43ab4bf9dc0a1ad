//! Raw `movies.csv` / `series.csv` to typed Parquet, every row kept.
//!
//! Each line is read straight into typed Polars columns ([`csv_rows`]): a line with the
//! wrong field count, invalid UTF-8 or a non-number in a number column is rejected whole,
//! with its line number and reason. (Polars' CSV reader would pad short rows silently and
//! fail the file on long ones, and typing its text columns afterwards meant a second pass
//! and a copy of every field.)

use std::num::NonZeroUsize;
use std::sync::Arc;

use cinelake_catalog::{Catalog, Table};
use cinelake_frames::PolarsContext;
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

/// Types and encodes one batch of lines: `chunk_rows` lines per chunk, one chunk per core.
fn encode_batch(
    batch: &Batch,
    kind: CsvKind,
    key: &str,
    chunk_rows: NonZeroUsize,
    encoder: &RowGroupEncoder,
) -> Result<Vec<Encoded>, TrustedError> {
    let chunks = csv_rows::split(&batch.bytes, 0, chunk_rows, batch.first_line);
    cinelake_frames::parallel::map_ordered(&chunks, |c| {
        let p = csv_rows::parse(&batch.bytes, *c, kind, key)?;
        Ok(Encoded {
            rows: p.frame.height() as u64,
            lines: c.lines,
            groups: encoder.encode(&p.frame)?,
            rejected: p.rejected,
        })
    })
    .into_iter()
    .collect()
}

/// Reads, types and writes one source file, streamed from the lake.
///
/// The file is read a batch of lines at a time (`chunk_rows` per core); each core types
/// and encodes one chunk into a Parquet row group while the next batch is read, and the
/// row groups are appended in file order to a temporary file ([`Spool`]). Memory holds
/// two batches, whatever the file's size.
async fn transform(
    stream: ObjectStream,
    kind: CsvKind,
    key: &str,
    chunk_rows: NonZeroUsize,
) -> Result<Transformed, TrustedError> {
    let mut lines = Lines::new(stream);
    let header = lines.take(NonZeroUsize::MIN).await?;
    check_header(&header.bytes, kind, key)?;
    let schema = csv_rows::schema(kind);
    let mut out = Spool::new().map_err(|e| TrustedError::Spool {
        what: key.to_string(),
        source: e,
    })?;
    let mut writer = cinelake_frames::parquet::writer(&mut out, &schema)?
        .batched(&schema)
        .context(|| "starting Parquet".into())?;
    let encoder = Arc::new(RowGroupEncoder::for_writer(&mut writer, &schema));
    let cores =
        NonZeroUsize::new(cinelake_frames::parallel::threads()).unwrap_or(NonZeroUsize::MIN);
    let batch_lines = chunk_rows.saturating_mul(cores);
    let (mut rows_in, mut rows_out) = (0u64, 0u64);
    let mut rejected = Vec::new();
    let mut next = lines.take(batch_lines).await?;
    while !next.bytes.is_empty() {
        let batch = next;
        let (encoder, key_owned) = (encoder.clone(), key.to_string());
        let work = tokio::task::spawn_blocking(move || {
            encode_batch(&batch, kind, &key_owned, chunk_rows, &encoder)
        });
        let (done, read) = tokio::join!(work, lines.take(batch_lines));
        let done = done.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?;
        next = read?;
        for e in done {
            rows_in += e.lines;
            rows_out += e.rows;
            rejected.extend(e.rejected);
            RowGroupEncoder::append(&mut writer, e.groups)?;
        }
    }
    writer.finish().context(|| "finishing Parquet".into())?;
    let parquet = out.finish().map_err(|e| TrustedError::Spool {
        what: key.to_string(),
        source: e,
    })?;
    Ok(Transformed {
        parquet,
        schema,
        rows_in,
        rows_out,
        rejected,
    })
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
