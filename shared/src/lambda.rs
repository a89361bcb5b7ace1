//! Glue between `lambda_http` (API Gateway HTTP API events) and the framework-free handlers of
//! [`crate::ingest`] (feature `lambda`), with the CRC and webhook functions' health records
//! ([`Recorder`]).
//!
//! The one thing that matters here is the body: Twitter's signature covers the body's **raw
//! bytes**. API Gateway hands the body over either as text or, with `isBase64Encoded: true`, as
//! base64; `lambda_http` decodes the latter into [`Body::Binary`]. Either way the bytes given to
//! the handler are exactly the bytes Twitter sent, and nothing here re-encodes or re-serialises
//! them.

use std::time::Instant;

use bytes::Bytes;
use lambda_http::{Body, Request, Response};

use crate::domain::now_ms;
use crate::ingest::{WebhookDeps, edge, handle_crc, handle_webhook_post};
use crate::store::health::Health;
use crate::store::recorder::Recorder;
use crate::store::usage::Usage;
use crate::store::{Conversations, Inbox, Outbox, Revocations};
use crate::twitter::signature::WebhookSecret;

/// A `lambda_http` request as the handlers' [`edge::Request`]: the same method, URI (whose
/// query is API Gateway's `rawQueryString`, still percent-encoded), headers and extensions, and
/// the body's raw bytes.
pub fn into_request(request: Request) -> edge::Request {
    let (parts, body) = request.into_parts();
    let body = match body {
        Body::Empty => Bytes::new(),
        Body::Text(text) => Bytes::from(text.into_bytes()),
        Body::Binary(bytes) => Bytes::from(bytes),
        // `Body` is non-exhaustive; a future variant would need handling here. An empty body
        // fails the signature check, which is the safe outcome.
        _ => Bytes::new(),
    };
    http::Request::from_parts(parts, body)
}

/// The handlers' [`edge::Response`] as a `lambda_http` response (a text body: JSON or HTML),
/// its headers kept.
pub fn into_response(response: edge::Response) -> Response<Body> {
    response.map(Body::Text)
}

/// λ crc's request: the CRC answer; `recorder` (when the function has a table) records a 200
/// with the time computing it took.
pub fn crc<H: Health + Clone + 'static>(
    secret: &WebhookSecret,
    recorder: Option<&Recorder<H>>,
    request: Request,
) -> Response<Body> {
    let started = Instant::now();
    let response = handle_crc(secret, request.uri().query().unwrap_or_default());
    let latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    if let Some(recorder) = recorder
        && response.status() == 200
    {
        recorder.crc_answered(now_ms(), latency_us);
    }
    into_response(response)
}

/// λ webhook's request: one delivery; `recorder` records an accepted one.
pub async fn webhook<S, H>(
    deps: &WebhookDeps<S>,
    recorder: &Recorder<H>,
    request: Request,
) -> Response<Body>
where
    S: Inbox + Outbox + Conversations + Revocations + Usage,
    H: Health + Clone + 'static,
{
    let now = now_ms();
    let response = handle_webhook_post(deps, &into_request(request), now).await;
    if response.status() == 200 {
        recorder.delivery_received(now);
    }
    into_response(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::HeaderText;
    use crate::store::memory::MemoryStore;
    use crate::twitter::signature::SIGNATURE_HEADER;

    const SECRET: &str = "fixture-consumer-secret";

    fn event(name: &str) -> Request {
        let path = format!("{}/../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        let json = std::fs::read_to_string(&path).unwrap();
        lambda_http::request::from_str(&json).unwrap()
    }

    fn fixture_body() -> String {
        let json = std::fs::read_to_string(format!(
            "{}/../tests/fixtures/apigw_webhook_post.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        value["body"].as_str().unwrap().to_string()
    }

    #[test]
    fn crc_get_keeps_the_raw_percent_encoded_query() {
        let parts = into_request(event("apigw_crc_get.json"));
        assert_eq!(parts.method(), http::Method::GET);
        assert_eq!(
            edge::raw_query(&parts),
            "crc_token=cOXDuZN0ngs0hP4OEB9sC0jYjNHxBbyjJ5fpAh3pzWs%3D&nonce=MTUxOTIzNjM5NTk1NQ"
        );
        assert!(parts.body().is_empty());
    }

    #[test]
    fn crc_get_through_the_adapter_answers_the_expected_token() {
        let parts = into_request(event("apigw_crc_get.json"));
        let response = into_response(handle_crc(
            &WebhookSecret::new(SECRET),
            edge::raw_query(&parts),
        ));
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()[http::header::CONTENT_TYPE],
            "application/json"
        );
        let Body::Text(body) = response.body() else {
            panic!("{:?}", response.body());
        };
        assert_eq!(
            body,
            r#"{"response_token":"sha256=csVzm5ramL8kQHmchJuir2bLUcQ/rl3P9DOMmRYuI7o="}"#
        );
    }

    #[test]
    fn text_post_body_is_passed_through_byte_for_byte() {
        let parts = into_request(event("apigw_webhook_post.json"));
        assert_eq!(parts.method(), http::Method::POST);
        assert_eq!(parts.body(), fixture_body().as_bytes());
        let secret = WebhookSecret::new(SECRET);
        assert_eq!(
            secret.verify_body(parts.header(SIGNATURE_HEADER), parts.body()),
            Ok(())
        );
    }

    #[test]
    fn base64_post_body_is_decoded_to_the_bytes_twitter_signed() {
        let parts = into_request(event("apigw_webhook_post_base64.json"));
        assert_eq!(parts.body(), fixture_body().as_bytes());
        let secret = WebhookSecret::new(SECRET);
        assert_eq!(
            secret.verify_body(parts.header(SIGNATURE_HEADER), parts.body()),
            Ok(())
        );
    }

    #[tokio::test]
    async fn both_post_encodings_store_the_customers_message_once() {
        let store = MemoryStore::new();
        let deps = WebhookDeps {
            store: store.clone(),
            secret: WebhookSecret::new(SECRET),
            app_id: Some("13090192".into()),
        };
        for (name, stored, duplicates) in [
            ("apigw_webhook_post.json", 1, 0),
            ("apigw_webhook_post_base64.json", 0, 1),
        ] {
            let parts = into_request(event(name));
            let response = into_response(handle_webhook_post(&deps, &parts, 1).await);
            assert_eq!(response.status(), 200, "{name}");
            let Body::Text(body) = response.body() else {
                panic!("{name}");
            };
            let summary: serde_json::Value = serde_json::from_str(body).unwrap();
            assert_eq!(summary["stored"], stored, "{name}: {body}");
            assert_eq!(summary["duplicates"], duplicates, "{name}: {body}");
        }
        let records = store.all_inbound();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].message.text, "Hello, where is my order?");
    }

    #[tokio::test]
    async fn a_post_with_another_secret_is_answered_401() {
        let deps = WebhookDeps {
            store: MemoryStore::new(),
            secret: WebhookSecret::new("another-secret"),
            app_id: None,
        };
        let parts = into_request(event("apigw_webhook_post_base64.json"));
        let response = into_response(handle_webhook_post(&deps, &parts, 1).await);
        assert_eq!(response.status(), 401);
    }
}
