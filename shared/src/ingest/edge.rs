//! The handlers' HTTP edge: `http` 1.x types, which `lambda_http` and axum both speak. A
//! handler takes a [`Request`] (the body's raw bytes: Twitter's signature covers them) and
//! returns a [`Response`] whose headers (the content type, sign-in's `Location` and
//! `Set-Cookie`) travel with it.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// A request as the handlers see it: the raw body, the query string still percent-encoded.
pub type Request = http::Request<Bytes>;
/// A response as the handlers give it: a text body (JSON, or sign-in's HTML).
pub type Response = http::Response<String>;

/// The content type of the webhook's responses: JSON, as Twitter requires for the CRC answer.
pub const JSON_CONTENT_TYPE: &str = "application/json";

/// The body of every error response: a stable code and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    pub detail: String,
}

/// A response with `status`, a content type and `body`. A status that is not valid HTTP
/// becomes 500 (ours are constants).
pub fn text(status: u16, content_type: &'static str, body: String) -> Response {
    let mut response = http::Response::new(body);
    *response.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(content_type),
    );
    response
}

/// A JSON response.
pub fn json<T: Serialize>(status: u16, value: &T) -> Response {
    match serde_json::to_string(value) {
        Ok(body) => text(status, JSON_CONTENT_TYPE, body),
        // Our own response types always serialize; answer 500 rather than panic if not.
        Err(_) => text(
            500,
            JSON_CONTENT_TYPE,
            r#"{"error":"internal","detail":"the response could not be encoded"}"#.to_string(),
        ),
    }
}

/// `{"error": code, "detail": detail}` with the given status.
pub fn error(status: u16, code: &str, detail: impl std::fmt::Display) -> Response {
    json(
        status,
        &ErrorBody {
            error: code.to_string(),
            detail: detail.to_string(),
        },
    )
}

/// The query string exactly as received (still percent-encoded), without the `?`.
pub fn raw_query<B>(request: &http::Request<B>) -> &str {
    request.uri().query().unwrap_or_default()
}

/// A header's first value as text, whatever the name's case; `None` when absent or not text.
pub trait HeaderText {
    fn header(&self, name: &str) -> Option<&str>;
}

impl HeaderText for http::HeaderMap {
    fn header(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| v.to_str().ok())
    }
}

impl<B> HeaderText for http::Request<B> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers().header(name)
    }
}

impl<B> HeaderText for http::Response<B> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers().header(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_carry_their_status_and_content_type() {
        let r = error(413, "body_too_large", "too big");
        assert_eq!(r.status(), 413);
        assert_eq!(r.header("Content-Type"), Some(JSON_CONTENT_TYPE));
        let body: ErrorBody = serde_json::from_str(r.body()).unwrap();
        assert_eq!(body.error, "body_too_large");
        assert_eq!(text(1000, "text/plain", String::new()).status(), 500);
    }

    #[test]
    fn the_raw_query_is_kept_percent_encoded() {
        let r = http::Request::get("/webhooks/twitter?crc_token=a%3D&n=1")
            .body(Bytes::new())
            .unwrap();
        assert_eq!(raw_query(&r), "crc_token=a%3D&n=1");
        let r = http::Request::get("/x").body(Bytes::new()).unwrap();
        assert_eq!(raw_query(&r), "");
    }
}
