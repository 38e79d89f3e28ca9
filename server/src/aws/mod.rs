//! The AWS runtime services on the wire, beside the native API on the same listener, so that
//! the official AWS SDKs talk to a Seer server by changing only their endpoint:
//!
//! - Personalize Runtime (`restJson1`): `GetRecommendations` (`POST /recommendations`),
//!   `GetPersonalizedRanking` (`POST /personalize-ranking`);
//! - Personalize Events (`restJson1`): `PutEvents` (`POST /events`), `PutItems` (`POST /items`),
//!   `PutUsers` (`POST /users`);
//! - Forecast Query (`awsJson1_1`): `QueryForecast` (`POST /` with
//!   `X-Amz-Target: AmazonForecastRuntime.QueryForecast`).
//!
//! Shapes, required members and limits follow botocore's service models
//! (`personalize-runtime/2018-05-22`, `personalize-events/2018-03-22`,
//! `forecastquery/2018-06-26`). The handlers only translate shapes: the answers come from the
//! native routes' logic ([`crate::routes`]). Errors are framed per protocol ([`errors`]), ARNs
//! map to Seer names ([`arn`]), and with access keys configured every request must carry a
//! valid Signature Version 4 ([`sigv4`]).
//!
//! These routes are not in `/openapi.json`: they are described by AWS's own service models,
//! and the protocol (an operation chosen by a header on `POST /`) is not OpenAPI's.

pub mod arn;
pub mod errors;
pub mod forecast_query;
pub mod personalize_events;
pub mod personalize_runtime;
pub mod sigv4;

use std::{sync::Arc, time::SystemTime};

use axum::{
    Router,
    body::{Body, Bytes},
    extract::{FromRequest, Request, State},
    http::{StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::post,
};
use serde::de::DeserializeOwned;

use crate::{
    model::Model,
    state::{AppState, Snapshot},
};
use errors::{AwsError, Protocol};
use sigv4::{AccessKeys, RequestParts};

/// What the AWS-style routes need beyond the native state.
#[derive(Clone, Debug, Default)]
pub struct AwsSettings {
    /// Access keys requests must be signed with; `None`: unsigned requests are accepted.
    pub keys: Option<AccessKeys>,
    /// The Campaign this server runs, when it knows it: a campaign (or forecast) ARN naming
    /// another is `ResourceNotFoundException`. Without it any name is answered.
    pub campaign: Option<String>,
}

/// One of the three services: its protocol and the name its requests are signed for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    PersonalizeRuntime,
    PersonalizeEvents,
    ForecastQuery,
}

impl Service {
    pub fn protocol(self) -> Protocol {
        match self {
            Self::PersonalizeRuntime | Self::PersonalizeEvents => Protocol::RestJson,
            Self::ForecastQuery => Protocol::Json11,
        }
    }

    /// The service models' `signingName`.
    pub fn signing_name(self) -> &'static str {
        match self {
            Self::PersonalizeRuntime | Self::PersonalizeEvents => "personalize",
            Self::ForecastQuery => "forecast",
        }
    }
}

/// Every `(method, path)` the AWS-style routes serve, for the record beside the native list.
pub const ROUTES: [&str; 9] = [
    "/recommendations",
    "/personalize-ranking",
    "/action-recommendations",
    "/events",
    "/items",
    "/users",
    "/actions",
    "/action-interactions",
    "/",
];

/// The AWS-style routes, each service behind its authentication.
pub fn router(state: &AppState) -> Router<AppState> {
    let guarded = |service: Service, routes: Router<AppState>| {
        routes.route_layer(middleware::from_fn_with_state(Guard { state: state.clone(), service }, authenticate))
    };
    let runtime = Router::new()
        .route("/recommendations", post(personalize_runtime::get_recommendations))
        .route("/personalize-ranking", post(personalize_runtime::get_personalized_ranking))
        .route("/action-recommendations", post(personalize_runtime::unsupported));
    let events = Router::new()
        .route("/events", post(personalize_events::put_events))
        .route("/items", post(personalize_events::put_items))
        .route("/users", post(personalize_events::put_users))
        .route("/actions", post(personalize_events::unsupported))
        .route("/action-interactions", post(personalize_events::unsupported));
    let forecast = Router::new().route("/", post(forecast_query::dispatch));
    guarded(Service::PersonalizeRuntime, runtime)
        .merge(guarded(Service::PersonalizeEvents, events))
        .merge(guarded(Service::ForecastQuery, forecast))
}

/// The middleware's state: the server's and which service the route belongs to.
#[derive(Clone)]
struct Guard {
    state: AppState,
    service: Service,
}

/// Lets a request through when it is signed with a configured key (or, with no keys, when it
/// carries the API key if there is one, else always). The body is read here once, within the
/// router's body limit, because the signature covers it.
async fn authenticate(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let protocol = guard.service.protocol();
    let shared = &guard.state;
    match (&shared.aws.keys, &shared.api_key) {
        (Some(keys), _) => {
            let (parts, body) = request.into_parts();
            let bytes = match Bytes::from_request(Request::from_parts(parts.clone(), body), &()).await {
                Ok(b) => b,
                Err(e) => {
                    return AwsError::invalid(protocol, format!("cannot read the request body: {}", e.body_text()))
                        .into_response();
                }
            };
            let request_parts =
                RequestParts { method: &parts.method, uri: &parts.uri, headers: &parts.headers, body: &bytes };
            if let Err(e) = keys.verify(protocol, guard.service.signing_name(), &request_parts, SystemTime::now()) {
                return e.into_response();
            }
            next.run(Request::from_parts(parts, Body::from(bytes))).await
        }
        // No access keys but an API key: the AWS routes are no back door around it.
        (None, Some(expected)) => {
            let headers = request.headers();
            let given = headers.get(crate::auth::API_KEY_HEADER).and_then(|v| v.to_str().ok()).or_else(|| {
                headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "))
            });
            match given {
                Some(key) if crate::auth::same(key.trim().as_bytes(), expected.as_bytes()) => next.run(request).await,
                Some(_) => AwsError::new(
                    protocol,
                    StatusCode::FORBIDDEN,
                    "UnrecognizedClientException",
                    "the API key is wrong",
                )
                .into_response(),
                None => AwsError::new(
                    protocol,
                    StatusCode::FORBIDDEN,
                    "MissingAuthenticationTokenException",
                    "this server has an API key and no AWS access keys: send the key as x-api-key, or configure \
                     access keys (--aws-keys-file) to sign requests",
                )
                .into_response(),
            }
        }
        (None, None) => next.run(request).await,
    }
}

/// The request's model, or the services' 503 while none is loaded (the SDKs retry it).
fn current(snapshot: &Snapshot, protocol: Protocol) -> Result<Arc<Model>, AwsError> {
    snapshot.0.clone().ok_or_else(|| {
        AwsError::new(
            protocol,
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailableException",
            "the model is still loading",
        )
    })
}

/// A JSON object body as `T`; anything else is `InvalidInputException` naming the member.
fn parse<T: DeserializeOwned>(bytes: &[u8], protocol: Protocol) -> Result<T, AwsError> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(AwsError::invalid(protocol, "the request body must be a JSON object"));
    }
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer)
        .map_err(|e| AwsError::invalid(protocol, format!("{}: {}", e.path(), e.inner())))
}

/// A body the client could not send whole (over the limit, cut off).
fn body_error(protocol: Protocol, e: axum::extract::rejection::BytesRejection) -> AwsError {
    AwsError::invalid(protocol, format!("cannot read the request body: {}", e.body_text()))
}

/// A 200 answer with `body` as the protocol's JSON.
fn ok(protocol: Protocol, body: &impl serde::Serialize) -> Response {
    let content_type = match protocol {
        Protocol::RestJson => "application/json",
        Protocol::Json11 => "application/x-amz-json-1.1",
    };
    match serde_json::to_string(body) {
        Ok(text) => ([(header::CONTENT_TYPE, content_type)], text).into_response(),
        Err(e) => AwsError::new(
            protocol,
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalFailure",
            format!("cannot write the answer: {e}"),
        )
        .into_response(),
    }
}

/// A string member's length against the model's bounds (in characters, as AWS counts).
fn check_length(protocol: Protocol, member: &str, value: &str, min: usize, max: usize) -> Result<(), AwsError> {
    let n = value.chars().count();
    if (min..=max).contains(&n) {
        Ok(())
    } else {
        Err(AwsError::invalid(protocol, format!("{member}: length {n} is not between {min} and {max}")))
    }
}

/// A required member.
fn required<'a, T>(protocol: Protocol, member: &str, value: &'a Option<T>) -> Result<&'a T, AwsError> {
    value.as_ref().ok_or_else(|| AwsError::invalid(protocol, format!("{member} is required")))
}

/// A campaign (or forecast) ARN's name against the Campaign this server runs.
fn check_campaign(
    settings: &AwsSettings,
    protocol: Protocol,
    member: &str,
    arn: &arn::Arn<'_>,
) -> Result<(), AwsError> {
    match &settings.campaign {
        Some(campaign) if campaign != arn.name => Err(AwsError::not_found(
            protocol,
            format!(
                "{member}: {} {:?} is not here: this server runs the Campaign {campaign:?}",
                arn.resource_type, arn.name
            ),
        )),
        _ => Ok(()),
    }
}
