//! Every kind of wrong input is refused with a message naming the file and the fault,
//! and nothing at all is written to the lake.

use std::path::Path;

use cinelake_lake::Store;
use cinelake_lake::layout::ProcessingDate;
use cinelake_lake::source::{CsvKind, MOVIES_HEADER, SERIES_HEADER};
use cinelake_upload::{CheckOptions, FileOutcome, UploadError, UploadOptions, run};

const MOVIE_ROW: &str = "tt0000009|Miss Jerry|Miss Jerry|1894|45|Romance|5.3|200|actress|Miss Geraldine Holbrook (Miss Jerry)|Blanche Bayliss|1878|1951|actress|tt0000009";
const SERIES_ROW: &str = "tt0025509|Les Misérables|Les misérables|1934|1934|279|Drama|8.4|1820|actor|Marius Pontmercy|Jean Servais|1910|1976|actor,writer|tt0045034,tt0025509";

fn good_movies() -> Vec<u8> {
    format!("{MOVIES_HEADER}\r\n{MOVIE_ROW}\r\n{MOVIE_ROW}\r\n").into_bytes()
}

fn good_series() -> Vec<u8> {
    format!("{SERIES_HEADER}\r\n{SERIES_ROW}\r\n").into_bytes()
}

fn options(dir: &Path) -> UploadOptions {
    UploadOptions {
        source_dir: dir.to_path_buf(),
        only: None,
        check: CheckOptions::default(),
        dry_run: false,
        put: Default::default(),
    }
}

fn date() -> ProcessingDate {
    "2026-11-28".parse().unwrap()
}

/// Uploads `movies` and `series` and returns the refusal text. `None` means the file is
/// absent. It asserts that the lake stayed empty.
async fn refused(
    movies: Option<&[u8]>,
    series: Option<&[u8]>,
    opts: impl Fn(&mut UploadOptions),
) -> String {
    let src = tempfile::tempdir().unwrap();
    let lake = tempfile::tempdir().unwrap();
    if let Some(m) = movies {
        std::fs::write(src.path().join("movies.csv"), m).unwrap();
    }
    if let Some(s) = series {
        std::fs::write(src.path().join("series.csv"), s).unwrap();
    }
    let store = Store::open(lake.path().to_str().unwrap()).await.unwrap();
    let mut o = options(src.path());
    opts(&mut o);
    let err = run(&store, date(), "r", &o)
        .await
        .expect_err("input accepted");
    assert!(matches!(err, UploadError::Refused(_)), "{err}");
    assert!(
        store.list("").await.unwrap().is_empty(),
        "something was written"
    );
    err.to_string()
}

fn no_opts(_: &mut UploadOptions) {}

#[tokio::test]
async fn missing_file_refuses_both() {
    let msg = refused(Some(&good_movies()), None, no_opts).await;
    assert!(msg.contains("series.csv: file not found"), "{msg}");
    assert!(msg.contains("nothing uploaded"), "{msg}");
}

#[tokio::test]
async fn empty_file() {
    let msg = refused(Some(b""), Some(&good_series()), no_opts).await;
    assert!(msg.contains("movies.csv: empty file (0 bytes)"), "{msg}");
}

#[tokio::test]
async fn header_only_unless_allowed() {
    let header_only = format!("{MOVIES_HEADER}\r\n").into_bytes();
    let msg = refused(Some(&header_only), Some(&good_series()), no_opts).await;
    assert!(msg.contains("movies.csv: header only"), "{msg}");
    assert!(msg.contains("--allow-empty"), "{msg}");

    let src = tempfile::tempdir().unwrap();
    let lake = tempfile::tempdir().unwrap();
    std::fs::write(src.path().join("movies.csv"), &header_only).unwrap();
    std::fs::write(src.path().join("series.csv"), good_series()).unwrap();
    let store = Store::open(lake.path().to_str().unwrap()).await.unwrap();
    let mut o = options(src.path());
    o.check.allow_empty = true;
    let report = run(&store, date(), "r", &o).await.unwrap();
    assert_eq!(report.files[0].data_rows, 0);
}

#[tokio::test]
async fn wrong_header_names_the_column() {
    let text =
        String::from_utf8(good_movies())
            .unwrap()
            .replacen("tituloPincipal", "tituloPrincipal", 1);
    let msg = refused(Some(text.as_bytes()), Some(&good_series()), no_opts).await;
    assert!(msg.contains("movies.csv: wrong header for movies"), "{msg}");
    assert!(
        msg.contains("column 2 is \"tituloPrincipal\", expected \"tituloPincipal\""),
        "{msg}"
    );
}

#[tokio::test]
async fn swapped_files_are_named_as_such() {
    let msg = refused(Some(&good_series()), Some(&good_movies()), no_opts).await;
    assert!(
        msg.contains("movies.csv: wrong header for movies: this is the series header"),
        "{msg}"
    );
    assert!(
        msg.contains("series.csv: wrong header for series: this is the movies header"),
        "{msg}"
    );
}

#[tokio::test]
async fn comma_separated_file() {
    let text = String::from_utf8(good_movies()).unwrap().replace('|', ",");
    let msg = refused(Some(text.as_bytes()), Some(&good_series()), no_opts).await;
    assert!(
        msg.contains("movies.csv: separated by commas, not '|'"),
        "{msg}"
    );
}

#[tokio::test]
async fn non_utf8_file_names_line_and_offset() {
    let mut bytes = format!("{MOVIES_HEADER}\r\n{MOVIE_ROW}\r\n").into_bytes();
    let offset = bytes.len() + 10;
    let mut row = MOVIE_ROW.as_bytes().to_vec();
    row[10] = 0xE9; // Latin-1 'é'
    bytes.extend_from_slice(&row);
    bytes.extend_from_slice(b"\r\n");
    let msg = refused(Some(&bytes), Some(&good_series()), no_opts).await;
    assert!(
        msg.contains(&format!(
            "movies.csv: not UTF-8: invalid byte at offset {offset} (line 3)"
        )),
        "{msg}"
    );
}

#[tokio::test]
async fn non_utf8_split_across_read_chunks_is_found() {
    // A valid multi-byte character straddling the 1 MiB read boundary must pass, and an
    // invalid one there must not.
    let mut bytes = format!("{MOVIES_HEADER}\n").into_bytes();
    let filler = format!("{MOVIE_ROW}\n");
    while bytes.len() < (1 << 20) - 200 {
        bytes.extend_from_slice(filler.as_bytes());
    }
    let mut row = MOVIE_ROW.as_bytes().to_vec();
    let pad = (1 << 20) - 1 - bytes.len() - 10;
    row.splice(10..10, std::iter::repeat_n(b'x', pad));
    let at = bytes.len() + 10 + pad;
    assert_eq!(at, (1 << 20) - 1);
    row.splice(10 + pad..10 + pad, "é".bytes());
    let mut good = bytes.clone();
    good.extend_from_slice(&row);
    good.push(b'\n');

    let src = tempfile::tempdir().unwrap();
    std::fs::write(src.path().join("movies.csv"), &good).unwrap();
    let checked = cinelake_upload::check_file(
        CsvKind::Movies,
        &src.path().join("movies.csv"),
        CheckOptions::default(),
    );
    assert!(checked.is_ok(), "{:?}", checked.err());

    let mut bad = good.clone();
    bad[at + 1] = b'x'; // breaks the continuation byte of 'é'
    let msg = refused(Some(&bad), Some(&good_series()), no_opts).await;
    assert!(
        msg.contains(&format!("invalid byte at offset {at}")),
        "{msg}"
    );
}

#[tokio::test]
async fn byte_order_mark_is_named() {
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend_from_slice(&good_movies());
    let msg = refused(Some(&bytes), Some(&good_series()), no_opts).await;
    assert!(msg.contains("byte-order mark"), "{msg}");
}

#[tokio::test]
async fn a_directory_instead_of_a_file() {
    let src = tempfile::tempdir().unwrap();
    std::fs::create_dir(src.path().join("movies.csv")).unwrap();
    std::fs::write(src.path().join("series.csv"), good_series()).unwrap();
    let lake = tempfile::tempdir().unwrap();
    let store = Store::open(lake.path().to_str().unwrap()).await.unwrap();
    let err = run(&store, date(), "r", &options(src.path()))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("movies.csv: not a regular file"),
        "{err}"
    );
    assert!(store.list("").await.unwrap().is_empty());
}

#[tokio::test]
async fn only_uploads_the_one_file_named() {
    let src = tempfile::tempdir().unwrap();
    std::fs::write(src.path().join("movies.csv"), good_movies()).unwrap();
    let lake = tempfile::tempdir().unwrap();
    let store = Store::open(lake.path().to_str().unwrap()).await.unwrap();
    let mut o = options(src.path());
    o.only = Some(CsvKind::Movies);
    let report = run(&store, date(), "r", &o).await.unwrap();
    assert_eq!(report.files.len(), 1);
    let keys: Vec<String> = store
        .list("Raw/")
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert_eq!(keys, ["Raw/Local/CSV/Movies/2026/11/28/movies.csv"]);
}

#[tokio::test]
async fn check_rows_reports_bad_rows_and_still_uploads_unchanged() {
    let truncated = MOVIE_ROW.rsplitn(3, '|').last().unwrap();
    let extra = format!("{MOVIE_ROW}|surplus");
    let text = format!("{MOVIES_HEADER}\n{MOVIE_ROW}\n{truncated}\n{MOVIE_ROW}\n{extra}");
    let src = tempfile::tempdir().unwrap();
    std::fs::write(src.path().join("movies.csv"), &text).unwrap();
    std::fs::write(src.path().join("series.csv"), good_series()).unwrap();
    let lake = tempfile::tempdir().unwrap();
    let store = Store::open(lake.path().to_str().unwrap()).await.unwrap();
    let mut o = options(src.path());
    o.check.check_rows = true;
    let report = run(&store, date(), "r", &o).await.unwrap();
    let movies = &report.files[0];
    assert_eq!(movies.data_rows, 4);
    assert_eq!(movies.bad_row_count, 2);
    let lines: Vec<(u64, usize)> = movies.bad_rows.iter().map(|b| (b.line, b.fields)).collect();
    assert_eq!(lines, [(3, 13), (5, 16)]);
    assert!(matches!(movies.outcome, FileOutcome::Uploaded { .. }));
    let stored = store
        .get("Raw/Local/CSV/Movies/2026/11/28/movies.csv")
        .await
        .unwrap();
    assert_eq!(stored.as_ref(), text.as_bytes());
}
