//! Statements built from the SQL files under `sql/`.
//!
//! Their `${name}` placeholders are filled in from the run's settings. A SELECT is
//! wrapped as the `CREATE TABLE AS SELECT` that writes a table version as zstd Parquet.
//!
//! Substitution is textual, so every value is rendered as SQL here. A value is an
//! identifier the code built, a number, or a quoted literal. A placeholder the caller
//! did not give is an error. It is never left for Athena to misread.

use crate::{AthenaError, Result};

/// One file: its name (for errors) and its text, as `include_str!` gives it.
#[derive(Debug, Clone, Copy)]
pub struct SqlFile {
    pub name: &'static str,
    pub text: &'static str,
}

/// The [`SqlFile`] `sql/<folder>/<name>.sql`, compiled in. The path is resolved from the
/// file that invokes the macro (`include_str!` resolves from the outermost call site), so
/// it is for a crate's module directly under `crates/<crate>/src/`, which every engine
/// module is; a module elsewhere fails to compile, never reads another file.
#[macro_export]
macro_rules! sql_file {
    ($folder:literal, $name:literal) => {
        $crate::sql::SqlFile {
            name: concat!("sql/", $folder, "/", $name, ".sql"),
            text: include_str!(concat!("../../../sql/", $folder, "/", $name, ".sql")),
        }
    };
}

/// `text` with each `${name}` replaced by its value; an error naming the file for a
/// placeholder not in `values`, or one never closed.
pub fn render(file: &SqlFile, values: &[(&str, String)]) -> Result<String> {
    let mut out = String::with_capacity(file.text.len());
    let mut rest = file.text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err(AthenaError::Template {
                file: file.name.to_string(),
                detail: "a `${` is never closed".into(),
            });
        };
        let name = &after[..end];
        let value = values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
            .ok_or_else(|| AthenaError::Template {
                file: file.name.to_string(),
                detail: format!(
                    "unknown placeholder ${{{name}}} (known: {})",
                    values
                        .iter()
                        .map(|(n, _)| format!("${{{n}}}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })?;
        out.push_str(value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The statement of a file: without its leading `--` comment lines and blank lines, and
/// without a trailing `;` (Athena takes one statement, with none).
pub fn statement(sql: &str) -> &str {
    let mut rest = sql.trim_start();
    while rest.starts_with("--") {
        rest = rest
            .split_once('\n')
            .map_or("", |(_, after)| after)
            .trim_start();
    }
    rest.trim_end().trim_end_matches(';').trim_end()
}

/// A SQL string literal: single quotes, a quote inside doubled.
pub fn string_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// A name part from a run id (`20261101T120000Z-1a2b3c` to `20261101t120000z_1a2b3c`):
/// Glue lowercases table names, and Athena's DDL takes letters, digits and `_` unquoted.
pub fn name_part(run_id: &str) -> String {
    run_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// `CREATE TABLE <table> WITH (...) AS <select>`: the SELECT's rows written as Parquet
/// (zstd) under `location`, which must be empty (a new version's folder), and `table`
/// registered by Athena over them.
pub fn ctas(table: &str, location: &str, select: &str) -> String {
    format!(
        "CREATE TABLE {table}\nWITH (format = 'PARQUET', write_compression = 'ZSTD', external_location = {})\nAS\n{}",
        string_literal(location),
        statement(select)
    )
}

/// Drops a table Athena created for a run: its Glue entry only (an external table's
/// files stay, and are the new version's).
pub fn drop_table(table: &str) -> String {
    format!("DROP TABLE IF EXISTS {table}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: SqlFile = SqlFile {
        name: "sql/t.sql",
        text: "-- a comment\n-- another\n\nSELECT * FROM ${db}.t WHERE y >= ${min}\n",
    };

    #[test]
    fn placeholders_are_filled_and_unknown_ones_refused() {
        let sql = render(&FILE, &[("db", "trusted".into()), ("min", "2000".into())]).unwrap();
        assert_eq!(statement(&sql), "SELECT * FROM trusted.t WHERE y >= 2000");
        let err = render(&FILE, &[("db", "trusted".into())]).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("sql/t.sql") && text.contains("${min}") && text.contains("${db}"),
            "{text}"
        );
        let open = SqlFile {
            name: "o.sql",
            text: "SELECT ${db",
        };
        assert!(render(&open, &[("db", "x".into())]).is_err());
        // A value is not scanned again: one holding `${` stays as given.
        let v = render(&FILE, &[("db", "${min}".into()), ("min", "1".into())]).unwrap();
        assert!(v.contains("FROM ${min}.t"), "{v}");
    }

    #[test]
    fn literals_names_and_ctas() {
        assert_eq!(string_literal("it's"), "'it''s'");
        assert_eq!(
            name_part("20261101T120000Z-1a2B3c"),
            "20261101t120000z_1a2b3c"
        );
        let sql = ctas("r.t__ctas_1", "s3://b/Refined/t/1/", "-- c\nSELECT 1;\n");
        assert_eq!(
            sql,
            "CREATE TABLE r.t__ctas_1\nWITH (format = 'PARQUET', write_compression = 'ZSTD', \
             external_location = 's3://b/Refined/t/1/')\nAS\nSELECT 1"
        );
        assert_eq!(statement("  -- only a comment"), "");
    }
}
