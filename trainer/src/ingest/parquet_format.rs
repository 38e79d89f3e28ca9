//! Parquet through the crate's row API (no arrow): columns are matched by name.

use parquet::{
    file::reader::{FileReader, SerializedFileReader},
    record::Field,
};
use seer_api::{AttributeType, Dataset, Domain, unix_time::checked_unix_seconds};

use super::{Cell, ResolvedSchema, Row, TimestampParser, cell_from_text, schema};
use crate::TrainerError;

pub(super) fn read(
    uri: &str,
    bytes: Vec<u8>,
    dataset: &Dataset,
    domain: Domain,
    timestamps: &TimestampParser,
    on_row: &mut impl FnMut(&ResolvedSchema, &Row<'_>) -> Result<(), TrainerError>,
) -> Result<ResolvedSchema, TrainerError> {
    let reader = SerializedFileReader::new(bytes::Bytes::from(bytes))
        .map_err(|e| TrainerError::data(uri, format!("not a readable Parquet file: {e}")))?;
    let header: Vec<String> = reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .root_schema()
        .get_fields()
        .iter()
        .map(|f| f.name().to_string())
        .collect();
    let (resolved, positions) = schema::resolve(&header, dataset, domain).map_err(|m| TrainerError::data(uri, m))?;
    let rows = reader.get_row_iter(None).map_err(|e| TrainerError::data(uri, format!("cannot read rows: {e}")))?;
    let mut cells = vec![Cell::Missing; resolved.columns.len()];
    let mut count = 0usize;
    for (n, row) in rows.enumerate() {
        let row_no = n + 1;
        let row = row.map_err(|e| TrainerError::data(format!("{uri}: row {row_no}"), e.to_string()))?;
        let fields: Vec<&Field> = row.get_column_iter().map(|(_, f)| f).collect();
        for (i, (column, &pos)) in resolved.columns.iter().zip(&positions).enumerate() {
            let field = fields.get(pos).copied().unwrap_or(&Field::Null);
            cells[i] = cell_from_field(field, column, timestamps).map_err(|m| {
                TrainerError::data(format!("{uri}: row {row_no}"), format!("column '{}': {m}", column.name))
            })?;
        }
        count += 1;
        let location = || format!("{uri}: row {row_no}");
        on_row(&resolved, &Row { cells: &cells, location: &location })?;
    }
    if count == 0 {
        return Err(TrainerError::data(uri, "the file has no rows"));
    }
    Ok(resolved)
}

fn cell_from_field(field: &Field, column: &super::Column, timestamps: &TimestampParser) -> Result<Cell, String> {
    let int = |v: i64| -> Result<Cell, String> {
        match column.kind {
            AttributeType::Float => Ok(Cell::Float(v as f64)),
            AttributeType::String | AttributeType::Geolocation => Ok(Cell::Str(v.to_string())),
            AttributeType::Timestamp => checked_unix_seconds(v).map(Cell::Time),
            AttributeType::Integer if column.role.is_time() => checked_unix_seconds(v).map(Cell::Time),
            AttributeType::Integer => Ok(Cell::Int(v)),
            AttributeType::Boolean => Ok(Cell::Bool(v != 0)),
        }
    };
    match field {
        Field::Null => Ok(Cell::Missing),
        Field::Bool(b) => match column.kind {
            AttributeType::Boolean => Ok(Cell::Bool(*b)),
            _ => cell_from_text(&b.to_string(), column, timestamps),
        },
        Field::Byte(v) => int(i64::from(*v)),
        Field::Short(v) => int(i64::from(*v)),
        Field::Int(v) => int(i64::from(*v)),
        Field::Long(v) => int(*v),
        Field::UByte(v) => int(i64::from(*v)),
        Field::UShort(v) => int(i64::from(*v)),
        Field::UInt(v) => int(i64::from(*v)),
        Field::ULong(v) => int(i64::try_from(*v).map_err(|_| format!("{v} is too large"))?),
        Field::Float(v) => float(f64::from(*v), column, timestamps),
        Field::Double(v) => float(*v, column, timestamps),
        Field::Str(s) => cell_from_text(s, column, timestamps),
        Field::Date(days) => time_or_text(i64::from(*days) * 86_400, column, timestamps),
        Field::TimestampMillis(ms) => time_or_text(ms.div_euclid(1000), column, timestamps),
        Field::TimestampMicros(us) => time_or_text(us.div_euclid(1_000_000), column, timestamps),
        other => Err(format!("unsupported Parquet value {other}")),
    }
}

fn float(v: f64, column: &super::Column, timestamps: &TimestampParser) -> Result<Cell, String> {
    match column.kind {
        AttributeType::Float if v.is_nan() => Ok(Cell::Missing),
        // As in CSV, where "inf" is not a number: an infinite value is an error, not a gap.
        AttributeType::Float if v.is_infinite() => Err(format!("expected a finite number, found {v}")),
        AttributeType::Float => Ok(Cell::Float(v)),
        AttributeType::Integer if v.fract() == 0.0 && v.abs() < 9.0e15 && column.role.is_time() => {
            checked_unix_seconds(v as i64).map(Cell::Time)
        }
        AttributeType::Integer if v.fract() == 0.0 && v.abs() < 9.0e15 => Ok(Cell::Int(v as i64)),
        _ => cell_from_text(&v.to_string(), column, timestamps),
    }
}

fn time_or_text(secs: i64, column: &super::Column, timestamps: &TimestampParser) -> Result<Cell, String> {
    match column.kind {
        AttributeType::Timestamp | AttributeType::Integer => Ok(Cell::Time(secs)),
        _ => cell_from_text(&secs.to_string(), column, timestamps),
    }
}
