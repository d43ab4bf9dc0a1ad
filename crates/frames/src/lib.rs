//! This crate reads and writes Polars frames on the lake.
//!
//! [`parquet`] writes frames as Parquet that Athena reads. Strings are plain UTF-8,
//! dates are date32, money is int64 and ratings are float64. [`types`] maps their types
//! to Glue's. It refuses the ones Athena would misread. [`table`] publishes a table
//! atomically and reads one back through the catalog. A publish writes a new version
//! under its own prefix, then switches the catalog to it.

use polars::prelude::DataFrame;

pub mod parallel;
pub mod parquet;
pub mod table;
pub mod types;

#[derive(Debug, thiserror::Error)]
pub enum FramesError {
    #[error(transparent)]
    Lake(#[from] cinelake_lake::Error),
    #[error(transparent)]
    Catalog(#[from] cinelake_catalog::CatalogError),
    #[error("{context}: {source}")]
    Polars {
        context: String,
        #[source]
        source: polars::error::PolarsError,
    },
    #[error("column {column}: type {dtype} has no faithful Athena type ({why})")]
    UnsupportedType {
        column: String,
        dtype: String,
        why: &'static str,
    },
    #[error("table {0} is not in the catalog")]
    NoTable(String),
    #[error("{location} is outside the lake {lake}")]
    ForeignLocation { location: String, lake: String },
}

pub type Result<T, E = FramesError> = std::result::Result<T, E>;

/// Attaches what was being done to a Polars error.
pub trait PolarsContext<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> PolarsContext<T> for polars::error::PolarsResult<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| FramesError::Polars {
            context: what(),
            source,
        })
    }
}

/// The rows of `df` at `rows`, in that order. When that is every row in order, it is
/// `df` itself, with nothing copied. That is the usual case when the rows were chosen
/// to drop repeats.
pub fn take_rows(
    df: DataFrame,
    rows: &polars::prelude::IdxCa,
) -> polars::error::PolarsResult<DataFrame> {
    let every_row = rows.len() == df.height()
        && rows
            .iter()
            .enumerate()
            .all(|(i, r)| r.is_some_and(|r| r as usize == i));
    if every_row { Ok(df) } else { df.take(rows) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    #[test]
    fn take_rows_takes_or_keeps_whole() {
        let df = df!("n" => [10i64, 20, 30]).unwrap();
        let pick = |rows: &[IdxSize]| {
            let rows = IdxCa::from_vec("r".into(), rows.to_vec());
            let out = take_rows(df.clone(), &rows).unwrap();
            out.column("n")
                .unwrap()
                .i64()
                .unwrap()
                .into_no_null_iter()
                .collect::<Vec<_>>()
        };
        assert_eq!(pick(&[0, 1, 2]), [10, 20, 30]);
        assert_eq!(pick(&[2, 0]), [30, 10]);
        assert_eq!(pick(&[1, 0, 2]), [20, 10, 30]);
        assert_eq!(pick(&[]), Vec::<i64>::new());
    }
}
