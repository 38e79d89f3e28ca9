//! Ingest: the objects of a dataset (one file or a prefix, `s3://` or `file://`), decoded
//! from CSV (optionally gzip) or Parquet, typed by the dataset's schema, handed over row by
//! row. Anything that does not fit is an error naming the object, the line and the column.

mod csv_format;
mod parquet_format;
pub mod schema;
pub mod timestamp;

use seer_api::{DataFormat, Dataset, Domain};
use seer_storage::{ObjectInfo, ObjectStore};

pub use schema::{Column, ResolvedSchema, Role};
pub use timestamp::TimestampParser;

use crate::TrainerError;

/// One typed value of a row.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Empty in the file.
    Missing,
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// Unix seconds, UTC.
    Time(i64),
}

impl Cell {
    /// The value as text (an attribute value, an id written as a number), `None` when missing.
    pub fn to_text(&self) -> Option<String> {
        match self {
            Cell::Missing => None,
            Cell::Str(s) => Some(s.clone()),
            Cell::Int(i) | Cell::Time(i) => Some(i.to_string()),
            Cell::Float(f) => Some(f.to_string()),
            Cell::Bool(b) => Some(b.to_string()),
        }
    }
}

/// One row, aligned with [`ResolvedSchema::columns`], and where it came from.
pub struct Row<'a> {
    pub cells: &'a [Cell],
    /// `uri:line` (CSV) or `uri:row N` (Parquet), for messages.
    pub location: &'a dyn Fn() -> String,
}

/// The objects a dataset URI names (see [`seer_storage::datasets::dataset_objects`]); none
/// at all is a data error naming the URI.
pub async fn dataset_objects(store: &ObjectStore, uri: &str) -> Result<Vec<ObjectInfo>, TrainerError> {
    match seer_storage::datasets::dataset_objects(store, uri).await {
        Err(seer_storage::StorageError::NotFound { .. }) => {
            Err(TrainerError::data(uri, "no objects found (expected a file or a prefix with files)"))
        }
        other => Ok(other?),
    }
}

/// Reads every row of a dataset, in object order, calling `on_row` for each. Returns the
/// objects read (for the digest).
pub async fn read_dataset(
    store: &ObjectStore,
    dataset: &Dataset,
    domain: Domain,
    mut on_row: impl FnMut(&ResolvedSchema, &Row<'_>) -> Result<(), TrainerError>,
) -> Result<(ResolvedSchema, Vec<ObjectInfo>), TrainerError> {
    let objects = dataset_objects(store, &dataset.uri).await?;
    let timestamps = TimestampParser::new(dataset.timestamp_format.as_deref(), dataset.time_zone.as_deref())
        .map_err(|m| TrainerError::data(&dataset.uri, m))?;
    let mut resolved: Option<ResolvedSchema> = None;
    for object in &objects {
        let uri = object.uri.to_string();
        let bytes = store.get(&object.uri).await?;
        if bytes.is_empty() {
            return Err(TrainerError::data(&uri, "the file is empty (expected a header row and data)"));
        }
        let this = match dataset.format {
            DataFormat::Csv => csv_format::read(&uri, bytes, dataset, domain, &timestamps, &mut on_row)?,
            DataFormat::Parquet => parquet_format::read(&uri, bytes, dataset, domain, &timestamps, &mut on_row)?,
        };
        if let Some(first) = &resolved
            && first.names() != this.names()
        {
            return Err(TrainerError::data(
                &uri,
                format!("columns {:?} differ from the first file's {:?}", this.names(), first.names()),
            ));
        }
        resolved.get_or_insert(this);
    }
    let schema = resolved.ok_or_else(|| TrainerError::data(&dataset.uri, "no data"))?;
    Ok((schema, objects))
}

/// Types a text value by its column (CSV, and Parquet strings).
pub(crate) fn cell_from_text(text: &str, column: &Column, timestamps: &TimestampParser) -> Result<Cell, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(Cell::Missing);
    }
    use seer_api::AttributeType as T;
    match column.kind {
        T::String | T::Geolocation => Ok(Cell::Str(t.to_string())),
        T::Integer if column.role.is_time() => match t.parse::<i64>() {
            Ok(secs) => seer_api::unix_time::checked_unix_seconds(secs).map(Cell::Time),
            Err(_) => timestamps.parse(t).map(Cell::Time),
        },
        T::Integer => t.parse::<i64>().map(Cell::Int).map_err(|_| format!("expected an integer, found {t:?}")),
        T::Float => match t.parse::<f64>() {
            Ok(v) if v.is_nan() => Ok(Cell::Missing),
            Ok(v) if v.is_finite() => Ok(Cell::Float(v)),
            _ if t.eq_ignore_ascii_case("nan") || t.eq_ignore_ascii_case("null") => Ok(Cell::Missing),
            _ => Err(format!("expected a number, found {t:?}")),
        },
        T::Boolean => match t.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(Cell::Bool(true)),
            "false" | "0" | "no" => Ok(Cell::Bool(false)),
            _ => Err(format!("expected true or false, found {t:?}")),
        },
        T::Timestamp => timestamps.parse(t).map(Cell::Time),
    }
}
