//! CSV with a header row; `.gz` objects are decompressed on the way.

use std::io::Read;

use seer_api::{Dataset, Domain};

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
    let reader: Box<dyn Read> = if uri.ends_with(".gz") || bytes.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::read::GzDecoder::new(std::io::Cursor::new(bytes)))
    } else {
        Box::new(std::io::Cursor::new(bytes))
    };
    let mut rdr = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(reader);
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| TrainerError::data(format!("{uri}:1"), format!("cannot read the header row: {e}")))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    if header.iter().all(|h| h.trim().is_empty()) {
        return Err(TrainerError::data(uri, "the file is empty (expected a header row and data)"));
    }
    let (resolved, positions) =
        schema::resolve(&header, dataset, domain).map_err(|m| TrainerError::data(format!("{uri}:1"), m))?;
    let mut cells = vec![Cell::Missing; resolved.columns.len()];
    let mut record = csv::StringRecord::new();
    let mut rows = 0usize;
    loop {
        match rdr.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                let message = match e.kind() {
                    csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                        format!("expected {expected_len} fields like the header, found {len}")
                    }
                    _ => e.to_string(),
                };
                return Err(TrainerError::data(format!("{uri}:{line}"), message));
            }
        }
        rows += 1;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        for (i, (column, &pos)) in resolved.columns.iter().zip(&positions).enumerate() {
            let text = record.get(pos).unwrap_or_default();
            cells[i] = cell_from_text(text, column, timestamps)
                .map_err(|m| TrainerError::data(format!("{uri}:{line}"), format!("column '{}': {m}", column.name)))?;
        }
        let location = || format!("{uri}:{line}");
        on_row(&resolved, &Row { cells: &cells, location: &location })?;
    }
    if rows == 0 {
        return Err(TrainerError::data(uri, "the file has a header but no data rows"));
    }
    Ok(resolved)
}
