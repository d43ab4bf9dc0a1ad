//! The SQL a Trusted CSV job sends to Athena, built from the one column mapping.
//!
//! `sql/trusted/` holds what is the same for every column. That is how a line is read,
//! decoded and split, and how a reason is put together. The columns come from
//! [`mapping::columns`].
//!
//! Each kind's rule is said here in Trino SQL. The Polars path says it in `csv_rows`'s
//! `cell`. Both word a refusal by [`Kind::parse_rule`]. So a new column is one edit
//! that both engines follow. A kind's rule is changed here and there, side by side.
//! `cinelake_tools/sql_trusted.py` shows that they still agree.

use cinelake_athena::sql::{self, SqlFile};
use cinelake_athena::{AthenaError, sql_file};
use cinelake_lake::source::{CsvKind, NULL as SOURCE_NULL};

use crate::mapping::{self, ColumnMap, Kind, LIST_SEPARATOR};

/// The external table over a Raw CSV's folder: one string column, the whole line.
pub const RAW_TABLE: SqlFile = sql_file!("trusted", "raw_csv_table");
/// The WITH of both SELECTs: each line, its fields, and its reason when it is refused.
pub const CHECKED_LINES: SqlFile = sql_file!("trusted", "checked_lines");
/// The accepted lines, typed: the SELECT of the CTAS.
pub const ACCEPTED: SqlFile = sql_file!("trusted", "accepted");
/// The refused lines: `raw` and `reason`.
pub const REJECTS: SqlFile = sql_file!("trusted", "rejects");

/// A whole number as Rust's `from_str` reads one: an optional sign, then ASCII digits.
/// Trino's cast alone would also take other digits and trimmed spaces.
const WHOLE_NUMBER: &str = "^[+-]?[0-9]+$";
/// A number as Rust's `f64::from_str` reads one, less `inf`, `infinity` and `NaN`.
/// Trino's cast alone would also take `NaN`, `Infinity`, spaces, `7.5d` and hex.
const NUMBER: &str = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$";

/// The statements of one file's job, their placeholders filled, before any is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statements {
    /// `CREATE EXTERNAL TABLE` over the Raw CSV's folder.
    pub raw_ddl: String,
    /// The SELECT of the refused lines.
    pub rejects: String,
    /// The SELECT of the accepted lines (its comments kept: the CTAS drops them).
    pub accepted: String,
}

/// The statements for `kind`'s file read through `raw_table`, an external table over
/// the folder `raw_location`. A location holding a quote is refused: it goes inside the
/// DDL's quotes as it is.
pub fn statements(
    kind: CsvKind,
    raw_table: &str,
    raw_location: &str,
) -> Result<Statements, AthenaError> {
    if raw_location.contains('\'') {
        return Err(AthenaError::Template {
            file: RAW_TABLE.name.into(),
            detail: format!("the location {raw_location} holds a quote"),
        });
    }
    let columns = mapping::columns(kind);
    let checked = sql::render(
        &CHECKED_LINES,
        &[
            ("raw_table", raw_table.to_string()),
            ("field_count", columns.len().to_string()),
            ("fields", fields(&columns)),
            ("checks", checks(&columns)),
        ],
    )?;
    let typed = columns
        .iter()
        .map(|c| format!("    {}", typed(c)))
        .collect::<Vec<_>>()
        .join(",\n");
    let raw_ddl = sql::render(
        &RAW_TABLE,
        &[
            ("raw_table", raw_table.to_string()),
            ("raw_location", raw_location.to_string()),
        ],
    )?;
    Ok(Statements {
        raw_ddl: sql::statement(&raw_ddl).to_string(),
        rejects: sql::statement(&sql::render(
            &REJECTS,
            &[("checked_lines", checked.clone())],
        )?)
        .to_string(),
        accepted: sql::render(
            &ACCEPTED,
            &[("checked_lines", checked), ("typed_columns", typed)],
        )?,
    })
}

/// `element_at(f, 1) AS title_id, ...`: each field of the split line by its column.
fn fields(columns: &[ColumnMap]) -> String {
    columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("        element_at(f, {}) AS {}", i + 1, c.target))
        .collect::<Vec<_>>()
        .join(",\n")
}

/// One CASE per number column, in column order: null when the field passes.
fn checks(columns: &[ColumnMap]) -> String {
    let checks: Vec<String> = columns
        .iter()
        .filter_map(check)
        .map(|c| format!("                {c}"))
        .collect();
    if checks.is_empty() {
        // concat_ws needs an argument; a file of text columns refuses nothing here.
        return "                CAST(NULL AS varchar)".into();
    }
    checks.join(",\n")
}

/// The field is null in the source: empty or `\N`.
fn is_null(field: &str) -> String {
    format!("{field} IN ('', {})", sql::string_literal(SOURCE_NULL))
}

/// Why a field is refused, in the Polars path's words, or null; none for text and lists,
/// which take any field.
fn check(c: &ColumnMap) -> Option<String> {
    let f = c.target;
    let valid = match c.kind {
        Kind::Text | Kind::List => return None,
        Kind::Int32 | Kind::Int64 => format!(
            "regexp_like({f}, {}) AND try_cast({f} AS {}) IS NOT NULL",
            sql::string_literal(WHOLE_NUMBER),
            trino_type(c.kind)
        ),
        // is_finite keeps out what overflows to infinity (1e999).
        Kind::Float64 => format!(
            "regexp_like({f}, {}) AND coalesce(is_finite(try_cast({f} AS double)), false)",
            sql::string_literal(NUMBER)
        ),
    };
    let what = c.kind.parse_rule().unwrap_or_default();
    Some(format!(
        "CASE WHEN NOT ({} OR ({valid})) THEN {} || {f} || {} END",
        is_null(f),
        sql::string_literal(&format!("{}: \"", c.source)),
        sql::string_literal(&format!("\" is not {what}")),
    ))
}

/// The column as the Trusted table has it: null for an empty field or `\N`.
fn typed(c: &ColumnMap) -> String {
    let f = c.target;
    match c.kind {
        Kind::Text => format!("CASE WHEN {} THEN NULL ELSE {f} END AS {f}", is_null(f)),
        Kind::List => format!(
            "CASE WHEN {} THEN NULL ELSE split({f}, {}) END AS {f}",
            is_null(f),
            sql::string_literal(LIST_SEPARATOR)
        ),
        // A field that is null in the source fails the cast, and is null.
        Kind::Int32 | Kind::Int64 | Kind::Float64 => {
            format!("try_cast({f} AS {}) AS {f}", trino_type(c.kind))
        }
    }
}

/// The Trino type of a number column (Glue registers it as int, bigint, double).
fn trino_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Int32 => "integer",
        Kind::Int64 => "bigint",
        Kind::Float64 => "double",
        Kind::Text | Kind::List => "varchar",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_statement_renders_and_a_quote_in_the_location_is_refused() {
        for kind in CsvKind::ALL {
            let s = statements(
                kind,
                "t.raw_movies__r1",
                "s3://b/Raw/Local/CSV/Movies/2026/11/01/",
            )
            .unwrap();
            for text in [&s.raw_ddl, &s.rejects, &s.accepted] {
                assert!(!text.contains("${"), "{text}");
            }
            assert!(
                s.raw_ddl
                    .starts_with("CREATE EXTERNAL TABLE t.raw_movies__r1")
                    && s.raw_ddl
                        .contains("LOCATION 's3://b/Raw/Local/CSV/Movies/2026/11/01/'"),
                "{}",
                s.raw_ddl
            );
            let n = mapping::columns(kind).len();
            assert!(
                s.rejects.contains(&format!("' fields, expected {n}'"))
                    && s.rejects.contains("FROM t.raw_movies__r1"),
                "{}",
                s.rejects
            );
        }
        let err = statements(CsvKind::Movies, "t.r", "s3://b/it's/").unwrap_err();
        assert!(err.to_string().contains("quote"), "{err}");
    }

    #[test]
    fn the_rows_and_the_rejects_judge_lines_by_one_with() {
        for kind in CsvKind::ALL {
            let s = statements(kind, "t.r", "s3://b/r/").unwrap();
            let accepted = sql::statement(&s.accepted);
            let with_of = |text: &str| text[..text.rfind("\nSELECT").unwrap()].to_string();
            assert_eq!(with_of(accepted), with_of(&s.rejects));
        }
    }

    #[test]
    fn each_number_column_is_checked_with_its_source_name_and_type() {
        let s = statements(CsvKind::Series, "t.r", "s3://b/r/").unwrap();
        assert!(
            s.rejects
                .contains("THEN 'anoTermino: \"' || end_year || '\" is not a whole number' END"),
            "{}",
            s.rejects
        );
        assert!(
            s.rejects
                .contains("try_cast(num_votes AS bigint) IS NOT NULL")
        );
        assert!(
            s.accepted
                .contains("try_cast(end_year AS integer) AS end_year")
        );
        assert!(s.accepted.contains(
            "CASE WHEN genres IN ('', '\\N') THEN NULL ELSE split(genres, ',') END AS genres"
        ));
    }
}
