//! Tests the CSV job.
//!
//! Every row is kept and typed. Bad rows are quarantined with line and reason. The
//! previous table is kept when too many are bad.

use cinelake_catalog::{Catalog, Databases};
use cinelake_frames::parquet::read_parquet;
use cinelake_frames::table::read_table;
use cinelake_frames::types::columns_of;
use cinelake_lake::Store;
use cinelake_lake::layout::{self, ProcessingDate};
use cinelake_lake::source::{CsvKind, MOVIES_HEADER, SERIES_HEADER};
use cinelake_trusted::{JobOptions, csv_job};
use polars::prelude::*;

fn date() -> ProcessingDate {
    "2026-11-01".parse().unwrap()
}

fn opts(run: &str) -> JobOptions {
    JobOptions {
        run_id: run.into(),
        databases: Databases::with_prefix("cinelake"),
        max_rejected_share: 0.01,
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

/// A Trusted table as the catalog points at it now.
async fn trusted(store: &Store, catalog: &Catalog, table: &str) -> DataFrame {
    read_table(store, catalog, "cinelake_trusted", table)
        .await
        .unwrap()
}

async fn put_csv(store: &Store, kind: CsvKind, text: &str) {
    store
        .put(&layout::raw_csv_key(kind, date()), text.to_string().into())
        .await
        .unwrap();
}

const ROW: &str = "tt0000009|\"Miss\" Jerry, Part 1|Miss Jerry|1894|45|Romance,Drama|5.3|200|actress|Miss Geraldine Holbrook (Miss Jerry)|Blanche Bayliss|1878|1951|actress|tt0000009";
const ROW2: &str = "tt0000502|Bohemios|Bohemios|1905|\\N|\\N|4.2|14|actor|\\N|Antonio del Pozo|\\N||actor|tt0000502";

#[tokio::test(flavor = "multi_thread")]
async fn rows_are_typed_nulls_and_lists_and_quotes_kept() {
    let (_d, store, catalog) = lake().await;
    put_csv(
        &store,
        CsvKind::Movies,
        &format!("{MOVIES_HEADER}\r\n{ROW}\r\n{ROW2}\r\n"),
    )
    .await;
    let report = csv_job::run(&store, &catalog, CsvKind::Movies, None, &opts("r1"))
        .await
        .unwrap();
    assert_eq!(
        (report.rows_in, report.rows_out, report.rejected),
        (2, 2, 0)
    );
    let df = trusted(&store, &catalog, "movies").await;
    let schema = df.schema();
    assert_eq!(schema.get("release_year"), Some(&DataType::Int32));
    assert_eq!(schema.get("average_rating"), Some(&DataType::Float64));
    assert_eq!(schema.get("num_votes"), Some(&DataType::Int64));
    assert_eq!(
        schema.get("genres"),
        Some(&DataType::List(Box::new(DataType::String)))
    );
    let title = df
        .column("primary_title")
        .unwrap()
        .str()
        .unwrap()
        .get(0)
        .unwrap()
        .to_string();
    assert_eq!(title, "\"Miss\" Jerry, Part 1");
    let rating = df
        .column("average_rating")
        .unwrap()
        .f64()
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(rating, 5.3);
    let genres = df
        .column("genres")
        .unwrap()
        .list()
        .unwrap()
        .get_as_series(0)
        .unwrap();
    assert_eq!(
        genres.str().unwrap().iter().flatten().collect::<Vec<_>>(),
        ["Romance", "Drama"]
    );
    let runtime = df.column("runtime_minutes").unwrap().i32().unwrap();
    assert_eq!(runtime.get(1), None, "\\N is null");
    let death = df.column("death_year").unwrap().i32().unwrap();
    assert_eq!(death.get(1), None, "an empty field is null");
    assert!(
        df.column("genres")
            .unwrap()
            .list()
            .unwrap()
            .get_as_series(1)
            .is_none()
    );
    let character = df.column("character_name").unwrap().str().unwrap();
    assert_eq!(character.get(1), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_rows_are_quarantined_with_line_and_reason() {
    let (_d, store, catalog) = lake().await;
    let truncated = ROW.rsplitn(4, '|').last().unwrap();
    let extra = format!("{ROW}|surplus");
    let letters = ROW.replace("|1894|", "|189A|");
    let mut text = format!("{MOVIES_HEADER}\n");
    for _ in 0..100 {
        text.push_str(ROW);
        text.push('\n');
    }
    text.push_str(&format!("{truncated}\n{extra}\n{letters}\n{ROW2}\n"));
    put_csv(&store, CsvKind::Movies, &text).await;
    let mut o = opts("r1");
    o.max_rejected_share = 0.05;
    let report = csv_job::run(&store, &catalog, CsvKind::Movies, None, &o)
        .await
        .unwrap();
    assert_eq!(
        (report.rows_in, report.rows_out, report.rejected),
        (104, 101, 3)
    );
    let rejects = store
        .get(report.rejects_key.as_deref().unwrap())
        .await
        .unwrap();
    let rows: Vec<serde_json::Value> = std::str::from_utf8(&rejects)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["line"], 102);
    assert_eq!(rows[0]["reason"], "12 fields, expected 15");
    assert_eq!(rows[1]["line"], 103);
    assert_eq!(rows[1]["reason"], "16 fields, expected 15");
    assert_eq!(rows[2]["line"], 104);
    assert_eq!(
        rows[2]["reason"],
        "anoLancamento: \"189A\" is not a whole number"
    );
    assert_eq!(rows[2]["raw"], letters.as_str());
    assert!(
        rows.iter()
            .all(|r| r["source"] == "Raw/Local/CSV/Movies/2026/11/01/movies.csv")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn too_many_bad_rows_keep_the_previous_table() {
    let (_d, store, catalog) = lake().await;
    put_csv(
        &store,
        CsvKind::Movies,
        &format!("{MOVIES_HEADER}\n{ROW}\n{ROW2}\n"),
    )
    .await;
    csv_job::run(&store, &catalog, CsvKind::Movies, None, &opts("r1"))
        .await
        .unwrap();
    let before = trusted(&store, &catalog, "movies").await;
    let def_before = catalog
        .get_table("cinelake_trusted", "movies")
        .await
        .unwrap();

    put_csv(
        &store,
        CsvKind::Movies,
        &format!("{MOVIES_HEADER}\n{ROW}\n{ROW}|x\nbroken\n"),
    )
    .await;
    let err = csv_job::run(&store, &catalog, CsvKind::Movies, None, &opts("r2"))
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("movies: 2 of 3 rows rejected"), "{msg}");
    assert!(msg.contains("the previous Trusted data is kept"), "{msg}");
    assert!(msg.contains("line 3: 16 fields, expected 15"), "{msg}");
    assert_eq!(
        catalog
            .get_table("cinelake_trusted", "movies")
            .await
            .unwrap(),
        def_before
    );
    assert_eq!(trusted(&store, &catalog, "movies").await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crashed_write_leaves_the_table_readable_and_a_rerun_matches_a_clean_run() {
    let (_d, store, catalog) = lake().await;
    put_csv(&store, CsvKind::Series, &format!("{SERIES_HEADER}\n{}\n", "tt0025509|Les Misérables|Les misérables|1934|1934|279|Drama|8.4|1820|actor|Marius Pontmercy|Jean Servais|1910|1976|actor,writer|tt0045034,tt0025509")).await;
    csv_job::run(&store, &catalog, CsvKind::Series, None, &opts("r1"))
        .await
        .unwrap();
    let clean = trusted(&store, &catalog, "series").await;
    // A run killed mid-write leaves a partial file in its own version folder.
    store
        .put(
            "Trusted/Local/Parquet/Series/r2/part-00000.parquet",
            bytes::Bytes::from_static(b"PAR1 truncated"),
        )
        .await
        .unwrap();
    assert_eq!(trusted(&store, &catalog, "series").await, clean);
    csv_job::run(&store, &catalog, CsvKind::Series, None, &opts("r3"))
        .await
        .unwrap();
    assert_eq!(trusted(&store, &catalog, "series").await, clean);
    csv_job::run(&store, &catalog, CsvKind::Series, None, &opts("r4"))
        .await
        .unwrap();
    assert_eq!(
        trusted(&store, &catalog, "series").await,
        clean,
        "exactly one copy of every row"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_file_and_missing_file_are_clear_errors() {
    let (_d, store, catalog) = lake().await;
    let err = csv_job::run(&store, &catalog, CsvKind::Movies, None, &opts("r"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("run the upload stage first"),
        "{err}"
    );
    put_csv(&store, CsvKind::Movies, &format!("{SERIES_HEADER}\n")).await;
    let err = csv_job::run(&store, &catalog, CsvKind::Movies, None, &opts("r"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not a movies file"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn written_files_match_their_catalog_definition() {
    let (_d, store, catalog) = lake().await;
    put_csv(
        &store,
        CsvKind::Movies,
        &format!("{MOVIES_HEADER}\n{ROW}\n"),
    )
    .await;
    csv_job::run(&store, &catalog, CsvKind::Movies, None, &opts("r1"))
        .await
        .unwrap();
    let def = catalog
        .get_table("cinelake_trusted", "movies")
        .await
        .unwrap()
        .unwrap();
    let key = store
        .key_of_location(&def.storage_descriptor.location)
        .unwrap();
    let files = store.list(&key).await.unwrap();
    assert_eq!(files.len(), 1);
    let df = read_parquet(&store.get(&files[0].key).await.unwrap(), "file").unwrap();
    assert_eq!(
        columns_of(df.schema()).unwrap(),
        def.storage_descriptor.columns
    );
    let types: Vec<&str> = def
        .storage_descriptor
        .columns
        .iter()
        .map(|c| c.r#type.as_str())
        .collect();
    assert_eq!(
        types,
        [
            "string",
            "string",
            "string",
            "int",
            "int",
            "array<string>",
            "double",
            "bigint",
            "string",
            "string",
            "string",
            "int",
            "int",
            "array<string>",
            "array<string>"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the real sample data: set CINELAKE_SAMPLES (scripts/test runs it with --include-ignored when the samples are there)"]
async fn real_samples_rows() {
    let samples = cinelake_testkit::samples_dir();
    let (_d, store, catalog) = lake().await;
    for kind in CsvKind::ALL {
        let text =
            std::fs::read_to_string(samples.join(format!("compass/{kind}_head100.csv"))).unwrap();
        put_csv(&store, kind, &text).await;
        let r = csv_job::run(&store, &catalog, kind, None, &opts("r1"))
            .await
            .unwrap();
        assert_eq!((r.rows_in, r.rows_out, r.rejected), (100, 100, 0), "{kind}");
    }
    let df = trusted(&store, &catalog, "movies").await;
    let first = df.head(Some(1));
    assert_eq!(
        first.column("title_id").unwrap().str().unwrap().get(0),
        Some("tt0000009")
    );
    assert_eq!(
        first.column("primary_title").unwrap().str().unwrap().get(0),
        Some("Miss Jerry")
    );
    assert_eq!(
        first.column("release_year").unwrap().i32().unwrap().get(0),
        Some(1894)
    );
    assert_eq!(
        first
            .column("runtime_minutes")
            .unwrap()
            .i32()
            .unwrap()
            .get(0),
        Some(45)
    );
    assert_eq!(
        first
            .column("average_rating")
            .unwrap()
            .f64()
            .unwrap()
            .get(0),
        Some(5.3)
    );
    assert_eq!(
        first.column("num_votes").unwrap().i64().unwrap().get(0),
        Some(200)
    );
    assert_eq!(
        first.column("artist_name").unwrap().str().unwrap().get(0),
        Some("Blanche Bayliss")
    );
    assert_eq!(
        first.column("death_year").unwrap().i32().unwrap().get(0),
        Some(1951)
    );
    let series = trusted(&store, &catalog, "series").await;
    assert_eq!(
        series.column("end_year").unwrap().i32().unwrap().get(0),
        Some(1934)
    );
    assert_eq!(
        series.column("title_id").unwrap().str().unwrap().get(0),
        Some("tt0025509")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn chunk_seams_change_nothing() {
    let mut text = format!("{MOVIES_HEADER}\n");
    for i in 0..40 {
        match i % 9 {
            4 => text.push_str(&ROW.replace("|1894|", &format!("|18{i}x|"))),
            7 => text.push_str("broken|row"),
            _ if i % 2 == 0 => text.push_str(&ROW.replace("tt0000009|", &format!("tt{i:07}|"))),
            _ => text.push_str(ROW2),
        }
        text.push('\n');
    }
    // No line break after the last line.
    text.push_str(ROW2);
    let mut results = Vec::new();
    for chunk_rows in [1, 2, 3, 7, 40, 41, 100_000] {
        let (_d, store, catalog) = lake().await;
        put_csv(&store, CsvKind::Movies, &text).await;
        let mut o = opts("r1");
        o.max_rejected_share = 0.5;
        o.chunk_rows = std::num::NonZeroUsize::new(chunk_rows).unwrap();
        let report = csv_job::run(&store, &catalog, CsvKind::Movies, None, &o)
            .await
            .unwrap();
        let rejects = store
            .get(report.rejects_key.as_deref().unwrap())
            .await
            .unwrap();
        results.push((
            chunk_rows,
            (report.rows_in, report.rows_out, report.rejected),
            trusted(&store, &catalog, "movies").await,
            rejects,
        ));
    }
    let (_, counts, table, rejects) = &results[results.len() - 1];
    assert_eq!(*counts, (41, 33, 8));
    let ids = table.column("title_id").unwrap().str().unwrap();
    assert_eq!(ids.get(0), Some("tt0000000"));
    assert_eq!(ids.get(32), Some("tt0000502"));
    for (chunk_rows, c, t, r) in &results {
        assert_eq!(c, counts, "chunk_rows {chunk_rows}");
        assert!(t.equals_missing(table), "chunk_rows {chunk_rows}");
        assert_eq!(r, rejects, "chunk_rows {chunk_rows}");
    }
}
