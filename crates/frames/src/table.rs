//! Publishing and reading tables that are kept as versions.
//!
//! Each write goes under its own prefix. Then the catalog is switched to it. So a
//! reader sees the old table or the new one, never a mix or an empty table. A crash
//! before the switch leaves the previous version in place.

use std::collections::BTreeMap;

use cinelake_catalog::{
    Catalog, ColumnDef, Databases, PartitionDef, Table, TableDef, parquet_table,
};
use cinelake_lake::store::FileDigest;
use cinelake_lake::{PutFileOptions, Store};
use polars::prelude::*;

use crate::parquet::{read_parquet_columns, read_parquet_file_kept, write_parquet};
use crate::types::columns_of;
use crate::{FramesError, PolarsContext, Result};

/// Versions kept per table or partition: the current one and the one before, for
/// readers that started before the switch.
const KEEP_VERSIONS: usize = 2;
const FILE: &str = "part-00000.parquet";

/// Where a table lives and how it is described.
#[derive(Debug, Clone)]
pub struct TableSpec {
    pub db: String,
    pub name: String,
    pub description: String,
    /// The table's key prefix, ending in `/` (e.g. `Refined/fact_film/`).
    pub prefix: String,
}

impl TableSpec {
    /// One of cinelake's own tables, in its database and at its prefix.
    pub fn of(table: Table, dbs: &Databases) -> Self {
        TableSpec {
            db: table.database(dbs).to_string(),
            name: table.name().to_string(),
            description: table.description().to_string(),
            prefix: table.prefix(),
        }
    }
}

/// What a publish wrote.
#[derive(Debug, Clone)]
pub struct Published {
    pub table: String,
    pub key: String,
    pub location: String,
    pub rows: u64,
    pub bytes: u64,
}

/// Writes `df` as a new version of an unpartitioned table and registers it.
pub async fn publish(
    store: &Store,
    catalog: &Catalog,
    spec: &TableSpec,
    run_id: &str,
    df: &mut DataFrame,
) -> Result<Published> {
    let bytes = blocking(|| write_parquet(df))?;
    publish_parquet(
        store,
        catalog,
        spec,
        run_id,
        bytes,
        &df.schema().clone(),
        df.height() as u64,
    )
    .await
}

/// Publishes a table already written as Parquet (rows of `schema`) as a new version.
pub async fn publish_parquet(
    store: &Store,
    catalog: &Catalog,
    spec: &TableSpec,
    run_id: &str,
    bytes: bytes::Bytes,
    schema: &Schema,
    rows: u64,
) -> Result<Published> {
    let dir = version_dir(spec, run_id);
    let written = write_version(store, &dir, bytes, rows).await?;
    register_version(store, catalog, spec, &dir, written, schema).await
}

/// Publishes a table written as a Parquet file on disk as a new version. The file holds
/// rows of `schema` and comes with its size and SHA-256. It goes up in parts (multipart
/// on S3), so the output never has to be in memory whole.
pub async fn publish_parquet_file(
    store: &Store,
    catalog: &Catalog,
    spec: &TableSpec,
    run_id: &str,
    (file, digest): (&std::path::Path, &FileDigest),
    schema: &Schema,
    rows: u64,
) -> Result<Published> {
    let dir = version_dir(spec, run_id);
    let key = format!("{dir}{FILE}");
    store
        .put_file(&key, file, digest, &PutFileOptions::default(), &|_| {})
        .await?;
    let written = Published {
        table: String::new(),
        key,
        location: store.location(&dir),
        rows,
        bytes: digest.size,
    };
    register_version(store, catalog, spec, &dir, written, schema).await
}

/// Registers a version just written under `dir` and prunes the old ones.
async fn register_version(
    store: &Store,
    catalog: &Catalog,
    spec: &TableSpec,
    dir: &str,
    written: Published,
    schema: &Schema,
) -> Result<Published> {
    switch_to_version(store, catalog, spec, dir, columns_of(schema)?).await?;
    Ok(Published {
        table: format!("{}.{}", spec.db, spec.name),
        ..written
    })
}

/// The folder of a table's version written by run `run_id`: `<table prefix><run_id>/`.
pub fn version_dir(spec: &TableSpec, run_id: &str) -> String {
    format!("{}{run_id}/", spec.prefix)
}

/// Switches the table to the version under `dir` and returns the version's location.
///
/// `dir` is a [`version_dir`]. It may be written by this process or by another engine,
/// e.g. Athena's `CREATE TABLE AS SELECT`. The table's catalog entry is replaced by one
/// with `columns` at the version's location. So a reader sees the old version or the
/// new one, never a mix. Then all but the newest versions are deleted.
pub async fn switch_to_version(
    store: &Store,
    catalog: &Catalog,
    spec: &TableSpec,
    dir: &str,
    columns: Vec<ColumnDef>,
) -> Result<String> {
    let location = store.location(dir);
    let def = parquet_table(&spec.name, &spec.description, columns, &location, vec![]);
    catalog.ensure_database(&spec.db).await?;
    // Readers are on this version until the switch, so it is the one kept beside the
    // new one. That holds whatever the order of their names. Two runs in one second
    // have ids that do not sort by time.
    let previous = catalog
        .get_table(&spec.db, &spec.name)
        .await?
        .and_then(|d| store.key_of_location(&d.storage_descriptor.location))
        .and_then(|key| version_in(&spec.prefix, &key));
    catalog.put_table(&spec.db, &def).await?;
    let current = version_in(&spec.prefix, dir);
    prune(store, &spec.prefix, current.as_deref(), previous.as_deref()).await?;
    Ok(location)
}

/// Deletes a version that a failed run wrote and never switched to, as far as it can.
/// What cannot be listed or deleted is logged, not returned. So the run's own error is
/// the one reported. A later prune removes what is left.
pub async fn delete_unswitched_version(store: &Store, dir: &str) {
    let objects = match store.list(dir).await {
        Ok(o) => o,
        Err(e) => {
            tracing::warn!(dir, error = %e, "could not list a failed run's version");
            return;
        }
    };
    for o in objects {
        if let Err(e) = store.delete(&o.key).await {
            tracing::warn!(key = %o.key, error = %e, "could not delete a failed run's file");
        }
    }
}

/// The version folder a key of a version's folder (`<prefix><version>/`) names.
fn version_in(prefix: &str, dir: &str) -> Option<String> {
    let version = dir.strip_prefix(prefix)?.strip_suffix('/')?;
    (!version.is_empty() && !version.contains('/')).then(|| version.to_string())
}

/// Writes `df` as a new version of one partition (`<key>=<value>`) and registers it.
/// The partition's catalog entry gets `parameters`, which say what it was made from. So
/// the entry that points at the new version and the note about it change together.
pub async fn publish_partition(
    store: &Store,
    catalog: &Catalog,
    spec: &TableSpec,
    partition: (&str, &str),
    parameters: BTreeMap<String, String>,
    run_id: &str,
    df: &mut DataFrame,
) -> Result<Published> {
    let (pkey, pvalue) = partition;
    let part_prefix = format!("{}{pkey}={pvalue}/", spec.prefix);
    let dir = format!("{part_prefix}{run_id}/");
    let bytes = blocking(|| write_parquet(df))?;
    let written = write_version(store, &dir, bytes, df.height() as u64).await?;
    let def = parquet_table(
        &spec.name,
        &spec.description,
        columns_of(df.schema())?,
        &store.location(&spec.prefix),
        vec![ColumnDef::new(pkey, "string")],
    );
    catalog.ensure_database(&spec.db).await?;
    catalog.put_table(&spec.db, &def).await?;
    catalog
        .put_partition(
            &spec.db,
            &spec.name,
            &PartitionDef {
                values: vec![pvalue.to_string()],
                location: store.location(&dir),
                parameters,
            },
        )
        .await?;
    prune(store, &part_prefix, Some(run_id), None).await?;
    Ok(Published {
        table: format!("{}.{}", spec.db, spec.name),
        ..written
    })
}

async fn write_version(
    store: &Store,
    dir: &str,
    bytes: bytes::Bytes,
    rows: u64,
) -> Result<Published> {
    let key = format!("{dir}{FILE}");
    let size = bytes.len() as u64;
    store.put(&key, bytes).await?;
    Ok(Published {
        table: String::new(),
        key,
        location: store.location(dir),
        rows,
        bytes: size,
    })
}

/// Deletes every version folder directly under `prefix` except `current` and
/// `previous`. Every object in a folder goes with it. Folders named `key=value` are
/// partitions, not versions.
///
/// `current` is the one the catalog now names. It is kept even when it holds no file,
/// because Athena writes none for an empty table. `previous` is the one the catalog
/// named before. When the previous one is not known, the folders kept are `current` and
/// the newest [`KEEP_VERSIONS`] by name.
async fn prune(
    store: &Store,
    prefix: &str,
    current: Option<&str>,
    previous: Option<&str>,
) -> Result<()> {
    let mut versions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for o in store.list(prefix).await? {
        let Some((version, _)) = o
            .key
            .strip_prefix(prefix)
            .and_then(|rest| rest.split_once('/'))
        else {
            continue;
        };
        if !version.contains('=') {
            versions.entry(version.to_string()).or_default().push(o.key);
        }
    }
    if let Some(v) = current {
        versions.entry(v.to_string()).or_default();
    }
    let newest = versions.len().saturating_sub(KEEP_VERSIONS);
    for (i, (version, keys)) in versions.into_iter().enumerate() {
        // The version the catalog now names is never deleted, whatever its name's rank
        // (a run id may sort below older ones, as two runs in one second can).
        let keep = Some(version.as_str()) == current
            || match previous {
                Some(p) => version == p,
                None => i >= newest,
            };
        if !keep {
            for key in keys {
                store.delete(&key).await?;
            }
        }
    }
    Ok(())
}

/// Whether an object directly in a version's folder is one of its data files. Any
/// object is, except hidden ones, whose names start with `_` or `.`. Hive and Athena
/// skip those, and the directory lake's temporary files are named that way. Athena's
/// own files have no `.parquet` suffix.
fn is_data_file(name: &str) -> bool {
    !name.is_empty() && !name.contains('/') && !name.starts_with(['_', '.'])
}

/// Every row of a catalog table, partition columns included (as strings).
pub async fn read_table(
    store: &Store,
    catalog: &Catalog,
    db: &str,
    name: &str,
) -> Result<DataFrame> {
    read_table_where(store, catalog, db, name, None, None).await
}

/// Rows kept from each file of a table (a filter or a join), applied as files are read.
pub type Keep<'a> = &'a (dyn Fn(DataFrame) -> PolarsResult<DataFrame> + Sync);

/// Rows kept from each file of a partition, given the partition's values (in the
/// order of the table's partition keys).
pub type KeepIn<'a> = &'a (dyn Fn(&[String], DataFrame) -> PolarsResult<DataFrame> + Sync);

/// Part of a table: only `columns` (all when `None`), and only the rows `keep` keeps,
/// applied file by file so the rest never piles up in memory. A partitioned table's
/// partition columns are added as strings, whichever columns are asked for.
pub async fn read_table_where(
    store: &Store,
    catalog: &Catalog,
    db: &str,
    name: &str,
    columns: Option<&[&str]>,
    keep: Option<Keep<'_>>,
) -> Result<DataFrame> {
    let def = catalog
        .get_table(db, name)
        .await?
        .ok_or_else(|| FramesError::NoTable(format!("{db}.{name}")))?;
    if def.partition_keys.is_empty() {
        return read_location(store, &def.storage_descriptor.location, columns, keep)
            .await
            .map(|d| d.unwrap_or_else(|| empty_frame(&def)));
    }
    let keep_in = keep.map(|keep| move |_: &[String], df: DataFrame| keep(df));
    let keep_in = keep_in.as_ref().map(|k| k as KeepIn<'_>);
    read_partitions(store, catalog, db, &def, columns, keep_in).await
}

/// Part of a partitioned table, read partition by partition. Only `columns` of its
/// files are read. Only the rows `keep` keeps for each partition stay, and `keep` is
/// told which partition it is. `keep` is applied file by file. The partition columns
/// are added as strings.
pub async fn read_partitioned_where(
    store: &Store,
    catalog: &Catalog,
    db: &str,
    name: &str,
    columns: Option<&[&str]>,
    keep: KeepIn<'_>,
) -> Result<DataFrame> {
    let def = catalog
        .get_table(db, name)
        .await?
        .ok_or_else(|| FramesError::NoTable(format!("{db}.{name}")))?;
    read_partitions(store, catalog, db, &def, columns, Some(keep)).await
}

async fn read_partitions(
    store: &Store,
    catalog: &Catalog,
    db: &str,
    def: &TableDef,
    columns: Option<&[&str]>,
    keep: Option<KeepIn<'_>>,
) -> Result<DataFrame> {
    let name = &def.name;
    // The files hold no partition column: those come from the catalog.
    let keys: Vec<&str> = def.partition_keys.iter().map(|k| k.name.as_str()).collect();
    let file_columns: Option<Vec<&str>> =
        columns.map(|c| c.iter().copied().filter(|c| !keys.contains(c)).collect());
    let mut out: Option<DataFrame> = None;
    for p in catalog.partitions(db, name).await? {
        let values = p.values.clone();
        let keep_here = keep.map(|keep| move |df: DataFrame| keep(&values, df));
        let keep_here = keep_here.as_ref().map(|k| k as Keep<'_>);
        let Some(mut df) =
            read_location(store, &p.location, file_columns.as_deref(), keep_here).await?
        else {
            continue;
        };
        for (key, value) in def.partition_keys.iter().zip(&p.values) {
            let column = Column::new(key.name.as_str().into(), vec![value.as_str(); df.height()]);
            df.with_column(column)
                .context(|| format!("adding partition column {}", key.name))?;
        }
        out = Some(match out {
            None => df,
            Some(mut acc) => {
                acc.vstack_mut(&df)
                    .context(|| format!("stacking partitions of {db}.{name}"))?;
                acc
            }
        });
    }
    Ok(out.unwrap_or_else(|| empty_frame(def)))
}

/// A frame with no columns, for a registered table with no files (never written by us).
fn empty_frame(_def: &TableDef) -> DataFrame {
    DataFrame::empty()
}

async fn read_location(
    store: &Store,
    location: &str,
    columns: Option<&[&str]>,
    keep: Option<Keep<'_>>,
) -> Result<Option<DataFrame>> {
    let prefix = store
        .key_of_location(location)
        .ok_or_else(|| FramesError::ForeignLocation {
            location: location.to_string(),
            lake: store.url(),
        })?;
    let mut out: Option<DataFrame> = None;
    for obj in store.list(&prefix).await? {
        if !is_data_file(&obj.key[prefix.len()..]) {
            continue;
        }
        let df = match keep {
            None => {
                let bytes = store.get(&obj.key).await?;
                blocking(|| read_parquet_columns(&bytes, &obj.key, columns))?
            }
            // A read that keeps a few rows of a large table goes through a temporary
            // file, so only the slice being read is in memory, never the whole file.
            Some(keep) => match store {
                // A directory lake's file is read where it is.
                Store::Local(local) => {
                    let path = local.path_of(&obj.key);
                    blocking(|| read_parquet_file_kept(&path, &obj.key, columns, keep))?
                }
                Store::S3(_) => {
                    let file = spool(store, &obj.key).await?;
                    blocking(|| read_parquet_file_kept(file.path(), &obj.key, columns, keep))?
                }
            },
        };
        out = Some(match out {
            None => df,
            Some(mut acc) => {
                acc.vstack_mut(&df)
                    .context(|| format!("stacking {}", obj.key))?;
                acc
            }
        });
    }
    Ok(out)
}

/// The object at `key`, copied piece by piece to a temporary file (removed when dropped).
async fn spool(store: &Store, key: &str) -> Result<tempfile::NamedTempFile> {
    use std::io::Write;
    let io = |e: std::io::Error| FramesError::Polars {
        context: format!("copying {key} to a temporary file"),
        source: PolarsError::IO {
            error: std::sync::Arc::new(e),
            msg: None,
        },
    };
    let mut file = tempfile::NamedTempFile::new().map_err(io)?;
    let mut stream = store.get_stream(key).await?;
    while let Some(piece) = stream.next().await? {
        file.write_all(&piece).map_err(io)?;
    }
    file.flush().map_err(io)?;
    Ok(file)
}

/// Runs Polars work off the async reactor: Polars blocks on its own thread pool, which
/// a current-thread runtime cannot allow.
fn blocking<T: Send>(f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => std::thread::scope(|s| {
            s.spawn(f)
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn keys(store: &Store, prefix: &str) -> Vec<String> {
        let mut keys: Vec<String> = store
            .list(prefix)
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.key)
            .collect();
        keys.sort();
        keys
    }

    #[tokio::test]
    async fn prune_keeps_the_current_version_and_the_one_before_whatever_their_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().to_str().unwrap()).await.unwrap();
        let put = |key: &'static str| {
            let store = store.clone();
            async move {
                store
                    .put(key, bytes::Bytes::from_static(b"x"))
                    .await
                    .unwrap()
            }
        };
        // A version written here, one written by Athena (files without a suffix), and a
        // partition folder, which is not a version.
        put("T/t/r1/part-00000.parquet").await;
        put("T/t/r2/20261101_000000_00001_abc_0").await;
        put("T/t/r2/20261101_000000_00001_abc_1").await;
        put("T/t/dt=2026-01-01/r0/part-00000.parquet").await;
        // r3 is current and holds no file (an empty table as Athena writes it): r1 goes.
        prune(&store, "T/t/", Some("r3"), None).await.unwrap();
        assert_eq!(
            keys(&store, "T/t/").await,
            [
                "T/t/dt=2026-01-01/r0/part-00000.parquet",
                "T/t/r2/20261101_000000_00001_abc_0",
                "T/t/r2/20261101_000000_00001_abc_1",
            ]
        );
        // Without a current version, the two newest folders with files stay.
        put("T/t/r4/part-00000.parquet").await;
        prune(&store, "T/t/", None, None).await.unwrap();
        assert_eq!(
            keys(&store, "T/t/").await,
            [
                "T/t/dt=2026-01-01/r0/part-00000.parquet",
                "T/t/r2/20261101_000000_00001_abc_0",
                "T/t/r2/20261101_000000_00001_abc_1",
                "T/t/r4/part-00000.parquet",
            ]
        );
        // The version the catalog named before stays, though its name sorts first (runs
        // in one second); the newer-named one nobody reads goes.
        put("T/t/a5/part-00000.parquet").await;
        prune(&store, "T/t/", Some("r6"), Some("a5")).await.unwrap();
        assert_eq!(
            keys(&store, "T/t/").await,
            [
                "T/t/a5/part-00000.parquet",
                "T/t/dt=2026-01-01/r0/part-00000.parquet",
            ]
        );
        // The current version stays when the previous one is not known, though two
        // others sort after it.
        put("T/t/b7/part-00000.parquet").await;
        put("T/t/c8/part-00000.parquet").await;
        put("T/t/a0/part-00000.parquet").await;
        prune(&store, "T/t/", Some("a0"), None).await.unwrap();
        assert_eq!(
            keys(&store, "T/t/").await,
            [
                "T/t/a0/part-00000.parquet",
                "T/t/b7/part-00000.parquet",
                "T/t/c8/part-00000.parquet",
                "T/t/dt=2026-01-01/r0/part-00000.parquet",
            ]
        );
    }

    /// A directory lake with its local catalog, and the spec of table `d.t` in it.
    async fn local_table() -> (tempfile::TempDir, Store, Catalog, TableSpec) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().to_str().unwrap()).await.unwrap();
        let catalog = Catalog::open("local", &store).await.unwrap();
        let spec = TableSpec {
            db: "d".into(),
            name: "t".into(),
            description: String::new(),
            prefix: "T/t/".into(),
        };
        (dir, store, catalog, spec)
    }

    #[tokio::test]
    async fn a_switch_keeps_the_version_readers_were_on() {
        let (_dir, store, catalog, spec) = local_table().await;
        let cols = vec![ColumnDef::new("n", "bigint")];
        // Three runs whose ids sort against their order: z, then b, then m.
        for run in ["z", "b", "m"] {
            let dir = version_dir(&spec, run);
            store
                .put(&format!("{dir}{FILE}"), bytes::Bytes::from_static(b"x"))
                .await
                .unwrap();
            let location = switch_to_version(&store, &catalog, &spec, &dir, cols.clone())
                .await
                .unwrap();
            assert_eq!(location, store.location(&dir));
        }
        assert_eq!(
            keys(&store, "T/t/").await,
            ["T/t/b/part-00000.parquet", "T/t/m/part-00000.parquet"]
        );
        let def = catalog.get_table("d", "t").await.unwrap().unwrap();
        assert_eq!(def.storage_descriptor.location, store.location("T/t/m/"));
        assert_eq!(def.storage_descriptor.columns, cols);
    }

    /// A partitioned table is read partition by partition: only the columns asked for
    /// (the partition column added), and each partition's rows kept by what `keep` says
    /// for that partition.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_partitioned_table_is_read_in_part_partition_by_partition() {
        let (_dir, store, catalog, spec) = local_table().await;
        for (dt, ids) in [("2026-01-01", ["a", "b"]), ("2026-02-01", ["b", "c"])] {
            let mut df = df!("id" => ids, "big" => ["x".repeat(10), "y".repeat(10)]).unwrap();
            publish_partition(
                &store,
                &catalog,
                &spec,
                ("dt", dt),
                BTreeMap::new(),
                "r1",
                &mut df,
            )
            .await
            .unwrap();
        }
        let ids = |df: &DataFrame, c: &str| -> Vec<String> {
            df.column(c)
                .unwrap()
                .str()
                .unwrap()
                .iter()
                .map(|v| v.unwrap().to_string())
                .collect()
        };
        let some = read_table_where(&store, &catalog, "d", "t", Some(&["id"]), None)
            .await
            .unwrap();
        assert_eq!(some.get_column_names(), ["id", "dt"]);
        assert_eq!(ids(&some, "id"), ["a", "b", "b", "c"]);
        // In January keep "a", in February "c": the keep is told the partition.
        let keep = |values: &[String], df: DataFrame| {
            let want = if values[0] == "2026-01-01" { "a" } else { "c" };
            df.lazy().filter(col("id").eq(lit(want))).collect()
        };
        let kept = read_partitioned_where(&store, &catalog, "d", "t", None, &keep)
            .await
            .unwrap();
        assert_eq!(kept.get_column_names(), ["id", "big", "dt"]);
        assert_eq!(ids(&kept, "id"), ["a", "c"]);
        assert_eq!(ids(&kept, "dt"), ["2026-01-01", "2026-02-01"]);
    }

    #[test]
    fn data_files_are_any_but_hidden_ones() {
        assert!(is_data_file("part-00000.parquet"));
        assert!(is_data_file("20261101_000000_00001_abc_0"));
        assert!(!is_data_file("_SUCCESS"));
        assert!(!is_data_file(".part-00000.parquet.cinelake-tmp-1-0"));
        assert!(!is_data_file("sub/part-00000.parquet"));
    }
}
