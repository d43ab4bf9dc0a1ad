//! Tests every Refined rule on known values. A handful of hand-written Raw rows go
//! through the Trusted jobs into the star schema. They are movies.csv lines and TMDB
//! records from two collections. The schema is compared row for row with the tables
//! written out by hand below. Each film is there for a rule:
//!
//! | film | what it pins |
//! |---|---|
//! | tt0000001 | Two collections. The latest (2026-11-01) wins in `fact_film`, and both are rows of `fact_film_snapshot`. October's revenue 0 is unknown. The release date key is the film's, not October's other release date. A TMDB runtime of 0 gives way to the CSV's. Profit = revenue − budget. Two countries, one of them South American. |
//! | tt0000002 | Budget 1 and revenue 500 are placeholders, so they are unknown, and so is profit. No TMDB votes, so `tmdb_rating` is null. No release date, so no date key. Chile. |
//! | tt0000003 | A comedy TMDB was asked for by a wider event. The rule leaves it out. |
//! | tt0000004 | A 1999 drama. The rule leaves it out. |
//! | tt0000005 | Released 2000-01-01, the first day of the century. Budget 1,000 is the floor itself, so it is unknown. Revenue 1,001 is kept. Kosovo, and a country code nobody maps. |
//! | tt0000006 | A drama whose CSV has no release year. The rule cannot admit it, and ingestion never would. |
//! | tt0000007 | A US-led film with a Brazilian partner and no `origin_country`, in the shape of Armageddon Time. It is a co-production. A TMDB rating of 11.5 cannot be true, so it is null and counted. |
//! | tt0000008 | A Spanish-language film led from Chile with mostly foreign companies, in the shape of Una mujer fantástica. It is South American. A negative popularity is null and counted. |
//! | tt0000009 | A Brazilian-Argentine film. It is South American, as both countries are. Argentina's code comes as " ar" and is read as AR. |
//! | tt0000010 | `origin_country` US beside a Brazilian production country and Brazilian companies. The origin decides, so it is a co-production. |
//!
//! A second build with no year bound admits tt0000006 and shows the release-year
//! fallback. That is TMDB's date when the CSV has no year.

use cinelake_catalog::{Catalog, Databases, Table};
use cinelake_frames::table::read_table;
use cinelake_lake::Store;
use cinelake_lake::layout::{self, ProcessingDate};
use cinelake_lake::source::{CsvKind, MOVIES_HEADER};
use cinelake_refined::{Rules, SetAside};
use cinelake_rules::Selection;
use cinelake_trusted::{JobOptions, csv_job, tmdb_job};
use polars::prelude::*;

fn day(s: &str) -> ProcessingDate {
    s.parse().unwrap()
}

/// movies.csv has one line per title and artist, with `|` between fields and `\N` for
/// null.
const MOVIES: &[&str] = &[
    r"tt0000001|Um|Um|2010|100|Drama|7.5|2000|actress|Maria|Ana Lima|1970|\N|actress|tt0000001",
    r"tt0000001|Um|Um|2010|100|Drama|7.5|2000|actor|\N|Beto Souza|\N|\N|actor,director|tt0000001",
    r"tt0000002|Dos|Dos|2005|\N|Drama,Romance|6.0|150|actress|Rosa|Ana Lima|1970|\N|actress|tt0000001",
    r"tt0000003|Tres|Tres|2012|90|Comedy|8.0|5000|actor|Juan|Carlos Ruiz|1960|2020|actor|tt0000003",
    r"tt0000004|Cuatro|Cuatro|1999|110|Drama|7.0|3000|actor|Pedro|Carlos Ruiz|1960|2020|actor|tt0000003",
    r"tt0000005|Cinco|Cinco|2000|80|Crime,Drama|5.5|1200|actress|\N|Dora Pak|1980|\N|actress|\N",
    r"tt0000006|Seis|Seis|\N|\N|Drama|\N|\N|\N|\N|\N|\N|\N|\N|\N",
    r"tt0000007|Siete|Siete|2022|114|Drama|6.5|30000|\N|\N|\N|\N|\N|\N|\N",
    r"tt0000008|Ocho|Ocho|2017|104|Drama|7.2|40000|\N|\N|\N|\N|\N|\N|\N",
    r"tt0000009|Nueve|Nueve|2017|90|Drama|7.8|900|\N|\N|\N|\N|\N|\N|\N",
    r"tt0000010|Diez|Diez|2019|130|Drama|7.9|150000|\N|\N|\N|\N|\N|\N|\N",
    // A film of interest TMDB has no record of. It is counted in the IMDb files'
    // population.
    r"tt0000011|Once|Once|2021|95|Drama|6.9|500|\N|\N|\N|\N|\N|\N|\N",
];

/// A TMDB record: (id, IMDb id, title, release date), (budget, revenue, runtime),
/// (votes, average, popularity), countries, genres.
fn record(
    (id, imdb, title, release): (u64, &str, &str, &str),
    (budget, revenue, runtime): (i64, i64, i64),
    (votes, average, popularity): (i64, f64, f64),
    countries: &[(&str, &str)],
    genres: &[(i64, &str)],
) -> String {
    let countries: Vec<String> = countries
        .iter()
        .map(|(c, n)| format!(r#"{{"iso_3166_1":"{c}","name":"{n}"}}"#))
        .collect();
    let genres: Vec<String> = genres
        .iter()
        .map(|(i, n)| format!(r#"{{"id":{i},"name":"{n}"}}"#))
        .collect();
    format!(
        r#"{{"id":{id},"imdb_id":"{imdb}","title":"{title}","original_title":"{title}","original_language":"pt","overview":"","tagline":"","status":"Released","homepage":"","release_date":"{release}","runtime":{runtime},"budget":{budget},"revenue":{revenue},"popularity":{popularity},"vote_average":{average},"vote_count":{votes},"adult":false,"video":false,"poster_path":null,"backdrop_path":null,"belongs_to_collection":null,"genres":[{}],"production_companies":[],"production_countries":[{}],"spoken_languages":[{{"iso_639_1":"pt","english_name":"Portuguese","name":"Português"}}]}}"#,
        genres.join(","),
        countries.join(",")
    )
}

/// `record` with some fields replaced or added (`origin_country`, companies, language).
fn with(record: String, fields: serde_json::Value) -> String {
    let mut r: serde_json::Value = serde_json::from_str(&record).unwrap();
    for (k, v) in fields.as_object().unwrap() {
        r[k] = v.clone();
    }
    r.to_string()
}

fn companies(countries: &[&str]) -> serde_json::Value {
    countries
        .iter()
        .enumerate()
        .map(|(i, c)| serde_json::json!({"id": i, "name": format!("Company {i}"), "origin_country": c, "logo_path": null}))
        .collect()
}

async fn lake() -> (tempfile::TempDir, Store, Catalog, Databases) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().to_str().unwrap()).await.unwrap();
    let catalog = Catalog::open("local", &store).await.unwrap();
    let dbs = Databases::with_prefix("known");
    let csv = format!("{MOVIES_HEADER}\n{}\n", MOVIES.join("\n"));
    store
        .put(
            &layout::raw_csv_key(CsvKind::Movies, day("2026-11-01")),
            csv.into(),
        )
        .await
        .unwrap();
    let drama = [(18, "Drama")];
    // October's record of tt0000001 says another release date and no revenue yet.
    let october = [record(
        (101, "tt0000001", "Um", "2010-05-02"),
        (1_000_000, 0, 0),
        (10, 7.0, 2.0),
        &[("BR", "Brazil"), ("PT", "Portugal")],
        &drama,
    )];
    let november = [
        record(
            (101, "tt0000001", "Um", "2010-05-01"),
            (1_000_000, 3_000_000, 0),
            (12, 7.5, 3.5),
            &[("BR", "Brazil"), ("PT", "Portugal")],
            &drama,
        ),
        record(
            (102, "tt0000002", "Dos", ""),
            (1, 500, 95),
            (0, 5.0, 0.5),
            &[("CL", "Chile")],
            &[(18, "Drama"), (10749, "Romance")],
        ),
        record(
            (103, "tt0000003", "Tres", "2012-03-03"),
            (5_000_000, 1_000_000, 90),
            (50, 8.0, 9.0),
            &[("AR", "Argentina")],
            &[(35, "Comedy")],
        ),
        record(
            (104, "tt0000004", "Cuatro", "1999-12-31"),
            (2_000_000, 2_500_000, 110),
            (30, 7.0, 4.0),
            &[("PE", "Peru")],
            &drama,
        ),
        record(
            (105, "tt0000005", "Cinco", "2000-01-01"),
            (1000, 1001, 80),
            (5, 6.0, 1.0),
            &[("XK", "Kosovo"), ("QQ", "Nowhere")],
            &[(80, "Crime"), (18, "Drama")],
        ),
        record(
            (106, "tt0000006", "Seis", "2003-07-15"),
            (0, 0, 0),
            (1, 9.0, 0.1),
            &[("CO", "Colombia")],
            &drama,
        ),
        with(
            record(
                (107, "tt0000007", "Siete", "2022-10-28"),
                (0, 0, 114),
                (800, 11.5, 12.0),
                &[("BR", "Brazil"), ("US", "United States of America")],
                &drama,
            ),
            serde_json::json!({"original_language": "en",
                "production_companies": companies(&["BR", "US", "US", "US", "US"])}),
        ),
        with(
            record(
                (108, "tt0000008", "Ocho", "2017-04-06"),
                (0, 0, 104),
                (900, 7.3, -1.0),
                &[
                    ("CL", "Chile"),
                    ("DE", "Germany"),
                    ("US", "United States of America"),
                    ("ES", "Spain"),
                ],
                &drama,
            ),
            serde_json::json!({"original_language": "es",
                "production_companies": companies(&["DE", "US", "CL", "ES"])}),
        ),
        record(
            (109, "tt0000009", "Nueve", "2017-09-09"),
            (0, 0, 90),
            (3, 6.0, 0.8),
            &[("BR", "Brazil"), (" ar", "Argentina")],
            &drama,
        ),
        with(
            record(
                (110, "tt0000010", "Diez", "2019-06-01"),
                (0, 0, 130),
                (2000, 7.7, 30.0),
                &[("US", "United States of America"), ("BR", "Brazil")],
                &drama,
            ),
            serde_json::json!({"original_language": "pt", "origin_country": ["US"],
                "production_companies": companies(&["BR", "BR"])}),
        ),
    ];
    for (dt, records) in [("2026-10-01", &october[..]), ("2026-11-01", &november[..])] {
        store
            .put(
                &layout::raw_tmdb_json_key(day(dt), "known", 1),
                format!("[{}]", records.join(",")).into(),
            )
            .await
            .unwrap();
    }
    let opts = JobOptions {
        run_id: "known-tr".into(),
        databases: dbs.clone(),
        max_rejected_share: 0.0,
        chunk_rows: csv_job::CHUNK_ROWS,
        json_chunk_records: tmdb_job::JSON_CHUNK_RECORDS,
    };
    csv_job::run(&store, &catalog, CsvKind::Movies, None, &opts)
        .await
        .unwrap();
    tmdb_job::run(&store, &catalog, &opts).await.unwrap();
    (dir, store, catalog, dbs)
}

/// A table's rows as text, one line per row, in the table's own order. Values are joined
/// by `|`, and a null is `null`.
fn rows(df: &DataFrame) -> Vec<String> {
    (0..df.height())
        .map(|i| {
            df.columns()
                .iter()
                .map(|c| match c.get(i).unwrap() {
                    AnyValue::Null => "null".to_string(),
                    AnyValue::String(s) => s.to_string(),
                    AnyValue::StringOwned(s) => s.to_string(),
                    v => v.to_string(),
                })
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

async fn table(store: &Store, catalog: &Catalog, dbs: &Databases, t: Table) -> DataFrame {
    read_table(store, catalog, &dbs.refined, t.name())
        .await
        .unwrap()
}

fn expect(df: &DataFrame, name: &str, columns: &[&str], expected: &[&str]) {
    let names: Vec<&str> = df.get_column_names().iter().map(|c| c.as_str()).collect();
    assert_eq!(names, columns, "{name}'s columns");
    assert_eq!(rows(df), expected, "{name}'s rows");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_star_schema_of_known_rows() {
    let (_dir, store, catalog, dbs) = lake().await;
    let opts = cinelake_refined::RefinedOptions {
        run_id: "known-rf".into(),
        date: day("2026-11-01"),
        databases: dbs.clone(),
        rules: Rules::default(),
    };
    let run = cinelake_refined::run(&store, &catalog, &opts)
        .await
        .unwrap();
    assert_eq!(
        run.set_aside,
        SetAside {
            films_left_out: 3,
            placeholder_budgets: 2,
            placeholder_revenues: 1,
            impossible: [
                ("popularity".to_string(), 1),
                ("tmdb_rating".to_string(), 1)
            ]
            .into(),
        }
    );
    let t = |name: Table| table(&store, &catalog, &dbs, name);
    expect(
        &t(Table::FactFilm).await,
        "fact_film",
        &[
            "film_id",
            "release_date_key",
            "release_year",
            "imdb_rating",
            "imdb_votes",
            "tmdb_rating",
            "tmdb_votes",
            "popularity",
            "budget",
            "revenue",
            "profit",
            "runtime_minutes",
            "collected_on",
        ],
        &[
            // The November collection (12 votes, popularity 3.5), not October's. TMDB's
            // runtime 0 gives way to the CSV's 100.
            "tt0000001|20100501|2010|7.5|2000|7.5|12|3.5|1000000|3000000|2000000|100|2026-11-01",
            // Placeholders (1, 500) are unknown, and profit with them. No votes, no rating.
            "tt0000002|null|2005|6.0|150|null|0|0.5|null|null|null|95|2026-11-01",
            // 1,000 is the floor, so it is a placeholder. 1,001 is not.
            "tt0000005|20000101|2000|5.5|1200|6.0|5|1.0|null|1001|null|80|2026-11-01",
            // A TMDB rating of 11.5 cannot be true, so it is null.
            "tt0000007|20221028|2022|6.5|30000|null|800|12.0|null|null|null|114|2026-11-01",
            // Nor a negative popularity.
            "tt0000008|20170406|2017|7.2|40000|7.3|900|null|null|null|null|104|2026-11-01",
            "tt0000009|20170909|2017|7.8|900|6.0|3|0.8|null|null|null|90|2026-11-01",
            "tt0000010|20190601|2019|7.9|150000|7.7|2000|30.0|null|null|null|130|2026-11-01",
        ],
    );
    expect(
        &t(Table::DimFilm).await,
        "dim_film",
        &[
            "film_id",
            "tmdb_id",
            "title",
            "original_title",
            "imdb_title",
            "original_language_code",
            "release_date",
            "release_year",
            "status",
            "collection_name",
            "south_america_role",
            "south_america_role_basis",
        ],
        &[
            // Brazil and Portugal, with no company and no origin_country, make a
            // co-production.
            "tt0000001|101|Um|Um|Um|pt|2010-05-01|2010|Released|null|Co-production with South America|production countries, companies and language",
            "tt0000002|102|Dos|Dos|Dos|pt|null|2005|Released|null|South American|production countries, companies and language",
            "tt0000005|105|Cinco|Cinco|Cinco|pt|2000-01-01|2000|Released|null|Not South American|production countries, companies and language",
            // One Brazilian company beside four US ones, in English.
            "tt0000007|107|Siete|Siete|Siete|en|2022-10-28|2022|Released|null|Co-production with South America|production countries, companies and language",
            // Spanish, and the Chilean company as many as any other country's.
            "tt0000008|108|Ocho|Ocho|Ocho|es|2017-04-06|2017|Released|null|South American|production countries, companies and language",
            "tt0000009|109|Nueve|Nueve|Nueve|pt|2017-09-09|2017|Released|null|South American|production countries, companies and language",
            // origin_country US decides, whatever the companies say.
            "tt0000010|110|Diez|Diez|Diez|pt|2019-06-01|2019|Released|null|Co-production with South America|origin_country",
        ],
    );
    expect(
        &t(Table::DimDate).await,
        "dim_date",
        &[
            "date_key",
            "date",
            "year",
            "quarter",
            "month",
            "decade",
            "is_21st_century",
        ],
        &[
            "20000101|2000-01-01|2000|1|1|2000|true",
            "20100501|2010-05-01|2010|2|5|2010|true",
            "20170406|2017-04-06|2017|2|4|2010|true",
            "20170909|2017-09-09|2017|3|9|2010|true",
            "20190601|2019-06-01|2019|2|6|2010|true",
            "20221028|2022-10-28|2022|4|10|2020|true",
            // The collection dates, which fact_film_snapshot points at.
            "20261001|2026-10-01|2026|4|10|2020|true",
            "20261101|2026-11-01|2026|4|11|2020|true",
        ],
    );
    expect(
        &t(Table::FactFilmSnapshot).await,
        "fact_film_snapshot",
        &[
            "film_id",
            "collected_on",
            "collected_on_key",
            "release_date_key",
            "popularity",
            "tmdb_votes",
            "tmdb_rating",
            "revenue",
        ],
        &[
            // October. Revenue 0 is unknown. The release date key is the film's
            // (2010-05-01, from the latest collection), not October's 2010-05-02.
            "tt0000001|2026-10-01|20261001|20100501|2.0|10|7.0|null",
            // November: the fact_film row's figures.
            "tt0000001|2026-11-01|20261101|20100501|3.5|12|7.5|3000000",
            // No votes, no rating. Revenue 500 is under the floor. No release date.
            "tt0000002|2026-11-01|20261101|null|0.5|0|null|null",
            "tt0000005|2026-11-01|20261101|20000101|1.0|5|6.0|1001",
            "tt0000007|2026-11-01|20261101|20221028|12.0|800|null|null",
            "tt0000008|2026-11-01|20261101|20170406|null|900|7.3|null",
            "tt0000009|2026-11-01|20261101|20170909|0.8|3|6.0|null",
            "tt0000010|2026-11-01|20261101|20190601|30.0|2000|7.7|null",
        ],
    );
    expect(
        &t(Table::DimCountry).await,
        "dim_country",
        &[
            "country_code",
            "country_name",
            "continent",
            "is_south_america",
        ],
        &[
            "AR|Argentina|South America|true",
            "BR|Brazil|South America|true",
            "CL|Chile|South America|true",
            "DE|Germany|Europe|false",
            "ES|Spain|Europe|false",
            "PT|Portugal|Europe|false",
            "QQ|Nowhere|Unknown|false",
            "US|United States of America|North America|false",
            "XK|Kosovo|Europe|false",
        ],
    );
    expect(
        &t(Table::DimGenre).await,
        "dim_genre",
        &["genre_id", "genre_name"],
        &["18|Drama", "80|Crime", "10749|Romance"],
    );
    expect(
        &t(Table::DimLanguage).await,
        "dim_language",
        &["language_code", "english_name", "native_name"],
        &["pt|Portuguese|Português"],
    );
    // Artists are (name, birth year), keyed in that order, nulls last. Ana Lima is in
    // two films and is one artist. Carlos Ruiz's films are both left out.
    expect(
        &t(Table::DimArtist).await,
        "dim_artist",
        &[
            "artist_key",
            "artist_name",
            "birth_year",
            "death_year",
            "professions",
        ],
        &[
            r#"0|Ana Lima|1970|null|["actress"]"#,
            r#"1|Beto Souza|null|null|["actor", "director"]"#,
            r#"2|Dora Pak|1980|null|["actress"]"#,
        ],
    );
    expect(
        &t(Table::BridgeFilmArtist).await,
        "bridge_film_artist",
        &["film_id", "artist_key", "artist_category", "character_name"],
        &[
            "tt0000001|0|actress|Maria",
            "tt0000001|1|actor|null",
            "tt0000002|0|actress|Rosa",
            "tt0000005|2|actress|null",
        ],
    );
    expect(
        &t(Table::BridgeFilmCountry).await,
        "bridge_film_country",
        &["film_id", "country_code"],
        &[
            "tt0000001|BR",
            "tt0000001|PT",
            "tt0000002|CL",
            "tt0000005|QQ",
            "tt0000005|XK",
            "tt0000007|BR",
            "tt0000007|US",
            "tt0000008|CL",
            "tt0000008|DE",
            "tt0000008|ES",
            "tt0000008|US",
            "tt0000009|AR",
            "tt0000009|BR",
            "tt0000010|BR",
            "tt0000010|US",
        ],
    );
    expect(
        &t(Table::BridgeFilmGenre).await,
        "bridge_film_genre",
        &["film_id", "genre_id"],
        &[
            "tt0000001|18",
            "tt0000002|18",
            "tt0000002|10749",
            "tt0000005|18",
            "tt0000005|80",
            "tt0000007|18",
            "tt0000008|18",
            "tt0000009|18",
            "tt0000010|18",
        ],
    );
    expect(
        &t(Table::BridgeFilmLanguage).await,
        "bridge_film_language",
        &["film_id", "language_code"],
        &[
            "tt0000001|pt",
            "tt0000002|pt",
            "tt0000005|pt",
            "tt0000007|pt",
            "tt0000008|pt",
            "tt0000009|pt",
            "tt0000010|pt",
        ],
    );

    // The population and what the rules set aside, as the dashboards read them. There
    // are eight films of interest in the IMDb files, tt0000011 among them without TMDB
    // details. Seven are in the fact.
    expect(
        &t(Table::FilmCounts)
            .await
            .select(["count_name", "films"])
            .unwrap(),
        "film_counts",
        &["count_name", "films"],
        &[
            "films_of_interest_imdb|8",
            "films_with_tmdb|7",
            "films_left_out|3",
            "placeholder_budgets|2",
            "placeholder_revenues|1",
            "impossible_popularity|1",
            "impossible_tmdb_rating|1",
        ],
    );

    // The rule is in the run's manifest and in every table's description.
    let manifest: serde_json::Value = serde_json::from_slice(
        &store
            .get(&layout::run_manifest_key("refined", "known-rf"))
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        manifest["rules"]["films_of_interest"],
        "films with genre Drama, released 2000 or later"
    );
    assert_eq!(manifest["counts"]["films_left_out"], 3);
    assert_eq!(manifest["counts"]["placeholder_budgets"], 2);
    assert_eq!(manifest["counts"]["placeholder_revenues"], 1);
    assert_eq!(manifest["counts"]["impossible_tmdb_rating"], 1);
    assert_eq!(manifest["counts"]["impossible_popularity"], 1);
    assert!(
        manifest["rules"]["south_america_role"]
            .as_str()
            .unwrap()
            .contains("origin_country")
    );
    for name in Table::REFINED {
        let def = catalog
            .get_table(&dbs.refined, name.name())
            .await
            .unwrap()
            .unwrap();
        let description = def.description.unwrap_or_default();
        assert!(
            description
                .contains("Films of interest: films with genre Drama, released 2000 or later.")
                && description.contains("of at most 1000 USD"),
            "{}: {description}",
            name.name()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_year_bound_the_release_year_falls_back_to_tmdb() {
    let (_dir, store, catalog, dbs) = lake().await;
    let rules = Rules {
        selection: Selection {
            genres: vec!["drama".into()],
            min_year: None,
            max_year: None,
        },
        money_floor_usd: 1000,
    };
    let run = cinelake_refined::build(&store, &catalog, &dbs, "known-all", &rules)
        .await
        .unwrap();
    // Only the comedy is left out now.
    assert_eq!(run.set_aside.films_left_out, 1);
    let fact = table(&store, &catalog, &dbs, Table::FactFilm).await;
    let fact = rows(&fact);
    assert!(
        fact.contains(
            &"tt0000004|19991231|1999|7.0|3000|7.0|30|4.0|2000000|2500000|500000|110|2026-11-01"
                .to_string()
        ),
        "{fact:#?}"
    );
    // No year in the CSV, so TMDB's release date gives 2003. There are no IMDb figures,
    // and 0 is unknown.
    assert!(
        fact.contains(
            &"tt0000006|20030715|2003|null|null|9.0|1|0.1|null|null|null|null|2026-11-01"
                .to_string()
        ),
        "{fact:#?}"
    );
    let dates = rows(&table(&store, &catalog, &dbs, Table::DimDate).await);
    assert_eq!(
        dates,
        [
            "19991231|1999-12-31|1999|4|12|1990|false",
            "20000101|2000-01-01|2000|1|1|2000|true",
            "20030715|2003-07-15|2003|3|7|2000|true",
            "20100501|2010-05-01|2010|2|5|2010|true",
            "20170406|2017-04-06|2017|2|4|2010|true",
            "20170909|2017-09-09|2017|3|9|2010|true",
            "20190601|2019-06-01|2019|2|6|2010|true",
            "20221028|2022-10-28|2022|4|10|2020|true",
            "20261001|2026-10-01|2026|4|10|2020|true",
            "20261101|2026-11-01|2026|4|11|2020|true",
        ]
    );
}

/// The views over the same known rows, as the dashboards read them. Each case of the
/// table above shows where an analyst would see it.
#[tokio::test(flavor = "multi_thread")]
async fn the_views_over_known_rows() {
    let (_dir, store, catalog, dbs) = lake().await;
    let opts = cinelake_refined::RefinedOptions {
        run_id: "known-views".into(),
        date: day("2026-11-01"),
        databases: dbs.clone(),
        rules: Rules::default(),
    };
    cinelake_refined::run(&store, &catalog, &opts)
        .await
        .unwrap();
    cinelake_query::sources::publish_sources(&store, &catalog, &dbs)
        .await
        .unwrap();
    let mut engine = cinelake_query::engine::Engine::load(&store, &catalog, &dbs)
        .await
        .unwrap();
    let mut ask = |sql: &str| rows(&engine.query(sql).unwrap());

    // A film has one region on all its rows. The US-led film with a Brazilian partner
    // (tt7) and the film whose origin is the US (tt10) are co-productions. The
    // Chile-led film with mostly foreign companies (tt8) and the Brazilian-Argentine
    // film (tt9) are South American.
    assert_eq!(
        ask(
            "SELECT film_id, region, COUNT(*) AS country_rows FROM v_film_country \
             GROUP BY film_id, region ORDER BY film_id"
        ),
        [
            "tt0000001|Co-production with South America|2",
            "tt0000002|South America|1",
            "tt0000005|Rest of the world|2",
            "tt0000007|Co-production with South America|2",
            "tt0000008|South America|4",
            "tt0000009|South America|2",
            "tt0000010|Co-production with South America|2",
        ]
    );
    // country_order numbers a film's rows by country code, for one value per film.
    assert_eq!(
        ask("SELECT country_code, country_order FROM v_film_country \
             WHERE film_id = 'tt0000008' ORDER BY country_order"),
        ["CL|1", "DE|2", "ES|3", "US|4"]
    );
    // A code sent as " ar" is Argentina, in South America, like the role says.
    assert_eq!(
        ask(
            "SELECT country_code, is_south_america, continent FROM v_film_country \
             WHERE film_id = 'tt0000009' ORDER BY country_code"
        ),
        ["AR|true|South America", "BR|true|South America"]
    );
    // 2017 has two South American films. Each counts once, though they have six
    // production countries between them. Only tt8 has the 1,000 votes a rating needs,
    // and one rated film is under the three a mean needs.
    assert_eq!(
        ask(
            "SELECT region, films, imdb_rated_films, avg_imdb_rating FROM v_region_year \
             WHERE release_year = 2017 ORDER BY region"
        ),
        ["South America|2|1|null"]
    );
    // The best films need a rating of 7.0 and 1,000 votes: tt9 (7.8, 900 votes) is
    // under the vote floor, and tt7 (6.5) under the rating.
    assert_eq!(
        ask("SELECT film_id, imdb_rating, imdb_votes FROM v_best_films ORDER BY film_id"),
        [
            "tt0000001|7.5|2000",
            "tt0000008|7.2|40000",
            "tt0000010|7.9|150000",
        ]
    );
    // Budget against gross needs both known: tt5's budget is the floor itself, so
    // only tt1 is left.
    assert_eq!(
        ask("SELECT DISTINCT film_id, budget, revenue FROM v_budget_revenue ORDER BY film_id"),
        ["tt0000001|1000000|3000000"]
    );
}
