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

/// Names in `env = "NAME"` (clap) and `var("NAME")` / `var_os("NAME")` calls.
fn variables_read(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    for marker in ["env = \"", "var(\"", "var_os(\""] {
        for (i, _) in source.match_indices(marker) {
            // `set_var` writes a variable for the process itself; it is not configuration.
            if source[..i].ends_with("set_") {
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
        // Test-only plumbing (the browser test's CHROMIUM too), the system's PATH, and
        // variables set by AWS Lambda itself.
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
    let names =
        variables_read(r#"#[arg(long, env = "CINELAKE_X")] std::env::var("Y_1") var_os("lower")"#);
    assert_eq!(names, ["CINELAKE_X", "Y_1"]);
}
