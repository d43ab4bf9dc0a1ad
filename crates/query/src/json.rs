//! Turns Polars values into JSON, for the dashboard's data and for nested columns in
//! CSV output. Nested values are included. Lists become arrays and structs become
//! objects.

use polars::prelude::*;
use serde_json::{Map, Value};

pub fn any_json(v: AnyValue) -> Value {
    match v {
        AnyValue::Null => Value::Null,
        AnyValue::Boolean(b) => Value::from(b),
        AnyValue::Int8(n) => Value::from(n),
        AnyValue::Int16(n) => Value::from(n),
        AnyValue::Int32(n) => Value::from(n),
        AnyValue::Int64(n) => Value::from(n),
        AnyValue::UInt8(n) => Value::from(n),
        AnyValue::UInt16(n) => Value::from(n),
        AnyValue::UInt32(n) => Value::from(n),
        AnyValue::UInt64(n) => Value::from(n),
        // NaN and infinities have no JSON form; they read as unknown.
        AnyValue::Float32(f) => float(f64::from(f)),
        AnyValue::Float64(f) => float(f),
        AnyValue::String(s) => Value::from(s),
        AnyValue::StringOwned(s) => Value::from(s.as_str()),
        AnyValue::List(series) => Value::Array(series.iter().map(any_json).collect()),
        s @ (AnyValue::Struct(..) | AnyValue::StructOwned(_)) => match s.into_static() {
            AnyValue::StructOwned(payload) => {
                let (values, fields) = *payload;
                let object: Map<String, Value> = fields
                    .iter()
                    .zip(values)
                    .map(|(f, v)| (f.name().to_string(), any_json(v)))
                    .collect();
                Value::Object(object)
            }
            other => Value::from(other.to_string()),
        },
        other => Value::from(other.to_string()),
    }
}

fn float(f: f64) -> Value {
    serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
}

/// The frame with every nested column (list, struct) as JSON text, for formats that
/// hold only flat values (CSV).
pub fn flatten_nested(df: &DataFrame) -> PolarsResult<DataFrame> {
    let columns = df
        .columns()
        .iter()
        .map(|c| {
            if !c.dtype().is_nested() {
                return c.clone();
            }
            let text: Vec<Option<String>> = c
                .as_materialized_series()
                .iter()
                .map(|v| match v {
                    AnyValue::Null => None,
                    v => Some(any_json(v).to_string()),
                })
                .collect();
            Column::new(c.name().clone(), text)
        })
        .collect();
    DataFrame::new_infer_height(columns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_and_structs_become_arrays_and_objects() {
        let genres = Series::new("g".into(), ["Drama", "Crime"]);
        assert_eq!(any_json(AnyValue::List(genres)), json!(["Drama", "Crime"]));
        let df = df!("id" => [18i64], "name" => ["Drama"]).unwrap();
        let st = df.into_struct("genre".into()).into_series();
        assert_eq!(
            any_json(st.get(0).unwrap()),
            json!({"id": 18, "name": "Drama"})
        );
        assert_eq!(any_json(AnyValue::Float64(f64::NAN)), Value::Null);
    }

    #[test]
    fn nested_columns_flatten_to_json_text() {
        let lists = Series::new(
            "professions".into(),
            [Some(Series::new("".into(), ["actor", "writer"])), None],
        );
        let df = DataFrame::new_infer_height(vec![
            Column::new("name".into(), ["A", "B"]),
            lists.into_column(),
        ])
        .unwrap();
        let flat = flatten_nested(&df).unwrap();
        assert_eq!(flat.column("name").unwrap().dtype(), &DataType::String);
        let text: Vec<Option<&str>> = flat
            .column("professions")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(text, [Some(r#"["actor","writer"]"#), None]);
    }
}
