//! A Predictor version's forecast export (`forecasts/forecasts.csv`) indexed by item, answered
//! per series with an optional time window.

use std::collections::{BTreeMap, HashMap};

use axum::body::Bytes;
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use seer_api::http::{ForecastPoint, ForecastResponse};

use crate::errors::ApiError;

/// Path of the export inside a Predictor version.
pub const FORECASTS_FILE: &str = "forecasts/forecasts.csv";

/// Largest total size of the whole-series answers rendered at load (see [`Series::json`]);
/// past it the rest are rendered per request.
const RENDERED_LIMIT: usize = 64 << 20;

/// Every series of the export, by item.
#[derive(Debug)]
pub struct ForecastIndex {
    /// Dimension columns (between `item_id` and `date`).
    dimensions: Vec<String>,
    /// Forecast type columns (`p10`, `p50`, `p90`, `mean`, ...).
    types: Vec<String>,
    items: HashMap<String, Vec<Series>>,
}

#[derive(Debug)]
struct Series {
    dimensions: Vec<String>,
    /// Dates as the export writes them, with their instant for window comparisons.
    dates: Vec<(String, i64)>,
    /// Per forecast type, per date; `None` where the export left the cell empty.
    values: Vec<Vec<Option<f64>>>,
    /// The JSON answer for the whole series (no `start`/`end`), rendered once at load: the
    /// export never changes while it is served, and most requests ask for all of it.
    json: Option<Bytes>,
}

/// What a request asks of one item.
#[derive(Debug, Default)]
pub struct ForecastQuery {
    /// Dimension values by name.
    pub dimensions: BTreeMap<String, String>,
    /// Inclusive window, as instants.
    pub start: Option<i64>,
    pub end: Option<i64>,
}

impl ForecastIndex {
    /// Parses the export; errors name the line.
    pub fn parse(csv_bytes: &[u8]) -> Result<Self, String> {
        let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(csv_bytes);
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| format!("{FORECASTS_FILE}: header: {e}"))?
            .iter()
            .map(str::to_string)
            .collect();
        let date_col = header.iter().position(|h| h == "date");
        let Some(date_col) = date_col.filter(|_| header.first().is_some_and(|h| h == "item_id")) else {
            return Err(format!("{FORECASTS_FILE}: expected a header item_id,<dimensions...>,date,<types...>"));
        };
        let dimensions = header[1..date_col].to_vec();
        let types = header[date_col + 1..].to_vec();
        if types.is_empty() {
            return Err(format!("{FORECASTS_FILE}: no forecast type columns after date"));
        }
        let mut items: HashMap<String, Vec<Series>> = HashMap::new();
        for (n, record) in reader.records().enumerate() {
            let line = n + 2;
            let record = record.map_err(|e| format!("{FORECASTS_FILE} line {line}: {e}"))?;
            if record.len() != header.len() {
                return Err(format!(
                    "{FORECASTS_FILE} line {line}: {} fields, expected {}",
                    record.len(),
                    header.len()
                ));
            }
            let item = record[0].to_string();
            let dims: Vec<String> = (1..date_col).map(|c| record[c].to_string()).collect();
            let date = record[date_col].to_string();
            let instant =
                parse_instant(&date).ok_or_else(|| format!("{FORECASTS_FILE} line {line}: bad date {date:?}"))?;
            let mut row = Vec::with_capacity(types.len());
            for (t, c) in types.iter().zip(date_col + 1..) {
                let cell = record[c].trim();
                row.push(if cell.is_empty() {
                    None
                } else {
                    Some(
                        cell.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| {
                            format!("{FORECASTS_FILE} line {line}: column {t}: {cell:?} is not a number")
                        })?,
                    )
                });
            }
            let series_list = items.entry(item).or_default();
            let series = match series_list.iter_mut().position(|s| s.dimensions == dims) {
                Some(i) => &mut series_list[i],
                None => {
                    series_list.push(Series {
                        dimensions: dims,
                        dates: Vec::new(),
                        values: vec![Vec::new(); types.len()],
                        json: None,
                    });
                    let last = series_list.len() - 1;
                    &mut series_list[last]
                }
            };
            series.dates.push((date, instant));
            for (column, v) in series.values.iter_mut().zip(row) {
                column.push(v);
            }
        }
        let mut index = Self { dimensions, types, items };
        index.render();
        Ok(index)
    }

    /// Renders each series' whole answer, while they fit in [`RENDERED_LIMIT`] together.
    fn render(&mut self) {
        let mut rendered = Vec::new();
        let mut total = 0usize;
        'items: for (item, series) in &self.items {
            for (n, s) in series.iter().enumerate() {
                let Ok(json) = serde_json::to_vec(&self.response(item, s, &ForecastQuery::default())) else {
                    continue;
                };
                total += json.len();
                if total > RENDERED_LIMIT {
                    break 'items;
                }
                rendered.push((item.clone(), n, Bytes::from(json)));
            }
        }
        for (item, n, json) in rendered {
            if let Some(s) = self.items.get_mut(&item).and_then(|series| series.get_mut(n)) {
                s.json = Some(json);
            }
        }
    }

    /// [`ForecastIndex::forecast`] as the JSON body of the answer: rendered at load for a whole
    /// series, per request for a window.
    pub fn forecast_json(&self, item: &str, query: &ForecastQuery) -> Result<Bytes, ApiError> {
        let s = self.series(item, query)?;
        if query.start.is_none()
            && query.end.is_none()
            && let Some(json) = &s.json
        {
            return Ok(json.clone());
        }
        serde_json::to_vec(&self.response(item, s, query)).map(Bytes::from).map_err(|e| {
            ApiError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                format!("cannot write the forecast of {item:?}: {e}"),
            )
        })
    }

    /// The dimension columns.
    pub fn dimensions(&self) -> &[String] {
        &self.dimensions
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there is no item.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The forecast of one item's series.
    pub fn forecast(&self, item: &str, query: &ForecastQuery) -> Result<ForecastResponse, ApiError> {
        let s = self.series(item, query)?;
        Ok(self.response(item, s, query))
    }

    /// The one series of `item` that the query's dimensions choose.
    fn series(&self, item: &str, query: &ForecastQuery) -> Result<&Series, ApiError> {
        let series =
            self.items.get(item).ok_or_else(|| ApiError::not_found(format!("no forecast for item {item:?}")))?;
        // A series the URL names that does not exist, as an unknown item: 404.
        if let Some(unknown) = query.dimensions.keys().find(|k| !self.dimensions.contains(k)) {
            return Err(ApiError::not_found(format!(
                "{unknown:?} is not a forecast dimension of this predictor (dimensions: {})",
                list(&self.dimensions)
            )));
        }
        let matching: Vec<&Series> = series
            .iter()
            .filter(|s| {
                self.dimensions
                    .iter()
                    .zip(&s.dimensions)
                    .all(|(d, v)| query.dimensions.get(d).is_none_or(|want| want == v))
            })
            .collect();
        match matching.as_slice() {
            [one] => Ok(*one),
            [] => Err(ApiError::not_found(format!(
                "item {item:?} has no forecast for {}",
                query.dimensions.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
            ))),
            more => Err(ApiError::invalid(format!(
                "item {item:?} has {} series; choose one with the query parameters {}",
                more.len(),
                list(&self.dimensions)
            ))),
        }
    }

    /// The answer for series `s` of `item` within the query's window.
    fn response(&self, item: &str, s: &Series, query: &ForecastQuery) -> ForecastResponse {
        let in_window = |t: i64| query.start.is_none_or(|a| t >= a) && query.end.is_none_or(|b| t <= b);
        let predictions = self
            .types
            .iter()
            .zip(&s.values)
            .map(|(t, column)| {
                let points = s
                    .dates
                    .iter()
                    .zip(column)
                    .filter(|((_, at), _)| in_window(*at))
                    .filter_map(|((date, _), v)| v.map(|value| ForecastPoint { timestamp: date.clone(), value }))
                    .collect();
                (t.clone(), points)
            })
            .collect();
        ForecastResponse {
            item_id: item.to_string(),
            dimensions: self.dimensions.iter().cloned().zip(s.dimensions.iter().cloned()).collect(),
            predictions,
        }
    }
}

/// `2024-03-01`, `2024-03-01T10:00:00` or RFC 3339, as unix seconds (UTC).
pub fn parse_instant(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|d| d.and_utc().timestamp());
    }
    if let Ok(d) = NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S") {
        return Some(d.and_utc().timestamp());
    }
    DateTime::parse_from_rfc3339(t).ok().map(|d| d.timestamp())
}

/// An instant as a request gives it (`start`, `end`, `sentAt`): a date (midnight UTC) or an
/// RFC 3339 date-time, exactly, as `/openapi.json` says. Stricter than [`parse_instant`],
/// which also reads the export's dates without an offset.
pub fn parse_request_instant(text: &str) -> Option<i64> {
    // RFC 3339's full-date, `YYYY-MM-DD` to the byte (chrono alone also takes ` 2024-3-1`).
    let b = text.as_bytes();
    let full_date = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() });
    if full_date {
        let d = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
        return d.and_hms_opt(0, 0, 0).map(|d| d.and_utc().timestamp());
    }
    // chrono also takes a space for the `T`, which RFC 3339's grammar (and so JSON Schema's
    // `date-time`) does not.
    if !matches!(b.get(10), Some(b'T' | b't')) {
        return None;
    }
    DateTime::parse_from_rfc3339(text).ok().map(|d| d.timestamp())
}

fn list(names: &[String]) -> String {
    if names.is_empty() { "none".to_string() } else { names.join(", ") }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "item_id,store,date,p10,p50,p90,mean\n\
        a,s1,2024-03-01,1,2,3,2.1\n\
        a,s1,2024-03-02,1.5,2.5,3.5,\n\
        a,s2,2024-03-01,4,5,6,5\n\
        \"b,x\",s1,2024-03-01,0,0,1,0.2\n";

    #[test]
    fn series_windows_and_dimensions() {
        let index = ForecastIndex::parse(CSV.as_bytes()).expect("parses");
        assert_eq!(index.len(), 2);
        let q = |dims: &[(&str, &str)], start: Option<&str>, end: Option<&str>| ForecastQuery {
            dimensions: dims.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            start: start.and_then(parse_instant),
            end: end.and_then(parse_instant),
        };
        let f = index.forecast("a", &q(&[("store", "s1")], None, None)).expect("a at s1");
        assert_eq!(f.predictions["p50"].iter().map(|p| p.value).collect::<Vec<_>>(), vec![2.0, 2.5]);
        assert_eq!(f.predictions["mean"].len(), 1, "the empty cell is left out");
        assert_eq!(f.dimensions["store"], "s1");
        let f = index.forecast("a", &q(&[("store", "s1")], Some("2024-03-02"), None)).expect("window");
        assert_eq!(f.predictions["p90"], vec![ForecastPoint { timestamp: "2024-03-02".into(), value: 3.5 }]);
        let f = index.forecast("a", &q(&[("store", "s1")], None, Some("2024-03-01T00:00:00Z"))).expect("window");
        assert_eq!(f.predictions["p10"].len(), 1);
        assert_eq!(index.forecast("b,x", &q(&[], None, None)).expect("quoted id").predictions["p90"][0].value, 1.0);
        let e = index.forecast("a", &q(&[], None, None)).expect_err("two series");
        assert!(e.status.as_u16() == 400 && e.message.contains("store"), "{e}");
        assert_eq!(index.forecast("zzz", &q(&[], None, None)).expect_err("unknown").status.as_u16(), 404);
        assert_eq!(index.forecast("a", &q(&[("store", "s9")], None, None)).expect_err("none").status.as_u16(), 404);
        assert_eq!(index.forecast("a", &q(&[("color", "x")], None, None)).expect_err("dim").status.as_u16(), 404);
        // The JSON rendered at load is the typed answer's, and a window is rendered per request.
        for (item, dims, start) in [
            ("a", &[("store", "s2")][..], None),
            ("b,x", &[][..], None),
            ("a", &[("store", "s1")][..], Some("2024-03-02")),
        ] {
            let query = q(dims, start, None);
            let typed = serde_json::to_vec(&index.forecast(item, &query).expect("typed")).expect("json");
            assert_eq!(index.forecast_json(item, &query).expect("rendered").as_ref(), typed.as_slice());
        }
        assert!(index.items["a"].iter().all(|s| s.json.is_some()));
        assert_eq!(index.forecast_json("a", &q(&[], None, None)).expect_err("two series").status.as_u16(), 400);
    }

    #[test]
    fn requests_give_a_date_or_an_rfc3339_date_time() {
        assert_eq!(parse_request_instant("2024-03-01"), Some(1_709_251_200));
        assert_eq!(parse_request_instant("2024-03-01T00:00:00Z"), Some(1_709_251_200));
        assert_eq!(parse_request_instant("2024-03-01T02:00:00+02:00"), Some(1_709_251_200));
        assert_eq!(parse_request_instant("2024-03-01t00:00:00.5z"), Some(1_709_251_200));
        // What the export may hold but the document does not promise for requests.
        assert_eq!(parse_instant("2024-03-01T00:00:00"), Some(1_709_251_200));
        for bad in [
            "2024-03-01T00:00:00",
            "2024-03-01 00:00:00Z",
            " 2024-03-01T00:00:00Z",
            " 2024-03-01",
            "2024-3-1",
            "+2024-03-01",
            "0000-00-00T00:00:00",
            "2024-02-30",
            "x",
            "",
        ] {
            assert_eq!(parse_request_instant(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn bad_exports_name_the_line() {
        let e = ForecastIndex::parse(b"item_id,date,p50\na,2024-01-01,x\n").expect_err("bad number");
        assert!(e.contains("line 2") && e.contains("p50"), "{e}");
        assert!(ForecastIndex::parse(b"id,date,p50\n").is_err());
        assert!(ForecastIndex::parse(b"item_id,date,p50\na,yesterday,1\n").is_err());
    }
}
