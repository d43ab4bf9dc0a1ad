//! Reads `.env` files into the environment.
//!
//! A file has `KEY=VALUE` lines and `#` comments, with optional `export ` and quotes. A
//! variable already in the environment wins, as with docker's `--env-file` and shells.

use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum EnvFileError {
    #[error("reading {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: expected KEY=VALUE, found {text:?}")]
    Syntax {
        path: String,
        line: usize,
        text: String,
    },
}

/// The file's assignments, in order.
pub fn parse(path: &str, text: &str) -> Result<Vec<(String, String)>, EnvFileError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let syntax = || EnvFileError::Syntax {
            path: path.to_string(),
            line: i + 1,
            text: raw.to_string(),
        };
        let (key, value) = line.split_once('=').ok_or_else(syntax)?;
        let key = key.trim();
        let valid_key = !key.is_empty()
            && !key.starts_with(|c: char| c.is_ascii_digit())
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid_key {
            return Err(syntax());
        }
        let value = value.trim();
        let value = ['"', '\'']
            .iter()
            .find_map(|q| value.strip_prefix(*q).and_then(|v| v.strip_suffix(*q)))
            .unwrap_or(value);
        out.push((key.to_string(), value.to_string()));
    }
    Ok(out)
}

/// Reads `path` into the environment (keeping variables already set). Must run before
/// any other thread starts: the environment is process-wide.
pub fn load(path: &Path) -> Result<usize, EnvFileError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| EnvFileError::Read {
        path: shown.clone(),
        source,
    })?;
    let mut set = 0;
    for (key, value) in parse(&shown, &text)? {
        if std::env::var_os(&key).is_none() {
            // Safe: called from main before the runtime or any thread exists.
            unsafe { std::env::set_var(&key, value) };
            set += 1;
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_comments_quotes_and_export() {
        let text = "# lake\nCINELAKE_LAKE=s3://b/p\n\nexport RUST_LOG='info'\nX=\"a b\" \nEMPTY=\nURL=http://h:1/?a=b\n";
        let vars = parse(".env", text).unwrap();
        assert_eq!(
            vars,
            [
                ("CINELAKE_LAKE", "s3://b/p"),
                ("RUST_LOG", "info"),
                ("X", "a b"),
                ("EMPTY", ""),
                ("URL", "http://h:1/?a=b"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
    }

    #[test]
    fn a_bad_line_is_named_with_its_number() {
        let err = parse("conf/.env", "A=1\nthis is not an assignment\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "conf/.env:2: expected KEY=VALUE, found \"this is not an assignment\""
        );
        let err = parse(".env", "1A=x").unwrap_err();
        assert!(err.to_string().starts_with(".env:1:"), "{err}");
    }
}
