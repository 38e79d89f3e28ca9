//! The router: routes, the API key on `/v1/*`, the body limit, and the middleware that takes
//! the request's model snapshot, names its version in a header and records metrics.

use std::time::Instant;

use axum::{
    Router,
    extract::{DefaultBodyLimit, MatchedPath, Request, State},
    handler::Handler,
    http::{HeaderValue, Method},
    middleware::{self, Next},
    response::Response,
    routing::{get, post},
};

use crate::{
    auth, aws, errors, openapi,
    routes::{events, forecasts, health, recommendations},
    state::{AppState, Snapshot},
};

/// Header naming the model version that answered.
pub const MODEL_VERSION_HEADER: &str = "x-seer-model-version";

/// The native data routes (behind the API key, when there is one).
fn v1() -> Routes {
    Routes::default()
        .get("/v1/forecasts/{itemId}", forecasts::get)
        .get("/v1/forecasts/{itemId}/chart.svg", forecasts::chart)
        .post("/v1/recommendations", recommendations::recommend)
        .post("/v1/personalized-ranking", recommendations::rank)
        .get("/v1/similar-items/{itemId}", recommendations::similar)
        .post("/v1/events", events::put)
}

/// The routes open to anyone: health, readiness, metrics, the API's description.
fn open() -> Routes {
    Routes::default()
        .get("/healthz", health::healthz)
        .get("/readyz", health::readyz)
        .get("/metrics", health::metrics)
        .get("/openapi.json", openapi::serve)
}

/// Every `(method, path template)` the router serves; `/openapi.json` must describe exactly
/// these (a test checks).
pub fn served_routes() -> Vec<(Method, &'static str)> {
    let (mut all, open) = (v1().served, open().served);
    all.extend(open);
    all
}

/// Every route, with `max_body` bytes as the request body limit. Native routes are added in
/// `v1()` or `open()` (through `Routes`), never here: `/openapi.json` is checked against the
/// list those build, and a test fails on any other `.route(`, `.merge(` or `.nest(` in this
/// file. The AWS services' routes ([`aws::router`]) are the one other merge.
pub fn router(state: AppState, max_body: usize) -> Router {
    let v1 = v1().router.route_layer(middleware::from_fn_with_state(state.clone(), auth::require_api_key));
    Router::new()
        .merge(v1)
        .merge(open().router)
        // The AWS services' routes: described by AWS's service models, not /openapi.json.
        .merge(aws::router(&state))
        .fallback(errors::no_route)
        .method_not_allowed_fallback(errors::wrong_method)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// Routes added through here are listed in [`served_routes`] by the same call that serves
/// them, so the list cannot miss one.
#[derive(Default)]
struct Routes {
    router: Router<AppState>,
    served: Vec<(Method, &'static str)>,
}

impl Routes {
    fn get<H: Handler<T, AppState>, T: 'static>(mut self, path: &'static str, handler: H) -> Self {
        self.router = self.router.route(path, get(handler));
        self.served.push((Method::GET, path));
        self
    }

    fn post<H: Handler<T, AppState>, T: 'static>(mut self, path: &'static str, handler: H) -> Self {
        self.router = self.router.route(path, post(handler));
        self.served.push((Method::POST, path));
        self
    }
}

/// Methods counted under their own name in the metrics.
const STANDARD_METHODS: [Method; 9] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::PATCH,
    Method::OPTIONS,
    Method::TRACE,
    Method::CONNECT,
];

/// Takes the model snapshot the handler will use, then labels the response with its version
/// and counts it by route template and status.
async fn observe(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_string();
    // Methods outside the standard ones share one label: a client cannot grow the series.
    let method =
        if STANDARD_METHODS.contains(request.method()) { request.method().as_str() } else { "other" }.to_string();
    let model = state.model.current();
    let version = model.as_ref().and_then(|m| HeaderValue::from_str(m.version()).ok());
    request.extensions_mut().insert(Snapshot(model));
    let mut response = next.run(request).await;
    if let Some(v) = version {
        response.headers_mut().insert(MODEL_VERSION_HEADER, v);
    }
    state.metrics.observe(&route, &method, response.status().as_u16(), started.elapsed().as_secs_f64());
    response
}

#[cfg(test)]
mod tests {
    /// A route added beside [`super::Routes`] would be served but missing from
    /// [`super::served_routes`], and so from `/openapi.json` with no test noticing: this file
    /// routes only through `Routes`.
    #[test]
    fn routes_are_added_only_through_the_route_table() {
        let source = include_str!("app.rs");
        let code: String = source[..source.find("#[cfg(test)]").unwrap_or(source.len())]
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect();
        for (call, expected) in
            [(".route(", 2), (".merge(", 3), (".nest(", 0), (".nest_service(", 0), (".route_service(", 0)]
        {
            assert_eq!(
                code.matches(call).count(),
                expected,
                "app.rs: add routes with Routes::get/post in v1() or open() (and to /openapi.json), not with {call}...)"
            );
        }
    }
}
