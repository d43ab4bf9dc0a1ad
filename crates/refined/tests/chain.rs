//! Tests the whole chain, upload to views, on two lakes. One is a directory lake with
//! the local catalog. The other is S3 (SeaweedFS) with Glue (moto). The chain runs
//! twice, to prove nothing is duplicated.

use std::net::SocketAddr;
use std::time::Duration;

use cinelake_catalog::{Catalog, Databases, GlueCatalog, Table};
use cinelake_frames::table::read_table;
use cinelake_ingest::{IngestOptions, ingest};
use cinelake_lake::Store;
use cinelake_lake::layout::ProcessingDate;
use cinelake_lake::source::CsvKind;
use cinelake_query::engine::Engine;
use cinelake_sample::{SampleSpec, write_dir};
use cinelake_testkit::{S3Server, glue_client, s3_lake};
use cinelake_tmdb::{ClientConfig, Credentials, Secret, TmdbClient};
use cinelake_tmdb_sim::{self as sim, SimConfig};
use cinelake_trusted::{JobOptions, csv_job, tmdb_job};
use cinelake_upload::{CheckOptions, UploadOptions};
use polars::prelude::*;

fn date() -> ProcessingDate {
    "2026-11-01".parse().unwrap()
}

/// Runs every stage once and returns the refined tables by name.
async fn chain(
    store: &Store,
    catalog: &Catalog,
    dbs: &Databases,
    src: &std::path::Path,
    tmdb_url: &str,
    run: &str,
) -> Vec<(String, DataFrame)> {
    let up = UploadOptions {
        source_dir: src.to_path_buf(),
        only: None,
        check: CheckOptions::default(),
        dry_run: false,
        put: Default::default(),
    };
    cinelake_upload::run(store, date(), &format!("{run}-up"), &up)
        .await
        .unwrap();
    let mut cfg = ClientConfig::new(tmdb_url, Credentials::ApiKey(Secret::new("k")));
    cfg.requests_per_second = 0.0;
    cfg.timeout = Duration::from_secs(5);
    let client = TmdbClient::new(cfg).unwrap();
    ingest(
        store,
        &client,
        &IngestOptions::new(&format!("{run}-in"), date()),
    )
    .await
    .unwrap();
    let opts = JobOptions {
        run_id: format!("{run}-tr"),
        databases: dbs.clone(),
        max_rejected_share: 0.0,
        chunk_rows: cinelake_trusted::csv_job::CHUNK_ROWS,
        json_chunk_records: cinelake_trusted::tmdb_job::JSON_CHUNK_RECORDS,
    };
    for kind in CsvKind::ALL {
        let r = csv_job::run(store, catalog, kind, None, &opts)
            .await
            .unwrap();
        assert_eq!(r.rejected, 0);
    }
    tmdb_job::run(store, catalog, &opts).await.unwrap();
    let run = cinelake_refined::build(
        store,
        catalog,
        dbs,
        &format!("{run}-rf"),
        &cinelake_refined::Rules::default(),
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    for r in run.tables {
        let name = r.table.rsplit('.').next().unwrap().to_string();
        let df = read_table(store, catalog, &dbs.refined, &name)
            .await
            .unwrap();
        assert_eq!(df.height() as u64, r.rows, "{name}");
        out.push((name, df));
    }
    out
}

fn sample() -> tempfile::TempDir {
    let src = tempfile::tempdir().unwrap();
    write_dir(
        src.path(),
        &SampleSpec {
            movies_rows: 4_000,
            series_rows: 800,
            seed: 5,
            crlf: true,
        },
    )
    .unwrap();
    src
}

#[tokio::test(flavor = "multi_thread")]
async fn local_chain_twice_then_views() {
    let sim = sim::start(
        SimConfig::synthetic("k"),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();
    let src = sample();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().to_str().unwrap()).await.unwrap();
    let catalog = Catalog::open("local", &store).await.unwrap();
    let dbs = Databases::with_prefix("cinelake");
    let first = chain(&store, &catalog, &dbs, src.path(), &sim.base_url(), "a").await;
    let second = chain(&store, &catalog, &dbs, src.path(), &sim.base_url(), "b").await;
    assert_eq!(first, second, "a rerun leaves exactly the same tables");

    let tables: std::collections::BTreeMap<String, DataFrame> = first.into_iter().collect();
    let fact = &tables[Table::FactFilm.name()];
    let films = &tables[Table::DimFilm.name()];
    assert!(fact.height() > 50, "{} films", fact.height());
    assert_eq!(fact.height(), films.height());
    let sa = tables[Table::DimCountry.name()]
        .clone()
        .lazy()
        .filter(col("is_south_america"))
        .collect()
        .unwrap();
    assert!(sa.height() >= 3, "South American countries: {sa}");
    // Every fact film is a 21st-century drama of the sample and carries its IMDb rating.
    let movies = read_table(&store, &catalog, "cinelake_trusted", "movies")
        .await
        .unwrap();
    let joined = fact
        .clone()
        .lazy()
        .join(
            movies
                .lazy()
                .unique_stable(Some(cols(["title_id"])), UniqueKeepStrategy::First),
            [col("film_id")],
            [col("title_id")],
            JoinArgs::new(JoinType::Inner),
        )
        .collect()
        .unwrap();
    assert_eq!(joined.height(), fact.height());
    assert!(
        joined
            .column("release_year")
            .unwrap()
            .i32()
            .unwrap()
            .into_no_null_iter()
            .all(|y| y >= 2000)
    );
    assert_eq!(
        joined
            .column("imdb_rating")
            .unwrap()
            .f64()
            .unwrap()
            .iter()
            .collect::<Vec<_>>(),
        joined
            .column("average_rating")
            .unwrap()
            .f64()
            .unwrap()
            .iter()
            .collect::<Vec<_>>()
    );

    // One collection gives one snapshot row per film, with the fact's own figures.
    let snapshot = &tables[Table::FactFilmSnapshot.name()];
    assert_eq!(snapshot.height(), fact.height());
    let figures = |df: &DataFrame| {
        df.select([
            "film_id",
            "popularity",
            "tmdb_votes",
            "tmdb_rating",
            "revenue",
        ])
        .unwrap()
    };
    assert!(figures(snapshot).equals_missing(&figures(fact)));

    // The views need only the star schema, and where its sources came from, which the
    // views step publishes. No Trusted table is loaded for them.
    cinelake_query::sources::publish_sources(&store, &catalog, &dbs)
        .await
        .unwrap();
    let views_only = Engine::load_views(&store, &catalog, &dbs).await.unwrap();
    assert!(
        !views_only.tables.iter().any(|t| t.starts_with("trusted_")),
        "{:?}",
        views_only.tables
    );
    assert_eq!(
        views_only
            .tables
            .iter()
            .filter(|t| t.starts_with("v_"))
            .count(),
        cinelake_query::views::VIEWS.len(),
        "{:?}",
        views_only.tables
    );
    let mut engine = Engine::load(&store, &catalog, &dbs).await.unwrap();
    for (view, _) in cinelake_query::views::VIEWS {
        let df = engine.query(&format!("SELECT * FROM {view}")).unwrap();
        assert!(df.height() > 0, "{view} is empty");
    }
    let top = engine.query("SELECT profit FROM v_top_profits").unwrap();
    let profits: Vec<i64> = top
        .column("profit")
        .unwrap()
        .i64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    assert!(profits.len() <= 10 && profits.windows(2).all(|w| w[0] >= w[1]));
    let trusted = engine
        .query("SELECT COUNT(*) AS n FROM trusted_movies")
        .unwrap();
    assert_eq!(
        trusted
            .column("n")
            .unwrap()
            .get(0)
            .unwrap()
            .extract::<u64>(),
        Some(4_000)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_and_glue_chain_matches_the_local_one() {
    cinelake_testkit::needs!(SeaweedFs, Moto);
    let sim = sim::start(
        SimConfig::synthetic("k"),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();
    let src = sample();
    let (s3, _, bucket) = s3_lake(S3Server::SeaweedFs).await;
    let glue = Catalog::Glue(GlueCatalog::from_client(glue_client()));
    let dbs = Databases::with_prefix(&format!("g{}", bucket.replace('-', "_")));
    let on_s3 = chain(&s3, &glue, &dbs, src.path(), &sim.base_url(), "a").await;
    let again = chain(&s3, &glue, &dbs, src.path(), &sim.base_url(), "b").await;
    assert_eq!(on_s3, again);

    let dir = tempfile::tempdir().unwrap();
    let local = Store::open(dir.path().to_str().unwrap()).await.unwrap();
    let catalog = Catalog::open("local", &local).await.unwrap();
    let on_disk = chain(
        &local,
        &catalog,
        &Databases::with_prefix("cinelake"),
        src.path(),
        &sim.base_url(),
        "a",
    )
    .await;
    assert_eq!(on_s3, on_disk);

    let tables = glue.list_tables(&dbs.refined).await.unwrap();
    assert_eq!(tables.len(), Table::REFINED.len());
    let fact = tables
        .iter()
        .find(|t| t.name == Table::FactFilm.name())
        .unwrap();
    assert_eq!(
        fact.storage_descriptor.location,
        format!("s3://{bucket}/Refined/fact_film/b-rf/")
    );
    let types: Vec<(&str, &str)> = fact
        .storage_descriptor
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.r#type.as_str()))
        .collect();
    assert!(
        types.contains(&("budget", "bigint"))
            && types.contains(&("imdb_rating", "double"))
            && types.contains(&("collected_on", "date")),
        "{types:?}"
    );
    // The previous version stays for readers mid-query. Older ones are gone.
    let versions: std::collections::BTreeSet<String> = s3
        .list("Refined/fact_film/")
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key.split('/').nth(2).unwrap().to_string())
        .collect();
    assert_eq!(versions.into_iter().collect::<Vec<_>>(), ["a-rf", "b-rf"]);
}
