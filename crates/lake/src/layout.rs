//! Builds every key of the lake, so the zone layout lives in one place.
//!
//! Analysts, IAM policies and the catalog depend on these keys, so no other module
//! formats a zone path by hand. `YYYY/MM/DD` is the processing date in UTC, which a
//! rerun may override (`--date`).

use chrono::{Datelike, NaiveDate, Utc};

use crate::source::CsvKind;
use crate::{Error, Result};

pub const RAW: &str = "Raw";
pub const TRUSTED: &str = "Trusted";
pub const REFINED: &str = "Refined";
pub const RUNS: &str = "_runs";
pub const CATALOG: &str = "_catalog";

/// The processing date a run files its outputs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProcessingDate(NaiveDate);

impl ProcessingDate {
    /// Today in UTC.
    pub fn today() -> Self {
        ProcessingDate(Utc::now().date_naive())
    }

    /// `--date` if given, else today in UTC.
    pub fn or_today(date: Option<ProcessingDate>) -> Self {
        date.unwrap_or_else(Self::today)
    }

    pub fn new(date: NaiveDate) -> Self {
        ProcessingDate(date)
    }

    pub fn date(self) -> NaiveDate {
        self.0
    }

    /// `YYYY/MM/DD`, the Raw zone's date folders.
    pub fn path(self) -> String {
        format!(
            "{:04}/{:02}/{:02}",
            self.0.year(),
            self.0.month(),
            self.0.day()
        )
    }

    /// `YYYY-MM-DD`, the form of `dt=` partitions.
    pub fn iso(self) -> String {
        self.0.format("%Y-%m-%d").to_string()
    }
}

impl std::str::FromStr for ProcessingDate {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(ProcessingDate)
            .map_err(|_| Error::InvalidDate {
                value: s.to_string(),
            })
    }
}

impl std::fmt::Display for ProcessingDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.iso())
    }
}

/// `Raw/Local/CSV/<Movies|Series>/`: every dated upload of one source file.
pub fn raw_csv_prefix(kind: CsvKind) -> String {
    format!("{RAW}/Local/CSV/{}/", kind.folder())
}

/// `Raw/Local/CSV/Movies/YYYY/MM/DD/movies.csv` (or the series equivalent).
pub fn raw_csv_key(kind: CsvKind, date: ProcessingDate) -> String {
    format!(
        "{}{}/{}",
        raw_csv_prefix(kind),
        date.path(),
        kind.file_name()
    )
}

/// The processing date of a key built by [`raw_csv_key`], if it is one.
pub fn parse_raw_csv_key(kind: CsvKind, key: &str) -> Option<ProcessingDate> {
    let rest = key.strip_prefix(&raw_csv_prefix(kind))?;
    let date_path = rest.strip_suffix(&format!("/{}", kind.file_name()))?;
    parse_date_path(date_path)
}

/// `Raw/TMDB/JSON/`: every dated TMDB collection.
pub fn raw_tmdb_json_prefix() -> String {
    format!("{RAW}/TMDB/JSON/")
}

/// `Raw/TMDB/JSON/YYYY/MM/DD/`: one day's TMDB collection.
pub fn raw_tmdb_json_dir(date: ProcessingDate) -> String {
    format!("{}{}/", raw_tmdb_json_prefix(), date.path())
}

/// `Raw/TMDB/JSON/YYYY/MM/DD/<run>-<seq>.json`: at most 100 records as TMDB returned them.
pub fn raw_tmdb_json_key(date: ProcessingDate, run_id: &str, seq: u32) -> String {
    format!("{}{run_id}-{seq:05}.json", raw_tmdb_json_dir(date))
}

/// The collection date of a key under [`raw_tmdb_json_prefix`], if it has one.
pub fn parse_raw_tmdb_json_key(key: &str) -> Option<ProcessingDate> {
    let rest = key.strip_prefix(&raw_tmdb_json_prefix())?;
    let (date_path, file) = rest.rsplit_once('/')?;
    if !file.ends_with(".json") {
        return None;
    }
    parse_date_path(date_path)
}

/// `Raw/TMDB/_state/<name>`: the ingestion checkpoint.
pub fn raw_tmdb_state_key(name: &str) -> String {
    format!("{RAW}/TMDB/_state/{name}")
}

/// `Trusted/Local/Parquet/<Movies|Series>/`.
pub fn trusted_csv_prefix(kind: CsvKind) -> String {
    format!("{TRUSTED}/Local/Parquet/{}/", kind.folder())
}

/// `Trusted/TMDB/Parquet/Movies/`.
pub fn trusted_tmdb_prefix() -> String {
    format!("{TRUSTED}/TMDB/Parquet/Movies/")
}

/// `Trusted/TMDB/Parquet/Movies/dt=YYYY-MM-DD/`, partitioned by TMDB collection date.
pub fn trusted_tmdb_partition(dt: ProcessingDate) -> String {
    format!("{}dt={}/", trusted_tmdb_prefix(), dt.iso())
}

/// `Trusted/_rejected/<table>/`: rows refused, with line and reason.
pub fn rejected_prefix(table: &str) -> String {
    format!("{TRUSTED}/_rejected/{table}/")
}

/// `Refined/<table>/`.
pub fn refined_prefix(table: &str) -> String {
    format!("{REFINED}/{table}/")
}

/// `_runs/<stage>/<run id>.json`: the run manifest.
pub fn run_manifest_key(stage: &str, run_id: &str) -> String {
    format!("{RUNS}/{stage}/{run_id}.json")
}

/// `_runs/lease/jobs/`: the lease the transform jobs take. They are trusted, refined and
/// the views. With the lease, two executions of the pipeline never run one at the same
/// time.
pub fn jobs_lease_prefix() -> String {
    format!("{RUNS}/lease/jobs/")
}

/// `_catalog/<database>/`: the local catalog's entries of one database.
pub fn catalog_prefix(database: &str) -> String {
    format!("{CATALOG}/{database}/")
}

/// `_catalog/<database>/<table>.json`: one table's entry in the local catalog.
pub fn catalog_key(database: &str, table: &str) -> String {
    format!("{}{table}.json", catalog_prefix(database))
}

fn parse_date_path(date_path: &str) -> Option<ProcessingDate> {
    let mut parts = date_path.split('/');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).map(ProcessingDate)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> ProcessingDate {
        s.parse().unwrap()
    }

    #[test]
    fn raw_csv_keys_follow_the_contract() {
        let d = date("2026-03-07");
        assert_eq!(
            raw_csv_key(CsvKind::Movies, d),
            "Raw/Local/CSV/Movies/2026/03/07/movies.csv"
        );
        assert_eq!(
            raw_csv_key(CsvKind::Series, d),
            "Raw/Local/CSV/Series/2026/03/07/series.csv"
        );
    }

    #[test]
    fn raw_csv_keys_parse_back_and_strangers_do_not() {
        let d = date("2025-12-31");
        assert_eq!(
            parse_raw_csv_key(CsvKind::Movies, &raw_csv_key(CsvKind::Movies, d)),
            Some(d)
        );
        assert_eq!(
            parse_raw_csv_key(CsvKind::Series, &raw_csv_key(CsvKind::Movies, d)),
            None
        );
        assert_eq!(
            parse_raw_csv_key(
                CsvKind::Movies,
                "Raw/Local/CSV/Movies/2025/13/01/movies.csv"
            ),
            None
        );
        assert_eq!(
            parse_raw_csv_key(CsvKind::Movies, "Raw/Local/CSV/Movies/2025/1/01/movies.csv"),
            None
        );
    }

    #[test]
    fn tmdb_and_other_zone_keys() {
        let d = date("2026-11-01");
        let key = raw_tmdb_json_key(d, "r1", 3);
        assert_eq!(key, "Raw/TMDB/JSON/2026/11/01/r1-00003.json");
        assert_eq!(parse_raw_tmdb_json_key(&key), Some(d));
        assert_eq!(
            parse_raw_tmdb_json_key("Raw/TMDB/JSON/2026/11/01/x.txt"),
            None
        );
        assert_eq!(
            trusted_tmdb_partition(d),
            "Trusted/TMDB/Parquet/Movies/dt=2026-11-01/"
        );
        assert_eq!(
            trusted_csv_prefix(CsvKind::Series),
            "Trusted/Local/Parquet/Series/"
        );
        assert_eq!(rejected_prefix("movies"), "Trusted/_rejected/movies/");
        assert_eq!(refined_prefix("fact_film"), "Refined/fact_film/");
        assert_eq!(run_manifest_key("upload", "abc"), "_runs/upload/abc.json");
        assert_eq!(raw_tmdb_state_key("done.json"), "Raw/TMDB/_state/done.json");
        assert_eq!(catalog_key("db", "t"), "_catalog/db/t.json");
        assert_eq!(catalog_prefix("db"), "_catalog/db/");
    }

    #[test]
    fn dates_are_validated() {
        assert!("2026-02-30".parse::<ProcessingDate>().is_err());
        let err = "28/11/2026".parse::<ProcessingDate>().unwrap_err();
        assert!(err.to_string().contains("28/11/2026"), "{err}");
    }
}
