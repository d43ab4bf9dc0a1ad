//! Raw TMDB JSON to typed Parquet, one partition per collection date.
//!
//! Each `Raw/TMDB/JSON/YYYY/MM/DD/` folder becomes `dt=YYYY-MM-DD`, with one row per
//! TMDB id. When a folder holds an id twice, the last record wins.
//!
//! Some input is quarantined (`record_types`): a file that is not a JSON array, a record
//! without a numeric id, and a record with a wrongly typed field. Empty strings become
//! nulls. An impossible release date becomes null, with a note in the quarantine.
//!
//! A folder is converted only when it is new, or when its files changed since its
//! partition was converted (`partition_sources`). So the folders of past months are
//! neither read nor rewritten, and their partitions stay as they are.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::num::NonZeroUsize;
use std::sync::Arc;

use cinelake_catalog::{Catalog, Table};
use cinelake_frames::PolarsContext;
use cinelake_frames::table::{TableSpec, publish_partition};
use cinelake_lake::layout::{self, ProcessingDate};
use cinelake_lake::{ObjectInfo, Store};
use polars::prelude::*;
use serde_json::value::RawValue;

use crate::csv_job::check_share;
use crate::partition_sources::RawSources;
use crate::record_types;
use crate::rejects::{Rejected, store_rejects};
use crate::{JobOptions, TableReport, TrustedError};

/// The table this job writes.
pub const TABLE: Table = Table::TmdbMovies;

/// TMDB records parsed at a time by each core (rounded up to whole files).
pub const JSON_CHUNK_RECORDS: NonZeroUsize = NonZeroUsize::new(4_000).expect("not zero");

fn s(name: &str) -> Field {
    Field::new(name.into(), DataType::String)
}
fn i64f(name: &str) -> Field {
    Field::new(name.into(), DataType::Int64)
}
fn list_of(name: &str, fields: Vec<Field>) -> Field {
    Field::new(
        name.into(),
        DataType::List(Box::new(DataType::Struct(fields))),
    )
}

/// The fields of a TMDB movie-details record that Trusted keeps.
fn record_schema() -> Schema {
    Schema::from_iter([
        i64f("id"),
        s("imdb_id"),
        s("title"),
        s("original_title"),
        s("original_language"),
        s("overview"),
        s("tagline"),
        s("status"),
        s("homepage"),
        s("release_date"),
        i64f("runtime"),
        i64f("budget"),
        i64f("revenue"),
        Field::new("popularity".into(), DataType::Float64),
        Field::new("vote_average".into(), DataType::Float64),
        i64f("vote_count"),
        Field::new("adult".into(), DataType::Boolean),
        Field::new("video".into(), DataType::Boolean),
        s("poster_path"),
        s("backdrop_path"),
        Field::new(
            "belongs_to_collection".into(),
            DataType::Struct(vec![i64f("id"), s("name")]),
        ),
        list_of("genres", vec![i64f("id"), s("name")]),
        // Movie details carry it today; older records do not (null).
        Field::new(
            "origin_country".into(),
            DataType::List(Box::new(DataType::String)),
        ),
        list_of(
            "production_companies",
            vec![i64f("id"), s("name"), s("origin_country"), s("logo_path")],
        ),
        list_of("production_countries", vec![s("iso_3166_1"), s("name")]),
        list_of(
            "spoken_languages",
            vec![s("iso_639_1"), s("english_name"), s("name")],
        ),
    ])
}

fn text(name: &str) -> Expr {
    when(col(name).eq(lit("")))
        .then(lit(NULL).cast(DataType::String))
        .otherwise(col(name))
        .alias(name)
}

/// Typed Trusted columns from the raw record columns.
fn shape(df: DataFrame, what: &str) -> Result<DataFrame, TrustedError> {
    // The rows kept are chosen on the ids alone, so the nested columns are gathered at
    // most once, and not at all when every id is there once.
    let picked = df
        .clone()
        .lazy()
        .with_row_index("_row", None)
        .select([col("_row"), col("id")])
        .unique_stable(Some(cols(["id"])), UniqueKeepStrategy::Last)
        .select([col("_row")])
        .collect()
        .context(|| format!("finding repeated TMDB ids in {what}"))?;
    let rows = picked
        .column("_row")
        .and_then(|c| c.idx())
        .context(|| format!("finding repeated TMDB ids in {what}"))?;
    let df = cinelake_frames::take_rows(df, rows)
        .context(|| format!("dropping repeated TMDB ids in {what}"))?;
    Ok(df
        .lazy()
        .select([
            col("id").alias("tmdb_id"),
            text("imdb_id"),
            text("title"),
            text("original_title"),
            text("original_language"),
            text("overview"),
            text("tagline"),
            text("status"),
            text("homepage"),
            text("release_date")
                .str()
                .to_date(StrptimeOptions {
                    format: Some("%Y-%m-%d".into()),
                    strict: false,
                    ..Default::default()
                })
                .alias("release_date"),
            col("runtime")
                .cast(DataType::Int32)
                .alias("runtime_minutes"),
            col("budget"),
            col("revenue"),
            col("popularity"),
            col("vote_average"),
            col("vote_count"),
            col("adult"),
            col("video"),
            text("poster_path"),
            text("backdrop_path"),
            col("belongs_to_collection")
                .struct_()
                .field_by_name("id")
                .alias("collection_id"),
            col("belongs_to_collection")
                .struct_()
                .field_by_name("name")
                .alias("collection_name"),
            col("genres"),
            col("origin_country"),
            col("production_companies"),
            col("production_countries"),
            col("spoken_languages"),
            col("source_file"),
        ])
        .collect()
        .context(|| format!("typing TMDB records of {what}"))?)
}

/// One Raw file's records: the readable ones as JSON lines, and the refused.
struct FileRecords {
    key: String,
    records_in: u64,
    /// The records with a positive numeric id, one per line.
    lines: Vec<u8>,
    good: usize,
    rejected: Vec<Rejected>,
    /// Published records with a value read as null.
    notes: Vec<Rejected>,
}

/// Files fetched at once.
const FETCH_CONCURRENCY: usize = 16;

async fn fetch(
    store: &Store,
    keys: &[String],
) -> Result<Vec<(String, bytes::Bytes)>, TrustedError> {
    use futures_util::{StreamExt, TryStreamExt};
    Ok(futures_util::stream::iter(keys.iter().cloned())
        .map(|key| async move { store.get(&key).await.map(|body| (key, body)) })
        .buffered(FETCH_CONCURRENCY)
        .try_collect()
        .await?)
}

fn read_file(key: &str, body: &[u8], schema: &Schema) -> FileRecords {
    #[derive(serde::Deserialize)]
    struct Id {
        id: Option<serde_json::Value>,
    }
    let mut f = FileRecords {
        key: key.to_string(),
        records_in: 0,
        lines: Vec::new(),
        good: 0,
        rejected: Vec::new(),
        notes: Vec::new(),
    };
    let records: Vec<&RawValue> = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(e) => {
            f.records_in = 1;
            f.rejected.push(Rejected {
                source: key.to_string(),
                line: None,
                position: None,
                reason: format!("not a JSON array of records: {e}"),
                raw: None,
                kept: false,
            });
            return f;
        }
    };
    for (i, r) in records.iter().enumerate() {
        f.records_in += 1;
        let refuse = |reason: String| Rejected {
            source: key.to_string(),
            line: None,
            position: Some(i as u64),
            reason,
            raw: Some(r.get().to_string()),
            kept: false,
        };
        let id = serde_json::from_str::<Id>(r.get()).ok().and_then(|x| x.id);
        if id.as_ref().and_then(|v| v.as_i64()).is_none_or(|v| v <= 0) {
            f.rejected.push(refuse(match id {
                None => "record without id (not an object, or no id field)".into(),
                Some(v) => format!("record id {v} is not a positive integer"),
            }));
            continue;
        }
        let found = record_types::check_record(r, schema);
        if !found.errors.is_empty() {
            f.rejected.push(refuse(found.errors.join("; ")));
            continue;
        }
        for note in found.notes {
            f.notes.push(Rejected {
                kept: true,
                raw: None,
                ..refuse(note)
            });
        }
        // A raw newline in JSON can only be whitespace (inside strings it is escaped),
        // so a pretty-printed record becomes one JSON line like this.
        f.lines.extend(
            r.get()
                .bytes()
                .map(|b| if b == b'\n' || b == b'\r' { b' ' } else { b }),
        );
        f.lines.push(b'\n');
        f.good += 1;
    }
    f
}

/// Decodes the readable records of some files, as one JSON array: Polars decodes an
/// array column by column, where JSON lines go through a value per row (costly for the
/// nested lists of structs).
fn decode(
    files: &[FileRecords],
    schema: &Arc<Schema>,
    what: &str,
) -> Result<DataFrame, TrustedError> {
    let size: usize = files.iter().map(|f| f.lines.len()).sum();
    let mut array = Vec::with_capacity(size + 2);
    array.push(b'[');
    for f in files.iter().filter(|f| f.good > 0) {
        if array.len() > 1 {
            array.push(b',');
        }
        let lines = f.lines.strip_suffix(b"\n").unwrap_or(&f.lines);
        array.extend(lines.iter().map(|&b| if b == b'\n' { b',' } else { b }));
    }
    array.push(b']');
    if array.len() == 2 {
        return Ok(DataFrame::empty_with_schema(schema));
    }
    Ok(JsonReader::new(Cursor::new(array))
        .with_json_format(JsonFormat::Json)
        .with_schema(schema.clone())
        .finish()
        .context(|| format!("reading TMDB records of {what}"))?)
}

/// Consecutive files holding about `records` readable records together.
fn groups(files: &[FileRecords], records: usize) -> Vec<&[FileRecords]> {
    let mut out = Vec::new();
    let (mut start, mut count) = (0, 0);
    for (i, f) in files.iter().enumerate() {
        count += f.good;
        if count >= records {
            out.push(&files[start..=i]);
            start = i + 1;
            count = 0;
        }
    }
    if start < files.len() {
        out.push(&files[start..]);
    }
    out
}

/// Every readable record of the files, typed, with the file each came from.
fn read_records(
    files: &[FileRecords],
    chunk_records: usize,
    what: &str,
) -> Result<DataFrame, TrustedError> {
    let schema = Arc::new(record_schema());
    // Each group is parsed by one thread: the parser's working memory grows with its
    // input, the typed rows far less.
    let parts = cinelake_frames::parallel::map_ordered(&groups(files, chunk_records), |g| {
        decode(g, &schema, what)
    });
    let mut df = DataFrame::empty_with_schema(&schema);
    for part in parts {
        df.vstack_mut(&part?)
            .context(|| "stacking TMDB records".into())?;
    }
    let sources: Vec<&str> = files
        .iter()
        .flat_map(|f| std::iter::repeat_n(f.key.as_str(), f.good))
        .collect();
    df.with_column(Column::new("source_file".into(), sources))
        .context(|| "adding source_file".into())?;
    Ok(df)
}

/// Every Raw TMDB folder's files, by collection date.
pub async fn raw_folders(
    store: &Store,
) -> Result<BTreeMap<ProcessingDate, Vec<ObjectInfo>>, TrustedError> {
    let mut by_date: BTreeMap<ProcessingDate, Vec<ObjectInfo>> = BTreeMap::new();
    for obj in store.list(&layout::raw_tmdb_json_prefix()).await? {
        if let Some(d) = layout::parse_raw_tmdb_json_key(&obj.key) {
            by_date.entry(d).or_default().push(obj);
        }
    }
    Ok(by_date)
}

/// The partitions already in the catalog, by `dt`: where each is and what it was
/// converted from (`None` when its entry has no note).
async fn converted(
    catalog: &Catalog,
    opts: &JobOptions,
) -> Result<BTreeMap<String, (String, Option<RawSources>)>, TrustedError> {
    let db = TABLE.database(&opts.databases);
    Ok(catalog
        .partitions(db, TABLE.name())
        .await?
        .into_iter()
        .filter_map(|p| {
            let dt = p.values.first()?.clone();
            Some((dt, (p.location, RawSources::from_parameters(&p.parameters))))
        })
        .collect())
}

/// Runs the job over every collection date: converts the folders that are new or whose
/// files changed since their partition was converted, and reports the others unchanged.
pub async fn run(
    store: &Store,
    catalog: &Catalog,
    opts: &JobOptions,
) -> Result<Vec<TableReport>, TrustedError> {
    let folders = raw_folders(store).await?;
    if folders.is_empty() {
        return Err(TrustedError::NoSource {
            what: "TMDB records".into(),
            lake: store.url(),
            hint: format!(
                "nothing under {}; run tmdb-ingest first",
                layout::raw_tmdb_json_prefix()
            ),
        });
    }
    let converted = converted(catalog, opts).await?;
    let mut reports = Vec::new();
    for (date, files) in folders {
        let sources = RawSources::of(&files);
        match converted.get(&date.iso()) {
            Some((location, Some(before))) if *before == sources => {
                tracing::info!(dt = %date, files = sources.files, "trusted TMDB partition unchanged: its Raw files are those it was converted from");
                reports.push(unchanged(opts, date, location));
            }
            _ => {
                let keys: Vec<String> = files.into_iter().map(|f| f.key).collect();
                reports.push(run_date(store, catalog, opts, date, &keys, &sources).await?);
            }
        }
    }
    Ok(reports)
}

/// The report of a partition left as it was: nothing read, nothing written.
fn unchanged(opts: &JobOptions, date: ProcessingDate, location: &str) -> TableReport {
    TableReport {
        table: format!(
            "{}.{TABLE} dt={}",
            TABLE.database(&opts.databases),
            date.iso()
        ),
        source: Vec::new(),
        rows_in: 0,
        rows_out: 0,
        rejected: 0,
        nulled: 0,
        location: location.to_string(),
        rejects_key: None,
        unchanged: true,
        rows_from: None,
    }
}

async fn run_date(
    store: &Store,
    catalog: &Catalog,
    opts: &JobOptions,
    date: ProcessingDate,
    keys: &[String],
    sources: &RawSources,
) -> Result<TableReport, TrustedError> {
    let bodies = fetch(store, keys).await?;
    let what = layout::raw_tmdb_json_dir(date);
    let what_for_task = what.clone();
    let chunk_records = opts.json_chunk_records.get();
    let (mut df, records_in, all_rejected, notes) = tokio::task::spawn_blocking(
        move || -> Result<(DataFrame, u64, Vec<Rejected>, Vec<Rejected>), TrustedError> {
            let schema = record_schema();
            let files = cinelake_frames::parallel::map_ordered(&bodies, |(key, body)| {
                read_file(key, body, &schema)
            });
            drop(bodies);
            let records_in = files.iter().map(|f| f.records_in).sum();
            let df = read_records(&files, chunk_records, &what_for_task)?;
            let (rejected, notes) = files
                .into_iter()
                .map(|f| (f.rejected, f.notes))
                .unzip::<_, _, Vec<_>, Vec<_>>();
            Ok((
                shape(df, &what_for_task)?,
                records_in,
                rejected.into_iter().flatten().collect(),
                notes.into_iter().flatten().collect(),
            ))
        },
    )
    .await
    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?;
    let rows_out = df.height() as u64;
    let rejected = all_rejected.len() as u64;
    let nulled = notes.len() as u64;
    let duplicates = records_in.saturating_sub(rejected + rows_out);
    let table = format!("{TABLE} dt={}", date.iso());
    let quarantined: Vec<Rejected> = all_rejected.iter().chain(&notes).cloned().collect();
    let rejects_key = store_rejects(
        store,
        TABLE.name(),
        &format!("{}-dt={}", opts.run_id, date.iso()),
        &quarantined,
    )
    .await?;
    check_share(
        &table,
        rejected,
        records_in,
        opts,
        &rejects_key,
        &all_rejected,
    )?;
    let spec = TableSpec::of(TABLE, &opts.databases);
    let published = publish_partition(
        store,
        catalog,
        &spec,
        ("dt", &date.iso()),
        sources.parameters(),
        &opts.run_id,
        &mut df,
    )
    .await?;
    tracing::info!(table = %table, records = records_in, rows_out, rejected, nulled, duplicates, "trusted TMDB partition written");
    Ok(TableReport {
        table: format!("{} dt={}", published.table, date.iso()),
        source: keys.to_vec(),
        rows_in: records_in,
        rows_out,
        rejected,
        nulled,
        location: published.location,
        rejects_key,
        unchanged: false,
        rows_from: None,
    })
}
