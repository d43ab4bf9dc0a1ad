//! Writes the local dashboard, one self-contained HTML file with every view's rows.
//!
//! The rows are embedded as JSON in the file (`dashboards/local/dashboard.html`). The
//! page draws the three sheets as SVG and applies the filters in the browser. No server
//! and no network are needed to open it.

use std::path::Path;

use cinelake_catalog::{Catalog, Databases, Table};
use cinelake_lake::Store;
use polars::prelude::*;
use serde_json::{Map, Value, json};

use crate::QueryError;
use crate::engine::Engine;
use crate::json::any_json;
use crate::views::VIEWS;

/// The page; its data goes where this placeholder stands.
pub const TEMPLATE: &str = include_str!("../../../dashboards/local/dashboard.html");
pub const PLACEHOLDER: &str = "/*CINELAKE_DATA*/null";

/// What the page says about where its data came from.
#[derive(Debug, Clone)]
pub struct Provenance {
    pub lake: String,
    pub generated_at: String,
}

/// What [`write`] wrote.
#[derive(Debug, Clone)]
pub struct DashboardReport {
    pub path: std::path::PathBuf,
    pub bytes: usize,
    /// Rows of each view, in the order of `sql/views`.
    pub view_rows: Vec<(String, usize)>,
}

/// Runs every view on the local engine and writes the dashboard page to `out`. This
/// works over any lake and catalog, S3 and Glue too. The page names the lake as `lake`.
pub async fn write(
    store: &Store,
    catalog: &Catalog,
    dbs: &Databases,
    lake: &str,
    out: &Path,
) -> Result<DashboardReport, QueryError> {
    let mut engine = Engine::load_views(store, catalog, dbs).await?;
    if !engine.has(Table::FactFilm) {
        return Err(QueryError::NoStarSchema {
            lake: lake.to_string(),
            database: dbs.refined.clone(),
        });
    }
    let views = views_data(&mut engine)?;
    let page = render(
        &views,
        &Provenance {
            lake: lake.to_string(),
            generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        },
    )?;
    let failed = |source| QueryError::Write {
        path: out.to_path_buf(),
        source,
    };
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    std::fs::write(out, &page).map_err(failed)?;
    Ok(DashboardReport {
        path: out.to_path_buf(),
        bytes: page.len(),
        view_rows: views
            .iter()
            .map(|(n, df)| (n.clone(), df.height()))
            .collect(),
    })
}

/// The view whose rows the page gets aggregated (a row per film, country and collection
/// is about 10 MB per collection at full scale).
pub const POPULARITY_OVER_TIME: &str = "v_popularity_over_time";

/// `v_popularity_over_time` as the page needs it. Per collection date and release year,
/// it gives the sums and counts of popularity and TMDB votes, and the number of films.
/// It does so under three scopes:
///
/// - `country`, keyed by country_code. The key is null for no production country.
/// - `region`, keyed by the region. A film counts once per region, however many of its
///   countries are in it.
/// - `all`, with a null key. Each film counts once.
///
/// Averages are sum / count, each film once. That is how QuickSight's weighted averages
/// give them, with weight 1 over the film's rows left on that date.
pub const POPULARITY_OVER_TIME_SQL: &str = "\
SELECT collected_on, release_year, 'country' AS scope, country_code AS key, \
  SUM(popularity) AS popularity_sum, COUNT(popularity) AS popularity_n, \
  SUM(tmdb_votes) AS tmdb_votes_sum, COUNT(tmdb_votes) AS tmdb_votes_n, COUNT(*) AS films \
FROM v_popularity_over_time GROUP BY collected_on, release_year, country_code \
UNION ALL \
SELECT collected_on, release_year, 'region' AS scope, region AS key, \
  SUM(popularity) AS popularity_sum, COUNT(popularity) AS popularity_n, \
  SUM(tmdb_votes) AS tmdb_votes_sum, COUNT(tmdb_votes) AS tmdb_votes_n, COUNT(*) AS films \
FROM (SELECT DISTINCT film_id, collected_on, release_year, region, popularity, tmdb_votes \
      FROM v_popularity_over_time) GROUP BY collected_on, release_year, region \
UNION ALL \
SELECT collected_on, release_year, 'all' AS scope, CAST(NULL AS VARCHAR) AS key, \
  SUM(popularity) AS popularity_sum, COUNT(popularity) AS popularity_n, \
  SUM(tmdb_votes) AS tmdb_votes_sum, COUNT(tmdb_votes) AS tmdb_votes_n, COUNT(*) AS films \
FROM (SELECT DISTINCT film_id, collected_on, release_year, popularity, tmdb_votes \
      FROM v_popularity_over_time) GROUP BY collected_on, release_year \
ORDER BY collected_on, scope, key, release_year";

/// Each view's result, as `{"columns": [...], "rows": [[...], ...]}`
/// (`v_popularity_over_time` aggregated: [`POPULARITY_OVER_TIME_SQL`]).
pub fn views_data(engine: &mut Engine) -> Result<Vec<(String, DataFrame)>, QueryError> {
    VIEWS
        .iter()
        .map(|(name, _)| {
            let sql = if *name == POPULARITY_OVER_TIME {
                POPULARITY_OVER_TIME_SQL.to_string()
            } else {
                format!("SELECT * FROM {name}")
            };
            Ok((name.to_string(), engine.query(&sql)?))
        })
        .collect()
}

/// The filled-in page.
pub fn render(
    views: &[(String, DataFrame)],
    provenance: &Provenance,
) -> Result<String, QueryError> {
    let mut by_name = Map::new();
    for (name, df) in views {
        by_name.insert(name.clone(), frame_json(df)?);
    }
    let data = json!({
        "title": "cinelake",
        "generated_at": provenance.generated_at,
        "lake": provenance.lake,
        "views": by_name,
    });
    Ok(fill(TEMPLATE, &data.to_string()))
}

/// Puts the JSON in the page so that no string inside it can end the script element:
/// `<` appears in JSON only inside strings, where `\u003c` means the same.
fn fill(template: &str, json: &str) -> String {
    let safe = json.replace('<', "\\u003c");
    template.replacen(PLACEHOLDER, &safe, 1)
}

fn frame_json(df: &DataFrame) -> Result<Value, QueryError> {
    let columns: Vec<Value> = df
        .get_column_names()
        .iter()
        .map(|c| Value::from(c.as_str()))
        .collect();
    let mut rows: Vec<Vec<Value>> = (0..df.height())
        .map(|_| Vec::with_capacity(df.width()))
        .collect();
    for col in df.columns() {
        let series = col.as_materialized_series();
        for (row, value) in rows.iter_mut().zip(series.iter()) {
            row.push(any_json(value));
        }
    }
    Ok(json!({"columns": columns, "rows": rows}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_has_exactly_one_placeholder() {
        assert_eq!(TEMPLATE.matches(PLACEHOLDER).count(), 1);
    }

    #[test]
    fn data_cannot_close_the_script_element() {
        let page = fill(
            "<script>const D = /*CINELAKE_DATA*/null;</script>",
            r#"{"t":"</script><script>alert(1)</script><!--"}"#,
        );
        assert_eq!(page.matches("</script>").count(), 1, "{page}");
        assert!(!page.contains("<!--"));
        // The escapes are still the same JSON string.
        let json = page
            .trim_start_matches("<script>const D = ")
            .trim_end_matches(";</script>");
        let v: Value = serde_json::from_str(json).unwrap();
        assert_eq!(v["t"], "</script><script>alert(1)</script><!--");
    }

    #[test]
    fn frames_become_columns_and_rows_with_nulls() {
        let df = df!(
            "film_id" => ["tt1", "tt2"],
            "votes" => [Some(10i64), None],
            "rating" => [Some(7.5f64), Some(f64::NAN)],
            "south" => [true, false],
        )
        .unwrap();
        let v = frame_json(&df).unwrap();
        assert_eq!(v["columns"], json!(["film_id", "votes", "rating", "south"]));
        assert_eq!(
            v["rows"],
            json!([["tt1", 10, 7.5, true], ["tt2", null, null, false]])
        );
    }
}
