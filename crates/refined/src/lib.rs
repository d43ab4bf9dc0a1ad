//! Stage 4, refined, builds a star schema for the analysis of 21st-century drama films.
//! It puts South American films first, but is general enough to slice any country,
//! genre, language or year. See `docs/data-model.md` for the diagram and the join and
//! filter rules.

pub mod cli;
pub mod geo;
pub mod role;
pub mod star;

use cinelake_catalog::{Catalog, Databases, Table};
use cinelake_frames::PolarsContext;
use cinelake_frames::table::{TableSpec, publish, read_partitioned_where, read_table_where};
use cinelake_lake::Store;
use cinelake_lake::layout::ProcessingDate;
use cinelake_lake::manifest::{Entry, RunRecorder};
use cinelake_rules::Selection;
use polars::prelude::{DataFrame, IntoLazy, PolarsError, UniqueKeepStrategy, col, lit};
use tracing::Instrument;

pub const STAGE: &str = "refined";

#[derive(Debug, thiserror::Error)]
pub enum RefinedError {
    #[error(transparent)]
    Frames(#[from] cinelake_frames::FramesError),
    #[error(transparent)]
    Lake(#[from] cinelake_lake::Error),
    #[error("the star schema failed its checks: {0}")]
    Check(String),
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct RefinedReport {
    pub table: String,
    pub rows: u64,
    pub location: String,
}

/// The rules Refined applies between Trusted and the star schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// Which films are of interest: the same rule and settings as ingestion's.
    pub selection: Selection,
    /// Budgets and revenues below this (USD) are placeholders, read as unknown.
    pub money_floor_usd: i64,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            selection: Selection::default(),
            money_floor_usd: cinelake_rules::MONEY_FLOOR_USD,
        }
    }
}

impl Rules {
    /// The rules in words, as the tables' descriptions and the run manifest carry them.
    pub fn describe(&self) -> String {
        format!(
            "Films of interest: {}. Budgets and revenues of at most {} USD are placeholders, read as unknown.",
            self.selection, self.money_floor_usd
        )
    }
}

/// What the rules set aside in one build.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct SetAside {
    /// Films with TMDB details that the films-of-interest rule leaves out (or that are
    /// not in the CSV, so the rule cannot admit them).
    pub films_left_out: u64,
    /// Budgets and revenues above 0 but under the floor, read as unknown.
    pub placeholder_budgets: u64,
    pub placeholder_revenues: u64,
    /// Values that cannot be true (rule R12), read as null, by the fact's column. They
    /// are a TMDB rating outside 0 to 10, an IMDb rating outside 1 to 10, and a
    /// negative count, popularity or amount of money.
    pub impossible: std::collections::BTreeMap<String, u64>,
}

/// What a build published, and what its rules set aside.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RefinedRun {
    pub tables: Vec<RefinedReport>,
    pub set_aside: SetAside,
}

/// One run of the stage.
#[derive(Debug, Clone)]
pub struct RefinedOptions {
    pub run_id: String,
    /// The processing date the run's manifest is filed under.
    pub date: ProcessingDate,
    pub databases: Databases,
    pub rules: Rules,
}

/// Builds the schema (see [`build`]) and records the run's manifest.
pub async fn run(
    store: &Store,
    catalog: &Catalog,
    opts: &RefinedOptions,
) -> Result<RefinedRun, RefinedError> {
    // Boxed: the future of the whole build nests too deep for the layout computation.
    let work = Box::pin(build(
        store,
        catalog,
        &opts.databases,
        &opts.run_id,
        &opts.rules,
    ));
    recorded(store, opts, work).await
}

/// Runs `work` (a build) in the run's span and records its manifest: the rules, each
/// table written and what the rules set aside.
async fn recorded(
    store: &Store,
    opts: &RefinedOptions,
    work: impl std::future::Future<Output = Result<RefinedRun, RefinedError>>,
) -> Result<RefinedRun, RefinedError> {
    let span = tracing::info_span!("run", stage = STAGE, run_id = %opts.run_id);
    async {
        let mut recorder = RunRecorder::start(STAGE, &opts.run_id, opts.date, store);
        recorder.rule("films_of_interest", &opts.rules.selection.to_string());
        recorder.rule(
            "placeholder_money",
            &format!(
                "budgets and revenues of at most {} USD read as unknown",
                opts.rules.money_floor_usd
            ),
        );
        recorder.rule("south_america_role", star::ROLE_RULE);
        recorder.rule("impossible_values", star::IMPOSSIBLE_RULE);
        let result = work.await;
        if let Ok(run) = &result {
            for r in &run.tables {
                recorder.output(Entry {
                    key: r.location.clone(),
                    bytes: None,
                    rows: Some(r.rows),
                    sha256: None,
                    note: Some(r.table.clone()),
                });
            }
            let s = &run.set_aside;
            recorder.count("films_left_out", s.films_left_out);
            recorder.count("placeholder_budgets", s.placeholder_budgets);
            recorder.count("placeholder_revenues", s.placeholder_revenues);
            for (column, n) in &s.impossible {
                recorder.count(&format!("impossible_{column}"), *n);
            }
        }
        recorder
            .finish(store, result.as_ref().err().map(|e| e.to_string()))
            .await?;
        result
    }
    .instrument(span)
    .await
}

/// Reads the Trusted tables through the catalog, applies the rules, builds and checks
/// the schema, then publishes every table (each atomically) and registers it.
pub async fn build(
    store: &Store,
    catalog: &Catalog,
    dbs: &Databases,
    run_id: &str,
    rules: &Rules,
) -> Result<RefinedRun, RefinedError> {
    let started = std::time::Instant::now();
    let tmdb_table = Table::TmdbMovies.name();
    // TMDB is read in three passes over its collections, so memory follows the films of
    // interest, not the months of history. The first pass reads the keys alone: which
    // films, and each one's latest collection. The second reads the few figures the
    // snapshot keeps of each collection. The third reads the whole record, of each
    // film's latest collection only.
    let keys = read_table_where(
        store,
        catalog,
        &dbs.trusted,
        tmdb_table,
        Some(&["imdb_id"]),
        None,
    )
    .await?;
    tracing::debug!(
        rows = keys.height(),
        ms = started.elapsed().as_millis() as u64,
        "read the keys of tmdb_movies"
    );
    let tmdb_films = star::tmdb_films(&keys)?;
    // The films of interest the IMDb files hold, known to TMDB or not: the population
    // the dashboards state. File by file, three columns, only the admitted ids kept.
    let selection = rules.selection.clone();
    let admit = move |df: DataFrame| {
        star::admitted(&df, &selection).map_err(|e| PolarsError::ComputeError(e.to_string().into()))
    };
    let of_interest = read_table_where(
        store,
        catalog,
        &dbs.trusted,
        Table::Movies.name(),
        Some(&["title_id", "genres", "release_year"]),
        Some(&admit),
    )
    .await?;
    let imdb_films_of_interest = of_interest
        .column("film_id")
        .and_then(|c| c.n_unique())
        .context(|| "the films of interest in the IMDb files".into())?
        as u64;
    // The films the schema holds: of interest and known to TMDB.
    let kept = star::of_films(of_interest.lazy(), &tmdb_films, "film_id")
        .unique_stable(None, UniqueKeepStrategy::First)
        .collect()
        .context(|| "the films of interest TMDB knows".into())?;
    // Only those films can enter the schema, and only these columns of theirs: the rest
    // of the CSV (most of its rows, and its list columns) is never kept.
    let of_films = |df: DataFrame| star::of_films(df.lazy(), &kept, "title_id").collect();
    let movies = read_table_where(
        store,
        catalog,
        &dbs.trusted,
        Table::Movies.name(),
        Some(&star::MOVIE_COLUMNS),
        Some(&of_films),
    )
    .await?;
    tracing::debug!(
        rows = movies.height(),
        ms = started.elapsed().as_millis() as u64,
        "read movies of the films"
    );
    let history = read_table_where(
        store,
        catalog,
        &dbs.trusted,
        tmdb_table,
        Some(&star::SNAPSHOT_COLUMNS),
        Some(&|df: DataFrame| star::of_films(df.lazy(), &kept, "imdb_id").collect()),
    )
    .await?;
    let latest_dt = star::latest_dts(&keys, &kept)?;
    drop(keys);
    let of_latest = |values: &[String], df: DataFrame| {
        let dt = values.first().map(String::as_str).unwrap_or_default();
        let here = latest_dt
            .clone()
            .lazy()
            .filter(col("dt").eq(lit(dt)))
            .select([col("film_id")])
            .collect()?;
        star::of_films(df.lazy(), &here, "imdb_id").collect()
    };
    let latest = read_partitioned_where(
        store,
        catalog,
        &dbs.trusted,
        tmdb_table,
        Some(&star::TMDB_COLUMNS),
        &of_latest,
    )
    .await?;
    tracing::debug!(
        history = history.height(),
        latest = latest.height(),
        ms = started.elapsed().as_millis() as u64,
        "read tmdb_movies of the films of interest"
    );
    let tmdb = star::Tmdb {
        latest,
        history,
        films: tmdb_films.height() as u64,
    };
    let rules_for_task = rules.clone();
    let (tables, set_aside) = tokio::task::spawn_blocking(move || {
        star::build(movies, tmdb, &kept, &rules_for_task, imdb_films_of_interest)
    })
    .await
    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?;
    tracing::info!(
        films_left_out = set_aside.films_left_out,
        placeholder_budgets = set_aside.placeholder_budgets,
        placeholder_revenues = set_aside.placeholder_revenues,
        rule = %rules.selection,
        "rules applied"
    );
    let described = rules.describe();
    let mut reports = Vec::new();
    for (table, mut df) in tables {
        let mut spec = TableSpec::of(table, dbs);
        spec.description = format!("{} {described}", spec.description);
        let p = publish(store, catalog, &spec, run_id, &mut df).await?;
        tracing::info!(table = %p.table, rows = p.rows, "refined table written");
        reports.push(RefinedReport {
            table: p.table,
            rows: p.rows,
            location: p.location,
        });
    }
    Ok(RefinedRun {
        tables: reports,
        set_aside,
    })
}
