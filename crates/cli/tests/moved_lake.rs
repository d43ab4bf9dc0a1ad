//! Tests that a directory lake can be moved or copied and still opens where it is now.
//!
//! The local catalog stores the lake's locations relative to the lake. The lake is
//! queried, rerun, and copied again after the original is gone.

mod common;

use std::path::Path;
use std::process::Command;

use common::cinelake;

fn count(lake: &Path, table: &str) -> String {
    let out = cinelake(
        &[
            "query",
            "--lake",
            lake.to_str().unwrap(),
            "--format",
            "csv",
            &format!("SELECT COUNT(*) AS n FROM {table}"),
        ],
        &[],
    );
    out.lines().nth(1).unwrap_or_default().to_string()
}

#[test]
fn a_moved_or_copied_lake_opens_where_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    cinelake(
        &[
            "demo",
            "--dir",
            demo.to_str().unwrap(),
            "--movies-rows",
            "3000",
            "--series-rows",
            "500",
        ],
        &[],
    );
    let lake = demo.join("lake");
    let films = count(&lake, "fact_film");
    let movies = count(&lake, "trusted_movies");
    assert!(films.parse::<u64>().unwrap() > 0, "{films}");

    // The lake is moved. The old place is gone, and every table reads from the new one.
    let moved = dir.path().join("elsewhere/lake");
    std::fs::create_dir_all(moved.parent().unwrap()).unwrap();
    std::fs::rename(&lake, &moved).unwrap();
    assert_eq!(count(&moved, "fact_film"), films);
    assert_eq!(count(&moved, "trusted_movies"), movies);
    // The views read too, because they read the tables through the catalog.
    assert!(count(&moved, "v_best_films").parse::<u64>().is_ok());
    // A rerun there switches to new versions and prunes the old ones in place.
    cinelake(&["refined", "--lake", moved.to_str().unwrap()], &[]);
    assert_eq!(count(&moved, "fact_film"), films);

    // The lake is copied, then the original is removed. The copy is a lake of its own.
    let copy = dir.path().join("copy");
    let status = Command::new("cp")
        .arg("-a")
        .arg(&moved)
        .arg(&copy)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::remove_dir_all(&moved).unwrap();
    assert_eq!(count(&copy, "fact_film"), films);
    assert_eq!(count(&copy, "trusted_movies"), movies);
    let catalog =
        std::fs::read_to_string(copy.join("_catalog/cinelake_refined/fact_film.json")).unwrap();
    assert!(!catalog.contains("file://"), "{catalog}");
}
