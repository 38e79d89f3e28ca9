//! A Solution served by the real binary: recommendations, cold start, ranking, similar items,
//! events that change the very next recommendations, filters, bad input and the API key.

mod common;

use common::{Server, fixtures, repo, request};
use serde_json::{Value, json};

use common::items;

fn recommend(server: &Server, body: Value) -> Vec<String> {
    let r = server.post("/v1/recommendations", &body.to_string());
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-seer-model-version"), Some("v1"));
    assert!(r.json()["recommendationId"].as_str().is_some_and(|id| !id.is_empty()));
    items(&r.json(), "itemList")
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs()
}

#[test]
fn every_route_answers() {
    let server = Server::start(&["--model", &fixtures().solution], &[]);
    let known = recommend(&server, json!({"userId": "u0001", "numResults": 10}));
    assert_eq!(known.len(), 10);
    let cold = recommend(&server, json!({"userId": "someone-new"}));
    assert_eq!(cold.len(), 25, "unknown users get the cold-start list, 25 by default");
    let anonymous = recommend(&server, json!({}));
    assert_eq!(anonymous, cold);

    let r = server.post(
        "/v1/personalized-ranking",
        &json!({"userId": "u0001", "inputList": ["i0003", "not-an-item", "i0001", "i0002", "i0001"]}).to_string(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let ranked = items(&r.json(), "personalizedRanking");
    assert_eq!(ranked.len(), 4, "each input item once: {ranked:?}");
    assert_eq!(ranked[3], "not-an-item", "unknown items come last");
    let mut sorted = ranked.clone();
    sorted.sort();
    assert_eq!(sorted, ["i0001", "i0002", "i0003", "not-an-item"]);

    let r = server.get("/v1/similar-items/i0116?numResults=5");
    assert_eq!(r.status, 200, "{}", r.text());
    let similar = items(&r.json(), "itemList");
    assert_eq!(similar.len(), 5);
    assert!(!similar.contains(&"i0116".to_string()));
    // Through /v1/recommendations with an item and no user: the same neighbours.
    assert_eq!(recommend(&server, json!({"itemId": "i0116", "numResults": 5})), similar);

    let r = server.post(
        "/v1/events",
        &json!({"userId": "u0001", "sessionId": "s1", "eventList": [{"eventType": "view", "itemId": "i0001", "sentAt": now()}]})
            .to_string(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), json!({"accepted": 1, "ignoredUnknownItems": 0}));

    assert_eq!(server.get("/healthz").status, 200);
    let ready = server.get("/readyz");
    assert_eq!((ready.status, ready.json()["version"].as_str()), (200, Some("v1")));
    assert_eq!(ready.header("x-seer-model-version"), Some("v1"));
    let metrics = server.get("/metrics").text();
    for route in ["/v1/recommendations", "/v1/personalized-ranking", "/v1/similar-items/{itemId}", "/v1/events"] {
        assert!(metrics.contains(&format!(r#"route="{route}",status="200""#)), "{route} in\n{metrics}");
    }
    assert!(metrics.contains("seer_events_ingested_total 1"), "{metrics}");
}

#[test]
fn events_change_the_next_recommendations() {
    let server = Server::start(&["--model", &fixtures().solution], &[]);
    let user = "visitor-42";
    let (a, b) = ("i0116", "i0212");
    let neighbours: Vec<String> = [a, b]
        .iter()
        .flat_map(|i| items(&server.get(&format!("/v1/similar-items/{i}?numResults=5")).json(), "itemList"))
        .filter(|i| i != a && i != b)
        .collect();
    assert!(!neighbours.is_empty());
    let before = recommend(&server, json!({"userId": user, "numResults": 500}));
    let r = server.post(
        "/v1/events",
        &json!({"userId": user, "sessionId": "session-1", "eventList": [
            {"eventType": "view", "itemId": a, "sentAt": now()},
            {"eventType": "purchase", "itemId": b, "sentAt": "2026-01-02T03:04:05Z", "eventValue": 1.0},
            {"eventType": "view", "itemId": "no-such-item", "sentAt": now()}
        ]})
        .to_string(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), json!({"accepted": 2, "ignoredUnknownItems": 1}));
    let after = recommend(&server, json!({"userId": user, "numResults": 500}));
    assert_ne!(before, after, "the very next recommendations reflect the events");
    let in_top_10 = |list: &[String]| list.iter().take(10).filter(|i| neighbours.contains(i)).count();
    assert!(
        in_top_10(&after) > in_top_10(&before),
        "more neighbours of {a} and {b} in the top 10: {} before, {} after",
        in_top_10(&before),
        in_top_10(&after)
    );
    let top = recommend(&server, json!({"userId": user, "numResults": 10}));
    assert!(top.iter().any(|i| neighbours.contains(i)), "a neighbour in the top 10: {top:?} vs {neighbours:?}");
    // Another user is not affected.
    assert_eq!(recommend(&server, json!({"userId": "visitor-43", "numResults": 500})), before);

    let metrics = server.get("/metrics").text();
    assert!(metrics.contains("seer_events_ingested_total 2"), "{metrics}");
    assert!(metrics.contains(r#"seer_events_ignored_total{reason="unknown_item"} 1"#), "{metrics}");
}

#[test]
fn filters_from_flags() {
    let server = Server::start(
        &[
            "--model",
            &fixtures().solution,
            "--filter",
            r#"not-bought=EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")"#,
        ],
        &[],
    );
    let user = "filter-user";
    let top = recommend(&server, json!({"userId": user, "numResults": 5}));
    let bought = &top[0];
    let r = server.post(
        "/v1/events",
        &json!({"userId": user, "sessionId": "s", "eventList": [{"eventType": "purchase", "itemId": bought, "sentAt": now()}]})
            .to_string(),
    );
    assert_eq!(r.status, 200);
    let filtered = recommend(&server, json!({"userId": user, "numResults": 100, "filter": "not-bought"}));
    assert!(!filtered.contains(bought), "{bought} was bought: {filtered:?}");
    assert_eq!(filtered.len(), 100);
    let r = server.post("/v1/recommendations", &json!({"userId": user, "filter": "nope"}).to_string());
    assert_eq!((r.status, r.error_code().as_str()), (404, "NotFound"));
    assert!(r.text().contains("not-bought"), "names the filters there are: {}", r.text());
}

#[test]
fn the_solutions_own_filters_use_item_attributes() {
    // No --filter flags: the Solution's filters and the items' attributes come with the version.
    let server = Server::start(&["--model", &fixtures().solution], &[]);
    let items = std::fs::read_to_string(repo().join("examples/recommendations/items.csv")).expect("items.csv");
    let category: std::collections::HashMap<&str, &str> =
        items.lines().skip(1).filter_map(|l| l.split(',').next().zip(l.split(',').nth(1))).collect();
    let body = json!({"userId": "u0001", "numResults": 10, "filter": "in-category",
                      "filterValues": {"CATEGORY": "\"garden\""}});
    let garden = recommend(&server, body);
    assert!(!garden.is_empty());
    for item in &garden {
        assert_eq!(category.get(item.as_str()), Some(&"garden"), "{item} in {garden:?}");
    }
    let all = recommend(&server, json!({"userId": "u0001", "numResults": 10}));
    assert!(all.iter().any(|i| category.get(i.as_str()) != Some(&"garden")), "unfiltered lists mix categories");
}

#[test]
fn bad_input_gets_json_errors() {
    let server = Server::start(&["--model", &fixtures().solution, "--max-body", "1KiB"], &[]);
    let cases: &[(&str, &str, u16, &str, &str)] = &[
        ("/v1/recommendations", r#"{"userId": "#, 400, "InvalidInput", "parse"),
        ("/v1/recommendations", "not json", 400, "InvalidInput", "JSON"),
        ("/v1/recommendations", r#"{"userId": "u", "numResults": "ten"}"#, 400, "InvalidInput", "numResults"),
        ("/v1/recommendations", r#"{"userId": "u", "numResults": -1}"#, 400, "InvalidInput", "numResults"),
        ("/v1/recommendations", r#"{"userId": "u", "numResults": 0}"#, 400, "InvalidInput", "numResults"),
        ("/v1/recommendations", r#"{"userId": "u", "numResults": 501}"#, 400, "InvalidInput", "numResults"),
        ("/v1/recommendations", r#"{"userId": 7}"#, 400, "InvalidInput", "userId"),
        ("/v1/recommendations", r#"{"itemId": "no-such-item"}"#, 404, "NotFound", "no-such-item"),
        ("/v1/personalized-ranking", r#"{"inputList": ["i0001"]}"#, 400, "InvalidInput", "userId"),
        ("/v1/personalized-ranking", r#"{"userId": "u", "inputList": []}"#, 400, "InvalidInput", "inputList"),
        ("/v1/events", r#"{"sessionId": "s", "eventList": []}"#, 400, "InvalidInput", "eventList"),
        (
            "/v1/events",
            r#"{"sessionId": "s", "eventList": [{"eventType": "view", "itemId": "i0001", "sentAt": "soon"}]}"#,
            400,
            "InvalidInput",
            "eventList[0].sentAt",
        ),
        (
            "/v1/events",
            r#"{"sessionId": "s", "eventList": [{"eventType": "view", "itemId": "i0001", "sentAt": 1767400000000}]}"#,
            400,
            "InvalidInput",
            "eventList[0].sentAt: 1767400000000 read as Unix seconds is beyond the year 9999 (it looks like milliseconds",
        ),
        (
            "/v1/events",
            r#"{"sessionId": "s", "eventList": [{"itemId": "i0001", "sentAt": 1}]}"#,
            400,
            "InvalidInput",
            "eventType",
        ),
    ];
    for (path, body, status, code, mentions) in cases {
        let r = server.post(path, body);
        assert_eq!((r.status, r.error_code().as_str()), (*status, *code), "{path} {body}: {}", r.text());
        assert!(r.text().contains(mentions), "{path} {body}: {} should mention {mentions}", r.text());
    }
    let big = json!({"userId": "u", "context": {"pad": "x".repeat(2000)}}).to_string();
    let r = server.post("/v1/recommendations", &big);
    assert_eq!((r.status, r.error_code().as_str()), (413, "PayloadTooLarge"));
    for (path, status) in [
        ("/v1/similar-items/no-such-item", 404),
        ("/v1/similar-items/i0116?numResults=0", 400),
        ("/v1/similar-items/i0116?numResults=501", 400),
        ("/v1/similar-items/i0116?numResults=many", 400),
        ("/v1/similar-items/i0116?count=3", 400),
        ("/v1/forecasts/i0116", 400),
    ] {
        let r = server.get(path);
        assert_eq!(r.status, status, "{path}: {}", r.text());
        r.error_code();
    }
    assert_eq!(server.get("/v1/forecasts/i0116").error_code(), "WrongModelKind");
    // Still serving after all that.
    assert_eq!(recommend(&server, json!({"userId": "u0001"})).len(), 25);
}

#[test]
fn api_key_guards_v1_only() {
    let dir = tempfile::tempdir().expect("tmp");
    let key_file = dir.path().join("key");
    std::fs::write(&key_file, "from-a-file\n").expect("key file");
    let from_env = Server::start(&["--model", &fixtures().solution], &[("SEER_API_KEY", "s3cret")]);
    let from_file =
        Server::start(&["--model", &fixtures().solution, "--api-key-file", key_file.to_str().expect("path")], &[]);
    let body = br#"{"userId": "u0001"}"#;
    for (server, key) in [(&from_env, "s3cret"), (&from_file, "from-a-file")] {
        let post = |headers: &[(&str, &str)]| request(&server.addr, "POST", "/v1/recommendations", headers, Some(body));
        let r = post(&[]);
        assert_eq!((r.status, r.error_code().as_str()), (401, "Unauthorized"));
        assert_eq!(post(&[("x-api-key", "wrong")]).status, 401);
        assert_eq!(post(&[("x-api-key", key)]).status, 200);
        assert_eq!(post(&[("authorization", &format!("Bearer {key}"))]).status, 200);
        assert_eq!(server.get("/v1/similar-items/i0116").status, 401);
        for open in ["/healthz", "/readyz", "/metrics"] {
            assert_eq!(server.get(open).status, 200, "{open} stays open");
        }
    }
}

#[test]
fn a_similar_items_solution() {
    let server = Server::start(&["--model", &fixtures().similar], &[]);
    let similar = items(&server.get("/v1/similar-items/i0116?numResults=7").json(), "itemList");
    assert_eq!(similar.len(), 7);
    assert_eq!(recommend(&server, json!({"itemId": "i0116", "userId": "u0001", "numResults": 7})), similar);
    let r = server.post("/v1/recommendations", r#"{"userId": "u0001"}"#);
    assert_eq!((r.status, r.error_code().as_str()), (400, "InvalidInput"));
    assert!(r.text().contains("SIMILAR_ITEMS") && r.text().contains("itemId"), "{}", r.text());
    let r = server.post("/v1/personalized-ranking", r#"{"userId": "u0001", "inputList": ["i0001"]}"#);
    assert_eq!((r.status, r.error_code().as_str()), (400, "WrongModelKind"));
    assert!(r.text().contains("SIMILAR_ITEMS"), "{}", r.text());
    // Events are taken (the log of a later step will want them) though this recipe ignores users.
    let r = server.post(
        "/v1/events",
        &json!({"sessionId": "s", "eventList": [{"eventType": "view", "itemId": "i0116", "sentAt": now()}]})
            .to_string(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
}
