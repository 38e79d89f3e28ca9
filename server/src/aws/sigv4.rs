//! AWS Signature Version 4 on the AWS-style routes. With access keys configured, every request
//! must carry `Authorization: AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/
//! aws4_request, SignedHeaders=..., Signature=...`: the server signs the same request (the
//! headers the client signed, the method, path, query and body, at the client's `x-amz-date`)
//! with the key's secret through `aws-sigv4`, the signer the AWS SDK for Rust uses, and
//! compares. The answers are the services' own: an unknown key is
//! `UnrecognizedClientException`, a wrong signature (wrong secret, altered request, another
//! service's scope, a date more than 15 minutes off) `InvalidSignatureException`, no
//! signature at all `MissingAuthenticationTokenException`, all 403.

use std::{
    collections::HashMap,
    time::{Duration, SystemTime},
};

use aws_credential_types::Credentials;
use aws_sigv4::{
    http_request::{SignableBody, SignableRequest, SigningSettings, sign},
    sign::v4,
};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use chrono::NaiveDateTime;

use super::errors::{AwsError, Protocol};

/// How far a request's `x-amz-date` may be from the server's clock (AWS's window).
const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// Access key id to secret access key. `Debug` shows the ids only.
#[derive(Clone, Default)]
pub struct AccessKeys(HashMap<String, String>);

impl std::fmt::Debug for AccessKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("AccessKeys").field(&self.0.keys().collect::<Vec<_>>()).finish()
    }
}

impl AccessKeys {
    /// Keys from pairs.
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Self(pairs.into_iter().collect())
    }

    /// Reads a keys file: one `<access key id> <secret access key>` pair a line (white space
    /// between), blank lines and `#` comments skipped. Errors name the line, never a secret.
    pub fn parse_file(text: &str, origin: &str) -> Result<Self, String> {
        let mut keys = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [id, secret] = fields.as_slice() else {
                return Err(format!(
                    "{origin} line {}: expected `<access key id> <secret access key>`, found {} fields",
                    n + 1,
                    fields.len()
                ));
            };
            if keys.insert((*id).to_string(), (*secret).to_string()).is_some() {
                return Err(format!("{origin} line {}: access key {id} is given twice", n + 1));
            }
        }
        if keys.is_empty() {
            return Err(format!("{origin}: no access keys"));
        }
        Ok(Self(keys))
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Checks the signature of a request to the service that signs as `signing_name`.
    pub fn verify(
        &self,
        protocol: Protocol,
        signing_name: &str,
        request: &RequestParts<'_>,
        now: SystemTime,
    ) -> Result<(), AwsError> {
        let forbidden =
            |code: &'static str, message: String| AwsError::new(protocol, StatusCode::FORBIDDEN, code, message);
        let bad_signature = |message: String| forbidden("InvalidSignatureException", message);
        let header = |name: &str| request.headers.get(name).and_then(|v| v.to_str().ok());
        let Some(authorization) = header("authorization") else {
            return Err(forbidden("MissingAuthenticationTokenException", "Missing Authentication Token".into()));
        };
        let auth = Authorization::parse(authorization).map_err(bad_signature)?;
        let Some(secret) = self.0.get(auth.access_key) else {
            return Err(forbidden(
                "UnrecognizedClientException",
                "The security token included in the request is invalid.".into(),
            ));
        };
        if auth.service != signing_name {
            return Err(bad_signature(format!("Credential should be scoped to correct service: '{signing_name}'.")));
        }
        let date = header("x-amz-date").ok_or_else(|| bad_signature("the request has no x-amz-date header".into()))?;
        let time = NaiveDateTime::parse_from_str(date, "%Y%m%dT%H%M%SZ")
            .ok()
            .and_then(|t| u64::try_from(t.and_utc().timestamp()).ok())
            .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s))
            .ok_or_else(|| bad_signature(format!("x-amz-date {date:?} is not of the form 20240301T120000Z")))?;
        let skew = match now.duration_since(time) {
            Ok(d) => d,
            Err(e) => e.duration(),
        };
        if skew > MAX_SKEW {
            return Err(bad_signature(format!(
                "Signature expired: {date} is more than 15 minutes away from the server's time"
            )));
        }
        if !date.starts_with(auth.date) {
            return Err(bad_signature(format!("the credential's date {} is not the request's {date}", auth.date)));
        }
        if !auth.signed_headers.contains(&"host") {
            return Err(bad_signature("SignedHeaders must include host".into()));
        }
        // Exactly the headers the client signed, as received (every value of each).
        let mut headers = Vec::new();
        for name in &auth.signed_headers {
            let values = request.headers.get_all(*name);
            let mut any = false;
            for value in values {
                let value = value.to_str().map_err(|_| bad_signature(format!("header {name} is not text")))?;
                headers.push((*name, value));
                any = true;
            }
            if !any {
                return Err(bad_signature(format!("signed header {name} is not in the request")));
            }
        }
        let path_and_query = request.uri.path_and_query().map_or("/", |p| p.as_str());
        let signable = SignableRequest::new(
            request.method.as_str(),
            path_and_query,
            headers.into_iter(),
            SignableBody::Bytes(request.body),
        )
        .map_err(|e| bad_signature(format!("cannot read the request for signing: {e}")))?;
        let identity = Credentials::new(auth.access_key, secret, None, None, "seer-server").into();
        let mut settings = SigningSettings::default();
        // The client chose what to sign; sign exactly that (the default leaves some out).
        settings.excluded_headers = None;
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(auth.region)
            .name(signing_name)
            .time(time)
            .settings(settings)
            .build()
            .map_err(|e| bad_signature(format!("cannot sign: {e}")))?
            .into();
        let expected = sign(signable, &params).map_err(|e| bad_signature(format!("cannot sign: {e}")))?;
        if same(expected.signature().as_bytes(), auth.signature.as_bytes()) {
            Ok(())
        } else {
            Err(bad_signature(
                "The request signature we calculated does not match the signature you provided. Check your AWS \
                 Secret Access Key and signing method. Consult the service documentation for details."
                    .into(),
            ))
        }
    }
}

/// What the signature covers.
pub struct RequestParts<'a> {
    pub method: &'a Method,
    pub uri: &'a Uri,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// The `Authorization` header of a SigV4 request.
#[derive(Debug, PartialEq)]
struct Authorization<'a> {
    access_key: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

impl<'a> Authorization<'a> {
    fn parse(text: &'a str) -> Result<Self, String> {
        let Some(rest) = text.strip_prefix("AWS4-HMAC-SHA256 ") else {
            return Err("Authorization: only AWS4-HMAC-SHA256 (Signature Version 4) is accepted".into());
        };
        let (mut credential, mut signed, mut signature) = (None, None, None);
        for part in rest.split(',') {
            match part.trim().split_once('=') {
                Some(("Credential", v)) => credential = Some(v),
                Some(("SignedHeaders", v)) => signed = Some(v),
                Some(("Signature", v)) => signature = Some(v),
                _ => return Err(format!("Authorization: unexpected {:?}", part.trim())),
            }
        }
        let (Some(credential), Some(signed), Some(signature)) = (credential, signed, signature) else {
            return Err("Authorization: Credential, SignedHeaders and Signature are all required".into());
        };
        let scope: Vec<&str> = credential.split('/').collect();
        let [access_key, date, region, service, "aws4_request"] = scope.as_slice() else {
            return Err("Authorization: Credential must be <key>/<date>/<region>/<service>/aws4_request".into());
        };
        Ok(Self { access_key, date, region, service, signed_headers: signed.split(';').collect(), signature })
    }
}

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authorization_header_parses() {
        let a = Authorization::parse(
            "AWS4-HMAC-SHA256 Credential=AKID/20261129/us-east-1/personalize/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date, Signature=abc",
        )
        .expect("parses");
        assert_eq!((a.access_key, a.date, a.region, a.service), ("AKID", "20261129", "us-east-1", "personalize"));
        assert_eq!(a.signed_headers, ["content-type", "host", "x-amz-date"]);
        assert_eq!(a.signature, "abc");
        assert!(Authorization::parse("Bearer x").is_err());
        assert!(
            Authorization::parse("AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=x").is_err()
        );
    }

    #[test]
    fn keys_files_name_the_line_and_never_the_secret() {
        let keys = AccessKeys::parse_file("# comment\n\nAKID1 secret-one\n AKID2\tsecret-two \n", "f").expect("keys");
        assert_eq!(keys.len(), 2);
        assert!(!format!("{keys:?}").contains("secret"), "{keys:?}");
        let e = AccessKeys::parse_file("AKID1 secret-one extra\n", "f").expect_err("3 fields");
        assert!(e.contains("f line 1") && !e.contains("secret-one"), "{e}");
        assert!(AccessKeys::parse_file("A s\nA t\n", "f").expect_err("twice").contains("line 2"));
        assert!(AccessKeys::parse_file("# none\n", "f").is_err());
    }

    /// A request signed by `aws-sigv4` as a client would, then verified: the right secret
    /// passes; another secret, another key, an altered body or another service's scope fail
    /// with the services' codes. (The boto3 test signs with botocore's own signer.)
    #[test]
    fn signatures_are_checked() {
        let keys = AccessKeys::new([("AKID".to_string(), "right".to_string())]);
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_780_000_000);
        let signed = |key: &str, secret: &str, service: &str| -> HeaderMap {
            let mut headers = HeaderMap::new();
            headers.insert("host", "127.0.0.1:8080".parse().expect("host"));
            headers.insert("content-type", "application/json".parse().expect("ct"));
            let pairs: Vec<(&str, &str)> =
                headers.iter().map(|(k, v)| (k.as_str(), v.to_str().expect("text"))).collect();
            let signable =
                SignableRequest::new("POST", "/recommendations", pairs.into_iter(), SignableBody::Bytes(b"{}"))
                    .expect("signable");
            let identity = Credentials::new(key, secret, None, None, "test").into();
            let params = v4::SigningParams::builder()
                .identity(&identity)
                .region("us-east-1")
                .name(service)
                .time(now)
                .settings(SigningSettings::default())
                .build()
                .expect("params")
                .into();
            let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
            let mut out = headers.clone();
            for (name, value) in instructions.headers() {
                out.insert(
                    axum::http::HeaderName::from_bytes(name.as_bytes()).expect("name"),
                    value.parse().expect("v"),
                );
            }
            out
        };
        let (method, uri) = (Method::POST, Uri::from_static("/recommendations"));
        let check = |headers: &HeaderMap, body: &[u8]| {
            keys.verify(
                Protocol::RestJson,
                "personalize",
                &RequestParts { method: &method, uri: &uri, headers, body },
                now,
            )
            .map_err(|e| (e.status.as_u16(), e.code))
        };
        assert_eq!(check(&signed("AKID", "right", "personalize"), b"{}"), Ok(()));
        assert_eq!(check(&signed("AKID", "wrong", "personalize"), b"{}"), Err((403, "InvalidSignatureException")));
        assert_eq!(check(&signed("AKID", "right", "personalize"), b"{ }"), Err((403, "InvalidSignatureException")));
        assert_eq!(check(&signed("AKID", "right", "forecast"), b"{}"), Err((403, "InvalidSignatureException")));
        assert_eq!(check(&signed("OTHER", "right", "personalize"), b"{}"), Err((403, "UnrecognizedClientException")));
        assert_eq!(check(&HeaderMap::new(), b"{}"), Err((403, "MissingAuthenticationTokenException")));
        // Twenty minutes later the same request is refused.
        let later = now + Duration::from_secs(20 * 60);
        let headers = signed("AKID", "right", "personalize");
        let e = keys
            .verify(
                Protocol::RestJson,
                "personalize",
                &RequestParts { method: &method, uri: &uri, headers: &headers, body: b"{}" },
                later,
            )
            .expect_err("expired");
        assert!(e.message.starts_with("Signature expired"), "{e}");
    }
}
