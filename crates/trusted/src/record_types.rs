//! Checks each TMDB record against the types Trusted reads it with, before Polars sees it.
//!
//! Without this check, one record with `"budget": "1000"` or `"genres": "Drama"` would
//! fail the decoding of the whole collection. Its message would name no record. A
//! record with a wrongly typed field is refused with the field's path. A value can have
//! the right type but no meaning, like the release date `2005-13-45`. It is kept as
//! null, with a note.

use std::collections::HashMap;

use polars::prelude::{DataType, Schema};
use serde_json::value::RawValue;

/// What the check found in one record.
#[derive(Debug, Default, PartialEq)]
pub struct Findings {
    /// Wrongly typed fields: the record is refused.
    pub errors: Vec<String>,
    /// Values read as null, each with why.
    pub notes: Vec<String>,
}

/// The JSON kind of a raw value, from its first byte.
fn kind(raw: &RawValue) -> &'static str {
    match raw.get().trim_start().as_bytes().first() {
        Some(b'n') => "null",
        Some(b't' | b'f') => "a boolean",
        Some(b'"') => "a string",
        Some(b'[') => "an array",
        Some(b'{') => "an object",
        _ => "a number",
    }
}

/// The value as it appears in the record, shortened for a message.
fn shown(raw: &RawValue) -> String {
    let text = raw.get().trim();
    match text.char_indices().nth(40) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_string(),
    }
}

fn check(raw: &RawValue, dtype: &DataType, path: &str, errors: &mut Vec<String>) {
    let found = kind(raw);
    if found == "null" {
        return;
    }
    let expected = match dtype {
        DataType::Int64 | DataType::Int32 => {
            if found == "a number" && raw.get().trim().parse::<i64>().is_ok() {
                return;
            }
            "a whole number"
        }
        DataType::Float64 => {
            if found == "a number" {
                return;
            }
            "a number"
        }
        DataType::String => {
            if found == "a string" {
                return;
            }
            "a string"
        }
        DataType::Boolean => {
            if found == "a boolean" {
                return;
            }
            "a boolean"
        }
        DataType::Struct(fields) => {
            if let Ok(object) = serde_json::from_str::<HashMap<String, &RawValue>>(raw.get()) {
                for f in fields {
                    if let Some(v) = object.get(f.name().as_str()) {
                        check(v, f.dtype(), &format!("{path}.{}", f.name()), errors);
                    }
                }
                return;
            }
            "an object"
        }
        DataType::List(inner) => {
            if let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(raw.get()) {
                for (i, item) in items.iter().enumerate() {
                    check(item, inner, &format!("{path}[{i}]"), errors);
                }
                return;
            }
            "an array"
        }
        // The schema holds no other types; a new one is checked when it is added here.
        _ => return,
    };
    errors.push(format!("{path}: {} is {found}, not {expected}", shown(raw)));
}

/// Checks one record (a JSON object) against `schema`, the fields Trusted keeps.
pub fn check_record(record: &RawValue, schema: &Schema) -> Findings {
    let mut findings = Findings::default();
    let Ok(object) = serde_json::from_str::<HashMap<String, &RawValue>>(record.get()) else {
        findings
            .errors
            .push(format!("the record is {}, not an object", kind(record)));
        return findings;
    };
    for (name, dtype) in schema.iter() {
        if let Some(v) = object.get(name.as_str()) {
            check(v, dtype, name, &mut findings.errors);
        }
    }
    if let Some(date) = object
        .get("release_date")
        .and_then(|v| serde_json::from_str::<Option<String>>(v.get()).ok())
        .flatten()
        .filter(|d| !d.is_empty())
        && chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d").is_err()
    {
        findings.notes.push(format!(
            "release_date: {date:?} is not a date (YYYY-MM-DD); read as null"
        ));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::Field;

    fn schema() -> Schema {
        Schema::from_iter([
            Field::new("id".into(), DataType::Int64),
            Field::new("budget".into(), DataType::Int64),
            Field::new("popularity".into(), DataType::Float64),
            Field::new("title".into(), DataType::String),
            Field::new("adult".into(), DataType::Boolean),
            Field::new("release_date".into(), DataType::String),
            Field::new(
                "genres".into(),
                DataType::List(Box::new(DataType::Struct(vec![
                    Field::new("id".into(), DataType::Int64),
                    Field::new("name".into(), DataType::String),
                ]))),
            ),
        ])
    }

    fn findings(json: &str) -> Findings {
        let raw: Box<RawValue> = serde_json::from_str(json).unwrap();
        check_record(&raw, &schema())
    }

    #[test]
    fn a_well_typed_record_passes_with_nulls_and_unknown_fields() {
        let f = findings(
            r#"{"id": 5, "budget": 0, "popularity": 3, "title": null, "adult": false,
                "release_date": "", "genres": [{"id": 18, "name": "Drama", "extra": [1]}],
                "not_kept": {"anything": "goes"}}"#,
        );
        assert_eq!(f, Findings::default());
        assert_eq!(findings(r#"{"id": 5}"#), Findings::default());
    }

    #[test]
    fn each_wrongly_typed_field_is_named_with_its_path() {
        let f = findings(
            r#"{"id": 5, "budget": "1000", "popularity": "high", "title": 7, "adult": 0,
                "genres": "Drama"}"#,
        );
        assert_eq!(
            f.errors,
            [
                r#"budget: "1000" is a string, not a whole number"#,
                r#"popularity: "high" is a string, not a number"#,
                "title: 7 is a number, not a string",
                "adult: 0 is a number, not a boolean",
                r#"genres: "Drama" is a string, not an array"#,
            ]
        );
        let nested = findings(r#"{"genres": [{"id": 18}, {"id": "x", "name": ["a"]}, 3]}"#);
        assert_eq!(
            nested.errors,
            [
                r#"genres[1].id: "x" is a string, not a whole number"#,
                r#"genres[1].name: ["a"] is an array, not a string"#,
                "genres[2]: 3 is a number, not an object",
            ]
        );
        assert_eq!(
            findings(r#"{"budget": 1.5e3}"#).errors,
            ["budget: 1.5e3 is a number, not a whole number"]
        );
        assert_eq!(
            findings("[1]").errors,
            ["the record is an array, not an object"]
        );
    }

    #[test]
    fn an_impossible_release_date_is_a_note_not_an_error() {
        let f = findings(r#"{"id": 5, "release_date": "2005-13-45"}"#);
        assert!(f.errors.is_empty());
        assert_eq!(
            f.notes,
            [r#"release_date: "2005-13-45" is not a date (YYYY-MM-DD); read as null"#]
        );
        assert_eq!(
            findings(r#"{"release_date": "2005-02-28"}"#),
            Findings::default()
        );
    }
}
