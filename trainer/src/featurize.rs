//! Featurization as Amazon Forecast documented it: the target is aggregated to the forecast
//! frequency (sum, avg, first, min, max) and its gaps are filled — `middlefill` between an
//! item's first and last observation, `backfill` from its last observation to the end of
//! the dataset (no `frontfill`: a series starts at its first observation). Filled points
//! are marked so that backtests leave them out.
//!
//! The filling methods and their computation ([`filling`], [`fill_gaps`]) are shared with
//! the related time series ([`crate::covariates`]), which also have `futurefill`.

use std::collections::HashMap;

use seer_api::{Aggregation, AttributeFilling, Featurization, FillMethod};
use seer_models::forecast::Series;

use crate::frequency::Grid;

/// How far back the mean/median/min/max fillings look: Amazon Forecast's 64 most recent points.
pub const FILL_WINDOW: usize = 64;

/// A filling method with its constant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fill {
    Zero,
    Nan,
    Value(f64),
    Mean,
    Median,
    Min,
    Max,
}

/// The target's fillings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TargetFilling {
    pub middle: Fill,
    pub back: Fill,
}

/// Which of an attribute's fillings: `middlefill`, `backfill` or `futurefill`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gap {
    Middle,
    Back,
    Future,
}

/// The attribute of a featurization named `name` (case-insensitively), if any.
pub fn attribute<'a>(featurization: &'a Featurization, name: &str) -> Option<&'a AttributeFilling> {
    featurization.attributes.iter().find(|a| a.attribute_name.eq_ignore_ascii_case(name))
}

/// The filling `attribute` asks for `gap`, with its constant; `default` when it asks none.
/// A `value` without its constant (which the API server already rejects) is an error
/// naming the attribute.
pub fn filling(attribute: Option<&AttributeFilling>, gap: Gap, default: Fill) -> Result<Fill, String> {
    let Some(a) = attribute else { return Ok(default) };
    let (method, value, what) = match gap {
        Gap::Middle => (a.middlefill, a.middlefill_value, "middlefill"),
        Gap::Back => (a.backfill, a.backfill_value, "backfill"),
        Gap::Future => (a.futurefill, a.futurefill_value, "futurefill"),
    };
    Ok(match method {
        None => default,
        Some(FillMethod::Zero) => Fill::Zero,
        Some(FillMethod::Nan) => Fill::Nan,
        Some(FillMethod::Value) => Fill::Value(
            value.ok_or_else(|| format!("attribute '{}': {what}: value needs {what}Value", a.attribute_name))?,
        ),
        Some(FillMethod::Mean) => Fill::Mean,
        Some(FillMethod::Median) => Fill::Median,
        Some(FillMethod::Min) => Fill::Min,
        Some(FillMethod::Max) => Fill::Max,
    })
}

impl TargetFilling {
    /// The target's fillings from a Predictor's featurization (defaults: zero and zero).
    pub fn from_spec(featurization: &Featurization, target_field: &str) -> Result<TargetFilling, String> {
        let attr = attribute(featurization, target_field);
        Ok(TargetFilling {
            middle: filling(attr, Gap::Middle, Fill::Zero)?,
            back: filling(attr, Gap::Back, Fill::Zero)?,
        })
    }
}

/// An item (and its forecast dimension values) — one series.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemKey {
    pub item_id: String,
    pub dimensions: Vec<String>,
}

/// One item's regular series.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemSeries {
    pub key: ItemKey,
    /// `series.start` is the item's first period on the grid.
    pub series: Series,
}

/// Collects target rows and builds the regular series.
#[derive(Default)]
pub struct TargetCollector {
    rows: HashMap<ItemKey, Vec<(i64, f64)>>,
    earliest: Option<i64>,
    latest: Option<i64>,
}

impl TargetCollector {
    /// One observation (`value` NaN when missing in the data).
    pub fn push(&mut self, key: ItemKey, time: i64, value: f64) {
        self.observe(time);
        self.rows.entry(key).or_default().push((time, value));
    }

    /// A row of an item that is not collected (another shard's): it still counts for the
    /// dataset's time range, so that every shard has the same grid and end.
    pub fn observe(&mut self, time: i64) {
        self.earliest = Some(self.earliest.map_or(time, |e| e.min(time)));
        self.latest = Some(self.latest.map_or(time, |l| l.max(time)));
    }

    /// Earliest timestamp seen (the grid's anchor).
    pub fn earliest(&self) -> Option<i64> {
        self.earliest
    }

    /// Latest timestamp seen (its period is where every series ends).
    pub fn latest(&self) -> Option<i64> {
        self.latest
    }

    /// Builds every item's series on `grid`, in item order.
    pub fn build(self, grid: &Grid, aggregation: Aggregation, filling: TargetFilling) -> Vec<ItemSeries> {
        let end = match self.latest {
            Some(t) => grid.period(t),
            None => return Vec::new(),
        };
        let mut out: Vec<ItemSeries> = self
            .rows
            .into_iter()
            .filter_map(|(key, mut points)| {
                points.sort_by_key(|p| p.0);
                let first = grid.period(points.first()?.0);
                let len = usize::try_from(end - first + 1).ok()?;
                let mut buckets: Vec<Bucket> = vec![Bucket::default(); len];
                for (t, v) in points {
                    if v.is_finite()
                        && let Some(b) = usize::try_from(grid.period(t) - first).ok().and_then(|i| buckets.get_mut(i))
                    {
                        b.add(v);
                    }
                }
                let mut values: Vec<f64> = buckets.iter().map(|b| b.value(aggregation)).collect();
                let last_observed = values.iter().rposition(|v| v.is_finite())?;
                let filled = fill(&mut values, last_observed, filling);
                Some(ItemSeries { key, series: Series { start: first, values, filled: Some(filled) } })
            })
            .collect();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        out
    }
}

#[derive(Clone, Copy, Default)]
struct Bucket {
    n: u32,
    sum: f64,
    first: f64,
    min: f64,
    max: f64,
}

impl Bucket {
    fn add(&mut self, v: f64) {
        if self.n == 0 {
            self.first = v;
            self.min = v;
            self.max = v;
        }
        self.n += 1;
        self.sum += v;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    fn value(&self, aggregation: Aggregation) -> f64 {
        if self.n == 0 {
            return f64::NAN;
        }
        match aggregation {
            Aggregation::Sum => self.sum,
            Aggregation::Avg => self.sum / f64::from(self.n),
            Aggregation::First => self.first,
            Aggregation::Min => self.min,
            Aggregation::Max => self.max,
        }
    }
}

/// Fills the target's gaps in place: middlefill before its last observation, backfill
/// after it; returns the mask of filled points.
fn fill(values: &mut [f64], last_observed: usize, filling: TargetFilling) -> Vec<bool> {
    fill_gaps(values, |i| if i < last_observed { filling.middle } else { filling.back })
}

/// Fills the gaps (non-finite values) of `values` in place, the one at `i` with
/// `method(i)`; returns the mask of filled points. Mean, median, min and max are those of
/// the [`FILL_WINDOW`] most recent observed values before the gap (never filled ones); a
/// gap whose method gives no finite value (`nan`, or min/max/median of nothing) stays.
pub fn fill_gaps(values: &mut [f64], method: impl Fn(usize) -> Fill) -> Vec<bool> {
    let mut filled = vec![false; values.len()];
    let mut recent: Vec<f64> = Vec::with_capacity(FILL_WINDOW);
    for i in 0..values.len() {
        if values[i].is_finite() {
            if recent.len() == FILL_WINDOW {
                recent.remove(0);
            }
            recent.push(values[i]);
            continue;
        }
        let v = match method(i) {
            Fill::Zero => 0.0,
            Fill::Nan => continue,
            Fill::Value(v) => v,
            Fill::Mean => recent.iter().sum::<f64>() / recent.len().max(1) as f64,
            Fill::Median => median(&recent),
            Fill::Min => recent.iter().copied().fold(f64::INFINITY, f64::min),
            Fill::Max => recent.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        };
        if v.is_finite() {
            values[i] = v;
            filled[i] = true;
        }
    }
    filled
}

fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if !n.is_multiple_of(2) { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frequency::{Frequency, Grid};

    const DAY: i64 = 86_400;

    fn key(id: &str) -> ItemKey {
        ItemKey { item_id: id.into(), dimensions: vec![] }
    }

    #[test]
    fn aggregates_to_the_frequency_and_fills_gaps() {
        let mut c = TargetCollector::default();
        // item a: hourly points on days 0, 0, 2 (day 1 missing); item b ends on day 1.
        c.push(key("a"), 3_600, 2.0);
        c.push(key("a"), 7_200, 3.0);
        c.push(key("a"), 2 * DAY, 4.0);
        c.push(key("a"), 3 * DAY, f64::NAN); // present but missing value, the last day
        c.push(key("b"), DAY, 10.0);
        let grid = Grid::new(Frequency::parse("D").unwrap(), c.earliest().unwrap());
        let out = c.build(&grid, Aggregation::Sum, TargetFilling { middle: Fill::Value(-1.0), back: Fill::Zero });
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].series.values, vec![5.0, -1.0, 4.0, 0.0]);
        assert_eq!(out[0].series.filled.as_deref(), Some(&[false, true, false, true][..]));
        assert_eq!(out[1].series.start, 1);
        assert_eq!(out[1].series.values, vec![10.0, 0.0, 0.0]);
    }

    #[test]
    fn rolling_fills_use_the_recent_window_and_nan_leaves_gaps() {
        let mut values = vec![1.0, 3.0, f64::NAN, 5.0, f64::NAN, f64::NAN];
        let filled = fill(&mut values, 3, TargetFilling { middle: Fill::Median, back: Fill::Nan });
        assert_eq!(values[2], 2.0);
        assert!(values[4].is_nan() && values[5].is_nan());
        assert_eq!(filled, vec![false, false, true, false, false, false]);
        let mut values = vec![1.0, f64::NAN, 7.0, f64::NAN];
        fill(&mut values, 2, TargetFilling { middle: Fill::Max, back: Fill::Mean });
        // Only observed points count, never filled ones: the mean of 1 and 7.
        assert_eq!(values, vec![1.0, 1.0, 7.0, 4.0]);
    }

    #[test]
    fn aggregations() {
        let mut b = Bucket::default();
        for v in [4.0, 1.0, 7.0] {
            b.add(v);
        }
        assert_eq!(b.value(Aggregation::Sum), 12.0);
        assert_eq!(b.value(Aggregation::Avg), 4.0);
        assert_eq!(b.value(Aggregation::First), 4.0);
        assert_eq!(b.value(Aggregation::Min), 1.0);
        assert_eq!(b.value(Aggregation::Max), 7.0);
        assert!(Bucket::default().value(Aggregation::Sum).is_nan());
    }

    #[test]
    fn filling_from_the_spec_needs_its_value() {
        let mut f = Featurization::default();
        assert_eq!(
            TargetFilling::from_spec(&f, "demand").unwrap(),
            TargetFilling { middle: Fill::Zero, back: Fill::Zero }
        );
        f.attributes.push(seer_api::AttributeFilling {
            attribute_name: "demand".into(),
            frontfill: None,
            middlefill: Some(FillMethod::Value),
            middlefill_value: None,
            backfill: Some(FillMethod::Median),
            backfill_value: None,
            futurefill: None,
            futurefill_value: None,
        });
        assert_eq!(
            TargetFilling::from_spec(&f, "Demand").unwrap_err(),
            "attribute 'demand': middlefill: value needs middlefillValue"
        );
    }
}
