//! The AWS Glue Data Catalog through aws-sdk-glue.

use std::collections::BTreeMap;

use aws_config::BehaviorVersion;
use aws_config::meta::region::RegionProviderChain;
use aws_sdk_glue::Client;
use aws_sdk_glue::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_glue::types::{
    Column, DatabaseInput, PartitionInput, SerDeInfo, StorageDescriptor, Table, TableInput,
};

use crate::table::{SerDeDef, StorageDef};
use crate::{CatalogError, ColumnDef, PartitionDef, Result, TableDef};

#[derive(Debug, Clone)]
pub struct GlueCatalog {
    client: Client,
}

fn glue_err<E, R>(op: &'static str, target: impl Into<String>, e: SdkError<E, R>) -> CatalogError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    CatalogError::Glue {
        op,
        target: target.into(),
        source: Box::new(e),
    }
}

fn build_err(op: &'static str, target: &str, e: aws_sdk_glue::error::BuildError) -> CatalogError {
    CatalogError::Glue {
        op,
        target: target.to_string(),
        source: Box::new(e),
    }
}

fn columns(defs: &[ColumnDef], target: &str) -> Result<Vec<Column>> {
    defs.iter()
        .map(|c| {
            Column::builder()
                .name(&c.name)
                .r#type(&c.r#type)
                .set_comment(c.comment.clone())
                .build()
                .map_err(|e| build_err("Column", target, e))
        })
        .collect()
}

fn storage(sd: &StorageDef, location: &str, target: &str) -> Result<StorageDescriptor> {
    Ok(StorageDescriptor::builder()
        .set_columns(Some(columns(&sd.columns, target)?))
        .location(location)
        .input_format(&sd.input_format)
        .output_format(&sd.output_format)
        .serde_info(
            SerDeInfo::builder()
                .serialization_library(&sd.serde_info.serialization_library)
                .set_parameters(Some(sd.serde_info.parameters.clone().into_iter().collect()))
                .build(),
        )
        .build())
}

fn from_columns(cols: &[Column]) -> Vec<ColumnDef> {
    cols.iter()
        .map(|c| ColumnDef {
            name: c.name().to_string(),
            r#type: c.r#type().unwrap_or_default().to_string(),
            comment: c.comment().map(str::to_string),
        })
        .collect()
}

fn from_storage(sd: Option<&StorageDescriptor>) -> StorageDef {
    StorageDef {
        columns: sd.map(|s| from_columns(s.columns())).unwrap_or_default(),
        location: sd
            .and_then(|s| s.location())
            .unwrap_or_default()
            .to_string(),
        input_format: sd
            .and_then(|s| s.input_format())
            .unwrap_or_default()
            .to_string(),
        output_format: sd
            .and_then(|s| s.output_format())
            .unwrap_or_default()
            .to_string(),
        serde_info: SerDeDef {
            serialization_library: sd
                .and_then(|s| s.serde_info())
                .and_then(|i| i.serialization_library())
                .unwrap_or_default()
                .to_string(),
            parameters: sd
                .and_then(|s| s.serde_info())
                .and_then(|i| i.parameters())
                .map(|p| p.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
        },
    }
}

fn from_table(t: &Table) -> TableDef {
    TableDef {
        name: t.name().to_string(),
        description: t.description().map(str::to_string),
        table_type: t.table_type().unwrap_or_default().to_string(),
        parameters: t
            .parameters()
            .map(|p| {
                p.iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<BTreeMap<_, _>>()
            })
            .unwrap_or_default(),
        storage_descriptor: from_storage(t.storage_descriptor()),
        partition_keys: from_columns(t.partition_keys()),
        view_original_text: t.view_original_text().map(str::to_string),
    }
}

impl GlueCatalog {
    /// The standard AWS configuration chain; `AWS_ENDPOINT_URL` reaches another server.
    pub async fn connect() -> Self {
        let region = RegionProviderChain::default_provider().or_else("us-east-1");
        let config = aws_config::defaults(BehaviorVersion::latest())
            .region(region)
            .load()
            .await;
        GlueCatalog {
            client: Client::new(&config),
        }
    }

    pub fn from_client(client: Client) -> Self {
        GlueCatalog { client }
    }

    /// Creates the database if it is missing. Read first: a monthly publish into an
    /// existing database makes no `CreateDatabase` call (and needs no grant for one).
    pub async fn ensure_database(&self, db: &str) -> Result<()> {
        match self.client.get_database().name(db).send().await {
            Ok(_) => return Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_entity_not_found_exception()) => {}
            Err(e) => return Err(glue_err("GetDatabase", db, e)),
        }
        let input = DatabaseInput::builder()
            .name(db)
            .description("cinelake tables")
            .build()
            .map_err(|e| build_err("DatabaseInput", db, e))?;
        match self
            .client
            .create_database()
            .database_input(input)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            // Another run created it in between.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_already_exists_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(glue_err("CreateDatabase", db, e)),
        }
    }

    pub(crate) fn table_input(def: &TableDef, target: &str) -> Result<TableInput> {
        TableInput::builder()
            .name(&def.name)
            .set_description(def.description.clone())
            .table_type(&def.table_type)
            .set_parameters(Some(def.parameters.clone().into_iter().collect()))
            .storage_descriptor(storage(
                &def.storage_descriptor,
                &def.storage_descriptor.location,
                target,
            )?)
            .set_partition_keys(Some(columns(&def.partition_keys, target)?))
            .set_view_original_text(def.view_original_text.clone())
            .build()
            .map_err(|e| build_err("TableInput", target, e))
    }

    pub async fn put_table(&self, db: &str, def: &TableDef) -> Result<()> {
        let target = format!("{db}.{}", def.name);
        let input = Self::table_input(def, &target)?;
        let created = self
            .client
            .create_table()
            .database_name(db)
            .table_input(input.clone())
            .send()
            .await;
        match created {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_already_exists_exception()) =>
            {
                self.client
                    .update_table()
                    .database_name(db)
                    .table_input(input)
                    .skip_archive(true)
                    .send()
                    .await
                    .map_err(|e| glue_err("UpdateTable", &target, e))?;
                Ok(())
            }
            Err(e) => Err(glue_err("CreateTable", &target, e)),
        }
    }

    pub async fn get_table(&self, db: &str, name: &str) -> Result<Option<TableDef>> {
        match self
            .client
            .get_table()
            .database_name(db)
            .name(name)
            .send()
            .await
        {
            Ok(out) => Ok(out.table().map(from_table)),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_entity_not_found_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(glue_err("GetTable", format!("{db}.{name}"), e)),
        }
    }

    /// Deletes `db.name`; a table that is not there is not an error.
    pub async fn delete_table(&self, db: &str, name: &str) -> Result<()> {
        match self
            .client
            .delete_table()
            .database_name(db)
            .name(name)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_entity_not_found_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(glue_err("DeleteTable", format!("{db}.{name}"), e)),
        }
    }

    pub async fn list_tables(&self, db: &str) -> Result<Vec<TableDef>> {
        let mut pages = self
            .client
            .get_tables()
            .database_name(db)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            match page {
                Ok(p) => out.extend(p.table_list().iter().map(from_table)),
                Err(e) if e.code() == Some("EntityNotFoundException") => return Ok(Vec::new()),
                Err(e) => return Err(glue_err("GetTables", db, e)),
            }
        }
        Ok(out)
    }

    /// The partition as Glue takes it: the table's storage at the partition's location,
    /// and the partition's own parameters.
    fn partition_input(def: &TableDef, p: &PartitionDef, target: &str) -> Result<PartitionInput> {
        Ok(PartitionInput::builder()
            .set_values(Some(p.values.clone()))
            .storage_descriptor(storage(&def.storage_descriptor, &p.location, target)?)
            .set_parameters(
                (!p.parameters.is_empty()).then(|| p.parameters.clone().into_iter().collect()),
            )
            .build())
    }

    pub async fn put_partition(&self, db: &str, table: &str, p: &PartitionDef) -> Result<()> {
        let target = format!("{db}.{table} {:?}", p.values);
        let Some(def) = self.get_table(db, table).await? else {
            return Err(CatalogError::NotRegistered { target });
        };
        let input = Self::partition_input(&def, p, &target)?;
        let created = self
            .client
            .create_partition()
            .database_name(db)
            .table_name(table)
            .partition_input(input.clone())
            .send()
            .await;
        match created {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_already_exists_exception()) =>
            {
                self.client
                    .update_partition()
                    .database_name(db)
                    .table_name(table)
                    .set_partition_value_list(Some(p.values.clone()))
                    .partition_input(input)
                    .send()
                    .await
                    .map_err(|e| glue_err("UpdatePartition", &target, e))?;
                Ok(())
            }
            Err(e) => Err(glue_err("CreatePartition", &target, e)),
        }
    }

    pub async fn partitions(&self, db: &str, table: &str) -> Result<Vec<PartitionDef>> {
        let mut pages = self
            .client
            .get_partitions()
            .database_name(db)
            .table_name(table)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            // A table not registered yet has no partitions, as in the local catalog.
            let page = match page {
                Ok(p) => p,
                Err(e) if e.code() == Some("EntityNotFoundException") => return Ok(Vec::new()),
                Err(e) => return Err(glue_err("GetPartitions", format!("{db}.{table}"), e)),
            };
            for p in page.partitions() {
                out.push(PartitionDef {
                    values: p.values().to_vec(),
                    location: p
                        .storage_descriptor()
                        .and_then(|s| s.location())
                        .unwrap_or_default()
                        .to_string(),
                    parameters: p
                        .parameters()
                        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                        .unwrap_or_default(),
                });
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parquet_table;

    /// The table Glue would return for `input`, as GetTable does.
    fn as_returned(input: &TableInput) -> Table {
        Table::builder()
            .name(input.name())
            .set_description(input.description().map(str::to_string))
            .set_table_type(input.table_type().map(str::to_string))
            .set_parameters(input.parameters().cloned())
            .set_storage_descriptor(input.storage_descriptor().cloned())
            .set_partition_keys(Some(input.partition_keys().to_vec()))
            .set_view_original_text(input.view_original_text().map(str::to_string))
            .build()
            .unwrap()
    }

    #[test]
    fn a_parquet_table_maps_to_glue_field_for_field_and_back() {
        let def = parquet_table(
            "tmdb_movies",
            "TMDB details",
            vec![
                ColumnDef::new("tmdb_id", "bigint"),
                ColumnDef::new("genres", "array<struct<id:bigint,name:string>>"),
            ],
            "s3://lake/Trusted/TMDB/Parquet/Movies/",
            vec![ColumnDef::new("dt", "string")],
        );
        let input = GlueCatalog::table_input(&def, "db.tmdb_movies").unwrap();
        assert_eq!(input.name(), "tmdb_movies");
        assert_eq!(input.table_type(), Some("EXTERNAL_TABLE"));
        let sd = input.storage_descriptor().unwrap();
        assert_eq!(
            sd.location(),
            Some("s3://lake/Trusted/TMDB/Parquet/Movies/")
        );
        assert_eq!(
            sd.columns()
                .iter()
                .map(|c| (c.name(), c.r#type().unwrap()))
                .collect::<Vec<_>>(),
            [
                ("tmdb_id", "bigint"),
                ("genres", "array<struct<id:bigint,name:string>>")
            ]
        );
        assert_eq!(
            sd.serde_info().unwrap().serialization_library(),
            Some(crate::table::PARQUET_SERDE)
        );
        assert_eq!(input.partition_keys()[0].name(), "dt");
        assert_eq!(
            input
                .parameters()
                .unwrap()
                .get("classification")
                .map(String::as_str),
            Some("parquet")
        );
        assert_eq!(from_table(&as_returned(&input)), def);
    }

    #[test]
    fn a_partition_carries_its_location_and_parameters() {
        let def = parquet_table(
            "tmdb_movies",
            "TMDB details",
            vec![ColumnDef::new("tmdb_id", "bigint")],
            "s3://lake/Trusted/TMDB/Parquet/Movies/",
            vec![ColumnDef::new("dt", "string")],
        );
        let mut p = PartitionDef {
            values: vec!["2026-11-01".into()],
            location: "s3://lake/Trusted/TMDB/Parquet/Movies/dt=2026-11-01/r1/".into(),
            parameters: [("cinelake.raw_files".to_string(), "3".to_string())].into(),
        };
        let input = GlueCatalog::partition_input(&def, &p, "db.tmdb_movies").unwrap();
        assert_eq!(input.values(), ["2026-11-01"]);
        assert_eq!(
            input.storage_descriptor().and_then(|s| s.location()),
            Some(p.location.as_str())
        );
        assert_eq!(
            input
                .parameters()
                .and_then(|m| m.get("cinelake.raw_files"))
                .map(String::as_str),
            Some("3")
        );
        p.parameters.clear();
        let input = GlueCatalog::partition_input(&def, &p, "db.tmdb_movies").unwrap();
        assert_eq!(input.parameters(), None);
    }

    #[test]
    fn a_view_keeps_its_type_and_text() {
        let def = TableDef::view("v_best", "a view", "SELECT 1 AS one");
        let input = GlueCatalog::table_input(&def, "db.v_best").unwrap();
        assert_eq!(input.table_type(), Some("VIRTUAL_VIEW"));
        assert_eq!(input.view_original_text(), Some("SELECT 1 AS one"));
        assert_eq!(from_table(&as_returned(&input)), def);
    }
}
