//! Polars types to Hive/Glue types, for exactly the types Athena reads faithfully.

use cinelake_catalog::ColumnDef;
use polars::prelude::*;

use crate::{FramesError, Result};

/// The Glue type of a column, or an error for types the conventions rule out. A float32
/// turns 6.2 into 6.199999809. Nanosecond timestamps overflow Athena. Unsigned integers
/// have no Hive type.
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

/// The Polars type of a Glue type, for the types [`hive_type`] writes, and `None` for
/// any other. It is the inverse of [`hive_type`], with a timestamp as microseconds.
pub fn polars_type(hive: &str) -> Option<DataType> {
    let hive = hive.trim();
    let lower = hive.to_ascii_lowercase();
    Some(match lower.as_str() {
        "string" => DataType::String,
        "boolean" => DataType::Boolean,
        "int" => DataType::Int32,
        "bigint" => DataType::Int64,
        "double" => DataType::Float64,
        "date" => DataType::Date,
        "timestamp" => DataType::Datetime(TimeUnit::Microseconds, None),
        _ => {
            if let Some(inner) = enclosed(hive, "array") {
                DataType::List(Box::new(polars_type(inner)?))
            } else if let Some(inner) = enclosed(hive, "struct") {
                let fields = split_top_level(inner)
                    .into_iter()
                    .map(|f| {
                        let (name, ty) = f.split_once(':')?;
                        Some(Field::new(name.trim().into(), polars_type(ty)?))
                    })
                    .collect::<Option<Vec<_>>>()?;
                DataType::Struct(fields)
            } else {
                return None;
            }
        }
    })
}

/// `inner` of `<word><inner>`.
fn enclosed<'a>(ty: &'a str, word: &str) -> Option<&'a str> {
    let head = ty.get(..word.len())?;
    if !head.eq_ignore_ascii_case(word) {
        return None;
    }
    ty[word.len()..].trim().strip_prefix('<')?.strip_suffix('>')
}

/// The comma-separated parts of a struct's fields, commas inside `<...>` kept.
fn split_top_level(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
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

    #[test]
    fn glue_types_back_to_polars() {
        let nested = DataType::List(Box::new(DataType::Struct(vec![
            Field::new("id".into(), DataType::Int64),
            Field::new("names".into(), DataType::List(Box::new(DataType::String))),
            Field::new(
                "at".into(),
                DataType::Struct(vec![Field::new("d".into(), DataType::Date)]),
            ),
        ])));
        for dtype in [
            DataType::String,
            DataType::Boolean,
            DataType::Int32,
            DataType::Int64,
            DataType::Float64,
            DataType::Date,
            DataType::Datetime(TimeUnit::Microseconds, None),
            nested,
        ] {
            let hive = hive_type("c", &dtype).unwrap();
            assert_eq!(polars_type(&hive), Some(dtype), "{hive}");
        }
        assert_eq!(polars_type("BIGINT"), Some(DataType::Int64));
        assert_eq!(polars_type("decimal(10,2)"), None);
        assert_eq!(polars_type("struct<a>"), None);
        assert_eq!(polars_type("array<int"), None);
    }
}
