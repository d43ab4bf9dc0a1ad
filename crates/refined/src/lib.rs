//! Stage 4, refined: a star schema for the analysis of 21st-century drama films, South
//! American first, general enough to slice any country, genre, language or year.
//! See `docs/data-model.md` for the diagram and the join and filter rules.

pub mod cli;
pub mod geo;
pub mod star;

use cinelake_catalog::{Catalog, Databases};
use cinelake_frames::PolarsContext;
use cinelake_frames::table::{TableSpec, publish, read_table, read_table_where};
use cinelake_lake::Store;
use cinelake_lake::layout;
use polars::prelude::{DataFrame, IntoColumn, IntoLazy};

pub const STAGE: &str = "refined";

#[derive(Debug, thiserror::Error)]
pub enum RefinedError {
    #[error(transparent)]
    Frames(#[from] cinelake_frames::FramesError),
    #[error("the star schema failed its checks: {0}")]
    Check(String),
}

fn description(table: &str) -> &'static str {
    match table {
        "fact_film" => {
            "one row per film with TMDB details: ratings, votes, popularity, money, runtime"
        }
        "dim_film" => "films: titles, language, release",
        "dim_date" => "release dates",
        "dim_country" => "production countries with continent, South America marked",
        "dim_genre" => "TMDB genres (pt-BR names)",
        "dim_language" => "spoken languages",
        "dim_artist" => "artists from the CSV (name and birth year)",
        "bridge_film_country" => "film to production country",
        "bridge_film_genre" => "film to genre",
        "bridge_film_language" => "film to spoken language",
        "bridge_film_artist" => "film to artist, with role",
        _ => "cinelake refined table",
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct RefinedReport {
    pub table: String,
    pub rows: u64,
    pub location: String,
}

/// Reads the Trusted tables through the catalog, builds and checks the schema, then
/// publishes every table (each atomically) and registers it.
pub async fn run(
    store: &Store,
    catalog: &Catalog,
    dbs: &Databases,
    run_id: &str,
) -> Result<Vec<RefinedReport>, RefinedError> {
    let started = std::time::Instant::now();
    let tmdb = read_table(
        store,
        catalog,
        &dbs.trusted,
        cinelake_trusted::tmdb_job::TABLE,
    )
    .await?;
    // Only the films TMDB knows can enter the schema, and only these columns of theirs:
    // the rest of the CSV (most of its rows, and its list columns) is never kept.
    tracing::debug!(
        rows = tmdb.height(),
        ms = started.elapsed().as_millis() as u64,
        "read tmdb_movies"
    );
    let films = tmdb
        .column("imdb_id")
        .and_then(|c| c.as_materialized_series().drop_nulls().unique())
        .context(|| "the films of tmdb_movies".into())?;
    let films = DataFrame::new_infer_height(vec![films.with_name("title_id".into()).into_column()])
        .context(|| "the films of tmdb_movies".into())?;
    let of_films = |df: DataFrame| star::of_films(df.lazy(), &films, "title_id").collect();
    let movies = read_table_where(
        store,
        catalog,
        &dbs.trusted,
        "movies",
        Some(&star::MOVIE_COLUMNS),
        Some(&of_films),
    )
    .await?;
    tracing::debug!(
        rows = movies.height(),
        ms = started.elapsed().as_millis() as u64,
        "read movies of the films"
    );
    let tables = tokio::task::spawn_blocking(move || star::build(movies, tmdb))
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?;
    let mut reports = Vec::new();
    for (name, mut df) in tables {
        let spec = TableSpec {
            db: dbs.refined.clone(),
            name: name.to_string(),
            description: description(name).to_string(),
            prefix: layout::refined_prefix(name),
        };
        let p = publish(store, catalog, &spec, run_id, &mut df).await?;
        tracing::info!(table = %p.table, rows = p.rows, "refined table written");
        reports.push(RefinedReport {
            table: p.table,
            rows: p.rows,
            location: p.location,
        });
    }
    Ok(reports)
}
