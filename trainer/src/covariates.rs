//! The covariates of the global model (`BOOSTED_TREES`): a DatasetGroup's
//! RELATED_TIME_SERIES and ITEM_METADATA read onto the target's grid, for the target's
//! series, and the calendar ([`Covariates`]).
//!
//! - Related time series: every column but `item_id`, `timestamp` and the forecast
//!   dimensions is a dynamic column. A row goes to the grid period its timestamp falls in;
//!   several rows in one period are averaged (numbers) or the first one counts (strings).
//!   A row belongs to the target series with its `item_id` and the values of those of the
//!   Predictor's `forecastDimensions` that the dataset has as columns (all of them: one
//!   series; none: every series of the item). A series' columns run from its first period
//!   over its history and the horizon after it (`values.len() + horizon` periods), NaN
//!   where there is no row.
//! - Gaps of a numeric related column are filled per series as the Predictor's
//!   `featurization.attributes` ask for the column (its `attributeName`, matched
//!   case-insensitively; `RelatedFilling`): `middlefill` between the series' first and
//!   last value of the column, `backfill` from its last value to the end of the target's
//!   history, `futurefill` in the horizon, with the target's methods ([`fill_gaps`]: mean,
//!   median, min and max of the 64 most recent values before the gap, as Amazon Forecast
//!   computes them for both). As in Amazon Forecast there are no defaults: an unset filling
//!   leaves its gaps NaN, which the trees handle. Periods before a series' first value
//!   (`frontfill: none`) and series without any value stay NaN; category columns are never
//!   filled.
//! - The calendar columns of the same periods ([`calendar_columns`]) follow them, kept once
//!   for all series (`Covariates::shared`), not once per series.
//! - Item metadata: every column but `item_id` is a static attribute of every series of
//!   the item (its first row with a value counts); NaN for items without a row.
//!
//! Numbers (`float`, `integer`, `boolean` as 0 or 1, timestamps as unix seconds) are kept;
//! strings become category codes, numbered from 0 in the order they are first stored.
//! Without a declared schema every column reads as a string: such a column is a number when
//! every value of the dataset reads as one, else categories.
//!
//! The datasets are read like the target ([`ingest::read_dataset`]: CSV or Parquet, one
//! file or a prefix, `file://` or `s3://`, the same errors naming file, line and column;
//! rows without `item_id` or `timestamp` skipped, as `validate` counts them), and only rows
//! of the target's series are stored (a shard's: the series it keeps).

use std::collections::HashMap;

use seer_api::{AttributeFilling, AttributeType, Dataset, DatasetGroup, DatasetType, Featurization, Predictor};
use seer_models::forecast::{Covariates, covariates::calendar_columns};
use seer_storage::ObjectStore;

use crate::{
    TrainerError,
    featurize::{self, Fill, Gap, ItemKey, ItemSeries, fill_gaps},
    frequency::Grid,
    ingest::{self, Cell, ResolvedSchema, Role},
    progress,
    train_forecast::{Target, manifest_error},
};

/// Reads the related time series and the item metadata of `group`, when it has them, for
/// the series of `target` over their history and `horizon` periods after it, and adds the
/// calendar columns of those periods.
pub async fn read_covariates(
    store: &ObjectStore,
    group: &DatasetGroup,
    predictor: &Predictor,
    target: &Target,
    horizon: usize,
) -> Result<Covariates, TrainerError> {
    let dataset = |t: DatasetType| group.spec.datasets.iter().find(|d| d.type_ == t);
    let n = target.items.len();
    let mut covariates = Covariates { dynamic: vec![Vec::new(); n], ..Covariates::default() };
    if let Some(related) = dataset(DatasetType::RelatedTimeSeries) {
        let featurization = &predictor.spec.featurization;
        // A filling without its constant stops training before the data is read.
        for attribute in &featurization.attributes {
            RelatedFilling::of(Some(attribute))
                .map_err(|m| manifest_error(predictor, format!("featurization: {m}")))?;
        }
        let mut reader =
            Reader::new(related, &predictor.spec.forecast_dimensions, &target.items, Some((target.grid, horizon)));
        ingest::read_dataset(store, related, group.spec.domain, |schema, row| {
            reader.row(schema, row.cells);
            Ok(())
        })
        .await?;
        let mut read = reader.finish();
        progress::note(&format!(
            "related time series: {} for {}/{n} series",
            listed(&read.names, "column"),
            read.series_with_rows
        ));
        fill_related(&mut read, featurization, group.spec.domain.target_field(), &target.items)
            .map_err(|m| manifest_error(predictor, format!("featurization: {m}")))?;
        covariates.dynamic_names = read.names;
        for (item, mut columns) in covariates.dynamic.iter_mut().zip(read.values) {
            item.append(&mut columns);
        }
    }
    calendar(&mut covariates, &target.grid, &target.items, horizon);
    if let Some(metadata) = dataset(DatasetType::ItemMetadata) {
        let mut reader = Reader::new(metadata, &[], &target.items, None);
        ingest::read_dataset(store, metadata, group.spec.domain, |schema, row| {
            reader.row(schema, row.cells);
            Ok(())
        })
        .await?;
        let read = reader.finish();
        progress::note(&format!(
            "item metadata: {} for {}/{n} series",
            listed(&read.names, "attribute"),
            read.series_with_rows
        ));
        covariates.static_names = read.names;
        covariates.statics = read
            .values
            .into_iter()
            .map(|attributes| attributes.into_iter().map(|a| a.first().copied().unwrap_or(f64::NAN)).collect())
            .collect();
    }
    Ok(covariates)
}

/// `2 columns (price, promotion)`.
fn listed(names: &[String], noun: &str) -> String {
    let s = if names.len() == 1 { "" } else { "s" };
    format!("{} {noun}{s} ({})", names.len(), names.join(", "))
}

/// The fillings of one related time series column; [`Fill::Nan`] leaves its gaps.
#[derive(Clone, Copy, Debug, PartialEq)]
struct RelatedFilling {
    middle: Fill,
    back: Fill,
    future: Fill,
}

impl RelatedFilling {
    /// What `attribute` asks for (no attribute or no filling: nothing filled).
    fn of(attribute: Option<&AttributeFilling>) -> Result<RelatedFilling, String> {
        Ok(RelatedFilling {
            middle: featurize::filling(attribute, Gap::Middle, Fill::Nan)?,
            back: featurize::filling(attribute, Gap::Back, Fill::Nan)?,
            future: featurize::filling(attribute, Gap::Future, Fill::Nan)?,
        })
    }

    fn fills(&self) -> bool {
        [self.middle, self.back, self.future] != [Fill::Nan; 3]
    }

    /// Fills one series' column in place, `history` periods of the target then the
    /// horizon; returns how many values it filled.
    fn apply(&self, values: &mut [f64], history: usize) -> usize {
        let (Some(first), Some(last)) =
            (values.iter().position(|v| v.is_finite()), values.iter().rposition(|v| v.is_finite()))
        else {
            return 0;
        };
        let method = |i: usize| {
            if i < first {
                Fill::Nan
            } else if i >= history {
                self.future
            } else if i < last {
                self.middle
            } else {
                self.back
            }
        };
        fill_gaps(values, method).into_iter().filter(|&f| f).count()
    }

    /// `middlefill median, futurefill value 0`.
    fn describe(&self) -> String {
        let named = [("middlefill", self.middle), ("backfill", self.back), ("futurefill", self.future)];
        let parts: Vec<String> = named
            .iter()
            .filter(|(_, f)| *f != Fill::Nan)
            .map(|(what, f)| match f {
                Fill::Value(v) => format!("{what} value {v}"),
                f => format!("{what} {}", format!("{f:?}").to_lowercase()),
            })
            .collect();
        parts.join(", ")
    }
}

/// Fills the related columns' gaps as `featurization` asks (the module doc says where and
/// how); notes what it filled, and the attributes whose fillings are not used.
fn fill_related(
    read: &mut Read,
    featurization: &Featurization,
    target_field: &str,
    items: &[ItemSeries],
) -> Result<(), String> {
    for (k, (name, &numeric)) in read.names.iter().zip(&read.numeric).enumerate() {
        let filling = RelatedFilling::of(featurize::attribute(featurization, name))?;
        if !filling.fills() {
            continue;
        }
        if !numeric {
            progress::note(&format!(
                "featurization: related time series column '{name}' holds categories: its fillings are not used"
            ));
            continue;
        }
        let mut filled = 0;
        for (columns, item) in read.values.iter_mut().zip(items) {
            if let Some(values) = columns.get_mut(k) {
                filled += filling.apply(values, item.series.values.len());
            }
        }
        progress::note(&format!("featurization: {filled} gaps of '{name}' filled ({})", filling.describe()));
    }
    for attribute in &featurization.attributes {
        let name = &attribute.attribute_name;
        if !name.eq_ignore_ascii_case(target_field) && !read.names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            progress::note(&format!(
                "featurization: attribute '{name}' is neither the target nor a related time series column: its fillings are not used"
            ));
        }
    }
    Ok(())
}

/// The calendar columns, shared by every series: once over the periods from the first
/// series' start to the end of the horizon, each series reading its own periods.
fn calendar(covariates: &mut Covariates, grid: &Grid, items: &[ItemSeries], horizon: usize) {
    let first = items.iter().map(|i| i.series.start).min().unwrap_or(0);
    let last = items.iter().map(|i| i.series.start + (i.series.values.len() + horizon) as i64).max().unwrap_or(first);
    let starts: Vec<i64> = (first..last).map(|p| grid.start_of(p)).collect();
    let (names, columns) = calendar_columns(&starts).into_iter().unzip();
    covariates.shared_names = names;
    covariates.shared = columns;
    covariates.shared_first = first;
    covariates.starts = items.iter().map(|i| i.series.start).collect();
}

/// How a column's values become numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Declared a number, boolean or timestamp.
    Number,
    /// Declared a string: category codes.
    Category,
    /// A string without a declared schema: a number if every value of the dataset reads
    /// as one, else category codes.
    Inferred,
}

/// One column of covariates.
struct ValueColumn {
    name: String,
    position: usize,
    kind: Kind,
    /// Category codes, in the order first stored.
    codes: HashMap<String, u32>,
    /// [`Kind::Inferred`]: whether every value read so far is a number.
    numeric: bool,
}

impl ValueColumn {
    fn code(&mut self, text: &str) -> f64 {
        let next = self.codes.len() as u32;
        f64::from(*self.codes.entry(text.to_string()).or_insert(next))
    }
}

/// What the dataset's columns are to the covariates, from the schema of its first row.
struct Layout {
    item: Option<usize>,
    time: Option<usize>,
    /// Positions of the forecast dimensions the dataset has.
    dimensions: Vec<usize>,
    columns: Vec<ValueColumn>,
    /// The series a row's key (item_id and the dimensions above) belongs to.
    series: HashMap<ItemKey, Vec<usize>>,
}

impl Layout {
    fn new(schema: &ResolvedSchema, dataset: &Dataset, dimensions: &[String], items: &[ItemSeries]) -> Layout {
        let mut positions = Vec::new();
        let mut which = Vec::new();
        for (k, d) in dimensions.iter().enumerate() {
            if let Some(p) = schema.columns.iter().position(|c| c.name.eq_ignore_ascii_case(d)) {
                positions.push(p);
                which.push(k);
            }
        }
        let declared = dataset.schema.is_some();
        let columns = schema
            .columns
            .iter()
            .enumerate()
            .filter(|(p, c)| !matches!(c.role, Role::ItemId | Role::Timestamp) && !positions.contains(p))
            .map(|(position, c)| ValueColumn {
                name: c.name.clone(),
                position,
                kind: match c.kind {
                    AttributeType::String | AttributeType::Geolocation if declared => Kind::Category,
                    AttributeType::String | AttributeType::Geolocation => Kind::Inferred,
                    _ => Kind::Number,
                },
                codes: HashMap::new(),
                numeric: true,
            })
            .collect();
        let mut series: HashMap<ItemKey, Vec<usize>> = HashMap::new();
        for (i, it) in items.iter().enumerate() {
            let key = ItemKey {
                item_id: it.key.item_id.clone(),
                dimensions: which.iter().map(|&k| it.key.dimensions.get(k).cloned().unwrap_or_default()).collect(),
            };
            series.entry(key).or_default().push(i);
        }
        Layout {
            item: schema.position(Role::ItemId),
            time: schema.position(Role::Timestamp),
            dimensions: positions,
            columns,
            series,
        }
    }
}

/// One series' values of one column while reading.
struct Slots {
    /// Numbers: the mean (time series) or the first value (metadata) of each period.
    value: Vec<f64>,
    count: Vec<u32>,
    /// Categories: the code of each period's first value.
    code: Vec<f64>,
}

impl Slots {
    fn new(kind: Kind, len: usize) -> Slots {
        let numbers = kind != Kind::Category;
        let codes = kind != Kind::Number;
        Slots {
            value: if numbers { vec![f64::NAN; len] } else { Vec::new() },
            count: if numbers { vec![0; len] } else { Vec::new() },
            code: if codes { vec![f64::NAN; len] } else { Vec::new() },
        }
    }

    fn add(&mut self, column: &mut ValueColumn, cell: &Cell, slot: usize, average: bool) {
        let number = match cell {
            Cell::Missing => return,
            Cell::Float(v) => Some(*v),
            Cell::Int(v) | Cell::Time(v) => Some(*v as f64),
            Cell::Bool(b) => Some(f64::from(u8::from(*b))),
            Cell::Str(s) if column.kind == Kind::Inferred => number_of(s),
            Cell::Str(_) => None,
        };
        if let (Some(x), Some(value), Some(count)) = (number, self.value.get_mut(slot), self.count.get_mut(slot))
            && (average || *count == 0)
        {
            *count += 1;
            *value = if *count == 1 { x } else { *value + (x - *value) / f64::from(*count) };
        }
        if let Some(code) = self.code.get_mut(slot)
            && code.is_nan()
            && let Some(text) = cell.to_text()
        {
            *code = column.code(&text);
        }
    }

    fn into_values(self, column: &ValueColumn) -> Vec<f64> {
        match column.kind {
            Kind::Number => self.value,
            Kind::Category => self.code,
            Kind::Inferred if column.numeric => self.value,
            Kind::Inferred => self.code,
        }
    }
}

/// A text that reads as a finite number.
fn number_of(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// The columns read, per series.
struct Read {
    names: Vec<String>,
    /// `values[i][c]`: series i's column c.
    values: Vec<Vec<Vec<f64>>>,
    /// Per column: numbers (else category codes).
    numeric: Vec<bool>,
    series_with_rows: usize,
}

/// Reads one dataset's rows into the covariates of the target's series.
struct Reader<'a> {
    dataset: &'a Dataset,
    dimensions: &'a [String],
    items: &'a [ItemSeries],
    /// Time series: the grid and the horizon; `None` for metadata (one value per series).
    grid: Option<Grid>,
    /// Values per series: its periods (time series) or 1.
    lengths: Vec<usize>,
    layout: Option<Layout>,
    stored: Vec<Option<Vec<Slots>>>,
}

impl<'a> Reader<'a> {
    fn new(
        dataset: &'a Dataset,
        dimensions: &'a [String],
        items: &'a [ItemSeries],
        timed: Option<(Grid, usize)>,
    ) -> Reader<'a> {
        let lengths = match timed {
            Some((_, horizon)) => items.iter().map(|i| i.series.values.len() + horizon).collect(),
            None => vec![1; items.len()],
        };
        Reader {
            dataset,
            dimensions,
            items,
            grid: timed.map(|(g, _)| g),
            lengths,
            layout: None,
            stored: (0..items.len()).map(|_| None).collect(),
        }
    }

    /// One row of the dataset. Rows without a key, of other series, or outside a series'
    /// periods are left out.
    fn row(&mut self, schema: &ResolvedSchema, cells: &[Cell]) {
        let Layout { item, time, dimensions, columns, series } =
            self.layout.get_or_insert_with(|| Layout::new(schema, self.dataset, self.dimensions, self.items));
        // Whether a column without a declared type is numbers is decided on every row, kept
        // or not, so that every shard decides alike.
        for c in columns.iter_mut().filter(|c| c.kind == Kind::Inferred && c.numeric) {
            if let Some(Cell::Str(s)) = cells.get(c.position)
                && number_of(s).is_none()
            {
                c.numeric = false;
            }
        }
        let Some(Cell::Str(item_id)) = item.and_then(|p| cells.get(p)) else { return };
        let period = match (self.grid, *time) {
            (Some(grid), Some(p)) => match cells.get(p) {
                Some(Cell::Time(t)) => Some(grid.period(*t)),
                _ => return,
            },
            _ => None,
        };
        let key = ItemKey {
            item_id: item_id.clone(),
            dimensions: dimensions.iter().map(|&p| cells.get(p).and_then(Cell::to_text).unwrap_or_default()).collect(),
        };
        let Some(targets) = series.get(&key) else { return };
        let average = self.grid.is_some();
        for &i in targets {
            let slot = match period {
                Some(p) => match usize::try_from(p - self.items[i].series.start) {
                    Ok(s) if s < self.lengths[i] => s,
                    _ => continue,
                },
                None => 0,
            };
            let len = self.lengths[i];
            let stored =
                self.stored[i].get_or_insert_with(|| columns.iter().map(|c| Slots::new(c.kind, len)).collect());
            for (column, slots) in columns.iter_mut().zip(stored.iter_mut()) {
                if let Some(cell) = cells.get(column.position) {
                    slots.add(column, cell, slot, average);
                }
            }
        }
    }

    fn finish(self) -> Read {
        let columns = self.layout.map(|l| l.columns).unwrap_or_default();
        let series_with_rows = self.stored.iter().filter(|s| s.is_some()).count();
        let values = self
            .stored
            .into_iter()
            .zip(&self.lengths)
            .map(|(stored, &len)| match stored {
                Some(slots) => slots.into_iter().zip(&columns).map(|(s, c)| s.into_values(c)).collect(),
                None => columns.iter().map(|_| vec![f64::NAN; len]).collect(),
            })
            .collect();
        let numeric =
            columns.iter().map(|c| c.kind == Kind::Number || (c.kind == Kind::Inferred && c.numeric)).collect();
        Read { names: columns.into_iter().map(|c| c.name).collect(), values, numeric, series_with_rows }
    }
}

#[cfg(test)]
mod tests {
    use seer_models::forecast::Series;
    use seer_storage::S3Settings;

    use super::*;
    use crate::frequency::Frequency;

    fn day(d: &str) -> i64 {
        chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .expect("date")
            .and_hms_opt(0, 0, 0)
            .expect("time")
            .and_utc()
            .timestamp()
    }

    fn series(id: &str, store: &str, start: i64, len: usize) -> ItemSeries {
        ItemSeries {
            key: ItemKey { item_id: id.into(), dimensions: vec![store.into()] },
            series: Series { start, values: vec![1.0; len], filled: None },
        }
    }

    /// Daily from 2024-01-01 (period 0) to 2024-01-05 (period 4): a/s1 over all of it,
    /// a/s2 from period 2, b/s1 from period 1.
    fn target() -> Target {
        let anchor = day("2024-01-01");
        Target {
            grid: Grid::new(Frequency::parse("D").expect("D"), anchor),
            anchor,
            end: 4,
            items: vec![series("a", "s1", 0, 5), series("a", "s2", 2, 3), series("b", "s1", 1, 4)],
        }
    }

    /// A group with the datasets given (type, file, schema YAML or "") written to `dir`.
    fn group(dir: &std::path::Path, datasets: &[(&str, &str, &str, &str)]) -> DatasetGroup {
        let mut yaml = String::from(
            "apiVersion: seer.dev/v1alpha1\nkind: DatasetGroup\nmetadata: {name: g}\nspec:\n  domain: RETAIL\n  datasets:\n  - {type: TARGET_TIME_SERIES, uri: 'file:///unused.csv'}\n",
        );
        for (kind, name, data, schema) in datasets {
            std::fs::write(dir.join(name), data).expect("write");
            yaml.push_str(&format!("  - type: {kind}\n    uri: file://{}/{name}\n{schema}", dir.display()));
        }
        serde_yaml::from_str(&yaml).expect("group")
    }

    fn predictor() -> Predictor {
        predictor_with("")
    }

    /// A Predictor with `featurization` (YAML under `spec`, or "").
    fn predictor_with(featurization: &str) -> Predictor {
        serde_yaml::from_str(&format!(
            "apiVersion: seer.dev/v1alpha1\nkind: Predictor\nmetadata: {{name: p}}\nspec:\n  datasetGroupRef: {{name: g}}\n  forecastHorizon: 2\n  forecastFrequency: D\n  forecastDimensions: [store]\n{featurization}"
        ))
        .expect("predictor")
    }

    async fn read(group: &DatasetGroup) -> Result<Covariates, TrainerError> {
        read_for(group, &predictor()).await
    }

    async fn read_for(group: &DatasetGroup, predictor: &Predictor) -> Result<Covariates, TrainerError> {
        let store = ObjectStore::connect(&S3Settings::default()).await;
        read_covariates(&store, group, predictor, &target(), 2).await
    }

    /// Column `name` of series `item` over its history and the horizon (2 periods).
    fn column(c: &Covariates, item: usize, name: &str) -> Vec<f64> {
        let names: Vec<&String> = c.dynamic_names.iter().chain(&c.shared_names).collect();
        let k = names.iter().position(|n| *n == name).expect(name);
        let len = target().items[item].series.values.len() + 2;
        (0..len).map(|t| c.dynamic_at(item, k, t)).collect()
    }

    /// NaN-aware equality of columns.
    fn same(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
    }

    const N: f64 = f64::NAN;

    #[tokio::test]
    async fn related_rows_go_to_their_series_and_period() {
        let dir = tempfile::tempdir().expect("tmp");
        // No schema: price and promo read as numbers (every value is one), kind as categories.
        let related = "item_id,store,timestamp,price,promo,kind\n\
            a,s1,2024-01-01T10:00:00,2,0,x\n\
            a,s1,2024-01-01T20:00:00,4,1,y\n\
            a,s1,2024-01-06,7,1,y\n\
            a,s1,2024-01-08,9,1,y\n\
            a,s2,2024-01-03,9,,z\n\
            a,s2,2023-12-31,5,0,x\n\
            c,s1,2024-01-02,1,1,q\n\
            b,s1,2024-01-07,3,0,x\n";
        let g = group(dir.path(), &[("RELATED_TIME_SERIES", "related.csv", related, "")]);
        let c = read(&g).await.expect("covariates");
        assert_eq!(&c.dynamic_names[..3], ["price", "promo", "kind"], "store is a dimension, not a column");
        assert!(c.shared_names.iter().any(|n| n == "day_of_week"), "calendar columns follow, shared");
        assert_eq!(c.dynamic.len(), 3);
        // a/s1: periods 0..=6 (history 5 and horizon 2); two rows in period 0 averaged; the
        // row of 2024-01-08 (period 7) is past the horizon.
        assert!(same(&column(&c, 0, "price"), &[3.0, N, N, N, N, 7.0, N]), "{:?}", column(&c, 0, "price"));
        assert!(same(&column(&c, 0, "promo"), &[0.5, N, N, N, N, 1.0, N]));
        // Strings: the first value of a period, codes in the order stored.
        assert!(same(&column(&c, 0, "kind"), &[0.0, N, N, N, N, 1.0, N]));
        // a/s2 from period 2 (2024-01-03): its row before that is left out.
        assert!(same(&column(&c, 1, "price"), &[9.0, N, N, N, N]));
        assert!(same(&column(&c, 1, "promo"), &[N, N, N, N, N]), "an empty value is unknown");
        assert!(same(&column(&c, 1, "kind"), &[2.0, N, N, N, N]));
        // b/s1 from period 1: 2024-01-07 is period 6, its last horizon step.
        assert!(same(&column(&c, 2, "price"), &[N, N, N, N, N, 3.0]));
        assert!(same(&column(&c, 2, "kind"), &[N, N, N, N, N, 0.0]));
        // The calendar of each series' own periods: 2024-01-01 was a Monday, a/s2 starts on a
        // Wednesday, b/s1 on a Tuesday.
        assert_eq!(column(&c, 0, "day_of_week"), [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(column(&c, 1, "day_of_week"), [2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(column(&c, 2, "day_of_month"), [2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
        assert!(c.static_names.is_empty() && c.statics.is_empty());
    }

    #[tokio::test]
    async fn rows_without_the_dimensions_belong_to_every_series_of_the_item() {
        let dir = tempfile::tempdir().expect("tmp");
        let related = "item_id,timestamp,price\na,2024-01-03,5\nb,2024-01-03,6\n";
        let schema = "    schema:\n      attributes:\n      - {name: item_id, type: string}\n      - {name: timestamp, type: timestamp}\n      - {name: price, type: float}\n";
        let g = group(dir.path(), &[("RELATED_TIME_SERIES", "related.csv", related, schema)]);
        let c = read(&g).await.expect("covariates");
        assert!(same(&column(&c, 0, "price"), &[N, N, 5.0, N, N, N, N]));
        assert!(same(&column(&c, 1, "price"), &[5.0, N, N, N, N]));
        assert!(same(&column(&c, 2, "price"), &[N, 6.0, N, N, N, N]));
    }

    #[tokio::test]
    async fn item_metadata_is_static_per_item() {
        let dir = tempfile::tempdir().expect("tmp");
        let metadata = "item_id,category,size\na,toys,2.5\nz,garden,1\na,garden,9\n";
        let schema = "    schema:\n      attributes:\n      - {name: item_id, type: string}\n      - {name: category, type: string, categorical: true}\n      - {name: size, type: float}\n";
        let g = group(dir.path(), &[("ITEM_METADATA", "items.csv", metadata, schema)]);
        let c = read(&g).await.expect("covariates");
        assert_eq!(c.static_names, ["category", "size"]);
        // Both series of item a get its first row; b has none; z is not a target item.
        assert!(same(&c.statics[0], &[0.0, 2.5]));
        assert!(same(&c.statics[1], &[0.0, 2.5]));
        assert!(same(&c.statics[2], &[N, N]));
        // Without a related dataset the dynamic columns are the calendar's.
        assert!(c.dynamic_names.is_empty());
        assert_eq!(c.shared_names.first().map(String::as_str), Some("hour_of_day"));
    }

    #[tokio::test]
    async fn a_value_that_does_not_fit_its_type_names_file_line_and_column() {
        let dir = tempfile::tempdir().expect("tmp");
        let related = "item_id,timestamp,price\na,2024-01-03,5\na,2024-01-04,cheap\n";
        let schema = "    schema:\n      attributes:\n      - {name: item_id, type: string}\n      - {name: timestamp, type: timestamp}\n      - {name: price, type: float}\n";
        let g = group(dir.path(), &[("RELATED_TIME_SERIES", "related.csv", related, schema)]);
        let err = read(&g).await.expect_err("a word in a float column").to_string();
        assert!(err.contains("related.csv:3") && err.contains("column 'price'") && err.contains("cheap"), "{err}");
    }

    /// Only middlefill, backfill or futurefill set to `fill`.
    fn only(gap: Gap, fill: Fill) -> RelatedFilling {
        let mut f = RelatedFilling { middle: Fill::Nan, back: Fill::Nan, future: Fill::Nan };
        match gap {
            Gap::Middle => f.middle = fill,
            Gap::Back => f.back = fill,
            Gap::Future => f.future = fill,
        }
        f
    }

    /// A series' column: 5 periods of history (the first before the series' first value),
    /// then 2 of horizon.
    fn gappy() -> Vec<f64> {
        vec![N, 1.0, N, 3.0, N, N, N]
    }

    #[test]
    fn middlefill_fills_between_the_first_and_last_value_only() {
        let mut values = gappy();
        assert_eq!(only(Gap::Middle, Fill::Zero).apply(&mut values, 5), 1);
        assert!(same(&values, &[N, 1.0, 0.0, 3.0, N, N, N]), "{values:?}");
        // With a value in the horizon, every history gap after the first value is inside.
        let mut values = vec![1.0, N, N, N, 5.0];
        assert_eq!(only(Gap::Middle, Fill::Zero).apply(&mut values, 3), 2);
        assert!(same(&values, &[1.0, 0.0, 0.0, N, 5.0]), "{values:?}");
    }

    #[test]
    fn backfill_fills_from_the_last_value_to_the_end_of_the_history() {
        let mut values = gappy();
        assert_eq!(only(Gap::Back, Fill::Value(9.5)).apply(&mut values, 5), 1);
        assert!(same(&values, &[N, 1.0, N, 3.0, 9.5, N, N]), "{values:?}");
    }

    #[test]
    fn futurefill_fills_the_horizon_with_the_median_of_the_64_most_recent_values() {
        let mut values = gappy();
        assert_eq!(only(Gap::Future, Fill::Median).apply(&mut values, 5), 2);
        assert!(same(&values, &[N, 1.0, N, 3.0, N, 2.0, 2.0]), "{values:?}");
        // 70 periods of history valued 0 to 69, then a horizon of gap, 100, gap: the first
        // gap takes the median of 6..=69, the last one of 7..=69 and 100 (filled values
        // never count).
        let mut values: Vec<f64> = (0..70).map(f64::from).collect();
        values.extend([N, 100.0, N]);
        assert_eq!(only(Gap::Future, Fill::Median).apply(&mut values, 70), 2);
        assert_eq!(values[70..], [37.5, 100.0, 38.5]);
    }

    #[test]
    fn nothing_is_filled_before_the_first_value_or_without_any() {
        let every = RelatedFilling { middle: Fill::Zero, back: Fill::Zero, future: Fill::Zero };
        let mut values = gappy();
        assert_eq!(every.apply(&mut values, 5), 4);
        assert!(same(&values, &[N, 1.0, 0.0, 3.0, 0.0, 0.0, 0.0]), "{values:?}");
        let mut values = vec![N; 4];
        assert_eq!(every.apply(&mut values, 2), 0);
        assert!(values.iter().all(|v| v.is_nan()));
    }

    #[tokio::test]
    async fn the_predictor_fillings_apply_to_numeric_related_columns() {
        let dir = tempfile::tempdir().expect("tmp");
        let related = "item_id,store,timestamp,price,promo,kind\n\
            a,s1,2024-01-01,3,0,x\n\
            a,s1,2024-01-06,7,1,y\n";
        let g = group(dir.path(), &[("RELATED_TIME_SERIES", "related.csv", related, "")]);
        // Names match case-insensitively; kind holds categories: never filled; promo has
        // no filling: its gaps stay.
        let p = predictor_with(
            "  featurization:\n    attributes:\n    - {attributeName: PRICE, middlefill: zero, futurefill: median}\n    - {attributeName: kind, middlefill: value, middlefillValue: 1}\n",
        );
        let c = read_for(&g, &p).await.expect("covariates");
        assert!(same(&column(&c, 0, "price"), &[3.0, 0.0, 0.0, 0.0, 0.0, 7.0, 5.0]), "{:?}", column(&c, 0, "price"));
        assert!(same(&column(&c, 0, "promo"), &[0.0, N, N, N, N, 1.0, N]));
        assert!(same(&column(&c, 0, "kind"), &[0.0, N, N, N, N, 1.0, N]));
        // Series without a value of their own stay unknown.
        assert!(same(&column(&c, 2, "price"), &[N; 6]));
    }

    #[tokio::test]
    async fn a_value_filling_without_its_value_names_the_attribute() {
        let dir = tempfile::tempdir().expect("tmp");
        let g = group(dir.path(), &[("RELATED_TIME_SERIES", "related.csv", "item_id,timestamp,price\n", "")]);
        let p = predictor_with("  featurization:\n    attributes:\n    - {attributeName: price, futurefill: value}\n");
        let err = read_for(&g, &p).await.expect_err("no futurefillValue").to_string();
        assert_eq!(err, "Predictor p: featurization: attribute 'price': futurefill: value needs futurefillValue");
    }
}
