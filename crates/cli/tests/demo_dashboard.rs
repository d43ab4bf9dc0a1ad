//! Tests `cinelake demo` as the README's first command runs it, and its dashboard in
//! headless Chromium.
//!
//! The demo runs at a small scale, which still makes well over 30 Brazilian films. The
//! dashboard loads without console errors, opens on South America, and every chart has
//! marks. The filters change what is shown. This holds for each Popularity chart with the
//! country, and for the last N years filter. A screenshot of each sheet, as the page
//! opens, is saved.
//!
//! The browser is driven by `dashboards/test/browser.mjs`. It runs on Node with
//! playwright-core and the system Chromium, both installed by `scripts/test`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;

use common::CINELAKE;

use cinelake_testkit::repo;

fn browser_check(page: &Path, shots: &Path) -> Output {
    let script = repo().join("dashboards/test/browser.mjs");
    assert!(
        repo()
            .join("dashboards/test/node_modules/playwright-core")
            .is_dir(),
        "playwright-core is not installed: run the tests with scripts/test (npm ci in dashboards/test)"
    );
    Command::new("node")
        .arg(&script)
        .arg(page)
        .arg(shots)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "running node {}: {e} (scripts/test installs Node's packages)",
                script.display()
            )
        })
}

/// Runs `cinelake_tools/parity.py`. It turns each QuickSight visual's data set and filters
/// into SQL on the local engine, and compares the result with the local page's figures,
/// read in Chromium.
fn parity(lake: &Path, page: &Path, bodies: &Path) -> Output {
    Command::new("python3")
        .arg(repo().join("cinelake_tools/parity.py"))
        .arg("--lake")
        .arg(lake)
        .arg("--page")
        .arg(page)
        .arg("--cinelake")
        .arg(CINELAKE)
        .arg("--bodies")
        .arg(bodies)
        .output()
        .unwrap_or_else(|e| panic!("running python3 cinelake_tools/parity.py: {e}"))
}

/// A copy of the QuickSight bodies in which the region filter no longer reaches the
/// "most popular films" visual. There QuickSight would show every region's films.
fn broken_scope_copy(dir: &Path) -> PathBuf {
    let from = repo().join("dashboards/quicksight");
    let to = dir.join("quicksight-broken");
    std::fs::create_dir_all(to.join("data-sets")).unwrap();
    for entry in std::fs::read_dir(from.join("data-sets")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, to.join("data-sets").join(path.file_name().unwrap())).unwrap();
    }
    let mut dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(from.join("dashboard.json")).unwrap())
            .unwrap();
    let groups = dashboard["Definition"]["FilterGroups"]
        .as_array_mut()
        .unwrap();
    let region = groups
        .iter_mut()
        .find(|g| g["FilterGroupId"] == "region-group")
        .expect("the dashboard has a region-group filter group");
    let scopes = region["ScopeConfiguration"]["SelectedSheets"]["SheetVisualScopingConfigurations"]
        .as_array_mut()
        .unwrap();
    let popularity = scopes
        .iter_mut()
        .find(|s| s["SheetId"] == "popularity")
        .expect("the region filter reaches the Popularity sheet");
    *popularity = serde_json::json!({
        "SheetId": "popularity",
        "Scope": "SELECTED_VISUALS",
        "VisualIds": ["best-films", "most-voted", "popularity-by-year", "country-share"],
    });
    std::fs::write(
        to.join("dashboard.json"),
        serde_json::to_string_pretty(&dashboard).unwrap(),
    )
    .unwrap();
    to
}

fn text(out: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn the_demo_makes_a_dashboard_that_works_in_a_browser() {
    cinelake_testkit::needs!(Browser);
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let out = Command::new(CINELAKE)
        .args(["demo", "--dir", demo.to_str().unwrap()])
        .args(["--movies-rows", "30000", "--series-rows", "10000"])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "cinelake demo failed\n{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    common::assert_stages(
        &stdout,
        &[
            "sample data",
            "1 upload",
            "2 tmdb-ingest",
            "3 trusted",
            "4 refined",
            "views",
            "dashboard",
        ],
    );
    let page = demo.join("dashboard.html");
    assert!(
        stdout.contains(&format!(
            "Open the dashboard: {}",
            std::path::absolute(&page).unwrap().display()
        )),
        "{stdout}"
    );

    // The screenshots stay after the test, for people to look at.
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let out = browser_check(&page, &shots);
    assert!(
        out.status.success(),
        "the browser check failed\n{}",
        text(&out)
    );
    for sheet in ["popularity", "trends", "financial"] {
        let png = std::fs::read(shots.join(format!("{sheet}.png"))).unwrap();
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 10_000,
            "{sheet}.png"
        );
    }
    println!("screenshots in {}", shots.display());

    // QuickSight and the local page show the same figures for the same filters...
    let lake = demo.join("lake");
    let out = parity(&lake, &page, &repo().join("dashboards/quicksight"));
    assert!(
        out.status.success(),
        "QuickSight and the local page disagree\n{}",
        text(&out)
    );
    println!(
        "{}",
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .unwrap_or_default()
    );
    // ... and the check fails when a filter's scope is broken, naming the visual.
    let out = parity(&lake, &page, &broken_scope_copy(dir.path()));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("most-popular, default (South America): films and values differ"),
        "{}",
        text(&out)
    );

    // The check can fail. A page whose script throws is refused, and the error is named.
    let html = std::fs::read_to_string(&page).unwrap();
    let broken = dir.path().join("broken.html");
    std::fs::write(
        &broken,
        html.replacen(
            "<body>",
            "<body><script>throw new Error('cinelake-broken-page')</script>",
            1,
        ),
    )
    .unwrap();
    let out = browser_check(&broken, &dir.path().join("broken-shots"));
    assert!(
        !out.status.success(),
        "a throwing page passed\n{}",
        text(&out)
    );
    assert!(
        text(&out).contains("cinelake-broken-page"),
        "{}",
        text(&out)
    );
}
