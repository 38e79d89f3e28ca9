//! The CSV files of a Predictor version — the forecast export, the recent history, the
//! backtest export — written alike: `item_id`, the forecast dimensions, then the values, and
//! every number with the same precision.

use seer_models::forecast::Forecast;

use crate::featurize::ItemKey;

/// A forecast type as the export names it: `0.1` -> `p10`, `mean` -> `mean`.
pub fn column_name(forecast_type: &str) -> String {
    match forecast_type.parse::<f64>() {
        Ok(q) => {
            let pct = format!("{:.4}", q * 100.0);
            format!("p{}", pct.trim_end_matches('0').trim_end_matches('.'))
        }
        Err(_) => forecast_type.to_string(),
    }
}

/// The value of one forecast type (`0.1`, `mean`) at a step, NaN where the forecast has none.
pub fn forecast_value(forecast: &Forecast, forecast_type: &str, step: usize) -> f64 {
    let v = if forecast_type == "mean" {
        forecast.mean.get(step).copied()
    } else {
        forecast_type.parse::<f64>().ok().and_then(|q| forecast.quantile(q)).and_then(|q| q.get(step).copied())
    };
    v.unwrap_or(f64::NAN)
}

/// Significant digits of the numbers the CSV files write: an f32's worth, more
/// than any forecast means, whatever the data's unit.
const SIGNIFICANT_DIGITS: i32 = 7;

/// A value as the CSV files write it: seven significant digits (`SIGNIFICANT_DIGITS`), trailing zeros
/// dropped, in plain decimals from 1e-5 up to 1e15 and in exponent form (`1.5e-7`, which every
/// CSV reader parses) outside; empty for a missing value. Rounding to a fixed number of decimals
/// instead wrote a series in small units (rates around 1e-5) as all zeros.
pub fn csv_number(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    if v == 0.0 {
        return "0".to_string();
    }
    let magnitude = v.abs().log10().floor() as i32;
    if (-5..15).contains(&magnitude) {
        let decimals = (SIGNIFICANT_DIGITS - 1 - magnitude).max(0) as usize;
        let text = format!("{v:.decimals$}");
        if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_string() } else { text }
    } else {
        let text = format!("{v:.*e}", (SIGNIFICANT_DIGITS - 1) as usize);
        match text.split_once('e') {
            Some((mantissa, exponent)) => {
                format!("{}e{exponent}", mantissa.trim_end_matches('0').trim_end_matches('.'))
            }
            None => text,
        }
    }
}

/// `item_id,<dimension names...>`, as every header of these files starts.
pub fn key_header(dimensions: &[String]) -> String {
    let mut header = String::from("item_id");
    for d in dimensions {
        header.push(',');
        header.push_str(d);
    }
    header
}

/// `item_id,<dimensions...>` of a series, as every line of these files starts.
pub fn key_fields(key: &ItemKey) -> String {
    let mut line = csv_field(&key.item_id);
    for d in &key.dimensions {
        line.push(',');
        line.push_str(&csv_field(d));
    }
    line
}

/// One field, quoted where it holds a comma, a quote or a line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_significant_digits_at_any_scale() {
        let cases = [
            (0.0, "0"),
            (-0.0, "0"),
            (1.7233, "1.7233"),
            (2.0, "2"),
            (-3.5, "-3.5"),
            (1002486.5896, "1002487"),
            (123.456789, "123.4568"),
            (0.000012345678, "0.00001234568"),
            (1.5e-7, "1.5e-7"),
            (-2.25e-9, "-2.25e-9"),
            (1.0e15, "1e15"),
            (1.2345678e300, "1.234568e300"),
            (f64::NAN, ""),
            (f64::INFINITY, ""),
        ];
        for (v, want) in cases {
            assert_eq!(csv_number(v), want, "{v:e}");
        }
        // What is written reads back within the precision kept.
        for v in [3.14159e-6, 42.0001, 7.77777e12, 9.99999999e-3] {
            let back: f64 = csv_number(v).parse().expect("a number");
            assert!((back - v).abs() <= 1e-6 * v.abs(), "{v:e} -> {back:e}");
        }
    }

    #[test]
    fn export_column_names() {
        assert_eq!(column_name("0.1"), "p10");
        assert_eq!(column_name("0.5"), "p50");
        assert_eq!(column_name("0.05"), "p5");
        assert_eq!(column_name("0.125"), "p12.5");
        assert_eq!(column_name("mean"), "mean");
    }
}
