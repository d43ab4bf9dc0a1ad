//! Records where the dashboards' figures come from, in the `data_sources` table.
//!
//! `data_sources` is a small Refined table the views step writes beside the views. It
//! has one row per IMDb-derived file. The row holds the newest Raw CSV, its date, and
//! the age past which the dashboards warn. `v_data_freshness` reads it with the TMDB
//! collection dates of `fact_film`. So QuickSight and the local page show the same
//! dates and the same warning as the ingestion and trusted runs log.

use cinelake_catalog::{Catalog, Databases, Table};
use cinelake_frames::table::{Published, TableSpec, publish};
use cinelake_lake::Store;
use cinelake_lake::raw::{CSV_STALE_AFTER_DAYS, latest_csv};
use cinelake_lake::source::CsvKind;
use polars::prelude::*;

use crate::QueryError;

/// One row per IMDb-derived file: what its newest Raw upload is.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub kind: CsvKind,
    /// The newest Raw key, if any upload exists.
    pub raw_key: Option<String>,
    pub file_date: Option<chrono::NaiveDate>,
}

/// The newest Raw CSV of each source file (what trusted reads by default).
pub async fn newest(store: &Store) -> Result<Vec<Source>, QueryError> {
    let mut out = Vec::new();
    for kind in CsvKind::ALL {
        let raw_key = latest_csv(store, kind, None).await?;
        let file_date = raw_key
            .as_deref()
            .and_then(|k| cinelake_lake::layout::parse_raw_csv_key(kind, k))
            .map(|d| d.date());
        out.push(Source {
            kind,
            raw_key,
            file_date,
        });
    }
    Ok(out)
}

/// The table's rows: `source`, `raw_key`, `file_date`, `stale_after_days`.
pub fn frame(sources: &[Source]) -> Result<DataFrame, QueryError> {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    let days: Vec<Option<i32>> = sources
        .iter()
        .map(|s| {
            s.file_date
                .and_then(|d| i32::try_from((d - epoch).num_days()).ok())
        })
        .collect();
    let stale = i32::try_from(CSV_STALE_AFTER_DAYS).unwrap_or(i32::MAX);
    let sql = |source| QueryError::Sql {
        context: "data_sources".into(),
        source,
    };
    let file_date = Series::new("file_date".into(), days)
        .cast(&DataType::Date)
        .map_err(sql)?;
    DataFrame::new_infer_height(vec![
        Column::new(
            "source".into(),
            sources
                .iter()
                .map(|s| s.kind.file_name())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "raw_key".into(),
            sources
                .iter()
                .map(|s| s.raw_key.clone())
                .collect::<Vec<_>>(),
        ),
        file_date.into(),
        Column::new("stale_after_days".into(), vec![stale; sources.len()]),
    ])
    .map_err(sql)
}

/// Writes `data_sources` for the lake as it is now and registers it in the refined
/// database.
pub async fn publish_sources(
    store: &Store,
    catalog: &Catalog,
    dbs: &Databases,
) -> Result<Published, QueryError> {
    let mut df = frame(&newest(store).await?)?;
    let run_id = cinelake_lake::manifest::new_run_id();
    Ok(publish(
        store,
        catalog,
        &TableSpec::of(Table::DataSources, dbs),
        &run_id,
        &mut df,
    )
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_per_file_with_its_date() {
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let df = frame(&[
            Source {
                kind: CsvKind::Movies,
                raw_key: Some("Raw/Local/CSV/Movies/2026/11/30/movies.csv".into()),
                file_date: Some(date),
            },
            Source {
                kind: CsvKind::Series,
                raw_key: None,
                file_date: None,
            },
        ])
        .unwrap();
        let names: Vec<&str> = df.get_column_names().iter().map(|c| c.as_str()).collect();
        assert_eq!(
            names,
            ["source", "raw_key", "file_date", "stale_after_days"]
        );
        let dates = df.column("file_date").unwrap().date().unwrap();
        assert_eq!(dates.phys.get(0), Some(20787));
        assert_eq!(dates.phys.get(1), None);
        assert_eq!(
            df.column("stale_after_days").unwrap().i32().unwrap().get(0),
            Some(90)
        );
    }
}
