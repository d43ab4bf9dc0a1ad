//! Parquet in and out of memory.
//!
//! Polars embeds an Arrow schema hint that names its own string type, `string_view`.
//! Arrow readers follow it. Every file here carries a hint with plain `Utf8` strings
//! and plain lists instead. So every reader sees the same plain UTF-8 the Parquet types
//! declare.

use std::io::Cursor;

use bytes::Bytes;
use polars::prelude::*;

use crate::{FramesError, PolarsContext, Result};

fn arrow_type(column: &str, dtype: &DataType) -> Result<ArrowDataType> {
    Ok(match dtype {
        DataType::String => ArrowDataType::Utf8,
        DataType::Boolean => ArrowDataType::Boolean,
        DataType::Int32 => ArrowDataType::Int32,
        DataType::Int64 => ArrowDataType::Int64,
        DataType::Float64 => ArrowDataType::Float64,
        DataType::Date => ArrowDataType::Date32,
        DataType::List(inner) => ArrowDataType::List(Box::new(ArrowField::new(
            "item".into(),
            arrow_type(column, inner)?,
            true,
        ))),
        DataType::Struct(fields) => ArrowDataType::Struct(
            fields
                .iter()
                .map(|f| {
                    Ok(ArrowField::new(
                        f.name().clone(),
                        arrow_type(column, f.dtype())?,
                        true,
                    ))
                })
                .collect::<Result<Vec<_>>>()?,
        ),
        other => {
            // Refused by `types::hive_type` first, so this names the same rule.
            crate::types::hive_type(column, other)?;
            return Err(FramesError::UnsupportedType {
                column: column.to_string(),
                dtype: other.to_string(),
                why: "not written by cinelake",
            });
        }
    })
}

/// A Parquet writer over `w` for frames of `schema`: zstd, and the plain-type Arrow hint.
pub fn writer<W: std::io::Write>(w: W, schema: &Schema) -> Result<ParquetWriter<W>> {
    let hint = ArrowSchema::from_iter(
        schema
            .iter()
            .map(|(name, dtype)| {
                Ok(ArrowField::new(
                    name.clone(),
                    arrow_type(name, dtype)?,
                    true,
                ))
            })
            .collect::<Result<Vec<_>>>()?,
    );
    let kv = polars_parquet::write::schema_to_metadata_key(&hint);
    Ok(ParquetWriter::new(w)
        .with_compression(ParquetCompression::Zstd(None))
        .with_key_value_metadata(Some(KeyValueMetadata::from_static(vec![(
            kv.key.clone(),
            kv.value.clone().unwrap_or_default(),
        )]))))
}

/// Encodes and compresses frames into Parquet row groups on the calling thread, for a
/// file written by [`writer`]'s batched writer.
///
/// Polars' batched writer compresses every page on the thread that writes the file. So
/// one thread does most of the work of a large file. With this, the threads that make
/// the rows also encode them. The writer only appends the finished row groups in order.
#[derive(Clone)]
pub struct RowGroupEncoder {
    fields: Vec<polars_parquet::write::ParquetType>,
    encodings: Vec<Vec<polars_parquet::write::Encoding>>,
    options: polars_parquet::write::WriteOptions,
}

/// One row group, every page compressed, ready for [`RowGroupEncoder::append`].
pub struct EncodedRowGroup {
    rows: u64,
    columns: Vec<Vec<polars_parquet::write::CompressedPage>>,
}

impl RowGroupEncoder {
    /// The encoder for the file `writer` writes: its columns and types, zstd.
    pub fn for_writer<W: std::io::Write>(
        writer: &mut polars::io::parquet::write::BatchedWriter<W>,
        schema: &Schema,
    ) -> Self {
        let arrow = schema.to_arrow(CompatLevel::newest());
        Self {
            fields: writer.parquet_schema().fields().to_vec(),
            encodings: polars::io::parquet::write::get_encodings(&arrow).to_vec(),
            options: polars_parquet::write::WriteOptions {
                statistics: polars_parquet::write::StatisticsOptions::default(),
                version: polars_parquet::write::Version::V1,
                compression: polars_parquet::write::CompressionOptions::Zstd(None),
                data_page_size: None,
            },
        }
    }

    fn encode_column(
        &self,
        array: &ArrayRef,
        index: usize,
    ) -> Result<Vec<Vec<polars_parquet::write::CompressedPage>>> {
        let (Some(type_), Some(encoding)) = (self.fields.get(index), self.encodings.get(index))
        else {
            return Err(FramesError::Polars {
                context: "encoding Parquet".into(),
                source: PolarsError::ShapeMismatch(
                    format!("column {index} is not in the file's schema").into(),
                ),
            });
        };
        let leaves =
            polars_parquet::write::array_to_columns(array, type_.clone(), self.options, encoding)
                .context(|| "encoding Parquet".into())?;
        let mut out = Vec::with_capacity(leaves.len());
        for pages in leaves {
            let mut compressed = Vec::new();
            for page in pages {
                let page = page.context(|| "encoding Parquet".into())?;
                compressed.push(
                    polars_parquet::write::compress(page, Vec::new(), self.options.compression)
                        .map_err(PolarsError::from)
                        .context(|| "compressing Parquet".into())?,
                );
            }
            out.push(compressed);
        }
        Ok(out)
    }

    /// `df` as row groups (one per chunk of its columns), encoded and compressed on this
    /// thread. `df`'s chunks must be aligned.
    pub fn encode(&self, df: &DataFrame) -> Result<Vec<EncodedRowGroup>> {
        self.encode_with(df, false)
    }

    /// Like [`Self::encode`], the columns of each row group shared out between one
    /// thread per core.
    pub fn encode_parallel(&self, df: &DataFrame) -> Result<Vec<EncodedRowGroup>> {
        self.encode_with(df, true)
    }

    fn encode_with(&self, df: &DataFrame, every_core: bool) -> Result<Vec<EncodedRowGroup>> {
        let mut groups = Vec::new();
        for batch in df.iter_chunks(CompatLevel::newest(), false) {
            if batch.is_empty() {
                continue;
            }
            let numbered: Vec<(usize, &ArrayRef)> = batch.columns().iter().enumerate().collect();
            let encode = |(i, a): &(usize, &ArrayRef)| self.encode_column(a, *i);
            let per_column = if every_core {
                crate::parallel::map_ordered(&numbered, encode)
            } else {
                numbered.iter().map(encode).collect()
            };
            let mut columns = Vec::new();
            for r in per_column {
                columns.extend(r?);
            }
            groups.push(EncodedRowGroup {
                rows: batch.len() as u64,
                columns,
            });
        }
        Ok(groups)
    }

    /// Appends encoded row groups to the file, in the order given.
    pub fn append<W: std::io::Write>(
        writer: &mut polars::io::parquet::write::BatchedWriter<W>,
        groups: Vec<EncodedRowGroup>,
    ) -> Result<()> {
        for g in groups {
            writer
                .write_row_group(g.rows, &g.columns)
                .context(|| "writing Parquet".into())?;
        }
        Ok(())
    }
}

/// Rows per row group of [`write_parquet`], as Polars' own writer.
const ROW_GROUP_ROWS: usize = 512 * 512;

/// A frame as Parquet bytes, typed as [`crate::types`] says; the columns are encoded on
/// every core.
pub fn write_parquet(df: &mut DataFrame) -> Result<Bytes> {
    let schema = df.schema().as_ref().clone();
    let mut buf = Vec::new();
    let mut w = writer(&mut buf, &schema)?
        .batched(&schema)
        .context(|| "starting Parquet".to_string())?;
    let encoder = RowGroupEncoder::for_writer(&mut w, &schema);
    let chunked = polars::frame::chunk_df_for_writing(df, ROW_GROUP_ROWS)
        .context(|| "writing Parquet".to_string())?;
    let groups = encoder.encode_parallel(&chunked)?;
    RowGroupEncoder::append(&mut w, groups)?;
    w.finish().context(|| "writing Parquet".to_string())?;
    Ok(Bytes::from(buf))
}

/// A Parquet file's rows.
pub fn read_parquet(bytes: &[u8], what: &str) -> Result<DataFrame> {
    read_parquet_columns(bytes, what, None)
}

/// A Parquet file's rows, only the named columns (all when `None`): the others are
/// never decoded.
pub fn read_parquet_columns(
    bytes: &[u8],
    what: &str,
    columns: Option<&[&str]>,
) -> Result<DataFrame> {
    ParquetReader::new(Cursor::new(bytes))
        .with_columns(columns.map(|c| c.iter().map(|s| s.to_string()).collect()))
        .finish()
        .context(|| format!("reading Parquet {what}"))
}

/// Rows decoded at a time by [`read_parquet_file_kept`]: whole row groups, at least this
/// many.
const ROWS_PER_READ: usize = 200_000;

/// The rows of a Parquet file on disk that `keep` keeps, only the named columns. It is
/// decoded a few row groups at a time. Memory holds only the footer, the row groups of
/// the slice being read, and what was kept.
///
/// Each slice's bytes go into a buffer the size of the file that is otherwise never
/// touched. Its pages are zeroed, and the system only backs them when written. So
/// memory follows the slice, not the file. A table ten times the real size is a 295 MB
/// file.
pub fn read_parquet_file_kept(
    path: &std::path::Path,
    what: &str,
    columns: Option<&[&str]>,
    keep: &(dyn Fn(DataFrame) -> PolarsResult<DataFrame> + Sync),
) -> Result<DataFrame> {
    use std::os::unix::fs::FileExt;
    let io = |e: std::io::Error| FramesError::Polars {
        context: format!("reading Parquet {what} from {}", path.display()),
        source: PolarsError::IO {
            error: std::sync::Arc::new(e),
            msg: None,
        },
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let bad = |why: &str| FramesError::Polars {
        context: format!("reading Parquet {what}"),
        source: PolarsError::ComputeError(why.to_string().into()),
    };
    if len < 12 {
        return Err(bad("too short to be Parquet"));
    }
    let mut tail = [0u8; 8];
    file.read_exact_at(&mut tail, len - 8).map_err(io)?;
    let footer_len = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    let footer = (len - 8)
        .checked_sub(footer_len)
        .ok_or_else(|| bad("its footer is longer than the file"))?;
    let sparse = |ranges: &[std::ops::Range<u64>]| -> Result<Vec<u8>> {
        let mut buf = vec![0u8; len as usize];
        for r in [0..4, footer..len].iter().chain(ranges) {
            let (start, end) = (r.start.min(len), r.end.min(len));
            file.read_exact_at(&mut buf[start as usize..end as usize], start)
                .map_err(io)?;
        }
        Ok(buf)
    };
    let meta = ParquetReader::new(Cursor::new(sparse(&[])?))
        .get_metadata()
        .context(|| format!("reading Parquet {what}"))?
        .clone();
    let columns: Option<Vec<String>> = columns.map(|c| c.iter().map(|s| s.to_string()).collect());
    let mut out: Option<DataFrame> = None;
    let (mut start, mut rows, mut ranges) = (0usize, 0usize, Vec::new());
    let groups = meta.row_groups.len();
    for (i, rg) in meta.row_groups.iter().enumerate() {
        rows += rg.num_rows();
        ranges.push(rg.full_byte_range());
        if rows < ROWS_PER_READ && i + 1 < groups {
            continue;
        }
        let mut reader = ParquetReader::new(Cursor::new(sparse(&ranges)?))
            .with_columns(columns.clone())
            .with_slice(Some((start, rows)));
        reader.set_metadata(meta.clone());
        let df = reader
            .finish()
            .context(|| format!("reading Parquet {what}"))?;
        let df = keep(df).context(|| format!("filtering {what}"))?;
        out = Some(match out {
            None => df,
            Some(mut acc) => {
                acc.vstack_mut(&df).context(|| format!("stacking {what}"))?;
                acc
            }
        });
        start += rows;
        rows = 0;
        ranges.clear();
    }
    match out {
        Some(df) => Ok(df),
        // No row group: the schema's empty frame, filtered.
        None => Ok(keep(
            ParquetReader::new(Cursor::new(sparse(&[])?))
                .with_columns(columns)
                .finish()
                .context(|| format!("reading Parquet {what}"))?,
        )
        .context(|| format!("filtering {what}"))?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_read_a_slice_at_a_time_gives_what_a_whole_read_gives() {
        let n = 450_000i64;
        let mut df = df!(
            "id" => (0..n).collect::<Vec<_>>(),
            "s" => (0..n).map(|i| format!("row {i}")).collect::<Vec<_>>(),
        )
        .unwrap();
        let mut bytes = Vec::new();
        ParquetWriter::new(&mut bytes)
            .with_row_group_size(Some(100_000))
            .finish(&mut df)
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        std::fs::write(&path, &bytes).unwrap();
        let keep = |d: DataFrame| {
            d.lazy()
                .filter(
                    col("id")
                        .gt_eq(lit(90_000i64))
                        .and(col("id").lt(lit(310_005i64))),
                )
                .collect()
        };
        let from_file = read_parquet_file_kept(&path, "t", Some(&["s", "id"]), &keep).unwrap();
        let whole = keep(read_parquet_columns(&bytes, "t", Some(&["s", "id"])).unwrap()).unwrap();
        assert_eq!(from_file, whole);
        assert_eq!(from_file.height(), 220_005);
        assert_eq!(from_file.get_column_names(), ["s", "id"]);
        let nothing = |d: DataFrame| d.lazy().filter(col("id").lt(lit(0i64))).collect();
        assert_eq!(
            read_parquet_file_kept(&path, "t", None, &nothing)
                .unwrap()
                .height(),
            0
        );
        std::fs::write(&path, b"PAR1").unwrap();
        assert!(read_parquet_file_kept(&path, "t", None, &keep).is_err());
    }

    #[test]
    fn round_trips_with_plain_types() {
        let mut df = df!(
            "s" => ["a", "b"],
            "n" => [1i64, 2],
            "r" => [6.2f64, 7.0],
        )
        .unwrap();
        let bytes = write_parquet(&mut df).unwrap();
        let back = read_parquet(&bytes, "test").unwrap();
        assert_eq!(back, df);
        let r = back.column("r").unwrap().f64().unwrap().get(0).unwrap();
        assert_eq!(r, 6.2);
        let mut bad = df!("x" => [1.5f32]).unwrap();
        assert!(write_parquet(&mut bad).is_err());
    }

    #[test]
    fn kept_rows_are_read_a_few_row_groups_at_a_time() {
        let n = 3 * ROWS_PER_READ + 17;
        let df = df!(
            "n" => (0..n as i64).collect::<Vec<_>>(),
            "s" => (0..n).map(|i| if i % 2 == 0 { "even" } else { "odd" }).collect::<Vec<_>>(),
        )
        .unwrap();
        // Row groups of 100,000 rows, as the CSV job writes them.
        let schema = df.schema().as_ref().clone();
        let mut buf = Vec::new();
        let mut w = writer(&mut buf, &schema).unwrap().batched(&schema).unwrap();
        let encoder = RowGroupEncoder::for_writer(&mut w, &schema);
        for offset in (0..n).step_by(100_000) {
            let part = df.slice(offset as i64, 100_000);
            RowGroupEncoder::append(&mut w, encoder.encode(&part).unwrap()).unwrap();
        }
        w.finish().unwrap();
        let slices = std::sync::atomic::AtomicUsize::new(0);
        let keep = |d: DataFrame| {
            slices.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            d.lazy()
                .filter(col("n").lt(lit(5)).or(col("n").gt_eq(lit(n as i64 - 3))))
                .collect()
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        std::fs::write(&path, &buf).unwrap();
        let kept = read_parquet_file_kept(&path, "test", Some(&["n"]), &keep).unwrap();
        let got: Vec<i64> = kept
            .column("n")
            .unwrap()
            .i64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        let last = n as i64;
        assert_eq!(got, [0, 1, 2, 3, 4, last - 3, last - 2, last - 1]);
        assert_eq!(kept.width(), 1);
        assert!(slices.into_inner() > 1, "read in one go");
        let mut empty = df.clear();
        let bytes = write_parquet(&mut empty).unwrap();
        std::fs::write(&path, &bytes).unwrap();
        let none = read_parquet_file_kept(&path, "test", None, &|d| Ok(d)).unwrap();
        assert_eq!(none.height(), 0);
        assert_eq!(none.width(), 2);
    }

    #[test]
    fn unaligned_chunks_and_empty_frames_round_trip() {
        let mut a = df!("n" => [1i64, 2, 3], "s" => ["a", "b", "c"]).unwrap();
        a.vstack_mut(&df!("n" => [4i64], "s" => ["d"]).unwrap())
            .unwrap();
        // Columns chunked differently: the writer must align them.
        let mut df = DataFrame::new_infer_height(vec![
            a.column("n").unwrap().clone(),
            a.column("s")
                .unwrap()
                .as_materialized_series()
                .rechunk()
                .into_column(),
        ])
        .unwrap();
        let bytes = write_parquet(&mut df).unwrap();
        assert_eq!(read_parquet(&bytes, "test").unwrap(), a);
        let mut empty = a.clear();
        let bytes = write_parquet(&mut empty).unwrap();
        let back = read_parquet(&bytes, "test").unwrap();
        assert_eq!(back.height(), 0);
        assert_eq!(back.schema(), a.schema());
    }

    #[test]
    fn row_groups_encoded_on_other_threads_read_back_in_order() {
        let part = |from: i64| {
            df!(
                "n" => (from..from + 1000).collect::<Vec<i64>>(),
                "s" => (from..from + 1000).map(|i| format!("row {i}")).collect::<Vec<_>>(),
            )
            .unwrap()
        };
        let parts = [part(0), part(1000), part(2000)];
        let schema = parts[0].schema().as_ref().clone();
        let mut buf = Vec::new();
        let mut w = writer(&mut buf, &schema).unwrap().batched(&schema).unwrap();
        let encoder = RowGroupEncoder::for_writer(&mut w, &schema);
        let encoded: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = parts
                .iter()
                .map(|p| s.spawn(|| encoder.encode(p).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for groups in encoded {
            RowGroupEncoder::append(&mut w, groups).unwrap();
        }
        w.finish().unwrap();
        let back = read_parquet(&buf, "test").unwrap();
        let mut all = parts[0].clone();
        all.vstack_mut(&parts[1]).unwrap();
        all.vstack_mut(&parts[2]).unwrap();
        assert_eq!(back, all);
    }
}
