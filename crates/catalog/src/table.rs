//! Table definitions in Glue's own shape.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub const PARQUET_INPUT: &str = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat";
pub const PARQUET_OUTPUT: &str = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat";
pub const PARQUET_SERDE: &str = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ColumnDef {
    pub name: String,
    /// A Hive type as Glue and Athena spell it: `string`, `bigint`, `array<struct<id:bigint,name:string>>`.
    pub r#type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl ColumnDef {
    pub fn new(name: &str, ty: &str) -> Self {
        ColumnDef {
            name: name.to_string(),
            r#type: ty.to_string(),
            comment: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SerDeDef {
    pub serialization_library: String,
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StorageDef {
    pub columns: Vec<ColumnDef>,
    pub location: String,
    pub input_format: String,
    pub output_format: String,
    pub serde_info: SerDeDef,
}

/// Glue's `TableInput`, field for field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableDef {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub table_type: String,
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
    pub storage_descriptor: StorageDef,
    #[serde(default)]
    pub partition_keys: Vec<ColumnDef>,
    /// A view's SQL (`TableType` `VIRTUAL_VIEW`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view_original_text: Option<String>,
}

impl TableDef {
    /// A view: its SELECT, kept as Glue keeps an Athena view's text.
    pub fn view(name: &str, description: &str, select: &str) -> TableDef {
        let mut def = parquet_table(name, description, vec![], "", vec![]);
        def.table_type = "VIRTUAL_VIEW".into();
        def.parameters.clear();
        def.view_original_text = Some(select.to_string());
        def
    }
}

/// One partition. It holds its values (in partition-key order), where its files are,
/// and what its writer noted about them. The notes are Glue's partition `Parameters`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PartitionDef {
    pub values: Vec<String>,
    pub location: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, String>,
}

/// An external Parquet table at `location` (a directory URL ending in `/`).
pub fn parquet_table(
    name: &str,
    description: &str,
    columns: Vec<ColumnDef>,
    location: &str,
    partition_keys: Vec<ColumnDef>,
) -> TableDef {
    let mut parameters = BTreeMap::new();
    parameters.insert("EXTERNAL".into(), "TRUE".into());
    parameters.insert("classification".into(), "parquet".into());
    parameters.insert("parquet.compression".into(), "ZSTD".into());
    let mut serde_parameters = BTreeMap::new();
    serde_parameters.insert("serialization.format".into(), "1".into());
    TableDef {
        name: name.to_string(),
        description: Some(description.to_string()),
        table_type: "EXTERNAL_TABLE".into(),
        parameters,
        storage_descriptor: StorageDef {
            columns,
            location: location.to_string(),
            input_format: PARQUET_INPUT.into(),
            output_format: PARQUET_OUTPUT.into(),
            serde_info: SerDeDef {
                serialization_library: PARQUET_SERDE.into(),
                parameters: serde_parameters,
            },
        },
        partition_keys,
        view_original_text: None,
    }
}
