//! `spec.backtest.export`: a version's backtests written out point by point, as Amazon
//! Forecast's predictor backtest export job did — what a user needs to see which items the
//! Predictor forecasts badly, and to compute metrics of their own.
//!
//! - [`FORECASTS_FILE`]: per item and window, every step's date, the actual value (empty where
//!   featurization filled it: such points are not scored) and one column per forecast type;
//! - [`ACCURACY_FILE`]: per item, its metrics in each window (`Computed`) and over all windows
//!   (`Summary`), defined as in `metrics.json`.
//!
//! The forecasts are those the version's headline metrics score: the single algorithm's, or
//! AUTO's ensemble with the weights its out-of-sample score uses. Windows run oldest first.

use std::fmt::Write as _;

use seer_models::forecast::{AutoConfig, AutoModel, BacktestReport, Forecast, MetricAccumulator};

use crate::{
    featurize::ItemKey,
    forecast_csv::{column_name, csv_number, forecast_value, key_fields, key_header},
};

/// The backtest forecasts, in the version's folder.
pub const FORECASTS_FILE: &str = "backtest/forecasts.csv";
/// Each item's accuracy, in the version's folder.
pub const ACCURACY_FILE: &str = "backtest/accuracy.csv";

/// The two files' contents.
pub struct BacktestExport {
    pub forecasts: String,
    pub accuracy: String,
}

/// What the export is written from.
pub struct ExportInput<'a> {
    pub report: &'a BacktestReport,
    /// The key of every input item (the report's `item` indices point into it).
    pub keys: &'a [&'a ItemKey],
    pub forecast_dimensions: &'a [String],
    pub forecast_types: &'a [String],
    /// `Some` for AUTO: its ensemble's forecasts; `None`: the report's only algorithm.
    pub auto: Option<&'a AutoConfig>,
    /// The date label of step `s` of window `w` (0 = the latest window).
    pub date: &'a dyn Fn(usize, usize) -> String,
}

/// One item's forecast of one window, with what it is scored against.
struct Scored {
    item: usize,
    window: usize,
    forecast: Forecast,
    actual: Vec<f64>,
    skip: Vec<bool>,
    scale: Option<f64>,
}

/// Both files of the export.
pub fn export(input: &ExportInput) -> BacktestExport {
    let report = input.report;
    let mut rows = Vec::new();
    let mut push = |item: usize, window: usize, f: &Forecast, actual: &[f64], skip: &[bool], scale: Option<f64>| {
        rows.push(Scored { item, window, forecast: f.clone(), actual: actual.to_vec(), skip: skip.to_vec(), scale });
    };
    match input.auto {
        Some(config) => AutoModel::backtest_forecasts(report, config, &mut push),
        None => {
            for it in &report.items {
                for (w, (actual, counted)) in it.actuals.iter().enumerate() {
                    if let Some(f) = it.forecasts.get(w).and_then(|by_algorithm| by_algorithm.first()?.as_ref()) {
                        let skip: Vec<bool> = counted.iter().map(|c| !c).collect();
                        push(it.item, w, f, actual, &skip, it.scales.get(w).copied().flatten());
                    }
                }
            }
        }
    }
    // Item by item in input order, the oldest window first.
    rows.sort_by_key(|r| (r.item, std::cmp::Reverse(r.window)));

    let window_dates = |w: usize| ((input.date)(w, 0), (input.date)(w, report.horizon.saturating_sub(1)));

    let mut forecasts = String::new();
    let types: Vec<String> = input.forecast_types.iter().map(|t| column_name(t)).collect();
    let _ = writeln!(
        forecasts,
        "{},backtestwindow_start_time,backtestwindow_end_time,date,target_value,{}",
        key_header(input.forecast_dimensions),
        types.join(",")
    );
    for r in &rows {
        let Some(key) = input.keys.get(r.item) else { continue };
        let (start, end) = window_dates(r.window);
        for (step, actual) in r.actual.iter().enumerate() {
            let shown = if r.skip.get(step).copied().unwrap_or(false) { f64::NAN } else { *actual };
            let _ = write!(
                forecasts,
                "{},{start},{end},{},{}",
                key_fields(key),
                (input.date)(r.window, step),
                csv_number(shown)
            );
            for t in input.forecast_types {
                let _ = write!(forecasts, ",{}", csv_number(forecast_value(&r.forecast, t, step)));
            }
            forecasts.push('\n');
        }
    }

    let mut accuracy = String::new();
    let losses: Vec<String> = report.levels.iter().map(|l| format!("wQL[{l}]")).collect();
    let _ = writeln!(
        accuracy,
        "{},backtest_window,backtestwindow_start_time,backtestwindow_end_time,{},Average wQL,WAPE,RMSE,MASE,MAPE",
        key_header(input.forecast_dimensions),
        losses.join(",")
    );
    let metrics_line =
        |out: &mut String, key: &ItemKey, kind: &str, start: &str, end: &str, acc: &MetricAccumulator| {
            let mut values: Vec<Option<f64>> = acc.weighted_quantile_losses();
            values.extend([acc.average_wql(), acc.wape(), acc.rmse(), acc.mase(), acc.mape()]);
            let cells: Vec<String> = values.into_iter().map(|v| csv_number(v.unwrap_or(f64::NAN))).collect();
            let _ = writeln!(out, "{},{kind},{start},{end},{}", key_fields(key), cells.join(","));
        };
    for item_rows in rows.chunk_by(|a, b| a.item == b.item) {
        let Some(key) = item_rows.first().and_then(|r| input.keys.get(r.item)) else { continue };
        let mut summary = MetricAccumulator::new(&report.levels);
        for r in item_rows {
            let mut acc = MetricAccumulator::new(&report.levels);
            // Both share the report's levels, so neither can fail.
            let _ = acc.add(&r.forecast, &r.actual, Some(&r.skip), r.scale);
            let _ = summary.merge(&acc);
            let (start, end) = window_dates(r.window);
            metrics_line(&mut accuracy, key, "Computed", &start, &end, &acc);
        }
        if let (Some(oldest), Some(newest)) = (item_rows.first(), item_rows.last()) {
            let (start, end) = (window_dates(oldest.window).0, window_dates(newest.window).1);
            metrics_line(&mut accuracy, key, "Summary", &start, &end, &summary);
        }
    }
    BacktestExport { forecasts, accuracy }
}
