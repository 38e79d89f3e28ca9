//! `GET /v1/forecasts/{itemId}/chart.svg`: one series drawn for a person — the recent history
//! as a line, the forecast's outer quantiles (p10–p90 by default) as a band, and its median (or
//! mean) as a line — as a self-contained SVG with no scripts.

use std::fmt::Write as _;

use seer_api::http::{ForecastPoint, ForecastResponse};

const WIDTH: f64 = 800.0;
const HEIGHT: f64 = 320.0;
const PAD: f64 = 48.0;

/// The band's lower and upper forecast types and the centre line's, from the types present:
/// the lowest and highest quantile, and p50 (else the mean).
fn pick(forecast: &ForecastResponse) -> (Option<&str>, Option<&str>, Option<&str>) {
    let mut quantiles: Vec<(f64, &str)> = forecast
        .predictions
        .keys()
        .filter_map(|t| t.strip_prefix('p').and_then(|q| q.parse::<f64>().ok()).map(|q| (q, t.as_str())))
        .collect();
    quantiles.sort_by(|a, b| a.0.total_cmp(&b.0));
    let centre = if forecast.predictions.contains_key("p50") {
        Some("p50")
    } else if forecast.predictions.contains_key("mean") {
        Some("mean")
    } else {
        None
    };
    let band = (quantiles.len() >= 2).then(|| (quantiles[0].1, quantiles[quantiles.len() - 1].1));
    (band.map(|b| b.0), band.map(|b| b.1), centre)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Renders the chart. `history` is the series' recent past (its one column), if the version has it.
pub fn render(item: &str, history: &[ForecastPoint], forecast: &ForecastResponse) -> String {
    let (low, high, centre) = pick(forecast);
    let points = |t: Option<&str>| -> &[ForecastPoint] {
        t.and_then(|t| forecast.predictions.get(t)).map(Vec::as_slice).unwrap_or(&[])
    };
    let (low_pts, high_pts, centre_pts) = (points(low), points(high), points(centre));
    let steps = low_pts.len().max(high_pts.len()).max(centre_pts.len());
    let n = history.len() + steps;
    let all = history.iter().chain(low_pts).chain(high_pts).chain(centre_pts).map(|p| p.value);
    let (mut lo, mut hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if !lo.is_finite() || !hi.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    if hi - lo < 1e-9 {
        hi = lo + 1.0;
    }
    let x = |i: usize| PAD + (WIDTH - 2.0 * PAD) * i as f64 / (n.max(2) - 1) as f64;
    let y = |v: f64| HEIGHT - PAD - (HEIGHT - 2.0 * PAD) * (v - lo) / (hi - lo);
    let path = |pts: &[ForecastPoint], offset: usize| -> String {
        pts.iter()
            .enumerate()
            .map(|(i, p)| format!("{:.1},{:.1}", x(offset + i), y(p.value)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"##
    );
    let _ = write!(svg, r##"<title>{}</title><rect width="100%" height="100%" fill="#ffffff"/>"##, escape(item));
    let _ = write!(
        svg,
        r##"<line x1="{PAD}" y1="{b:.1}" x2="{r:.1}" y2="{b:.1}" stroke="#888"/><line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{b:.1}" stroke="#888"/>"##,
        b = HEIGHT - PAD,
        r = WIDTH - PAD
    );
    if !low_pts.is_empty() && low_pts.len() == high_pts.len() {
        let upper = path(high_pts, history.len());
        let lower: Vec<String> = low_pts
            .iter()
            .enumerate()
            .rev()
            .map(|(i, p)| format!("{:.1},{:.1}", x(history.len() + i), y(p.value)))
            .collect();
        let _ = write!(
            svg,
            r##"<polygon class="band" points="{upper} {}" fill="#4e79a7" fill-opacity="0.25" stroke="none"><title>{}–{}</title></polygon>"##,
            lower.join(" "),
            low.unwrap_or_default(),
            high.unwrap_or_default()
        );
    }
    if !history.is_empty() {
        let _ = write!(
            svg,
            r##"<polyline class="history" points="{}" fill="none" stroke="#333" stroke-width="1.5"/>"##,
            path(history, 0)
        );
    }
    if !centre_pts.is_empty() {
        let _ = write!(
            svg,
            r##"<polyline class="centre" points="{}" fill="none" stroke="#e15759" stroke-width="2"><title>{}</title></polyline>"##,
            path(centre_pts, history.len()),
            centre.unwrap_or_default()
        );
    }
    let first = history.first().or(centre_pts.first()).map(|p| p.timestamp.as_str()).unwrap_or_default();
    let last =
        centre_pts.last().or(high_pts.last()).or(history.last()).map(|p| p.timestamp.as_str()).unwrap_or_default();
    let _ = write!(
        svg,
        r##"<text x="{PAD}" y="{t:.1}">{}</text><text x="{r:.1}" y="{t:.1}" text-anchor="end">{}</text><text x="{l:.1}" y="{yh:.1}" text-anchor="end">{}</text><text x="{l:.1}" y="{yl:.1}" text-anchor="end">{}</text><text x="{PAD}" y="20" font-size="14">{}</text></svg>"##,
        escape(first),
        escape(last),
        fmt_value(hi),
        fmt_value(lo),
        escape(&format!(
            "{item}{}: history, {}–{} band, {}",
            forecast.dimensions.iter().map(|(k, v)| format!(" {k}={v}")).collect::<String>(),
            low.unwrap_or("-"),
            high.unwrap_or("-"),
            centre.unwrap_or("-")
        )),
        t = HEIGHT - PAD + 18.0,
        r = WIDTH - PAD,
        l = PAD - 4.0,
        yh = PAD + 4.0,
        yl = HEIGHT - PAD,
    );
    svg
}

fn fmt_value(v: f64) -> String {
    if v.abs() >= 100.0 { format!("{v:.0}") } else { format!("{v:.2}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(values: &[f64]) -> Vec<ForecastPoint> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| ForecastPoint { timestamp: format!("2024-01-{:02}", i + 1), value: *v })
            .collect()
    }

    #[test]
    fn draws_history_band_and_centre() {
        let forecast = ForecastResponse {
            item_id: "a<b".into(),
            dimensions: Default::default(),
            predictions: [
                ("p10", vec![1.0, 1.0]),
                ("p50", vec![2.0, 2.0]),
                ("p90", vec![3.0, 4.0]),
                ("mean", vec![2.0, 2.1]),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), pts(&v)))
            .collect(),
        };
        let svg = render("a<b", &pts(&[1.5, 2.5, 2.0]), &forecast);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"class="band""#) && svg.contains("p10–p90"));
        assert!(svg.contains(r#"class="history""#) && svg.contains(r#"class="centre""#));
        assert!(svg.contains("a&lt;b") && !svg.contains("a<b"), "names are escaped");
        // Five points on the x axis: three of history, two of forecast.
        let centre = svg.split(r#"class="centre" points=""#).nth(1).and_then(|s| s.split('"').next()).expect("centre");
        assert_eq!(centre.split(' ').count(), 2);
    }

    #[test]
    fn a_flat_series_without_history_still_draws() {
        let forecast = ForecastResponse {
            item_id: "x".into(),
            dimensions: Default::default(),
            predictions: [("mean".to_string(), pts(&[5.0, 5.0]))].into_iter().collect(),
        };
        let svg = render("x", &[], &forecast);
        assert!(svg.contains(r#"class="centre""#) && !svg.contains(r#"class="band""#));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }
}
