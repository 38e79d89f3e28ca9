//! `GET /openapi.json`: the OpenAPI 3.1 document of every route the server serves.
//!
//! The request and response bodies are the JSON Schemas of `seer_api::http`'s types
//! (`schemars`, JSON Schema 2020-12, which OpenAPI 3.1 takes as it is), so the document follows
//! the types the handlers use. The paths, parameters and statuses are written here; a unit test
//! holds them to the router's route list ([`crate::app::served_routes`]), and the contract test
//! (`server/contract/run.sh`) runs schemathesis against the real server with this document.

use std::sync::OnceLock;

use axum::{http::header, response::IntoResponse};
use schemars::{JsonSchema, SchemaGenerator, generate::SchemaSettings};
use seer_api::http::{
    ErrorResponse, EventsRequest, EventsResponse, ForecastResponse, MAX_RESULTS, RankingRequest, RankingResponse,
    RecommendationRequest, RecommendationResponse,
};
use serde_json::{Map, Value, json};

use crate::{app::MODEL_VERSION_HEADER, auth::API_KEY_HEADER, model::DEFAULT_RESULTS};

/// `GET /openapi.json`: the document, built once.
pub async fn serve() -> impl IntoResponse {
    static TEXT: OnceLock<String> = OnceLock::new();
    let text = TEXT.get_or_init(|| document().to_string());
    ([(header::CONTENT_TYPE, "application/json")], text.as_str())
}

/// Where schemars puts the types' schemas, as OpenAPI wants them.
const SCHEMAS: &str = "/components/schemas";

/// The bodies' schemas: request bodies as the server reads them (fields with a default are
/// optional), responses as it writes them (fields it may leave out are optional).
struct Bodies {
    requests: SchemaGenerator,
    responses: SchemaGenerator,
}

impl Bodies {
    fn new() -> Self {
        let settings = |mut s: SchemaSettings| {
            s.definitions_path = SCHEMAS.into();
            s.meta_schema = None;
            s
        };
        Self {
            requests: settings(SchemaSettings::draft2020_12().for_deserialize()).into_generator(),
            responses: settings(SchemaSettings::draft2020_12().for_serialize()).into_generator(),
        }
    }

    fn request<T: JsonSchema>(&mut self) -> Value {
        self.requests.subschema_for::<T>().to_value()
    }

    fn response<T: JsonSchema>(&mut self) -> Value {
        self.responses.subschema_for::<T>().to_value()
    }

    /// Every schema referenced, by name. Both contracts name a type alike; the types of one
    /// contract are not used in the other, so no name is taken twice (a test checks).
    fn into_schemas(mut self) -> Map<String, Value> {
        let mut all = self.requests.take_definitions(true);
        all.extend(self.responses.take_definitions(true));
        all
    }
}

/// A `200` (or other success) answer with a JSON body.
fn json_answer(description: &str, schema: Value) -> Value {
    json!({
        "description": description,
        "headers": {MODEL_VERSION_HEADER: {"$ref": "#/components/headers/ModelVersion"}},
        "content": {"application/json": {"schema": schema}},
    })
}

fn error(name: &str) -> Value {
    json!({"$ref": format!("#/components/responses/{name}")})
}

/// Responses of a `/v1/*` operation: `ok` plus the errors every one of them can answer.
fn v1_responses(ok: Value, body: bool) -> Value {
    let mut responses = json!({
        "200": ok,
        "400": error("BadRequest"),
        "401": error("Unauthorized"),
        "404": error("NotFound"),
        "503": error("NotReady"),
    });
    if body {
        responses["413"] = error("PayloadTooLarge");
    }
    responses
}

/// The `itemId` path parameter.
fn item_id(what: &str) -> Value {
    json!({"name": "itemId", "in": "path", "required": true, "description": what, "schema": {"type": "string"}})
}

/// The query parameters of both forecast routes.
fn forecast_query() -> Value {
    let instant = json!({
        "anyOf": [
            {"type": "string", "format": "date"},
            {"type": "string", "format": "date-time"},
        ]
    });
    json!([
        {
            "name": "start", "in": "query", "required": false, "schema": instant,
            "description": "First instant of the window, inclusive: a date (midnight UTC) or an RFC \
                3339 date-time. Not after `end`.",
        },
        {
            "name": "end", "in": "query", "required": false, "schema": instant,
            "description": "Last instant of the window, inclusive; same forms as `start`.",
        },
        {
            "name": "dimensions", "in": "query", "required": false, "style": "form", "explode": true,
            "schema": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "propertyNames": {"not": {"enum": ["start", "end"]}},
            },
            "description": "The series' forecast dimension values, one query parameter per dimension of \
                the Predictor (`?store=s1`). Required when the item has several series. A name that is \
                not a dimension of the Predictor, or a value no series has, is 404.",
        },
    ])
}

/// A `/v1/*` operation: open when the server has no API key, else it needs one.
fn v1_operation(summary: &str, description: &str, parameters: Value, body: Option<Value>, responses: Value) -> Value {
    let mut op = json!({
        "summary": summary,
        "description": description,
        "tags": ["v1"],
        "parameters": parameters,
        "security": [{"apiKey": []}, {"bearer": []}],
        "responses": responses,
    });
    if let Some(schema) = body {
        op["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": schema}}});
    }
    op
}

/// An open operation (health, metrics, this document).
fn open_operation(summary: &str, responses: Value) -> Value {
    json!({"summary": summary, "tags": ["operations"], "security": [], "responses": responses})
}

/// The whole document.
pub fn document() -> Value {
    let mut bodies = Bodies::new();
    let recommendations = bodies.response::<RecommendationResponse>();
    let forecast = v1_operation(
        "One item's forecast",
        "Predictor servers. Every forecast type of the version (`p10`, `p50`, `p90`, `mean`, ...), \
         exactly the values of its export, optionally cut to a window. 400 `WrongModelKind` from a \
         Solution's server.",
        {
            let mut p = vec![item_id("The item.")];
            p.extend(forecast_query().as_array().cloned().unwrap_or_default());
            Value::Array(p)
        },
        None,
        v1_responses(json_answer("The forecast.", bodies.response::<ForecastResponse>()), false),
    );
    let chart = v1_operation(
        "One item's forecast as an SVG chart",
        "Predictor servers. The series' recent history as a line, the lowest to highest quantile band \
         (p10–p90 by default) and the p50 (or mean) line.",
        {
            let mut p = vec![item_id("The item.")];
            p.extend(forecast_query().as_array().cloned().unwrap_or_default());
            Value::Array(p)
        },
        None,
        v1_responses(
            json!({
                "description": "The chart.",
                "headers": {MODEL_VERSION_HEADER: {"$ref": "#/components/headers/ModelVersion"}},
                "content": {"image/svg+xml": {"schema": {"type": "string"}}},
            }),
            false,
        ),
    );
    let recommend = v1_operation(
        "Recommendations for a user, or an item's neighbours",
        "Solution servers. Unknown users get the cold-start list (not an error); `itemId` without \
         `userId`, or a SIMILAR_ITEMS/SIMS Solution, gives the item's neighbours (404 for an unknown \
         item). `filter` names a filter of the Solution (404 for another name), `filterValues` \
         give its parameters. 400 `WrongModelKind` from a Predictor's server.",
        json!([]),
        Some(bodies.request::<RecommendationRequest>()),
        v1_responses(json_answer("Items, best first.", recommendations.clone()), true),
    );
    let rank = v1_operation(
        "A user's ranking of given items",
        "USER_PERSONALIZATION Solutions. Every input item once, best first; items the model does not \
         know come last, in input order, with score 0.",
        json!([]),
        Some(bodies.request::<RankingRequest>()),
        v1_responses(json_answer("The items, best first.", bodies.response::<RankingResponse>()), true),
    );
    let similar = v1_operation(
        "An item's neighbours",
        "SIMILAR_ITEMS, SIMS and USER_PERSONALIZATION Solutions (400 `WrongModelKind` for other recipes).",
        json!([
            item_id("The item (404 when the model does not know it)."),
            {
                "name": "numResults", "in": "query", "required": false,
                "description": format!("How many items (default {DEFAULT_RESULTS})."),
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_RESULTS},
            },
        ]),
        None,
        v1_responses(json_answer("Items, best first.", recommendations), false),
    );
    let events = v1_operation(
        "Take in a user's events",
        "Solution servers. The user's (else the session's) very next recommendations reflect them. \
         Events on items the model does not know are counted, not kept.",
        json!([]),
        Some(bodies.request::<EventsRequest>()),
        v1_responses(json_answer("What was kept.", bodies.response::<EventsResponse>()), true),
    );
    let status = |description: &str, properties: Value, required: Value| {
        json_answer(description, json!({"type": "object", "properties": properties, "required": required}))
    };
    let healthz = open_operation(
        "The process answers",
        json!({"200": status("Up.", json!({"status": {"const": "ok"}}), json!(["status"]))}),
    );
    let readyz = open_operation(
        "A model is loaded and no stop signal came",
        json!({
            "200": status(
                "Ready.",
                json!({
                    "status": {"const": "ready"},
                    "model": {"type": "string", "description": "`<namespace>/<kind>/<name>`"},
                    "version": {"type": "string"},
                }),
                json!(["status", "model", "version"]),
            ),
            "503": error("NotReady"),
        }),
    );
    let metrics = open_operation(
        "Prometheus metrics",
        json!({
            "200": {
                "description": "The text exposition format.",
                "headers": {MODEL_VERSION_HEADER: {"$ref": "#/components/headers/ModelVersion"}},
                "content": {"text/plain": {"schema": {"type": "string"}}},
            },
            "500": error("Internal"),
        }),
    );
    let openapi = open_operation(
        "This document",
        json!({"200": json_answer("The OpenAPI 3.1 document.", json!({"type": "object"}))}),
    );
    let error_body = bodies.response::<ErrorResponse>();
    let error_response = |description: &str| {
        json!({
            "description": description,
            "headers": {MODEL_VERSION_HEADER: {"$ref": "#/components/headers/ModelVersion"}},
            "content": {"application/json": {"schema": error_body}},
        })
    };
    let mut unauthorized =
        error_response("`Unauthorized`: the server has an API key and the request lacks it or has another.");
    unauthorized["headers"]["www-authenticate"] = json!({"description": "`Bearer`.", "schema": {"type": "string"}});
    let components = json!({
        "responses": {
            "BadRequest": error_response(
                "`InvalidInput`: malformed JSON, a wrong type (the message names the field), a value out of \
                 range, a bad date; or `WrongModelKind`: a route of the other kind of model.",
            ),
            "Unauthorized": unauthorized,
            "NotFound": error_response("`NotFound`: an item, a series or a filter the model does not have."),
            "MethodNotAllowed": error_response("`MethodNotAllowed`: a method the route does not take."),
            "PayloadTooLarge": error_response("`PayloadTooLarge`: the body is over `--max-body` (1 MiB by default)."),
            "NotReady": error_response("`NotReady`: the model is still loading; `ShuttingDown`: `/readyz` after SIGTERM; \
                 `LiveStoreUnavailable`: `POST /v1/events` while Redis (`--redis-url`) cannot keep the \
                 events (none was taken in: send them again)."),
            "Internal": error_response("`Internal`: the metrics could not be rendered."),
        },
        "headers": {
            "ModelVersion": {
                "description": "The model version that answered (absent while none is loaded).",
                "schema": {"type": "string"},
            },
        },
        "securitySchemes": {
            "apiKey": {
                "type": "apiKey", "in": "header", "name": API_KEY_HEADER,
                "description": "Required on /v1/* when the server is started with `--api-key-file` or `SEER_API_KEY`.",
            },
            "bearer": {
                "type": "http", "scheme": "bearer",
                "description": "The same key as `Authorization: Bearer <key>`.",
            },
        },
        "schemas": bodies.into_schemas(),
    });
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "seer-server",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The inference server a Seer Campaign runs: a Predictor's forecasts or a \
                Solution's recommendations, ranking, similar items and events. Every response names \
                the model version that answered in `x-seer-model-version`. Errors are \
                `{\"error\": {\"code\", \"message\"}}`; a route asked with a method it does not take \
                answers 405 `MethodNotAllowed` with an `Allow` header, an unknown path 404. TLS is \
                the platform's (an Ingress or a service mesh).",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "tags": [
            {"name": "v1", "description": "The native data routes (an API key when configured)."},
            {"name": "operations", "description": "Health, readiness, metrics, this document: always open."},
        ],
        "paths": {
            "/v1/forecasts/{itemId}": {"get": with_id(forecast, "getForecast")},
            "/v1/forecasts/{itemId}/chart.svg": {"get": with_id(chart, "getForecastChart")},
            "/v1/recommendations": {"post": with_id(recommend, "getRecommendations")},
            "/v1/personalized-ranking": {"post": with_id(rank, "getPersonalizedRanking")},
            "/v1/similar-items/{itemId}": {"get": with_id(similar, "getSimilarItems")},
            "/v1/events": {"post": with_id(events, "putEvents")},
            "/healthz": {"get": with_id(healthz, "healthz")},
            "/readyz": {"get": with_id(readyz, "readyz")},
            "/metrics": {"get": with_id(metrics, "metrics")},
            "/openapi.json": {"get": with_id(openapi, "openapi")},
        },
        "components": components,
    })
}

fn with_id(mut operation: Value, id: &str) -> Value {
    operation["operationId"] = json!(id);
    operation
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// Every `(METHOD, path)` the document describes.
    fn documented(doc: &Value) -> BTreeSet<(String, String)> {
        let mut out = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                out.insert((method.to_ascii_uppercase(), path.clone()));
            }
        }
        out
    }

    #[test]
    fn documents_exactly_the_routes_the_router_serves() {
        let served: BTreeSet<(String, String)> =
            crate::app::served_routes().into_iter().map(|(m, p)| (m.as_str().to_string(), p.to_string())).collect();
        assert_eq!(documented(&document()), served, "the router's routes and /openapi.json's paths differ");
    }

    #[test]
    fn every_reference_resolves() {
        let doc = document();
        let mut refs = Vec::new();
        collect_refs(&doc, &mut refs);
        assert!(refs.len() > 20, "{refs:?}");
        for r in refs {
            let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("external reference {r}"));
            assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
        }
    }

    fn collect_refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    out.push(r.clone());
                }
                map.values().for_each(|v| collect_refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn request_and_response_schemas_do_not_share_names() {
        let mut bodies = Bodies::new();
        bodies.request::<RecommendationRequest>();
        bodies.request::<RankingRequest>();
        bodies.request::<EventsRequest>();
        for name in ["ForecastResponse", "RecommendationResponse", "RankingResponse", "EventsResponse", "ErrorResponse"]
        {
            assert!(!bodies.requests.definitions().contains_key(name), "{name}");
        }
        let requests: BTreeSet<String> = bodies.requests.definitions().keys().cloned().collect();
        bodies.response::<ForecastResponse>();
        bodies.response::<RecommendationResponse>();
        bodies.response::<RankingResponse>();
        bodies.response::<EventsResponse>();
        bodies.response::<ErrorResponse>();
        let responses: BTreeSet<String> = bodies.responses.definitions().keys().cloned().collect();
        assert!(requests.is_disjoint(&responses), "{requests:?} and {responses:?}");
    }

    #[test]
    fn limits_come_from_the_types() {
        let doc = document();
        let s = &doc["components"]["schemas"];
        assert_eq!(s["RecommendationRequest"]["properties"]["numResults"]["maximum"], json!(MAX_RESULTS));
        assert_eq!(s["RecommendationRequest"]["properties"]["numResults"]["minimum"], json!(1));
        assert_eq!(s["EventsRequest"]["properties"]["eventList"]["maxItems"], json!(seer_api::http::MAX_EVENTS));
        assert_eq!(s["EventsRequest"]["required"], json!(["sessionId", "eventList"]));
        assert_eq!(s["ErrorBody"]["required"], json!(["code", "message"]));
    }

    #[test]
    fn the_data_routes_need_the_key_and_the_others_do_not() {
        let doc = document();
        for (method, path) in documented(&doc) {
            let op = &doc["paths"][&path][method.to_ascii_lowercase()];
            let security = op["security"].as_array().expect("security").len();
            if path.starts_with("/v1/") {
                assert_eq!(security, 2, "{path}");
                assert!(op["responses"]["401"].is_object(), "{path}");
            } else {
                assert_eq!(security, 0, "{path}");
            }
        }
    }
}
