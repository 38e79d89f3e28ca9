//! `GET /openapi.json` from the real binary: the document of exactly the routes it serves,
//! open without the API key, named with the model version like every answer. (The contract
//! test, `server/contract/run.sh`, validates it and runs schemathesis against it.)

mod common;

use std::collections::BTreeSet;

use common::{Server, fixtures, request};

#[test]
fn the_document_describes_the_served_routes_and_needs_no_key() {
    let server = Server::start(&["--model", &fixtures().predictor], &[("SEER_API_KEY", "k3y")]);
    let r = server.get("/openapi.json");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("x-seer-model-version"), Some("v1"));
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object().expect("path item").keys().map(|m| (m.to_ascii_uppercase(), path.clone()))
        })
        .collect();
    let served: BTreeSet<(String, String)> =
        seer_server::app::served_routes().into_iter().map(|(m, p)| (m.as_str().to_string(), p.to_string())).collect();
    assert_eq!(documented, served);
    assert_eq!(doc["components"]["securitySchemes"]["apiKey"]["name"], "x-api-key");
    // The data routes want the key the document says they want; the document does not.
    assert_eq!(server.get("/v1/forecasts/item_000").status, 401);
    let r = request(&server.addr, "GET", "/v1/forecasts/item_000", &[("x-api-key", "k3y")], None);
    assert_eq!(r.status, 200, "{}", r.text());
    // A method the route does not take: 405 with an Allow header, as the document says.
    let r = request(&server.addr, "DELETE", "/openapi.json", &[], None);
    assert_eq!((r.status, r.error_code().as_str()), (405, "MethodNotAllowed"));
    assert!(r.header("allow").is_some_and(|a| a.contains("GET")), "{:?}", r.headers);
}
