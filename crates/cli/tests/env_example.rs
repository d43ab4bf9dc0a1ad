//! `.env.example` documents every environment variable the code reads.

use std::path::Path;

fn rust_sources(dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with(file!()) {
            out.push(std::fs::read_to_string(&path).unwrap());
        }
    }
}

/// The string literals right after each of `markers` in `source`, when they are
/// variable names (upper case, digits, `_`).
fn names_after(source: &str, markers: &[String], names: &mut Vec<String>) {
    for marker in markers {
        for (i, _) in source.match_indices(marker.as_str()) {
            // `set_var` writes a variable for the process itself. It is not configuration.
            if source[..i].ends_with("set_") {
                continue;
            }
            // Only the name's own call counts. That is `get("X")`, not `map.get("X")` or
            // `try_get("X")`.
            if marker.ends_with("(\"")
                && source[..i]
                    .chars()
                    .last()
                    .is_some_and(|c| c == '.' || c == '_' || c.is_ascii_alphanumeric())
            {
                continue;
            }
            let rest = &source[i + marker.len()..];
            if let Some(end) = rest.find('"') {
                let name = &rest[..end];
                if !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                {
                    names.push(name.to_string());
                }
            }
        }
    }
}

/// Every variable a source file reads.
///
/// These are the names in `env = "NAME"` (clap) and in `var("NAME")` / `var_os("NAME")`
/// calls. They are also the names in calls of a closure of the file that reads its
/// argument (`let get = |name: &str| std::env::var(name)...`, then `get("NAME")`), and in
/// constants whose name ends in `_ENV`. `RUST_LOG` counts where tracing's filter reads its
/// default variable.
fn variables_read(source: &str) -> Vec<String> {
    let mut markers: Vec<String> = ["env = \"", "var(\"", "var_os(\""]
        .map(String::from)
        .to_vec();
    for (i, _) in source.match_indices("let ") {
        let rest = &source[i + 4..];
        let Some((name, after)) = rest.split_once(" = |") else {
            continue;
        };
        let body = after.lines().next().unwrap_or_default();
        if name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            && (body.contains("env::var(") || body.contains("env::var_os("))
        {
            markers.push(format!("{name}(\""));
        }
    }
    markers.push("_ENV: &str = \"".into());
    let mut names = Vec::new();
    names_after(source, &markers, &mut names);
    if source.contains("from_default_env") {
        names.push("RUST_LOG".into());
    }
    names
}

#[test]
fn every_variable_the_code_reads_is_in_env_example() {
    let root = cinelake_testkit::repo();
    let example = std::fs::read_to_string(root.join(".env.example")).unwrap();
    let mut sources = Vec::new();
    rust_sources(&root.join("crates"), &mut sources);
    let mut missing: Vec<String> = sources
        .iter()
        .flat_map(|s| variables_read(s))
        // Left out: test-only plumbing, including the browser test's CHROMIUM. Also the
        // system's PATH, and the variables AWS Lambda sets itself.
        .filter(|n| !n.starts_with("CINELAKE_TEST_") && n != "CINELAKE_SAMPLES")
        .filter(|n| n != "CHROMIUM" && n != "PATH")
        .filter(|n| !n.starts_with("AWS_LAMBDA_") && n != "CARGO_MANIFEST_DIR")
        .filter(|n| !example.contains(&format!("{n}=")))
        .collect();
    missing.sort();
    missing.dedup();
    assert!(missing.is_empty(), ".env.example lacks {missing:?}");
}

#[test]
fn the_scanner_finds_variables() {
    let names = variables_read(
        r#"#[arg(long, env = "CINELAKE_X")] std::env::var("Y_1") var_os("lower")
        let get = |name: &str| std::env::var(name).ok();
        get("TMDB_Z").or(map.get("NOT_A_VARIABLE"));
        pub const STAND_IN_ENV: &str = "CINELAKE_W";
        EnvFilter::try_from_default_env()"#,
    );
    assert_eq!(
        names,
        ["CINELAKE_X", "Y_1", "TMDB_Z", "CINELAKE_W", "RUST_LOG"]
    );
}
