//! A Predictor served by the real binary: every series answers exactly what the forecast
//! export holds, windows cut it, errors are JSON with the right status, metrics count it.

mod common;

use common::{Server, fixtures};

fn export() -> Vec<Vec<String>> {
    let path = fixtures().predictor.strip_prefix("file://").expect("file uri").to_string();
    let csv = std::fs::read_to_string(format!("{path}/forecasts/forecasts.csv")).expect("export");
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("item_id,date,p10,p50,p90,mean"));
    lines.map(|l| l.split(',').map(str::to_string).collect()).collect()
}

#[test]
fn forecasts_equal_the_export() {
    let server = Server::start(&["--model", &fixtures().predictor], &[]);
    let rows = export();
    let mut items: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    items.dedup();
    assert_eq!(items.len(), 20, "every example item is forecast");
    for item in &items {
        let response = server.get(&format!("/v1/forecasts/{item}"));
        assert_eq!(response.status, 200, "{}", response.text());
        assert_eq!(response.header("x-seer-model-version"), Some("v1"));
        let body = response.json();
        assert_eq!(body["itemId"], *item);
        let mine: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == *item).collect();
        for (column, name) in ["p10", "p50", "p90", "mean"].iter().enumerate() {
            let points = body["predictions"][name].as_array().expect("points");
            assert_eq!(points.len(), mine.len(), "{item} {name}");
            for (point, row) in points.iter().zip(&mine) {
                assert_eq!(point["timestamp"], row[1]);
                let want: f64 = row[2 + column].parse().expect("number");
                assert_eq!(point["value"].as_f64(), Some(want), "{item} {name} {}", row[1]);
            }
        }
    }

    // A window: from the second date to the third, both included.
    let first: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == items[0]).collect();
    let (start, end) = (&first[1][1], &first[2][1]);
    let body = server.get(&format!("/v1/forecasts/{}?start={start}&end={end}", items[0])).json();
    let dates: Vec<&str> = body["predictions"]["p50"]
        .as_array()
        .expect("p50")
        .iter()
        .map(|p| p["timestamp"].as_str().expect("date"))
        .collect();
    assert_eq!(dates, [start.as_str(), end.as_str()]);
}

#[test]
fn forecast_errors_are_json_with_the_right_status() {
    let server = Server::start(&["--model", &fixtures().predictor], &[]);
    let r = server.get("/v1/forecasts/no-such-item");
    assert_eq!((r.status, r.error_code().as_str()), (404, "NotFound"));
    assert!(r.json()["error"]["message"].as_str().expect("message").contains("no-such-item"));
    let r = server.get("/v1/forecasts/item_000?start=yesterday");
    assert_eq!((r.status, r.error_code().as_str()), (400, "InvalidInput"));
    assert!(r.text().contains("start"));
    let r = server.get("/v1/forecasts/item_000?start=2030-01-02&end=2030-01-01");
    assert_eq!(r.status, 400);
    let r = server.get("/v1/forecasts/item_000?store=s1");
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (404, "NotFound"),
        "not a dimension of this predictor: {}",
        r.text()
    );
    // The other kind of model's routes say so.
    let r = server.post("/v1/recommendations", r#"{"userId": "u0001"}"#);
    assert_eq!((r.status, r.error_code().as_str()), (400, "WrongModelKind"));
    assert!(r.text().contains("Predictor"), "{}", r.text());
    let r = server.get("/v1/similar-items/item_000");
    assert_eq!((r.status, r.error_code().as_str()), (400, "WrongModelKind"));
    let r = server.get("/v1/nothing-here");
    assert_eq!((r.status, r.error_code().as_str()), (404, "NotFound"));
    let r = server.post("/v1/forecasts/item_000", "{}");
    assert_eq!((r.status, r.error_code().as_str()), (405, "MethodNotAllowed"));

    let metrics = server.get("/metrics");
    assert_eq!(metrics.status, 200);
    let text = metrics.text();
    let info = text.lines().find(|l| l.starts_with("seer_model_info{")).expect("model info");
    for label in [r#"kind="predictor""#, r#"name="retail-demand""#, r#"namespace="default""#, r#"version="v1""#] {
        assert!(info.contains(label) && info.ends_with("} 1"), "{info}");
    }
    assert!(
        // The unknown item and the unknown dimension.
        text.contains(r#"seer_http_requests_total{method="GET",route="/v1/forecasts/{itemId}",status="404"} 2"#),
        "{text}"
    );
    assert!(
        text.contains(r#"seer_http_request_duration_seconds_bucket{route="/v1/forecasts/{itemId}",status="400""#),
        "{text}"
    );
}

#[test]
fn a_chart_draws_history_band_and_median() {
    let server = Server::start(&["--model", &fixtures().predictor], &[]);
    let item = export()[0][0].clone();
    let path = fixtures().predictor.strip_prefix("file://").expect("file uri").to_string();
    let history = std::fs::read_to_string(format!("{path}/history.csv")).expect("the version keeps a history");
    let history_points = history.lines().skip(1).filter(|l| l.starts_with(&format!("{item},"))).count();
    assert!(history_points > 0, "{item} has history");

    let r = server.get(&format!("/v1/forecasts/{item}/chart.svg"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("image/svg+xml"));
    assert_eq!(r.header("x-seer-model-version"), Some("v1"));
    let svg = r.text();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{svg}");
    assert!(svg.contains(r#"class="band""#) && svg.contains("p10–p90"), "{svg}");
    let points = |class: &str| {
        svg.split(&format!(r#"class="{class}" points=""#))
            .nth(1)
            .and_then(|s| s.split('"').next())
            .map(|p| p.split(' ').count())
            .unwrap_or(0)
    };
    assert_eq!(points("history"), history_points, "every history point is drawn");
    assert_eq!(points("centre"), export().iter().filter(|r| r[0] == item).count(), "one median point per step");

    let missing = server.get("/v1/forecasts/no-such-item/chart.svg");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.error_code(), "NotFound");
}
