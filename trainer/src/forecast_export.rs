//! `spec.export`: each version's forecasts copied to a location of the user's, as
//! `<destination>/<version>/forecasts.csv` (or `forecasts.parquet`), the same rows as the
//! version's own `forecasts/forecasts.csv`: `item_id`, the forecast dimensions, `date`, one
//! column per forecast type.
//!
//! The copy is written after the version's files and before its manifest: a version whose
//! export failed is not a version (nothing is left in the artifact store), so the Predictor
//! shows the failure and the next training tries again.

use std::{path::Path, sync::Arc};

use parquet::{
    basic::{Compression, ZstdLevel},
    data_type::{ByteArray, ByteArrayType, DoubleType},
    file::{properties::WriterProperties, writer::SerializedFileWriter},
    schema::types::Type,
};
use seer_api::{DataFormat, ForecastExport};
use seer_models::forecast::Forecast;
use seer_storage::{ObjectStore, ObjectUri};

use crate::{
    TrainerError, connection,
    featurize::ItemKey,
    forecast_csv::{column_name, forecast_value},
};

/// Where a version's forecasts are copied, connected.
pub struct ExportTarget {
    pub store: ObjectStore,
    /// The destination prefix (`s3://bucket/exports`); the version's folder goes under it.
    pub prefix: ObjectUri,
    pub format: DataFormat,
}

impl ExportTarget {
    /// Connects to `spec.export.destination`: its `s3` settings over the pod's environment,
    /// with the credentials Secret's keys read from `credentials_dir` when it names a Secret
    /// (the operator mounts it there); otherwise the environment's credentials, which in a
    /// trainer pod are the artifact storage's.
    pub async fn connect(export: &ForecastExport, credentials_dir: Option<&Path>) -> Result<Self, TrainerError> {
        let destination = &export.destination;
        let prefix = ObjectUri::parse(&destination.uri).map_err(|e| TrainerError::Manifest {
            file: "spec.export.destination.uri".into(),
            message: e.to_string(),
        })?;
        let keys = destination.s3.as_ref().and_then(|c| c.credentials_secret_ref.as_ref());
        // Without a Secret of its own, the export uses the environment's credentials.
        let settings = connection::s3_settings(destination.s3.as_ref(), keys.and(credentials_dir))?;
        Ok(ExportTarget { store: ObjectStore::connect(&settings).await, prefix, format: export.format })
    }

    /// Where version `version`'s copy goes.
    fn uri(&self, version: &str) -> Result<ObjectUri, String> {
        let name = match self.format {
            DataFormat::Csv => "forecasts.csv",
            DataFormat::Parquet => "forecasts.parquet",
        };
        let base = self.prefix.to_string();
        ObjectUri::parse(&format!("{}/{version}/{name}", base.trim_end_matches('/'))).map_err(|e| e.to_string())
    }

    /// The copy's bytes: the version's `forecasts.csv` as it is, or as Parquet the same rows:
    /// each series (`series()`: its key and forecast) at each of the horizon's `dates`.
    pub fn encode<'a>(
        &self,
        csv: &[u8],
        dimensions: &[String],
        forecast_types: &[String],
        dates: &[String],
        series: impl FnOnce() -> Vec<(&'a ItemKey, &'a Forecast)>,
    ) -> Result<Vec<u8>, String> {
        match self.format {
            DataFormat::Csv => Ok(csv.to_vec()),
            DataFormat::Parquet => parquet_bytes(dimensions, forecast_types, dates, &series())
                .map_err(|e| format!("cannot write Parquet: {e}")),
        }
    }

    /// Writes version `version`'s copy.
    pub async fn write(&self, version: &str, bytes: Vec<u8>) -> Result<(), String> {
        let uri = self.uri(version)?;
        self.store.put(&uri, bytes).await.map_err(|e| format!("cannot write {uri}: {e}"))
    }
}

/// The rows of the forecast export (every series at every date), as a Parquet file:
/// `item_id`, the dimensions and `date` as UTF-8 strings, one nullable double column per
/// forecast type; zstd-compressed.
fn parquet_bytes(
    dimensions: &[String],
    forecast_types: &[String],
    dates: &[String],
    series: &[(&ItemKey, &Forecast)],
) -> Result<Vec<u8>, String> {
    let string = |name: &str| {
        Type::primitive_type_builder(name, parquet::basic::Type::BYTE_ARRAY)
            .with_repetition(parquet::basic::Repetition::REQUIRED)
            .with_logical_type(Some(parquet::basic::LogicalType::String))
            .build()
            .map(Arc::new)
    };
    let number = |name: &str| {
        Type::primitive_type_builder(name, parquet::basic::Type::DOUBLE)
            .with_repetition(parquet::basic::Repetition::OPTIONAL)
            .build()
            .map(Arc::new)
    };
    let mut fields = vec![string("item_id")];
    fields.extend(dimensions.iter().map(|d| string(d)));
    fields.push(string("date"));
    fields.extend(forecast_types.iter().map(|t| number(&column_name(t))));
    let fields = fields.into_iter().collect::<Result<Vec<_>, _>>().map_err(|e| e.to_string())?;
    let schema = Type::group_type_builder("forecasts").with_fields(fields).build().map_err(|e| e.to_string())?;
    let properties = WriterProperties::builder().set_compression(Compression::ZSTD(ZstdLevel::default())).build();
    let mut out = Vec::new();
    let mut writer =
        SerializedFileWriter::new(&mut out, Arc::new(schema), Arc::new(properties)).map_err(|e| e.to_string())?;
    let mut group = writer.next_row_group().map_err(|e| e.to_string())?;
    // The string columns: item_id, each dimension, then the date of every step.
    let mut strings: Vec<Vec<ByteArray>> = vec![Vec::with_capacity(series.len() * dates.len()); dimensions.len() + 2];
    for (key, _) in series {
        for date in dates {
            strings[0].push(ByteArray::from(key.item_id.as_str()));
            for (d, value) in key.dimensions.iter().enumerate() {
                strings[d + 1].push(ByteArray::from(value.as_str()));
            }
            strings[dimensions.len() + 1].push(ByteArray::from(date.as_str()));
        }
    }
    for column in strings {
        let mut c = group.next_column().map_err(|e| e.to_string())?.ok_or("fewer columns than the schema")?;
        c.typed::<ByteArrayType>().write_batch(&column, None, None).map_err(|e| e.to_string())?;
        c.close().map_err(|e| e.to_string())?;
    }
    for t in forecast_types {
        let mut values = Vec::new();
        let mut defined = Vec::new();
        for (_, forecast) in series {
            for step in 0..dates.len() {
                let v = forecast_value(forecast, t, step);
                defined.push(i16::from(v.is_finite()));
                if v.is_finite() {
                    values.push(v);
                }
            }
        }
        let mut c = group.next_column().map_err(|e| e.to_string())?.ok_or("fewer columns than the schema")?;
        c.typed::<DoubleType>().write_batch(&values, Some(&defined), None).map_err(|e| e.to_string())?;
        c.close().map_err(|e| e.to_string())?;
    }
    group.close().map_err(|e| e.to_string())?;
    writer.close().map_err(|e| e.to_string())?;
    Ok(out)
}
