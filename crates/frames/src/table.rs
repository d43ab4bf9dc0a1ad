//! Tables as versions: each write goes under its own prefix, then the catalog is
//! switched to it, so a reader sees the old table or the new one, never a mix or an
//! empty table; a crash before the switch leaves the previous version in place.

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
    let dir = format!("{}{run_id}/", spec.prefix);
    let written = write_version(store, &dir, bytes, rows).await?;
    register_version(store, catalog, spec, &dir, written, schema).await
}

/// Publishes a table written as a Parquet file on disk (rows of `schema`; with its size
/// and SHA-256) as a new version: the file goes up in parts (multipart on S3), so
/// the output never has to be in memory whole.
pub async fn publish_parquet_file(
    store: &Store,
    catalog: &Catalog,
    spec: &TableSpec,
    run_id: &str,
    (file, digest): (&std::path::Path, &FileDigest),
    schema: &Schema,
    rows: u64,
) -> Result<Published> {
    let dir = format!("{}{run_id}/", spec.prefix);
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
    let def = parquet_table(
        &spec.name,
        &spec.description,
        columns_of(schema)?,
        &store.location(dir),
        vec![],
    );
    catalog.ensure_database(&spec.db).await?;
    catalog.put_table(&spec.db, &def).await?;
    prune(store, &spec.prefix).await?;
    Ok(Published {
        table: format!("{}.{}", spec.db, spec.name),
        ..written
    })
}

/// Writes `df` as a new version of one partition (`<key>=<value>`) and registers it,
/// with `parameters` in the partition's catalog entry (what it was made from), so the
/// entry that points at the new version and the note about it change together.
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
    prune(store, &part_prefix).await?;
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

/// Deletes all but the newest [`KEEP_VERSIONS`] version folders directly under `prefix`.
async fn prune(store: &Store, prefix: &str) -> Result<()> {
    let mut versions: Vec<String> = store
        .list(prefix)
        .await?
        .into_iter()
        .filter_map(|o| {
            let rest = o.key.strip_prefix(prefix)?;
            let (version, file) = rest.split_once('/')?;
            (file == FILE && !version.contains('=')).then(|| version.to_string())
        })
        .collect();
    versions.sort();
    versions.dedup();
    let old = versions.len().saturating_sub(KEEP_VERSIONS);
    for v in &versions[..old] {
        store.delete(&format!("{prefix}{v}/{FILE}")).await?;
    }
    Ok(())
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

/// Part of an unpartitioned table: only `columns` (all when `None`), and only the rows
/// `keep` keeps, applied file by file so the rest never piles up in memory.
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
    if columns.is_some() || keep.is_some() {
        return Err(FramesError::Polars {
            context: format!("{db}.{name}: reading part of a partitioned table"),
            source: polars::error::PolarsError::InvalidOperation(
                "columns and filters apply to unpartitioned tables only".into(),
            ),
        });
    }
    let mut out: Option<DataFrame> = None;
    for p in catalog.partitions(db, name).await? {
        let Some(mut df) = read_location(store, &p.location, None, None).await? else {
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
    Ok(out.unwrap_or_else(|| empty_frame(&def)))
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
        if !obj.key.ends_with(".parquet") || obj.key[prefix.len()..].contains('/') {
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
