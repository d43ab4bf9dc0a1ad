//! Tests the TMDB job and the whole Trusted stage.
//!
//! The TMDB job writes one typed partition per collection date and quarantines what it
//! cannot read. The whole Trusted stage is registered in Glue (moto) over S3 (SeaweedFS).

use cinelake_catalog::{Catalog, Databases, GlueCatalog, Table};
use cinelake_frames::table::read_table;
use cinelake_lake::Store;
use cinelake_lake::layout::{self, ProcessingDate};
use cinelake_lake::source::{CsvKind, MOVIES_HEADER};
use cinelake_testkit::{S3Server, glue_client, s3_lake};
use cinelake_trusted::{JobOptions, csv_job, tmdb_job};
use polars::prelude::*;

fn opts(run: &str, prefix: &str) -> JobOptions {
    JobOptions {
        run_id: run.into(),
        databases: Databases::with_prefix(prefix),
        max_rejected_share: 0.5,
        chunk_rows: cinelake_trusted::csv_job::CHUNK_ROWS,
        json_chunk_records: cinelake_trusted::tmdb_job::JSON_CHUNK_RECORDS,
    }
}

async fn lake() -> (tempfile::TempDir, Store, Catalog) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().to_str().unwrap()).await.unwrap();
    let catalog = Catalog::open("local", &store).await.unwrap();
    (dir, store, catalog)
}

fn day(s: &str) -> ProcessingDate {
    s.parse().unwrap()
}

const A: &str = r#"{"adult":false,"backdrop_path":"","belongs_to_collection":{"id":9,"name":"Saga","poster_path":null,"backdrop_path":null},"budget":1000000,"genres":[{"id":18,"name":"Drama"},{"id":35,"name":"Comédia"}],"homepage":"","id":11,"imdb_id":"tt0000011","original_language":"pt","original_title":"Um","overview":"","popularity":3.5,"poster_path":null,"production_companies":[{"id":1,"logo_path":null,"name":"Filmes","origin_country":"BR"}],"production_countries":[{"iso_3166_1":"BR","name":"Brazil"},{"iso_3166_1":"AR","name":"Argentina"}],"release_date":"2010-05-01","revenue":3000000,"runtime":100,"spoken_languages":[{"english_name":"Portuguese","iso_639_1":"pt","name":"Português"}],"status":"Released","tagline":"","title":"Um","video":false,"vote_average":7,"vote_count":10}"#;
const B: &str = r#"{"adult":false,"backdrop_path":null,"belongs_to_collection":null,"budget":0,"genres":[],"homepage":"","id":12,"imdb_id":"tt0000012","original_language":"es","original_title":"Dos","overview":"x","popularity":1.25,"poster_path":null,"production_companies":[],"production_countries":[],"release_date":"","revenue":0,"runtime":0,"spoken_languages":[],"status":"Released","tagline":"","title":"Dos","video":false,"vote_average":0.0,"vote_count":0}"#;

#[tokio::test(flavor = "multi_thread")]
async fn partitions_by_collection_date_typed_and_deduplicated() {
    let (_d, store, catalog) = lake().await;
    let b2 = B.replace("\"title\":\"Dos\"", "\"title\":\"Dos (again)\"");
    store
        .put(
            &layout::raw_tmdb_json_key(day("2026-10-01"), "r", 1),
            format!("[{A},{B}]").into(),
        )
        .await
        .unwrap();
    store
        .put(
            &layout::raw_tmdb_json_key(day("2026-11-01"), "r", 1),
            format!("[{B}]").into(),
        )
        .await
        .unwrap();
    store
        .put(
            &layout::raw_tmdb_json_key(day("2026-11-01"), "r", 2),
            format!("[{b2}]").into(),
        )
        .await
        .unwrap();
    let reports = tmdb_job::run(&store, &catalog, &opts("t1", "cinelake"))
        .await
        .unwrap();
    assert_eq!(reports.len(), 2);
    assert_eq!(
        (reports[1].rows_in, reports[1].rows_out, reports[1].rejected),
        (2, 1, 0),
        "one row per id per dt"
    );
    let parts = catalog
        .partitions("cinelake_trusted", Table::TmdbMovies.name())
        .await
        .unwrap();
    let values: Vec<&str> = parts.iter().map(|p| p.values[0].as_str()).collect();
    assert_eq!(values, ["2026-10-01", "2026-11-01"]);
    assert!(
        parts[0]
            .location
            .ends_with("Trusted/TMDB/Parquet/Movies/dt=2026-10-01/t1/"),
        "{}",
        parts[0].location
    );

    let df = read_table(
        &store,
        &catalog,
        "cinelake_trusted",
        Table::TmdbMovies.name(),
    )
    .await
    .unwrap();
    assert_eq!(df.height(), 3);
    let df = df.sort(["dt", "tmdb_id"], Default::default()).unwrap();
    let s = |c: &str, i: usize| {
        df.column(c)
            .unwrap()
            .str()
            .unwrap()
            .get(i)
            .map(str::to_string)
    };
    assert_eq!(
        s("title", 2).as_deref(),
        Some("Dos (again)"),
        "the last record of a dt wins"
    );
    assert_eq!(s("homepage", 0), None, "empty string is null");
    assert_eq!(s("collection_name", 0).as_deref(), Some("Saga"));
    assert_eq!(df.column("release_date").unwrap().dtype(), &DataType::Date);
    assert!(
        df.column("release_date").unwrap().get(1).unwrap().is_null(),
        "empty date is null"
    );
    assert_eq!(
        df.column("vote_average").unwrap().f64().unwrap().get(0),
        Some(7.0)
    );
    assert_eq!(
        df.column("runtime_minutes").unwrap().i32().unwrap().get(0),
        Some(100)
    );
    let countries = df
        .column("production_countries")
        .unwrap()
        .list()
        .unwrap()
        .get_as_series(0)
        .unwrap();
    assert_eq!(countries.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn broken_files_and_records_without_id_are_quarantined() {
    let (_d, store, catalog) = lake().await;
    let d = day("2026-11-01");
    store
        .put(
            &layout::raw_tmdb_json_key(d, "r", 1),
            format!("[{A},{{\"title\":\"no id\"}},{B}]").into(),
        )
        .await
        .unwrap();
    store
        .put(
            &layout::raw_tmdb_json_key(d, "r", 2),
            "[{\"id\": 1, \"title\": \"cut".into(),
        )
        .await
        .unwrap();
    let reports = tmdb_job::run(&store, &catalog, &opts("t1", "cinelake"))
        .await
        .unwrap();
    let r = &reports[0];
    assert_eq!((r.rows_in, r.rows_out, r.rejected), (4, 2, 2));
    let rejects = String::from_utf8(
        store
            .get(r.rejects_key.as_deref().unwrap())
            .await
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    let rows: Vec<serde_json::Value> = rejects
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows[0]["source"], "Raw/TMDB/JSON/2026/11/01/r-00001.json");
    assert_eq!(rows[0]["position"], 1);
    assert!(rows[0]["reason"].as_str().unwrap().contains("without id"));
    assert_eq!(rows[1]["source"], "Raw/TMDB/JSON/2026/11/01/r-00002.json");
    assert!(
        rows[1]["reason"]
            .as_str()
            .unwrap()
            .starts_with("not a JSON array"),
        "{}",
        rows[1]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrongly_typed_field_quarantines_its_record_not_the_collection() {
    let (_d, store, catalog) = lake().await;
    let d = day("2026-11-01");
    let budget_as_text = A.replace("\"budget\":1000000", "\"budget\":\"1000\"");
    let genres_as_text = B.replace("\"genres\":[]", "\"genres\":\"Drama\"");
    let c = B
        .replace("\"id\":12", "\"id\":13")
        .replace("tt0000012", "tt0000013")
        .replace("\"release_date\":\"\"", "\"release_date\":\"2005-13-45\"");
    store
        .put(
            &layout::raw_tmdb_json_key(d, "r", 1),
            format!("[{budget_as_text},{B}]").into(),
        )
        .await
        .unwrap();
    store
        .put(
            &layout::raw_tmdb_json_key(d, "r", 2),
            format!("[{c},{genres_as_text}]").into(),
        )
        .await
        .unwrap();
    let reports = tmdb_job::run(&store, &catalog, &opts("t1", "cinelake"))
        .await
        .unwrap();
    let r = &reports[0];
    // B is there twice, once as is and once with genres as text. The text one is refused.
    assert_eq!((r.rows_in, r.rows_out, r.rejected, r.nulled), (4, 2, 2, 1));
    let rejects = String::from_utf8(
        store
            .get(r.rejects_key.as_deref().unwrap())
            .await
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    let rows: Vec<serde_json::Value> = rejects
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3, "{rejects}");
    assert_eq!(rows[0]["source"], "Raw/TMDB/JSON/2026/11/01/r-00001.json");
    assert_eq!(rows[0]["position"], 0);
    assert_eq!(
        rows[0]["reason"],
        r#"budget: "1000" is a string, not a whole number"#
    );
    assert!(rows[0]["raw"].as_str().unwrap().contains("\"id\":11"));
    assert_eq!(rows[1]["source"], "Raw/TMDB/JSON/2026/11/01/r-00002.json");
    assert_eq!(rows[1]["position"], 1);
    assert_eq!(
        rows[1]["reason"],
        r#"genres: "Drama" is a string, not an array"#
    );
    assert_eq!(rows[2]["position"], 0);
    assert_eq!(rows[2]["kept"], true);
    assert!(
        rows[2]["reason"].as_str().unwrap().contains("2005-13-45"),
        "{}",
        rows[2]
    );
    assert!(rows[0].get("kept").is_none());

    let df = read_table(&store, &catalog, "cinelake_trusted", "tmdb_movies")
        .await
        .unwrap();
    let mut ids: Vec<i64> = df
        .column("tmdb_id")
        .unwrap()
        .i64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    ids.sort();
    assert_eq!(ids, [12, 13]);
    let dates = df.column("release_date").unwrap();
    assert_eq!(dates.null_count(), 2, "B has none, 13's is impossible");
}

/// Every key under Trusted/ with its size, and the TMDB table's catalog entry.
async fn trusted_state(store: &Store, catalog: &Catalog) -> (Vec<(String, u64)>, String) {
    let keys = store
        .list("Trusted/")
        .await
        .unwrap()
        .into_iter()
        .map(|o| (o.key, o.size))
        .collect();
    let parts = catalog
        .partitions("cinelake_trusted", Table::TmdbMovies.name())
        .await
        .unwrap();
    (keys, format!("{parts:?}"))
}

/// (dt, converted or not, the version folder the partition points at).
fn outcome(reports: &[cinelake_trusted::TableReport]) -> Vec<(String, bool, String)> {
    reports
        .iter()
        .map(|r| {
            let dt = r.table.rsplit_once("dt=").unwrap().1.to_string();
            let version = r.location.trim_end_matches('/').rsplit('/').next().unwrap();
            (dt, !r.unchanged, version.to_string())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn only_new_or_changed_collections_are_converted() {
    let (_d, store, catalog) = lake().await;
    let put = |dt: &str, run: &str, body: String| {
        let key = layout::raw_tmdb_json_key(day(dt), run, 1);
        let store = store.clone();
        async move { store.put(&key, body.into()).await.unwrap() }
    };
    put("2026-10-01", "r1", format!("[{A}]")).await;
    put("2026-11-01", "r1", format!("[{A},{B}]")).await;
    let only_tmdb = |run: &str| cinelake_trusted::TrustedOptions {
        jobs: opts(run, "cinelake"),
        date: day("2026-11-01"),
        source_date: None,
        only: vec![cinelake_trusted::TrustedJob::Tmdb],
    };
    let t =
        |dt: &str, converted: bool, version: &str| (dt.to_string(), converted, version.to_string());

    let first = cinelake_trusted::run(&store, &catalog, &only_tmdb("t1"))
        .await
        .unwrap();
    assert_eq!(
        outcome(&first),
        [t("2026-10-01", true, "t1"), t("2026-11-01", true, "t1")]
    );
    let before = trusted_state(&store, &catalog).await;

    // The same Raw files again. Nothing is read or written, and the report says so.
    let second = cinelake_trusted::run(&store, &catalog, &only_tmdb("t2"))
        .await
        .unwrap();
    assert_eq!(
        outcome(&second),
        [t("2026-10-01", false, "t1"), t("2026-11-01", false, "t1")]
    );
    assert!(
        second
            .iter()
            .all(|r| r.source.is_empty() && r.rows_out == 0)
    );
    assert_eq!(
        trusted_state(&store, &catalog).await,
        before,
        "Trusted is untouched"
    );
    let manifest: serde_json::Value = serde_json::from_slice(
        &store
            .get(&layout::run_manifest_key("trusted", "t2"))
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["counts"]["partitions_unchanged"], 2, "{manifest}");
    assert_eq!(
        manifest["inputs"].as_array().unwrap().len(),
        0,
        "{manifest}"
    );

    // Another ingestion round of 2026-10-01 adds a file. That dt alone is converted,
    // from both its files.
    put("2026-10-01", "r2", format!("[{B}]")).await;
    let third = tmdb_job::run(&store, &catalog, &opts("t3", "cinelake"))
        .await
        .unwrap();
    assert_eq!(
        outcome(&third),
        [t("2026-10-01", true, "t3"), t("2026-11-01", false, "t1")]
    );
    assert_eq!((third[0].rows_in, third[0].rows_out), (2, 2));
    assert_eq!(third[0].source.len(), 2);

    // A new collection converts only itself.
    put("2026-12-01", "r3", format!("[{B}]")).await;
    let fourth = tmdb_job::run(&store, &catalog, &opts("t4", "cinelake"))
        .await
        .unwrap();
    assert_eq!(
        outcome(&fourth),
        [
            t("2026-10-01", false, "t3"),
            t("2026-11-01", false, "t1"),
            t("2026-12-01", true, "t4")
        ]
    );
    let df = read_table(
        &store,
        &catalog,
        "cinelake_trusted",
        Table::TmdbMovies.name(),
    )
    .await
    .unwrap();
    let per_dt = df
        .lazy()
        .group_by([col("dt")])
        .agg([len().alias("n")])
        .sort(["dt"], Default::default())
        .collect()
        .unwrap();
    assert_eq!(
        per_dt.column("n").unwrap().u32().unwrap().to_vec(),
        [Some(2), Some(2), Some(1)],
        "every collection stays in its partition, once"
    );

    // A partition whose catalog entry has no note is converted again, and gets one. An
    // entry written before notes were kept has no note.
    let db = "cinelake_trusted";
    let mut p = catalog
        .partitions(db, Table::TmdbMovies.name())
        .await
        .unwrap()
        .remove(1);
    p.parameters.clear();
    catalog
        .put_partition(db, Table::TmdbMovies.name(), &p)
        .await
        .unwrap();
    let fifth = tmdb_job::run(&store, &catalog, &opts("t5", "cinelake"))
        .await
        .unwrap();
    assert_eq!(
        outcome(&fifth),
        [
            t("2026-10-01", false, "t3"),
            t("2026-11-01", true, "t5"),
            t("2026-12-01", false, "t4")
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_raw_folder_is_a_clear_error() {
    let (_d, store, catalog) = lake().await;
    let err = tmdb_job::run(&store, &catalog, &opts("t", "cinelake"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("run tmdb-ingest first"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the real sample data: set CINELAKE_SAMPLES (scripts/test runs it with --include-ignored when the samples are there)"]
async fn real_samples_of_tmdb() {
    let samples = cinelake_testkit::samples_dir();
    let (_d, store, catalog) = lake().await;
    let mut records = 0;
    for entry in std::fs::read_dir(samples.join("tmdb")).unwrap() {
        let path = entry.unwrap().path();
        let body = std::fs::read(&path).unwrap();
        records += serde_json::from_slice::<Vec<serde_json::Value>>(&body)
            .unwrap()
            .len() as u64;
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        store
            .put(
                &format!("Raw/TMDB/JSON/2025/05/01/{name}.json"),
                body.into(),
            )
            .await
            .unwrap();
    }
    let reports = tmdb_job::run(&store, &catalog, &opts("t1", "cinelake"))
        .await
        .unwrap();
    assert_eq!(reports[0].rows_in, records);
    assert_eq!(reports[0].rejected, 0);
    assert_eq!(reports[0].nulled, 0, "every real release date is a date");
    let df = read_table(
        &store,
        &catalog,
        "cinelake_trusted",
        Table::TmdbMovies.name(),
    )
    .await
    .unwrap();
    let one = df
        .clone()
        .lazy()
        .filter(col("tmdb_id").eq(lit(467254i64)))
        .collect()
        .unwrap();
    assert_eq!(one.height(), 1);
    let s = |c: &str| {
        one.column(c)
            .unwrap()
            .str()
            .unwrap()
            .get(0)
            .map(str::to_string)
    };
    assert_eq!(s("imdb_id").as_deref(), Some("tt0100275"));
    assert_eq!(s("title").as_deref(), Some("La telenovela errante"));
    assert_eq!(s("original_language").as_deref(), Some("es"));
    assert_eq!(s("homepage"), None);
    assert_eq!(
        one.column("release_date")
            .unwrap()
            .get(0)
            .unwrap()
            .to_string(),
        "2017-08-10"
    );
    assert_eq!(
        one.column("vote_average").unwrap().f64().unwrap().get(0),
        Some(6.6)
    );
    assert_eq!(
        one.column("vote_count").unwrap().i64().unwrap().get(0),
        Some(12)
    );
    assert_eq!(
        one.column("runtime_minutes").unwrap().i32().unwrap().get(0),
        Some(80)
    );
    let countries = one
        .column("production_countries")
        .unwrap()
        .list()
        .unwrap()
        .get_as_series(0)
        .unwrap();
    let codes = countries
        .struct_()
        .unwrap()
        .field_by_name("iso_3166_1")
        .unwrap();
    assert_eq!(codes.str().unwrap().get(0), Some("CL"));
}

#[tokio::test(flavor = "multi_thread")]
async fn trusted_on_s3_registered_in_glue() {
    cinelake_testkit::needs!(SeaweedFs, Moto);
    let (store, _, bucket) = s3_lake(S3Server::SeaweedFs).await;
    let catalog = Catalog::Glue(GlueCatalog::from_client(glue_client()));
    let prefix = format!("t{}", bucket.replace('-', "_"));
    store
        .put(&layout::raw_csv_key(CsvKind::Movies, day("2026-11-01")), format!("{MOVIES_HEADER}\ntt0000011|Um|Um|2010|100|Drama|7.1|1500|actor|\\N|Ana Silva|1970|\\N|actor|tt0000011\n").into())
        .await
        .unwrap();
    store
        .put(
            &layout::raw_tmdb_json_key(day("2026-11-01"), "r", 1),
            format!("[{A}]").into(),
        )
        .await
        .unwrap();
    let o = opts("g1", &prefix);
    csv_job::run(&store, &catalog, CsvKind::Movies, None, &o)
        .await
        .unwrap();
    tmdb_job::run(&store, &catalog, &o).await.unwrap();
    // A second run moves the CSV table to a new version, registered in place. The TMDB
    // partition's Raw files are those it was converted from, as its Glue entry notes. So
    // the partition stays as it is.
    let o2 = opts("g2", &prefix);
    csv_job::run(&store, &catalog, CsvKind::Movies, None, &o2)
        .await
        .unwrap();
    let again = tmdb_job::run(&store, &catalog, &o2).await.unwrap();
    assert!(again[0].unchanged, "{again:?}");

    let db = format!("{prefix}_trusted");
    let movies = catalog.get_table(&db, "movies").await.unwrap().unwrap();
    assert_eq!(movies.table_type, "EXTERNAL_TABLE");
    assert_eq!(
        movies.storage_descriptor.location,
        format!("s3://{bucket}/Trusted/Local/Parquet/Movies/g2/")
    );
    assert_eq!(
        movies.storage_descriptor.serde_info.serialization_library,
        "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    );
    assert_eq!(movies.storage_descriptor.columns[3].name, "release_year");
    assert_eq!(movies.storage_descriptor.columns[3].r#type, "int");
    let tmdb = catalog
        .get_table(&db, Table::TmdbMovies.name())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tmdb.partition_keys[0].name, "dt");
    assert_eq!(
        tmdb.storage_descriptor.location,
        format!("s3://{bucket}/Trusted/TMDB/Parquet/Movies/")
    );
    let genres = tmdb
        .storage_descriptor
        .columns
        .iter()
        .find(|c| c.name == "genres")
        .unwrap();
    assert_eq!(genres.r#type, "array<struct<id:bigint,name:string>>");
    let parts = catalog
        .partitions(&db, Table::TmdbMovies.name())
        .await
        .unwrap();
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].values, ["2026-11-01"]);
    assert_eq!(
        parts[0].location,
        format!("s3://{bucket}/Trusted/TMDB/Parquet/Movies/dt=2026-11-01/g1/")
    );
    assert_eq!(
        parts[0]
            .parameters
            .get("cinelake.raw_last_key")
            .map(String::as_str),
        Some("Raw/TMDB/JSON/2026/11/01/r-00001.json")
    );
    // A file is added to the folder, which is then converted again, to a new version.
    store
        .put(
            &layout::raw_tmdb_json_key(day("2026-11-01"), "s", 1),
            format!("[{B}]").into(),
        )
        .await
        .unwrap();
    let third = tmdb_job::run(&store, &catalog, &opts("g3", &prefix))
        .await
        .unwrap();
    assert_eq!((third[0].unchanged, third[0].rows_out), (false, 2));
    let parts = catalog
        .partitions(&db, Table::TmdbMovies.name())
        .await
        .unwrap();
    assert_eq!(
        parts[0].location,
        format!("s3://{bucket}/Trusted/TMDB/Parquet/Movies/dt=2026-11-01/g3/")
    );
    let df = read_table(&store, &catalog, &db, Table::TmdbMovies.name())
        .await
        .unwrap();
    assert_eq!(df.height(), 2, "one copy of every row after three runs");
}

#[tokio::test(flavor = "multi_thread")]
async fn parse_group_seams_change_nothing() {
    // Files of 0 to 4 readable records, with a broken file and a record without id among
    // them. An id repeats across files, and the last one wins.
    let record = |id: u32| A.replace("\"id\":11,", &format!("\"id\":{id},"));
    let mut files = Vec::new();
    for f in 0..12u32 {
        let body = match f {
            3 => "[".to_string(),
            5 => "[]".to_string(),
            7 => format!("[{},{{\"title\":\"no id\"}}]", record(700)),
            10 => format!("[{}]", record(100).replace("\"Um\"", "\"Um, again\"")),
            _ => format!(
                "[{}]",
                (0..f % 5)
                    .map(|i| record(f * 100 + i))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        };
        files.push(body);
    }
    let mut results = Vec::new();
    for chunk in [1, 2, 3, 5, 1000] {
        let (_d, store, catalog) = lake().await;
        for (i, body) in files.iter().enumerate() {
            store
                .put(
                    &layout::raw_tmdb_json_key(day("2026-11-01"), "r", i as u32 + 1),
                    body.clone().into(),
                )
                .await
                .unwrap();
        }
        let mut o = opts("t1", "cinelake");
        o.json_chunk_records = std::num::NonZeroUsize::new(chunk).unwrap();
        let r = tmdb_job::run(&store, &catalog, &o).await.unwrap();
        let rejects = store
            .get(r[0].rejects_key.as_deref().unwrap())
            .await
            .unwrap();
        let df = read_table(
            &store,
            &catalog,
            "cinelake_trusted",
            Table::TmdbMovies.name(),
        )
        .await
        .unwrap();
        results.push((
            chunk,
            (r[0].rows_in, r[0].rows_out, r[0].rejected),
            df,
            rejects,
        ));
    }
    let (_, counts, table, rejects) = &results[results.len() - 1];
    // 18 records and a broken file go in. All come out but the record without id and
    // the earlier copy of id 100.
    assert_eq!(*counts, (20, 17, 2));
    assert_eq!(table.height(), 17);
    let titles = table
        .clone()
        .lazy()
        .filter(col("tmdb_id").eq(lit(100i64)))
        .collect()
        .unwrap();
    assert_eq!(
        titles.column("title").unwrap().str().unwrap().get(0),
        Some("Um, again")
    );
    assert_eq!(
        titles.column("source_file").unwrap().str().unwrap().get(0),
        Some("Raw/TMDB/JSON/2026/11/01/r-00011.json")
    );
    for (chunk, c, t, r) in &results {
        assert_eq!(c, counts, "json_chunk_records {chunk}");
        assert!(t.equals_missing(table), "json_chunk_records {chunk}");
        assert_eq!(r, rejects, "json_chunk_records {chunk}");
    }
}
