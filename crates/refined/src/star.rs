//! Builds the star schema from the Trusted frames in memory.
//!
//! The fact's grain is one row per film of interest with TMDB details. The films of
//! interest follow the rule of `cinelake_rules`, applied again here. Each row comes
//! from the latest TMDB collection of the film, joined to the CSV on the IMDb id. The
//! snapshot fact's grain is one row per film of interest per TMDB collection (`dt`),
//! with its figures as collected that day. The dimensions are film, date (release and
//! collection), country, genre, language and artist. There are bridges where a film has
//! many.

use std::collections::BTreeMap;

use cinelake_catalog::Table;
use cinelake_frames::PolarsContext;
use polars::prelude::*;

use crate::geo;
use crate::{RefinedError, Rules, SetAside};
use cinelake_rules::Selection;

pub type Tables = BTreeMap<Table, DataFrame>;

/// The columns of Trusted `movies` the schema uses.
pub const MOVIE_COLUMNS: [&str; 13] = [
    "title_id",
    "primary_title",
    "release_year",
    "genres",
    "runtime_minutes",
    "average_rating",
    "num_votes",
    "artist_name",
    "artist_category",
    "character_name",
    "birth_year",
    "death_year",
    "professions",
];

/// The columns of Trusted `tmdb_movies` the schema reads from each film's latest
/// collection (the partition column `dt` comes with them).
pub const TMDB_COLUMNS: [&str; 19] = [
    "imdb_id",
    "tmdb_id",
    "title",
    "original_title",
    "original_language",
    "release_date",
    "status",
    "collection_name",
    "runtime_minutes",
    "budget",
    "revenue",
    "popularity",
    "vote_count",
    "vote_average",
    "genres",
    "origin_country",
    "production_companies",
    "production_countries",
    "spoken_languages",
];

/// The columns of `tmdb_movies` the snapshot keeps of every collection.
pub const SNAPSHOT_COLUMNS: [&str; 5] = [
    "imdb_id",
    "popularity",
    "vote_count",
    "vote_average",
    "revenue",
];

/// What Refined reads of `tmdb_movies`, for the films of interest only. It holds each
/// film's rows of its latest collection, with every column the schema uses. It also
/// holds the snapshot's figures of every collection. Memory follows the films, not the
/// months.
pub struct Tmdb {
    /// The rows of each film's latest `dt` (a film listed twice there, under two TMDB
    /// ids, has both rows, in the file's order).
    pub latest: DataFrame,
    /// [`SNAPSHOT_COLUMNS`] and `dt` of every collection.
    pub history: DataFrame,
    /// How many films (IMDb ids) TMDB holds in all, of interest or not.
    pub films: u64,
}

/// The films TMDB holds (its IMDb ids, once each, as `title_id`), from the keys of
/// `tmdb_movies` (`imdb_id`, `dt`).
pub fn tmdb_films(keys: &DataFrame) -> Result<DataFrame, RefinedError> {
    collect(
        keys.clone().lazy().select([col("imdb_id")
            .drop_nulls()
            .unique_stable()
            .alias("title_id")]),
        "the films of tmdb_movies",
    )
}

/// Each film of interest's latest collection (`film_id`, `dt`), from the keys of
/// `tmdb_movies`.
pub fn latest_dts(keys: &DataFrame, kept: &DataFrame) -> Result<DataFrame, RefinedError> {
    collect(
        of_films(keys.clone().lazy(), kept, "imdb_id")
            .group_by([col("imdb_id").alias("film_id")])
            .agg([col("dt").max()]),
        "the latest collection of each film",
    )
}

/// The rows of `lf` whose `key` is one of the films, in their order. `films` is a
/// one-column frame of unique ids. This is a join, because `is_in` against a literal
/// list of ids is many times slower.
pub fn of_films(lf: LazyFrame, films: &DataFrame, key: &str) -> LazyFrame {
    let id = films.get_column_names()[0].clone();
    lf.join(
        films.clone().lazy(),
        [col(key)],
        [col(id.as_str())],
        JoinArgs {
            maintain_order: MaintainOrderJoin::Left,
            ..JoinArgs::new(JoinType::Inner)
        },
    )
}

fn explode_struct(lf: LazyFrame, list: &str) -> LazyFrame {
    lf.explode(
        cols([list]),
        ExplodeOptions {
            empty_as_null: true,
            keep_nulls: false,
        },
    )
    .filter(col(list).is_not_null())
    .unnest(cols([list]), None)
}

fn collect(lf: LazyFrame, what: &str) -> Result<DataFrame, RefinedError> {
    let started = std::time::Instant::now();
    let df = lf.collect().context(|| format!("building {what}"))?;
    tracing::debug!(
        what,
        rows = df.height(),
        ms = started.elapsed().as_millis() as u64,
        "built"
    );
    Ok(df)
}

/// Each film's row from its latest TMDB collection (`dt`), with the film key `film_id`,
/// which is the IMDb id. Records without an IMDb id are left out.
pub fn latest_collection(tmdb: DataFrame) -> Result<DataFrame, RefinedError> {
    // Which row is each film's latest collection: decided on the keys alone, so the
    // nested columns are gathered once, not by every sort and unique step.
    let picked = collect(
        tmdb.clone()
            .lazy()
            .with_row_index("_row", None)
            .select([col("_row"), col("imdb_id"), col("dt")])
            .filter(col("imdb_id").is_not_null())
            .sort(
                ["dt"],
                SortMultipleOptions::default()
                    .with_order_descending(true)
                    .with_maintain_order(true),
            )
            .unique_stable(Some(cols(["imdb_id"])), UniqueKeepStrategy::First)
            .select([col("_row")]),
        "latest TMDB collection",
    )?;
    let rows = picked
        .column("_row")
        .and_then(|c| c.idx())
        .context(|| "latest TMDB collection".into())?;
    // Usually one collection with every film once: then every row is kept, in order.
    let mut latest =
        cinelake_frames::take_rows(tmdb, rows).context(|| "latest TMDB collection".into())?;
    let film_id = latest
        .column("imdb_id")
        .context(|| "latest TMDB collection".into())?
        .clone()
        .with_name("film_id".into());
    latest
        .with_column(film_id)
        .context(|| "latest TMDB collection".into())?;
    Ok(latest)
}

/// The ids of the films the rule admits (`film_id`), from each title's genres and
/// release year in Trusted `movies` (the same fields ingestion decides on in the Raw CSV).
pub fn admitted(movies: &DataFrame, selection: &Selection) -> Result<DataFrame, RefinedError> {
    let titles = movies
        .clone()
        .lazy()
        .unique_stable(Some(cols(["title_id"])), UniqueKeepStrategy::First)
        .select([col("title_id"), col("genres"), col("release_year")])
        .collect()
        .context(|| "the titles of movies".into())?;
    let ids = titles
        .column("title_id")
        .and_then(|c| c.str().cloned())
        .context(|| "movies.title_id".into())?;
    let genres = titles
        .column("genres")
        .and_then(|c| c.list().cloned())
        .context(|| "movies.genres".into())?;
    let years = titles
        .column("release_year")
        .and_then(|c| c.i32().cloned())
        .context(|| "movies.release_year".into())?;
    let mut kept: Vec<&str> = Vec::new();
    for ((id, genres), year) in ids.iter().zip(genres.amortized_iter()).zip(years.iter()) {
        let Some(id) = id else { continue };
        let names: Vec<String> = genres
            .and_then(|g| {
                g.as_ref()
                    .str()
                    .ok()
                    .map(|s| s.iter().flatten().map(str::to_string).collect())
            })
            .unwrap_or_default();
        if selection.admits(names.iter().map(String::as_str), year) {
            kept.push(id);
        }
    }
    Ok(
        DataFrame::new_infer_height(vec![Column::new("film_id".into(), kept)])
            .context(|| "the films of interest".into())?,
    )
}

/// Builds every table of the schema from Trusted `movies` and what was read of
/// `tmdb_movies`, then checks the result.
///
/// It keeps the films of interest (`kept`, from [`admitted`]). The rule is decided here
/// too, so what ingestion fetched under a wider rule does not widen the schema. It
/// reads budgets and revenues under the floor as unknown.
pub fn build(
    movies: DataFrame,
    tmdb: Tmdb,
    kept: &DataFrame,
    rules: &Rules,
    imdb_films_of_interest: u64,
) -> Result<(Tables, SetAside), RefinedError> {
    let history = collect(
        of_films(tmdb.history.lazy(), kept, "imdb_id"),
        "tmdb_movies of interest",
    )?;
    let movies = collect(
        of_films(movies.lazy(), kept, "title_id"),
        "movies of interest",
    )?;
    let latest = latest_collection(collect(
        of_films(tmdb.latest.lazy(), kept, "imdb_id"),
        "the latest collection of interest",
    )?)?;
    let films = films(&movies, &latest)?;
    let floor = rules.money_floor_usd;
    let (placeholder_budgets, placeholder_revenues) = placeholders(&films, floor)?;
    let set_aside = SetAside {
        films_left_out: tmdb.films.saturating_sub(latest.height() as u64),
        placeholder_budgets,
        placeholder_revenues,
        impossible: impossible(&films)?,
    };
    let dim_film = dim_film(&films)?;
    let fact_film = fact_film(&films, floor)?;
    let snapshot = fact_film_snapshot(&history, &fact_film, floor)?;
    drop(history);
    let dim_date = dim_date(&dim_film, &snapshot)?;
    let base = latest.lazy();
    let (dim_artist, bridge_film_artist) = artists(movies, &dim_film)?;
    let mut t = Tables::new();
    t.insert(
        Table::BridgeFilmCountry,
        sorted(
            bridge_film_country(base.clone())?,
            &["film_id", "country_code"],
        )?,
    );
    t.insert(Table::DimCountry, dim_country(base.clone())?);
    t.insert(
        Table::BridgeFilmGenre,
        sorted(bridge_film_genre(base.clone())?, &["film_id", "genre_id"])?,
    );
    t.insert(Table::DimGenre, dim_genre(base.clone())?);
    t.insert(
        Table::BridgeFilmLanguage,
        sorted(
            bridge_film_language(base.clone())?,
            &["film_id", "language_code"],
        )?,
    );
    t.insert(Table::DimLanguage, dim_language(base)?);
    t.insert(
        Table::BridgeFilmArtist,
        sorted(
            bridge_film_artist,
            &["film_id", "artist_key", "artist_category", "character_name"],
        )?,
    );
    t.insert(Table::DimArtist, dim_artist);
    t.insert(Table::DimDate, dim_date);
    t.insert(Table::DimFilm, sorted(dim_film, &["film_id"])?);
    t.insert(
        Table::FilmCounts,
        film_counts(
            &set_aside,
            imdb_films_of_interest,
            fact_film.height(),
            rules,
        )?,
    );
    t.insert(Table::FactFilm, sorted(fact_film, &["film_id"])?);
    t.insert(
        Table::FactFilmSnapshot,
        sorted(snapshot, &["film_id", "collected_on"])?,
    );
    check(&t)?;
    Ok((t, set_aside))
}

/// `film_counts` holds what the run counted, one row per count. Its columns are
/// `count_name`, `films` and `what`, which says in words what was counted. For the IMDb
/// files' films of interest, `what` is the rule itself. With this table the dashboards
/// can state their population and what the rules set aside. That is the films of
/// interest in the IMDb files, those with TMDB details (the fact's rows), and each
/// rule's count.
fn film_counts(
    set_aside: &SetAside,
    imdb_films_of_interest: u64,
    fact_films: usize,
    rules: &Rules,
) -> Result<DataFrame, RefinedError> {
    let floor = rules.money_floor_usd;
    let mut rows: Vec<(String, u64, String)> = vec![
        (
            "films_of_interest_imdb".into(),
            imdb_films_of_interest,
            rules.selection.to_string(),
        ),
        (
            "films_with_tmdb".into(),
            fact_films as u64,
            "films of interest with TMDB details (fact_film)".into(),
        ),
        (
            "films_left_out".into(),
            set_aside.films_left_out,
            "films with TMDB details that are not films of interest".into(),
        ),
        (
            "placeholder_budgets".into(),
            set_aside.placeholder_budgets,
            format!("placeholder budgets (above 0, at most {floor} USD), read as unknown"),
        ),
        (
            "placeholder_revenues".into(),
            set_aside.placeholder_revenues,
            format!("placeholder revenues (above 0, at most {floor} USD), read as unknown"),
        ),
    ];
    for (column, n) in &set_aside.impossible {
        rows.push((
            format!("impossible_{column}"),
            *n,
            format!("impossible values of {column}, read as unknown"),
        ));
    }
    let names: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    let films: Vec<i64> = rows
        .iter()
        .map(|r| i64::try_from(r.1).unwrap_or(i64::MAX))
        .collect();
    let what: Vec<&str> = rows.iter().map(|r| r.2.as_str()).collect();
    Ok(DataFrame::new_infer_height(vec![
        Column::new("count_name".into(), names),
        Column::new("films".into(), films),
        Column::new("what".into(), what),
    ])
    .context(|| "film_counts".into())?)
}

/// How many budgets and revenues are above 0 (TMDB's "unknown") but at most the floor.
fn placeholders(films: &DataFrame, floor: i64) -> Result<(u64, u64), RefinedError> {
    let below = |c: &str| {
        col(c)
            .gt(lit(0))
            .and(col(c).lt_eq(lit(floor)))
            .sum()
            .cast(DataType::UInt64)
            .alias(c)
    };
    let counts = collect(
        films
            .clone()
            .lazy()
            .select([below("budget"), below("revenue")]),
        "placeholder money",
    )?;
    let get = |c: &str| -> Result<u64, RefinedError> {
        Ok(counts
            .column(c)
            .and_then(|s| s.u64().map(|v| v.get(0).unwrap_or(0)))
            .context(|| "placeholder money".into())?)
    };
    Ok((get("budget")?, get("revenue")?))
}

/// Rows in key order, so a rerun over the same data writes the same files.
fn sorted(df: DataFrame, by: &[&str]) -> Result<DataFrame, RefinedError> {
    collect(
        df.lazy().sort(
            by.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
            SortMultipleOptions::default().with_maintain_order(true),
        ),
        "sorted table",
    )
}

/// `YYYYMMDD` as an integer: the key of a day in `dim_date`.
fn date_key(date: Expr) -> Expr {
    (date.clone().dt().year() * lit(10000)
        + date.clone().dt().month().cast(DataType::Int32) * lit(100)
        + date.dt().day().cast(DataType::Int32))
    .cast(DataType::Int32)
}

/// Money when it is above the floor, else null. For "unknown", TMDB writes 0 or a
/// placeholder of a few dollars, the floor itself among them. Below 0 cannot be true.
fn money(c: &str, floor: i64) -> Expr {
    when(col(c).gt(lit(floor.max(0))))
        .then(col(c))
        .otherwise(lit(NULL).cast(DataType::Int64))
}

/// TMDB's average vote, null when nobody voted (TMDB then writes 0) and when it is not
/// on TMDB's scale of 0 to 10 (rule R12).
fn tmdb_rating() -> Expr {
    when(
        col("vote_count")
            .gt(lit(0))
            .and(within(col("vote_average"), TMDB_RATING)),
    )
    .then(col("vote_average"))
    .otherwise(lit(NULL).cast(DataType::Float64))
}

/// Rule R11 in words, for the run manifest.
pub const ROLE_RULE: &str = "a film is South American when TMDB's origin_country names a South American country, a co-production with South America when only a production country does; without origin_country: South American when every production country is South American, or when some are, the original language is es, pt, qu, gn or ay and the South American companies are at least one and no fewer than any other single country's";

/// Rule R12 in words, for the run manifest.
pub const IMPOSSIBLE_RULE: &str = "a TMDB rating outside 0 to 10, an IMDb rating outside 1 to 10, and a negative vote count, popularity, budget or revenue are read as null and counted (impossible_<column>)";

/// The values a measure can take; outside them a value cannot be true (rule R12).
#[derive(Debug, Clone, Copy)]
struct Range {
    low: f64,
    high: f64,
}

/// TMDB rates from 0 to 10, IMDb from 1 to 10.
const TMDB_RATING: Range = Range {
    low: 0.0,
    high: 10.0,
};
const IMDB_RATING: Range = Range {
    low: 1.0,
    high: 10.0,
};
/// Counts (votes, popularity) are never negative.
const COUNT: Range = Range {
    low: 0.0,
    high: f64::INFINITY,
};

fn within(e: Expr, r: Range) -> Expr {
    let x = e.cast(DataType::Float64);
    x.clone().gt_eq(lit(r.low)).and(x.lt_eq(lit(r.high)))
}

/// `c` when it is within `r`, else null, in `c`'s type.
fn possible(c: &str, r: Range, dtype: DataType) -> Expr {
    when(within(col(c), r))
        .then(col(c))
        .otherwise(lit(NULL).cast(dtype))
}

/// The measures rule R12 reads as null when they cannot be true. Each entry holds the
/// column of the films frame, the fact's column and its range. Money below 0 is counted
/// here too. Money from 0 to the floor is a placeholder (R3).
const IMPOSSIBLE: [(&str, &str, Range); 7] = [
    ("imdb_rating", "imdb_rating", IMDB_RATING),
    ("imdb_votes", "imdb_votes", COUNT),
    ("vote_average", "tmdb_rating", TMDB_RATING),
    ("vote_count", "tmdb_votes", COUNT),
    ("popularity", "popularity", COUNT),
    ("budget", "budget", COUNT),
    ("revenue", "revenue", COUNT),
];

/// The collection date of a Trusted row: its `dt` partition, as a date.
fn collection_date() -> Expr {
    col("dt").str().to_date(StrptimeOptions {
        format: Some("%Y-%m-%d".into()),
        strict: false,
        ..Default::default()
    })
}

/// The release year: the CSV's, else the year of TMDB's release date.
fn release_year() -> Expr {
    when(col("imdb_release_year").is_not_null())
        .then(col("imdb_release_year"))
        .otherwise(col("release_date").dt().year())
        .cast(DataType::Int32)
}

/// Each film's latest TMDB row with its title's CSV figures (first row per title).
fn films(movies: &DataFrame, latest: &DataFrame) -> Result<DataFrame, RefinedError> {
    let titles = movies
        .clone()
        .lazy()
        .unique_stable(Some(cols(["title_id"])), UniqueKeepStrategy::First)
        .select([
            col("title_id").alias("film_id"),
            col("primary_title").alias("imdb_title"),
            col("release_year").alias("imdb_release_year"),
            col("runtime_minutes").alias("imdb_runtime_minutes"),
            col("average_rating").alias("imdb_rating"),
            col("num_votes").alias("imdb_votes"),
        ]);
    collect(
        latest.clone().lazy().join(
            titles,
            [col("film_id")],
            [col("film_id")],
            JoinArgs::new(JoinType::Left),
        ),
        "films",
    )
}

/// Strings of a list cell: a list of strings, or the field `field` of a list of
/// structs. Nulls and empty strings are left out.
fn strings_of(cell: Option<&Series>, field: Option<&str>) -> Vec<String> {
    let Some(s) = cell else { return Vec::new() };
    let values = match field {
        None => s.str().ok().cloned(),
        Some(f) => s
            .struct_()
            .ok()
            .and_then(|st| st.field_by_name(f).ok())
            .and_then(|x| x.str().ok().cloned()),
    };
    values
        .map(|v| {
            v.iter()
                .flatten()
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Each film's role towards South America and what decided it (rule R11,
/// [`crate::role`]): `film_id`, `south_america_role`, `south_america_role_basis`.
fn roles(films: &DataFrame) -> Result<DataFrame, RefinedError> {
    let what = || "the films' role towards South America".to_string();
    let list = |name: &str| -> Result<ListChunked, RefinedError> {
        Ok(films
            .column(name)
            .and_then(|c| c.list().cloned())
            .context(what)?)
    };
    let ids = films
        .column("film_id")
        .and_then(|c| c.str().cloned())
        .context(what)?;
    let language = films
        .column("original_language")
        .and_then(|c| c.str().cloned())
        .context(what)?;
    let (origin, countries, companies) = (
        list("origin_country")?,
        list("production_countries")?,
        list("production_companies")?,
    );
    let mut role = Vec::with_capacity(films.height());
    let mut basis = Vec::with_capacity(films.height());
    for (((o, c), k), l) in origin
        .amortized_iter()
        .zip(countries.amortized_iter())
        .zip(companies.amortized_iter())
        .zip(language.iter())
    {
        let origin = strings_of(o.as_ref().map(|s| s.as_ref()), None);
        let countries = strings_of(c.as_ref().map(|s| s.as_ref()), Some("iso_3166_1"));
        let companies = strings_of(k.as_ref().map(|s| s.as_ref()), Some("origin_country"));
        let (r, b) = crate::role::role(&crate::role::Origins {
            origin_countries: origin.iter().map(String::as_str).collect(),
            production_countries: countries.iter().map(String::as_str).collect(),
            company_countries: companies.iter().map(String::as_str).collect(),
            original_language: l,
        });
        role.push(r.label());
        basis.push(b.label());
    }
    Ok(DataFrame::new_infer_height(vec![
        ids.into_series().into_column(),
        Column::new("south_america_role".into(), role),
        Column::new("south_america_role_basis".into(), basis),
    ])
    .context(what)?)
}

/// How many values of each measure of the films' latest rows cannot be true (rule R12),
/// by the fact's column name. A measure with none is left out.
fn impossible(films: &DataFrame) -> Result<BTreeMap<String, u64>, RefinedError> {
    let counts = collect(
        films.clone().lazy().select(
            IMPOSSIBLE
                .iter()
                .map(|(src, fact, range)| {
                    col(*src)
                        .is_not_null()
                        .and(within(col(*src), *range).not())
                        .sum()
                        .cast(DataType::UInt64)
                        .alias(*fact)
                })
                .collect::<Vec<_>>(),
        ),
        "impossible values",
    )?;
    let mut out = BTreeMap::new();
    for (_, fact, _) in IMPOSSIBLE {
        let n = counts
            .column(fact)
            .and_then(|s| s.u64().map(|v| v.get(0).unwrap_or(0)))
            .context(|| "impossible values".into())?;
        if n > 0 {
            out.insert(fact.to_string(), n);
        }
    }
    Ok(out)
}

fn dim_film(films: &DataFrame) -> Result<DataFrame, RefinedError> {
    let roles = roles(films)?;
    collect(
        films
            .clone()
            .lazy()
            .join(
                roles.lazy(),
                [col("film_id")],
                [col("film_id")],
                JoinArgs::new(JoinType::Left),
            )
            .select([
                col("film_id"),
                col("tmdb_id"),
                col("title"),
                col("original_title"),
                col("imdb_title"),
                col("original_language").alias("original_language_code"),
                col("release_date"),
                release_year().alias("release_year"),
                col("status"),
                col("collection_name"),
                col("south_america_role"),
                col("south_america_role_basis"),
            ]),
        Table::DimFilm.name(),
    )
}

fn fact_film(films: &DataFrame, floor: i64) -> Result<DataFrame, RefinedError> {
    collect(
        films.clone().lazy().select([
            col("film_id"),
            date_key(col("release_date")).alias("release_date_key"),
            release_year().alias("release_year"),
            possible("imdb_rating", IMDB_RATING, DataType::Float64),
            possible("imdb_votes", COUNT, DataType::Int64),
            tmdb_rating().alias("tmdb_rating"),
            possible("vote_count", COUNT, DataType::Int64).alias("tmdb_votes"),
            possible("popularity", COUNT, DataType::Float64),
            money("budget", floor).alias("budget"),
            money("revenue", floor).alias("revenue"),
            (money("revenue", floor) - money("budget", floor)).alias("profit"),
            when(col("runtime_minutes").gt(lit(0)))
                .then(col("runtime_minutes"))
                .otherwise(col("imdb_runtime_minutes"))
                .alias("runtime_minutes"),
            collection_date().alias("collected_on"),
        ]),
        Table::FactFilm.name(),
    )
}

/// One row per film of interest per collection, from `tmdb`, which holds the films of
/// interest at every `dt`. A row holds the figures as collected that day, with the
/// rules of `fact_film`. There is no rating without votes, and money under the floor is
/// unknown.
///
/// Where a collection holds a film twice (two TMDB ids for one IMDb id), the row kept
/// is the one [`latest_collection`] keeps. So the latest snapshot of a film is its
/// `fact_film` row. The release date key is the film's own, from `fact_film`. A film
/// has one release date, whatever an older collection said.
fn fact_film_snapshot(
    tmdb: &DataFrame,
    fact_film: &DataFrame,
    floor: i64,
) -> Result<DataFrame, RefinedError> {
    let release = fact_film
        .clone()
        .lazy()
        .select([col("film_id"), col("release_date_key")]);
    collect(
        tmdb.clone()
            .lazy()
            .select([
                col("imdb_id"),
                col("dt"),
                col("popularity"),
                col("vote_count"),
                col("vote_average"),
                col("revenue"),
            ])
            .filter(col("imdb_id").is_not_null())
            .unique_stable(Some(cols(["imdb_id", "dt"])), UniqueKeepStrategy::First)
            .select([
                col("imdb_id").alias("film_id"),
                collection_date().alias("collected_on"),
                date_key(collection_date()).alias("collected_on_key"),
                possible("popularity", COUNT, DataType::Float64),
                possible("vote_count", COUNT, DataType::Int64).alias("tmdb_votes"),
                tmdb_rating().alias("tmdb_rating"),
                money("revenue", floor).alias("revenue"),
            ])
            .join(
                release,
                [col("film_id")],
                [col("film_id")],
                JoinArgs::new(JoinType::Left),
            )
            .select([
                col("film_id"),
                col("collected_on"),
                col("collected_on_key"),
                col("release_date_key"),
                col("popularity"),
                col("tmdb_votes"),
                col("tmdb_rating"),
                col("revenue"),
            ]),
        Table::FactFilmSnapshot.name(),
    )
}

/// Every date a fact points at, once, in order: the films' release dates and the
/// collection dates.
fn dim_date(dim_film: &DataFrame, snapshot: &DataFrame) -> Result<DataFrame, RefinedError> {
    let dates = concat(
        [
            dim_film
                .clone()
                .lazy()
                .select([col("release_date").alias("date")]),
            snapshot
                .clone()
                .lazy()
                .select([col("collected_on").alias("date")]),
        ],
        UnionArgs::default(),
    )
    .context(|| "the dates of dim_date".into())?;
    collect(
        dates
            .filter(col("date").is_not_null())
            .unique_stable(None, UniqueKeepStrategy::First)
            .sort(["date"], SortMultipleOptions::default())
            .select([
                date_key(col("date")).alias("date_key"),
                col("date"),
                col("date").dt().year().cast(DataType::Int32).alias("year"),
                col("date")
                    .dt()
                    .quarter()
                    .cast(DataType::Int32)
                    .alias("quarter"),
                col("date")
                    .dt()
                    .month()
                    .cast(DataType::Int32)
                    .alias("month"),
                ((col("date").dt().year() / lit(10)).floor() * lit(10))
                    .cast(DataType::Int32)
                    .alias("decade"),
                col("date")
                    .dt()
                    .year()
                    .gt_eq(lit(cinelake_rules::CENTURY_FROM))
                    .alias("is_21st_century"),
            ]),
        Table::DimDate.name(),
    )
}

fn bridge_film_country(base: LazyFrame) -> Result<DataFrame, RefinedError> {
    collect(
        explode_struct(
            base.select([col("film_id"), col("production_countries")]),
            "production_countries",
        )
        .select([
            col("film_id"),
            geo::normal_code_expr(col("iso_3166_1")).alias("country_code"),
        ])
        .unique_stable(None, UniqueKeepStrategy::First),
        Table::BridgeFilmCountry.name(),
    )
}

/// The production countries, each with its continent and the South America flag.
fn dim_country(base: LazyFrame) -> Result<DataFrame, RefinedError> {
    let mut countries = collect(
        explode_struct(
            base.select([col("production_countries")]),
            "production_countries",
        )
        .select([
            geo::normal_code_expr(col("iso_3166_1")).alias("country_code"),
            col("name").alias("country_name"),
        ])
        .unique_stable(Some(cols(["country_code"])), UniqueKeepStrategy::First)
        .sort(["country_code"], SortMultipleOptions::default()),
        "countries",
    )?;
    let codes: Vec<String> = countries
        .column("country_code")
        .and_then(|c| c.str().cloned())
        .context(|| "country codes".into())?
        .iter()
        .map(|c| c.unwrap_or_default().to_string())
        .collect();
    let continents: Vec<&str> = codes.iter().map(|c| geo::continent(c)).collect();
    let south: Vec<bool> = codes
        .iter()
        .map(|c| geo::SOUTH_AMERICA.contains(&c.as_str()))
        .collect();
    countries
        .with_column(Column::new("continent".into(), continents))
        .and_then(|d| d.with_column(Column::new("is_south_america".into(), south)))
        .context(|| "continents".into())?;
    Ok(countries)
}

fn bridge_film_genre(base: LazyFrame) -> Result<DataFrame, RefinedError> {
    collect(
        explode_struct(base.select([col("film_id"), col("genres")]), "genres")
            .select([col("film_id"), col("id").alias("genre_id")])
            .unique_stable(None, UniqueKeepStrategy::First),
        Table::BridgeFilmGenre.name(),
    )
}

fn dim_genre(base: LazyFrame) -> Result<DataFrame, RefinedError> {
    collect(
        explode_struct(base.select([col("genres")]), "genres")
            .select([col("id").alias("genre_id"), col("name").alias("genre_name")])
            .unique_stable(Some(cols(["genre_id"])), UniqueKeepStrategy::First)
            .sort(["genre_id"], SortMultipleOptions::default()),
        Table::DimGenre.name(),
    )
}

fn bridge_film_language(base: LazyFrame) -> Result<DataFrame, RefinedError> {
    collect(
        explode_struct(
            base.select([col("film_id"), col("spoken_languages")]),
            "spoken_languages",
        )
        .select([col("film_id"), col("iso_639_1").alias("language_code")])
        .unique_stable(None, UniqueKeepStrategy::First),
        Table::BridgeFilmLanguage.name(),
    )
}

fn dim_language(base: LazyFrame) -> Result<DataFrame, RefinedError> {
    collect(
        explode_struct(base.select([col("spoken_languages")]), "spoken_languages")
            .select([
                col("iso_639_1").alias("language_code"),
                col("english_name"),
                col("name").alias("native_name"),
            ])
            .unique_stable(Some(cols(["language_code"])), UniqueKeepStrategy::First)
            .sort(["language_code"], SortMultipleOptions::default()),
        Table::DimLanguage.name(),
    )
}

/// `dim_artist` and `bridge_film_artist`.
///
/// The CSV has no artist id, so an artist is a (name, birth year) pair. It is keyed by
/// its rank in that order. The schema is rebuilt whole on every run. The file repeats
/// an artist's death year and professions on each of its films. Where the rows
/// disagree, nothing known is dropped. The death year is the latest one given. The
/// professions are every one any row lists, sorted. So the answer never depends on the
/// file's order (see docs/data-model.md).
fn artists(
    movies: DataFrame,
    dim_film: &DataFrame,
) -> Result<(DataFrame, DataFrame), RefinedError> {
    let film_ids = dim_film
        .column("film_id")
        .context(|| "film ids".into())?
        .as_materialized_series()
        .clone();
    let film_ids =
        DataFrame::new_infer_height(vec![film_ids.into_column()]).context(|| "film ids".into())?;
    let cast = collect(
        of_films(movies.lazy(), &film_ids, "title_id").filter(col("artist_name").is_not_null()),
        "cast",
    )?;
    let professions = col("professions")
        .explode(ExplodeOptions {
            empty_as_null: false,
            keep_nulls: false,
        })
        .drop_nulls()
        .unique()
        .sort(SortOptions::default());
    let dim_artist = collect(
        cast.clone()
            .lazy()
            .group_by([col("artist_name"), col("birth_year")])
            .agg([col("death_year").max(), professions])
            // An artist no row gives a profession has none known (null), as in Trusted.
            .with_column(
                when(col("professions").list().len().eq(lit(0)))
                    .then(lit(NULL).cast(DataType::List(Box::new(DataType::String))))
                    .otherwise(col("professions"))
                    .alias("professions"),
            )
            .sort(
                ["artist_name", "birth_year"],
                SortMultipleOptions::default().with_nulls_last(true),
            )
            .with_row_index("artist_key", None)
            .with_column(col("artist_key").cast(DataType::Int64)),
        Table::DimArtist.name(),
    )?;
    let bridge_film_artist = collect(
        cast.lazy()
            .join(
                dim_artist.clone().lazy().select([
                    col("artist_key"),
                    col("artist_name"),
                    col("birth_year"),
                ]),
                [col("artist_name"), col("birth_year")],
                [col("artist_name"), col("birth_year")],
                JoinArgs {
                    nulls_equal: true,
                    ..JoinArgs::new(JoinType::Inner)
                },
            )
            .select([
                col("title_id").alias("film_id"),
                col("artist_key"),
                col("artist_category"),
                col("character_name"),
            ]),
        Table::BridgeFilmArtist.name(),
    )?;
    Ok((dim_artist, bridge_film_artist))
}

fn table(t: &Tables, name: Table) -> Result<&DataFrame, RefinedError> {
    t.get(&name)
        .ok_or_else(|| RefinedError::Check(format!("{name} missing")))
}

/// The first row of `lf` as text, for an error message.
fn first_value(lf: LazyFrame, column: &str, what: &str) -> Result<String, RefinedError> {
    let df = collect(
        lf.select([col(column).cast(DataType::String)]).limit(1),
        what,
    )?;
    let c = df.column(column).context(|| what.to_string())?;
    Ok(c.str()
        .context(|| what.to_string())?
        .get(0)
        .unwrap_or_default()
        .to_string())
}

/// Each table's grain: the columns that name one of its rows, none of them null.
pub const GRAINS: [(Table, &[&str]); 8] = [
    (Table::FactFilm, &["film_id"]),
    (Table::FactFilmSnapshot, &["film_id", "collected_on"]),
    (Table::DimFilm, &["film_id"]),
    (Table::DimDate, &["date_key"]),
    (Table::DimCountry, &["country_code"]),
    (Table::DimGenre, &["genre_id"]),
    (Table::DimLanguage, &["language_code"]),
    (Table::DimArtist, &["artist_key"]),
];

/// Each column that refers to a dimension (`table.column` to `dimension.key`): every
/// value in it, nulls aside, is a key of the dimension.
pub const REFERENCES: [(Table, &str, Table, &str); 13] = [
    (Table::FactFilm, "film_id", Table::DimFilm, "film_id"),
    (
        Table::FactFilm,
        "release_date_key",
        Table::DimDate,
        "date_key",
    ),
    (
        Table::FactFilmSnapshot,
        "film_id",
        Table::DimFilm,
        "film_id",
    ),
    (
        Table::FactFilmSnapshot,
        "release_date_key",
        Table::DimDate,
        "date_key",
    ),
    (
        Table::FactFilmSnapshot,
        "collected_on_key",
        Table::DimDate,
        "date_key",
    ),
    (
        Table::BridgeFilmCountry,
        "film_id",
        Table::DimFilm,
        "film_id",
    ),
    (
        Table::BridgeFilmCountry,
        "country_code",
        Table::DimCountry,
        "country_code",
    ),
    (Table::BridgeFilmGenre, "film_id", Table::DimFilm, "film_id"),
    (
        Table::BridgeFilmGenre,
        "genre_id",
        Table::DimGenre,
        "genre_id",
    ),
    (
        Table::BridgeFilmLanguage,
        "film_id",
        Table::DimFilm,
        "film_id",
    ),
    (
        Table::BridgeFilmLanguage,
        "language_code",
        Table::DimLanguage,
        "language_code",
    ),
    (
        Table::BridgeFilmArtist,
        "film_id",
        Table::DimFilm,
        "film_id",
    ),
    (
        Table::BridgeFilmArtist,
        "artist_key",
        Table::DimArtist,
        "artist_key",
    ),
];

/// The grain is unique and every key points at a row of its dimension.
pub fn check(t: &Tables) -> Result<(), RefinedError> {
    for (name, grain) in GRAINS {
        let df = table(t, name)?;
        for key in grain {
            let c = df.column(key).context(|| format!("{name}.{key}"))?;
            if c.null_count() > 0 {
                return Err(RefinedError::Check(format!("{name}.{key} has a null")));
            }
        }
        let keys: Vec<Expr> = grain.iter().map(|k| col(*k)).collect();
        let repeated = collect(
            df.clone()
                .lazy()
                .group_by(keys)
                .agg([len().alias("_n")])
                .filter(col("_n").gt(lit(1)))
                .select([concat_str(
                    grain
                        .iter()
                        .map(|k| col(*k).cast(DataType::String))
                        .collect::<Vec<_>>(),
                    " ",
                    true,
                )
                .alias("_key")])
                .limit(1),
            &format!("the grain of {name}"),
        )?;
        if repeated.height() > 0 {
            let dup = first_value(repeated.lazy(), "_key", "a repeated key")?;
            let grain = match grain {
                [key] => key.to_string(),
                keys => format!("({})", keys.join(", ")),
            };
            return Err(RefinedError::Check(format!(
                "{name}.{grain} {dup} is not unique"
            )));
        }
    }
    for (name, column, dim, key) in REFERENCES {
        let known = table(t, dim)?
            .clone()
            .lazy()
            .select([col(key).alias("_key"), lit(true).alias("_known")]);
        let orphans = table(t, name)?
            .clone()
            .lazy()
            .select([col(column)])
            .filter(col(column).is_not_null())
            .join(
                known,
                [col(column)],
                [col("_key")],
                JoinArgs::new(JoinType::Left),
            )
            .filter(col("_known").is_null());
        let orphans = collect(orphans, &format!("the keys of {name}.{column}"))?;
        if orphans.height() > 0 {
            let orphan = first_value(orphans.lazy(), column, "an orphan key")?;
            return Err(RefinedError::Check(format!(
                "{name}.{column} {orphan} is not in {dim}.{key}"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> Tables {
        let mut t = Tables::new();
        t.insert(
            Table::FactFilm,
            df!("film_id" => ["tt1", "tt2"], "release_date_key" => [Some(20010101i32), None])
                .unwrap(),
        );
        t.insert(
            Table::FactFilmSnapshot,
            df!(
                "film_id" => ["tt1", "tt1", "tt2"],
                "collected_on" => ["2026-10-01", "2026-11-01", "2026-11-01"],
                "collected_on_key" => [20261001i32, 20261101, 20261101],
                "release_date_key" => [Some(20010101i32), Some(20010101), None],
            )
            .unwrap(),
        );
        t.insert(Table::DimFilm, df!("film_id" => ["tt1", "tt2"]).unwrap());
        t.insert(
            Table::DimDate,
            df!("date_key" => [20010101i32, 20261001, 20261101]).unwrap(),
        );
        t.insert(
            Table::DimCountry,
            df!("country_code" => ["BR", "AR"]).unwrap(),
        );
        t.insert(Table::DimGenre, df!("genre_id" => [18i64]).unwrap());
        t.insert(Table::DimLanguage, df!("language_code" => ["pt"]).unwrap());
        t.insert(Table::DimArtist, df!("artist_key" => [0i64, 1]).unwrap());
        t.insert(
            Table::BridgeFilmCountry,
            df!("film_id" => ["tt1", "tt1"], "country_code" => ["BR", "AR"]).unwrap(),
        );
        t.insert(
            Table::BridgeFilmGenre,
            df!("film_id" => ["tt2"], "genre_id" => [18i64]).unwrap(),
        );
        t.insert(
            Table::BridgeFilmLanguage,
            df!("film_id" => ["tt2"], "language_code" => ["pt"]).unwrap(),
        );
        t.insert(
            Table::BridgeFilmArtist,
            df!("film_id" => ["tt1", "tt2"], "artist_key" => [1i64, 1]).unwrap(),
        );
        t
    }

    #[test]
    fn each_film_comes_from_its_latest_collection() {
        let tmdb = df!(
            "imdb_id" => [Some("tt1"), Some("tt2"), None, Some("tt1"), Some("tt3")],
            "popularity" => [1.0, 2.0, 3.0, 4.0, 5.0],
            "dt" => ["2026-10-01", "2026-10-01", "2026-11-01", "2026-11-01", "2026-11-01"],
        )
        .unwrap();
        let latest = latest_collection(tmdb).unwrap();
        let sorted = latest
            .sort(["film_id"], SortMultipleOptions::default())
            .unwrap();
        assert_eq!(
            texts(&sorted, "film_id"),
            [Some("tt1"), Some("tt2"), Some("tt3")]
        );
        assert_eq!(
            sorted
                .column("popularity")
                .unwrap()
                .f64()
                .unwrap()
                .iter()
                .collect::<Vec<_>>(),
            [Some(4.0), Some(2.0), Some(5.0)]
        );
        assert_eq!(texts(&sorted, "dt")[0], Some("2026-11-01"));
        // One collection, every film once: all rows, in order.
        let one = df!("imdb_id" => ["tt2", "tt1"], "dt" => ["2026-11-01", "2026-11-01"]).unwrap();
        let latest = latest_collection(one).unwrap();
        assert_eq!(texts(&latest, "film_id"), [Some("tt2"), Some("tt1")]);
    }

    /// An artist listed in several rows with other death years and professions keeps
    /// every known value whatever the file's order: the latest death year, and every
    /// profession, sorted.
    #[test]
    fn an_artist_keeps_what_any_of_its_rows_knows_whatever_the_order() {
        let cast = |order: [usize; 4]| {
            let rows = [
                ("tt2", "actor", Some("Ana"), Some(1990), ["actor"]),
                ("tt1", "actress", Some("Rita"), None, ["writer"]),
                ("tt1", "actress", Some("Rita"), Some(2001), ["actress"]),
                ("tt1", "actor", Some("Rita"), Some(2010), ["director"]),
            ];
            let pick: Vec<_> = order.iter().map(|&i| rows[i]).collect();
            let professions: Vec<Series> = pick
                .iter()
                .map(|r| Series::new("".into(), r.4.to_vec()))
                .collect();
            df!(
                "title_id" => pick.iter().map(|r| r.0).collect::<Vec<_>>(),
                "artist_name" => pick.iter().map(|r| r.2).collect::<Vec<_>>(),
                "birth_year" => pick.iter().map(|_| Some(1960i32)).collect::<Vec<_>>(),
                "death_year" => pick.iter().map(|r| r.3).collect::<Vec<_>>(),
                "professions" => professions,
                "artist_category" => pick.iter().map(|r| r.1).collect::<Vec<_>>(),
                "character_name" => pick.iter().map(|_| None::<&str>).collect::<Vec<_>>(),
            )
            .unwrap()
        };
        let films = df!("film_id" => ["tt1", "tt2"]).unwrap();
        let mut seen = Vec::new();
        for order in [[0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1]] {
            let (dim, bridge) = artists(cast(order), &films).unwrap();
            assert_eq!(bridge.height(), 4);
            let deaths: Vec<Option<i32>> = dim
                .column("death_year")
                .unwrap()
                .i32()
                .unwrap()
                .iter()
                .collect();
            let professions = dim
                .column("professions")
                .unwrap()
                .list()
                .unwrap()
                .get_as_series(1)
                .unwrap();
            seen.push((
                texts(&dim, "artist_name")
                    .into_iter()
                    .map(|n| n.map(String::from))
                    .collect::<Vec<_>>(),
                deaths,
                professions
                    .str()
                    .unwrap()
                    .iter()
                    .map(|p| p.map(String::from))
                    .collect::<Vec<_>>(),
            ));
        }
        // Rita: the latest death year of her rows, and all three professions.
        let known = |p: &[&str]| p.iter().map(|p| Some(p.to_string())).collect::<Vec<_>>();
        assert_eq!(
            seen[0],
            (
                vec![Some("Ana".to_string()), Some("Rita".to_string())],
                vec![Some(1990), Some(2010)],
                known(&["actress", "director", "writer"]),
            )
        );
        assert!(seen.iter().all(|s| *s == seen[0]), "{seen:?}");
    }

    fn texts<'a>(df: &'a DataFrame, column: &str) -> Vec<Option<&'a str>> {
        df.column(column).unwrap().str().unwrap().iter().collect()
    }

    fn error(t: &Tables) -> String {
        check(t).unwrap_err().to_string()
    }

    #[test]
    fn a_valid_schema_passes() {
        check(&valid()).unwrap();
    }

    #[test]
    fn a_repeated_or_null_key_fails_the_grain() {
        let mut t = valid();
        t.insert(
            Table::DimFilm,
            df!("film_id" => ["tt1", "tt2", "tt2"]).unwrap(),
        );
        assert_eq!(
            error(&t),
            "the star schema failed its checks: dim_film.film_id tt2 is not unique"
        );
        let mut t = valid();
        t.insert(
            Table::FactFilmSnapshot,
            df!(
                "film_id" => ["tt1", "tt1"],
                "collected_on" => ["2026-11-01", "2026-11-01"],
                "collected_on_key" => [20261101i32, 20261101],
                "release_date_key" => [20010101i32, 20010101],
            )
            .unwrap(),
        );
        assert_eq!(
            error(&t),
            "the star schema failed its checks: \
             fact_film_snapshot.(film_id, collected_on) tt1 2026-11-01 is not unique"
        );
        let mut t = valid();
        t.insert(
            Table::DimGenre,
            df!("genre_id" => [Some(18i64), None]).unwrap(),
        );
        assert!(
            error(&t).ends_with("dim_genre.genre_id has a null"),
            "{}",
            error(&t)
        );
    }

    #[test]
    fn a_key_missing_from_its_dimension_is_named() {
        let mut t = valid();
        t.insert(
            Table::BridgeFilmArtist,
            df!("film_id" => ["tt1"], "artist_key" => [7i64]).unwrap(),
        );
        assert!(
            error(&t).ends_with("bridge_film_artist.artist_key 7 is not in dim_artist.artist_key"),
            "{}",
            error(&t)
        );
        let mut t = valid();
        t.insert(
            Table::FactFilm,
            df!("film_id" => ["tt1", "tt2"], "release_date_key" => [20010101i32, 20020202])
                .unwrap(),
        );
        assert!(
            error(&t).ends_with("fact_film.release_date_key 20020202 is not in dim_date.date_key"),
            "{}",
            error(&t)
        );
        let mut t = valid();
        t.insert(
            Table::DimDate,
            df!("date_key" => [20010101i32, 20261101]).unwrap(),
        );
        assert!(
            error(&t).ends_with(
                "fact_film_snapshot.collected_on_key 20261001 is not in dim_date.date_key"
            ),
            "{}",
            error(&t)
        );
        let mut t = valid();
        t.remove(&Table::DimLanguage);
        assert!(error(&t).ends_with("dim_language missing"), "{}", error(&t));
    }
}
