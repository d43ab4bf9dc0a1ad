//! Polars types to Hive/Glue types, for exactly the types Athena reads faithfully.

use cinelake_catalog::ColumnDef;
use polars::prelude::*;

use crate::{FramesError, Result};

/// The Glue type of a column, or an error for types the conventions rule out
/// (float32 turns 6.2 into 6.199999809; nanosecond timestamps overflow Athena; unsigned
/// integers have no Hive type).
pub fn hive_type(column: &str, dtype: &DataType) -> Result<String> {
    let unsupported = |why| FramesError::UnsupportedType {
        column: column.to_string(),
        dtype: dtype.to_string(),
        why,
    };
    Ok(match dtype {
        DataType::String => "string".into(),
        DataType::Boolean => "boolean".into(),
        DataType::Int32 => "int".into(),
        DataType::Int64 => "bigint".into(),
        DataType::Float64 => "double".into(),
        DataType::Date => "date".into(),
        DataType::Datetime(TimeUnit::Milliseconds | TimeUnit::Microseconds, _) => {
            "timestamp".into()
        }
        DataType::Datetime(TimeUnit::Nanoseconds, _) => {
            return Err(unsupported("nanosecond timestamps"));
        }
        DataType::Float32 => {
            return Err(unsupported("float32 loses decimal precision; use float64"));
        }
        DataType::List(inner) => format!("array<{}>", hive_type(column, inner)?),
        DataType::Struct(fields) => {
            let inner: Result<Vec<String>> = fields
                .iter()
                .map(|f| Ok(format!("{}:{}", f.name(), hive_type(column, f.dtype())?)))
                .collect();
            format!("struct<{}>", inner?.join(","))
        }
        _ => return Err(unsupported("no Athena equivalent in the conventions")),
    })
}

/// The catalog columns of a frame's schema.
pub fn columns_of(schema: &Schema) -> Result<Vec<ColumnDef>> {
    schema
        .iter()
        .map(|(name, dtype)| Ok(ColumnDef::new(name, &hive_type(name, dtype)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn athena_types_and_refusals() {
        let genres = DataType::List(Box::new(DataType::Struct(vec![
            Field::new("id".into(), DataType::Int64),
            Field::new("name".into(), DataType::String),
        ])));
        assert_eq!(
            hive_type("g", &genres).unwrap(),
            "array<struct<id:bigint,name:string>>"
        );
        assert_eq!(hive_type("d", &DataType::Date).unwrap(), "date");
        assert_eq!(hive_type("r", &DataType::Float64).unwrap(), "double");
        let err = hive_type("r", &DataType::Float32).unwrap_err();
        assert!(err.to_string().contains("column r"), "{err}");
        assert!(hive_type("t", &DataType::Datetime(TimeUnit::Nanoseconds, None)).is_err());
        assert!(hive_type("n", &DataType::UInt32).is_err());
    }
}
