//! Serves recorded TMDB answers, byte for byte. They come from every `*.json` file of a
//! directory that holds a JSON array of movie details, as the Raw zone stores them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::value::RawValue;

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("reading {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a JSON array of records: {source}")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{path}: record {index} has no numeric id")]
    NoId { path: PathBuf, index: usize },
    #[error("{dir}: no *.json files")]
    Empty { dir: PathBuf },
}

#[derive(Debug, Default)]
pub struct Replayed {
    by_tmdb: HashMap<u64, String>,
    by_imdb: HashMap<String, u64>,
}

impl Replayed {
    pub fn load(dir: &Path) -> Result<Self, ReplayError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ReplayError::Io { path, source }
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io(dir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(ReplayError::Empty {
                dir: dir.to_path_buf(),
            });
        }
        let mut out = Replayed::default();
        for path in files {
            let text = std::fs::read_to_string(&path).map_err(io(&path))?;
            let records: Vec<Box<RawValue>> =
                serde_json::from_str(&text).map_err(|source| ReplayError::Json {
                    path: path.clone(),
                    source,
                })?;
            #[derive(serde::Deserialize)]
            struct Ids {
                id: Option<u64>,
                imdb_id: Option<String>,
            }
            for (index, raw) in records.into_iter().enumerate() {
                let ids: Ids =
                    serde_json::from_str(raw.get()).map_err(|source| ReplayError::Json {
                        path: path.clone(),
                        source,
                    })?;
                let Some(id) = ids.id else {
                    return Err(ReplayError::NoId {
                        path: path.clone(),
                        index,
                    });
                };
                if let Some(imdb) = ids.imdb_id.filter(|s| !s.is_empty()) {
                    out.by_imdb.insert(imdb, id);
                }
                out.by_tmdb.insert(id, raw.get().to_string());
            }
        }
        Ok(out)
    }

    pub fn tmdb_id_of(&self, imdb_id: &str) -> Option<u64> {
        self.by_imdb.get(imdb_id).copied()
    }

    pub fn record(&self, tmdb_id: u64) -> Option<&str> {
        self.by_tmdb.get(&tmdb_id).map(String::as_str)
    }

    pub fn imdb_ids(&self) -> impl Iterator<Item = &str> {
        self.by_imdb.keys().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.by_tmdb.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_tmdb.is_empty()
    }
}
