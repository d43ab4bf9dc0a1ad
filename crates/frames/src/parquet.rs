//! Parquet in and out of memory.
//!
//! Polars embeds an Arrow schema hint naming its own string type (`string_view`); Arrow
//! readers follow it. Every file here carries a hint with plain `Utf8` strings and plain
//! lists instead, so every reader sees the same plain UTF-8 the Parquet types declare.

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

/// A frame as Parquet bytes, typed as [`crate::types`] says.
pub fn write_parquet(df: &mut DataFrame) -> Result<Bytes> {
    let mut buf = Vec::new();
    writer(&mut buf, &df.schema().clone())?
        .finish(df)
        .context(|| "writing Parquet".to_string())?;
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
