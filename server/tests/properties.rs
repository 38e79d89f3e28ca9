//! Property tests on the request bodies and handlers, in process (the router as the binary
//! builds it, with the example Predictor and Solution loaded): arbitrary JSON and arbitrary
//! bytes posted to every POST route, and arbitrary query strings on the GET routes, never
//! panic and always get either a JSON error with a 4xx status or a 2xx whose body parses as
//! the documented response. Every status must be one `/openapi.json` lists for the route.

mod common;

use std::sync::{Arc, OnceLock};

use axum::{
    Router,
    body::{Body, to_bytes},
    http::{Method, Request, StatusCode},
};
use proptest::{prelude::*, test_runner::Config};
use seer_api::http::{ErrorResponse, EventsResponse, ForecastResponse, RankingResponse, RecommendationResponse};
use seer_server::{
    app,
    live::{LiveHistory, LiveStore},
    metrics::Metrics,
    model, openapi,
    state::Shared,
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tower::ServiceExt;

/// The routers of the two example models, the runtime they run on, the document.
struct Harness {
    runtime: tokio::runtime::Runtime,
    predictor: Router,
    solution: Router,
    doc: Value,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let fixtures = common::fixtures();
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
        let router = |uri: &str| {
            let model = runtime.block_on(model::load(uri, &[])).expect("load the model");
            let state = Arc::new(Shared::new(
                LiveStore::Memory(LiveHistory::new(100, 1000)),
                Metrics::new().expect("metrics"),
                None,
            ));
            state.model.store(model);
            app::router(state, 64 * 1024)
        };
        let (predictor, solution) = (router(&fixtures.predictor), router(&fixtures.solution));
        Harness { runtime, predictor, solution, doc: openapi::document() }
    })
}

/// An answer: status and body.
struct Answer {
    status: StatusCode,
    body: Vec<u8>,
}

fn send(router: &Router, method: Method, uri: &str, body: Vec<u8>) -> Answer {
    send_with(router, method, uri, &[], body).0
}

/// [`send`] with more headers; also returns the answer's `x-amzn-errortype`.
fn send_with(
    router: &Router,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (Answer, Option<String>) {
    let h = harness();
    let mut request = Request::builder().method(method).uri(uri).header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(Body::from(body)).expect("request");
    let response = h.runtime.block_on(router.clone().oneshot(request)).expect("infallible");
    let status = response.status();
    let error_type = response.headers().get("x-amzn-errortype").and_then(|v| v.to_str().ok()).map(str::to_string);
    let body = h.runtime.block_on(to_bytes(response.into_body(), usize::MAX)).expect("body").to_vec();
    (Answer { status, body }, error_type)
}

/// Posts `body` to every AWS-style operation of both models: each answer is a 200 with a JSON
/// body, or a 4xx framed as the operation's protocol frames errors (the code in
/// `x-amzn-ErrorType` for REST-JSON, in `__type` for JSON 1.1), never a 5xx.
fn post_to_aws_routes(body: &[u8]) -> Result<(), TestCaseError> {
    let h = harness();
    let operations: [(&str, Option<&str>); 6] = [
        ("/recommendations", None),
        ("/personalize-ranking", None),
        ("/events", None),
        ("/items", None),
        ("/users", None),
        ("/", Some("AmazonForecastRuntime.QueryForecast")),
    ];
    for router in [&h.predictor, &h.solution] {
        for (path, target) in operations {
            let headers: Vec<(&str, &str)> = target.map(|t| ("x-amz-target", t)).into_iter().collect();
            let (a, error_type) = send_with(router, Method::POST, path, &headers, body.to_vec());
            let text = String::from_utf8_lossy(&a.body);
            let parsed = serde_json::from_slice::<Value>(&a.body);
            prop_assert!(parsed.is_ok(), "POST {path}: {} not JSON: {text}", a.status);
            if a.status.is_success() {
                continue;
            }
            prop_assert!(a.status.is_client_error(), "POST {path}: {}: {text}", a.status);
            let code = error_type.unwrap_or_default();
            prop_assert!(
                ["InvalidInputException", "ResourceNotFoundException", "InvalidNextTokenException"]
                    .contains(&code.as_str()),
                "POST {path}: {} {code:?}: {text}",
                a.status
            );
            let body = parsed.unwrap_or_default();
            if target.is_some() {
                prop_assert_eq!(body["__type"].as_str(), Some(code.as_str()), "{}", text);
            } else {
                prop_assert!(body["message"].is_string(), "POST {path}: {text}");
                let status = if code == "ResourceNotFoundException" { 404 } else { 400 };
                prop_assert_eq!(a.status.as_u16(), status, "{}", text);
            }
        }
    }
    Ok(())
}

/// AWS member names, and some others.
fn aws_key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "campaignArn",
            "userId",
            "itemId",
            "numResults",
            "context",
            "filterArn",
            "filterValues",
            "metadataColumns",
            "inputList",
            "trackingId",
            "sessionId",
            "eventList",
            "datasetArn",
            "items",
            "users",
            "ForecastArn",
            "Filters",
            "StartDate",
            "EndDate",
        ])
        .prop_map(str::to_string),
        "\\PC{0,6}",
    ]
}

/// A valid ARN of each kind, or any value.
fn arn_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("arn:aws:personalize:us-east-1:1:campaign/c")),
        Just(json!("arn:aws:personalize:us-east-1:1:filter/not-bought")),
        Just(json!("arn:aws:personalize:us-east-1:1:dataset/g/ITEMS")),
        Just(json!("arn:aws:forecast:us-east-1:1:forecast/f")),
        json_value(),
    ]
}

/// AWS-shaped bodies: valid ARNs likely, any values elsewhere.
fn aws_body() -> impl Strategy<Value = Value> {
    (prop::collection::btree_map(aws_key(), json_value(), 0..6), arn_value(), arn_value()).prop_map(|(m, a, b)| {
        let mut m: serde_json::Map<String, Value> = m.into_iter().collect();
        for key in ["campaignArn", "datasetArn"] {
            m.entry(key).or_insert(a.clone());
        }
        m.entry("ForecastArn").or_insert(b);
        m.entry("Filters").or_insert(json!({"item_id": "item_000"}));
        Value::Object(m)
    })
}

/// The answer is one `/openapi.json` lists for `method path` and, if a success, parses as
/// `T`, else is a 4xx JSON error body. Returns the parsed success.
fn documented<T: DeserializeOwned>(path: &str, method: &str, answer: &Answer) -> Result<Option<T>, TestCaseError> {
    let text = String::from_utf8_lossy(&answer.body);
    let responses = &harness().doc["paths"][path][method]["responses"];
    prop_assert!(
        responses.get(answer.status.as_str()).is_some(),
        "{method} {path}: {} is not in the document: {text}",
        answer.status
    );
    if answer.status.is_success() {
        let parsed = serde_json::from_slice::<T>(&answer.body);
        prop_assert!(parsed.is_ok(), "{method} {path}: {} body not the documented one: {text}", answer.status);
        Ok(parsed.ok())
    } else {
        prop_assert!(answer.status.is_client_error(), "{method} {path}: {}: {text}", answer.status);
        let error = serde_json::from_slice::<ErrorResponse>(&answer.body);
        prop_assert!(error.is_ok(), "{method} {path}: {} without a JSON error body: {text}", answer.status);
        Ok(None)
    }
}

/// Posts `body` to each POST route of both models and checks every answer.
fn post_everywhere(body: &[u8]) -> Result<(), TestCaseError> {
    let h = harness();
    for router in [&h.predictor, &h.solution] {
        let a = send(router, Method::POST, "/v1/recommendations", body.to_vec());
        documented::<RecommendationResponse>("/v1/recommendations", "post", &a)?;
        let a = send(router, Method::POST, "/v1/personalized-ranking", body.to_vec());
        documented::<RankingResponse>("/v1/personalized-ranking", "post", &a)?;
        let a = send(router, Method::POST, "/v1/events", body.to_vec());
        documented::<EventsResponse>("/v1/events", "post", &a)?;
    }
    Ok(())
}

/// Field names of the request bodies, and some others.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "userId",
            "itemId",
            "numResults",
            "context",
            "filter",
            "filterValues",
            "inputList",
            "sessionId",
            "eventList",
            "eventType",
            "sentAt",
            "eventValue",
        ])
        .prop_map(str::to_string),
        "\\PC{0,6}",
    ]
}

/// Any JSON value, up to a few levels deep, with the bodies' field names likely.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter_map("JSON has no NaN or infinity", |f| serde_json::Number::from_f64(f).map(Value::Number)),
        prop::sample::select(vec!["i0001", "u0001", "click", "2024-03-01", "1700000000", ""]).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Bodies shaped like the real ones, with any values in their fields.
fn shaped_body() -> impl Strategy<Value = Value> {
    let event = prop::collection::btree_map(
        prop::sample::select(vec!["eventType", "itemId", "sentAt", "eventValue"]).prop_map(str::to_string),
        json_value(),
        0..5,
    )
    .prop_map(|m| Value::Object(m.into_iter().collect()));
    (json_value(), json_value(), json_value(), prop::collection::vec(event, 0..12), json_value()).prop_map(
        |(user, item, n, events, input)| {
            json!({"userId": user, "itemId": item, "numResults": n, "sessionId": "s", "eventList": events, "inputList": input})
        },
    )
}

fn config() -> Config {
    // No regression files in the source tree; the failing input is in the test's output.
    Config { cases: 96, failure_persistence: None, ..Config::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_json_gets_a_documented_answer(body in json_value()) {
        post_everywhere(body.to_string().as_bytes())?;
    }

    #[test]
    fn arbitrary_bodies_get_aws_framed_answers_on_the_aws_routes(body in aws_body()) {
        post_to_aws_routes(body.to_string().as_bytes())?;
    }

    #[test]
    fn arbitrary_bytes_get_aws_framed_answers_on_the_aws_routes(body in prop::collection::vec(any::<u8>(), 0..128)) {
        post_to_aws_routes(&body)?;
    }

    #[test]
    fn arbitrary_bytes_get_a_documented_answer(body in prop::collection::vec(any::<u8>(), 0..256)) {
        post_everywhere(&body)?;
    }

    #[test]
    fn bodies_of_the_right_shape_with_any_values_get_a_documented_answer(body in shaped_body()) {
        post_everywhere(body.to_string().as_bytes())?;
    }

    #[test]
    fn any_num_results_is_answered_within_its_range(n in json_value()) {
        let h = harness();
        let a = send(&h.solution, Method::POST, "/v1/recommendations", json!({"userId": "u0001", "numResults": n}).to_string().into_bytes());
        let ok = documented::<RecommendationResponse>("/v1/recommendations", "post", &a)?;
        let whole = n.as_f64().filter(|f| f.fract() == 0.0 && (1.0..=500.0).contains(f));
        match (ok, &n) {
            (Some(r), Value::Null) => prop_assert_eq!(r.item_list.len(), 25),
            (Some(r), _) => prop_assert!(whole.is_some_and(|w| r.item_list.len() <= w as usize), "{n}: {}", r.item_list.len()),
            (None, _) => prop_assert!(whole.is_none() && !n.is_null(), "{n} refused: {}", String::from_utf8_lossy(&a.body)),
        }
    }

    #[test]
    fn any_forecast_query_gets_a_documented_answer(
        pairs in prop::collection::vec((prop_oneof![Just("start".to_string()), Just("end".to_string()), "\\PC{0,6}"], "\\PC{0,24}"), 0..4),
        item in prop_oneof![Just("item_000".to_string()), "\\PC{0,8}"],
    ) {
        let h = harness();
        let query: String = pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&");
        for router in [&h.predictor, &h.solution] {
            let uri = format!("/v1/forecasts/{}?{query}", encode(&item));
            let a = send(router, Method::GET, &uri, Vec::new());
            documented::<ForecastResponse>("/v1/forecasts/{itemId}", "get", &a)?;
            let uri = format!("/v1/forecasts/{}/chart.svg?{query}", encode(&item));
            let a = send(router, Method::GET, &uri, Vec::new());
            if a.status.is_success() {
                prop_assert!(String::from_utf8_lossy(&a.body).starts_with("<svg"));
            } else {
                documented::<Value>("/v1/forecasts/{itemId}/chart.svg", "get", &a)?;
            }
            let uri = format!("/v1/similar-items/{}?{query}", encode(&item));
            let a = send(router, Method::GET, &uri, Vec::new());
            documented::<RecommendationResponse>("/v1/similar-items/{itemId}", "get", &a)?;
        }
    }
}

/// Percent-encodes everything but unreserved characters.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn num_results_edges() {
    let h = harness();
    let ask = |n: Value| {
        send(
            &h.solution,
            Method::POST,
            "/v1/recommendations",
            json!({"userId": "u0001", "numResults": n}).to_string().into_bytes(),
        )
    };
    let len = |a: &Answer| {
        assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
        serde_json::from_slice::<RecommendationResponse>(&a.body).expect("response").item_list.len()
    };
    assert_eq!(len(&ask(json!(1))), 1);
    assert_eq!(len(&ask(json!(10.0))), 10, "a whole number written as a float");
    assert_eq!(len(&ask(Value::Null)), 25, "null is the default");
    let n_items = len(&ask(json!(500)));
    assert!(n_items > 25 && n_items <= 500, "{n_items}");
    for bad in [json!(0), json!(501), json!(-1), json!(1.5), json!("5"), json!(u64::from(u32::MAX) + 1), json!(true)] {
        let a = ask(bad.clone());
        assert_eq!(a.status, 400, "numResults {bad}: {}", String::from_utf8_lossy(&a.body));
        let error: ErrorResponse = serde_json::from_slice(&a.body).expect("error body");
        assert!(error.error.message.contains("numResults"), "{bad}: {}", error.error.message);
    }
    for (query, status) in [("1", 200), ("500", 200), ("0", 400), ("501", 400), ("-1", 400), ("x", 400), ("", 400)] {
        let a = send(&h.solution, Method::GET, &format!("/v1/similar-items/i0116?numResults={query}"), Vec::new());
        assert_eq!(a.status, status, "numResults={query}: {}", String::from_utf8_lossy(&a.body));
    }
}

#[test]
fn bodies_that_are_not_objects_are_refused() {
    let h = harness();
    for body in ["[null, null]", "[]", "null", "1", "\"x\"", ""] {
        let a = send(&h.solution, Method::POST, "/v1/recommendations", body.as_bytes().to_vec());
        assert_eq!(a.status, 400, "{body:?}: {}", String::from_utf8_lossy(&a.body));
    }
}
