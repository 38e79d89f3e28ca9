//! Errors as the AWS SDKs parse them, per protocol. REST-JSON (Personalize Runtime and Events)
//! names the error in the `x-amzn-ErrorType` header and its model's status; JSON 1.1 (Forecast
//! Query) names it in the body's `__type`, with 400 for every modeled error. The bodies carry
//! the message under the member name each service model gives (`message` for Personalize,
//! `Message` for Forecast Query).

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::errors::ApiError;

/// How a service frames its requests and errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// `restJson1`: the operation is the method and path.
    RestJson,
    /// `awsJson1_1`: `POST /` with the operation in `X-Amz-Target`.
    Json11,
}

/// `x-amzn-ErrorType`: how REST-JSON services name the error.
pub const ERROR_TYPE_HEADER: &str = "x-amzn-errortype";

/// An error answered to an AWS SDK.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct AwsError {
    pub protocol: Protocol,
    pub status: StatusCode,
    /// The exception's shape name (`InvalidInputException`).
    pub code: &'static str,
    pub message: String,
}

impl AwsError {
    pub fn new(protocol: Protocol, status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { protocol, status, code, message: message.into() }
    }

    /// `InvalidInputException`: 400 in both protocols.
    pub fn invalid(protocol: Protocol, message: impl Into<String>) -> Self {
        Self::new(protocol, StatusCode::BAD_REQUEST, "InvalidInputException", message)
    }

    /// `ResourceNotFoundException`: 404 in Personalize's model; JSON 1.1 errors without an
    /// `httpStatusCode` in their model (all of Forecast Query's) are 400.
    pub fn not_found(protocol: Protocol, message: impl Into<String>) -> Self {
        let status = match protocol {
            Protocol::RestJson => StatusCode::NOT_FOUND,
            Protocol::Json11 => StatusCode::BAD_REQUEST,
        };
        Self::new(protocol, status, "ResourceNotFoundException", message)
    }

    /// An operation of the service that Seer does not serve.
    pub fn unknown_operation(protocol: Protocol, message: impl Into<String>) -> Self {
        Self::new(protocol, StatusCode::BAD_REQUEST, "UnknownOperationException", message)
    }

    /// The native error `e` as the SDKs of `protocol` know it.
    pub fn from_api(protocol: Protocol, e: ApiError) -> Self {
        if e.status == StatusCode::NOT_FOUND {
            Self::not_found(protocol, e.message)
        } else if e.status.is_client_error() {
            // Too large a body, a wrong value, an operation this recipe cannot answer: the
            // request is what is wrong.
            Self::invalid(protocol, e.message)
        } else if e.status == StatusCode::SERVICE_UNAVAILABLE {
            // The SDKs retry 503 by themselves (model still loading, live store down).
            Self::new(protocol, StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailableException", e.message)
        } else {
            Self::new(protocol, StatusCode::INTERNAL_SERVER_ERROR, "InternalFailure", e.message)
        }
    }
}

impl IntoResponse for AwsError {
    fn into_response(self) -> Response {
        let body = match self.protocol {
            Protocol::RestJson => serde_json::json!({ "message": self.message }),
            Protocol::Json11 => serde_json::json!({ "__type": self.code, "Message": self.message }),
        };
        let content_type = match self.protocol {
            Protocol::RestJson => "application/json",
            Protocol::Json11 => "application/x-amz-json-1.1",
        };
        let mut response = (self.status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        // The code is one of this module's constants: always a valid header value. Sent in
        // both protocols (the JSON 1.1 SDKs read `__type` first, then this header).
        headers.insert(ERROR_TYPE_HEADER, HeaderValue::from_static(self.code));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, code: &'static str) -> ApiError {
        ApiError::new(StatusCode::from_u16(status).expect("status"), code, "m")
    }

    /// Every native error, as each protocol's SDKs will see it: (native status, native code)
    /// to (status, code) in REST-JSON and in JSON 1.1.
    #[test]
    fn each_native_error_maps_to_the_modeled_exception() {
        // (native status, native code, (status, code) in REST-JSON, (status, code) in JSON 1.1)
        type Case = (u16, &'static str, (u16, &'static str), (u16, &'static str));
        let cases: [Case; 8] = [
            (400, "InvalidInput", (400, "InvalidInputException"), (400, "InvalidInputException")),
            (400, "WrongModelKind", (400, "InvalidInputException"), (400, "InvalidInputException")),
            (413, "PayloadTooLarge", (400, "InvalidInputException"), (400, "InvalidInputException")),
            (404, "NotFound", (404, "ResourceNotFoundException"), (400, "ResourceNotFoundException")),
            (503, "NotReady", (503, "ServiceUnavailableException"), (503, "ServiceUnavailableException")),
            (503, "LiveStoreUnavailable", (503, "ServiceUnavailableException"), (503, "ServiceUnavailableException")),
            (500, "InternalError", (500, "InternalFailure"), (500, "InternalFailure")),
            (405, "MethodNotAllowed", (400, "InvalidInputException"), (400, "InvalidInputException")),
        ];
        for (status, code, rest, json) in cases {
            for (protocol, (want_status, want_code)) in [(Protocol::RestJson, rest), (Protocol::Json11, json)] {
                let e = AwsError::from_api(protocol, api(status, code));
                assert_eq!((e.status.as_u16(), e.code), (want_status, want_code), "{status} {code} in {protocol:?}");
                assert_eq!(e.message, "m");
            }
        }
    }

    async fn parts(e: AwsError) -> (u16, String, String, serde_json::Value) {
        let response = e.into_response();
        let status = response.status().as_u16();
        let header =
            |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        let (error_type, content_type) = (header(ERROR_TYPE_HEADER), header("content-type"));
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16).await.expect("body");
        (status, error_type, content_type, serde_json::from_slice(&bytes).expect("json"))
    }

    /// REST-JSON: the header names the error, the body holds `message`.
    #[tokio::test]
    async fn rest_json_errors_name_the_code_in_the_header() {
        let (status, error_type, content_type, body) =
            parts(AwsError::not_found(Protocol::RestJson, "unknown item \"x\"")).await;
        assert_eq!((status, error_type.as_str()), (404, "ResourceNotFoundException"));
        assert_eq!(content_type, "application/json");
        assert_eq!(body, serde_json::json!({"message": "unknown item \"x\""}));
    }

    /// JSON 1.1: the body's `__type` names the error, with `Message`.
    #[tokio::test]
    async fn json_1_1_errors_name_the_code_in_the_body() {
        let (status, _, content_type, body) = parts(AwsError::invalid(Protocol::Json11, "bad")).await;
        assert_eq!(status, 400);
        assert_eq!(content_type, "application/x-amz-json-1.1");
        assert_eq!(body, serde_json::json!({"__type": "InvalidInputException", "Message": "bad"}));
    }
}
