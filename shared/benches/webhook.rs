//! The webhook's hot path: the CRC answer, and verify + parse + classify of a delivery with one
//! Direct Message and with twenty. Target: under 10 µs for a one-DM delivery.
//!
//! `cargo bench -p dmbot-shared --bench webhook -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dmbot_shared::ingest::{
    HeaderText, WebhookDeps, handle_crc, handle_webhook_post, verify_and_plan,
};
use dmbot_shared::store::memory::MemoryStore;
use dmbot_shared::twitter::signature::{CrcToken, SIGNATURE_HEADER, WebhookSecret};
use serde_json::Value;

const SECRET: &str = "fixture-consumer-secret";
const APP_ID: &str = "13090192";

fn fixture(name: &str) -> String {
    let path = format!("{}/../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// The one-DM delivery exactly as Twitter sends it (compact JSON), from the API Gateway fixture.
fn one_dm_body() -> Vec<u8> {
    let event: Value = serde_json::from_str(&fixture("apigw_webhook_post.json")).unwrap();
    event["body"].as_str().unwrap().as_bytes().to_vec()
}

/// Twenty DMs from ten customers, built from the batch fixture's shapes.
fn twenty_dm_body() -> Vec<u8> {
    let mut envelope: Value = serde_json::from_str(&fixture("webhook_dm_batch.json")).unwrap();
    let template = envelope["direct_message_events"][0].clone();
    let user_template = envelope["users"]["3001969357"].clone();
    let mut events = Vec::new();
    for i in 0..20u64 {
        let customer = (3_001_969_357 + i % 10).to_string();
        let mut event = template.clone();
        event["id"] = Value::String((954_491_830_116_155_500 + i).to_string());
        event["message_create"]["sender_id"] = Value::String(customer.clone());
        event["message_create"]["message_data"]["text"] =
            Value::String(format!("message number {i}, where is my order?"));
        events.push(event);
        let mut user = user_template.clone();
        user["id"] = Value::String(customer.clone());
        envelope["users"][customer] = user;
    }
    envelope["direct_message_events"] = Value::Array(events);
    serde_json::to_vec(&envelope).unwrap()
}

fn headers_for(secret: &WebhookSecret, body: &[u8]) -> http::HeaderMap {
    let mut headers = http::HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    headers.insert(SIGNATURE_HEADER, secret.sign(body).parse().unwrap());
    headers
}

fn crc(c: &mut Criterion) {
    let secret = WebhookSecret::new(SECRET);
    let query = "crc_token=cOXDuZN0ngs0hP4OEB9sC0jYjNHxBbyjJ5fpAh3pzWs%3D&nonce=MTUxOTIzNjM5NTk1NQ";
    let token =
        CrcToken::parse("cOXDuZN0ngs0hP4OEB9sC0jYjNHxBbyjJ5fpAh3pzWs=").expect("a real token");
    let mut group = c.benchmark_group("crc");
    group.bench_function("response_token", |b| {
        b.iter(|| secret.crc_response_token(black_box(&token)))
    });
    group.bench_function("handle_crc", |b| {
        b.iter(|| handle_crc(&secret, black_box(query)))
    });
    group.finish();
}

fn delivery(c: &mut Criterion) {
    let secret = WebhookSecret::new(SECRET);
    let mut group = c.benchmark_group("verify_parse_classify");
    for (name, body) in [("1_dm", one_dm_body()), ("20_dms", twenty_dm_body())] {
        let headers = headers_for(&secret, &body);
        let plan = verify_and_plan(&secret, Some(APP_ID), &headers, &body).unwrap();
        assert_eq!(plan.actions.len(), if name == "1_dm" { 1 } else { 20 });
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| verify_and_plan(&secret, Some(APP_ID), &headers, black_box(&body)))
        });
        group.bench_function(format!("{name}_verify_only"), |b| {
            b.iter(|| secret.verify_body(headers.header(SIGNATURE_HEADER), black_box(&body)))
        });
    }
    group.finish();
}

/// The whole POST handler against the in-memory store. After the first iteration every message
/// is a duplicate, so this measures the redelivery path (one conditional insert per DM).
fn full_post(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let secret = WebhookSecret::new(SECRET);
    let deps = WebhookDeps {
        store: MemoryStore::new(),
        secret: secret.clone(),
        app_id: Some(APP_ID.to_string()),
    };
    let mut group = c.benchmark_group("handle_webhook_post_memory_store");
    for (name, body) in [("1_dm", one_dm_body()), ("20_dms", twenty_dm_body())] {
        let headers = headers_for(&secret, &body);
        let mut request = http::Request::post("/webhooks/twitter")
            .body(bytes::Bytes::from(body))
            .unwrap();
        *request.headers_mut() = headers;
        group.bench_function(name, |b| {
            b.iter(|| runtime.block_on(handle_webhook_post(&deps, black_box(&request), 1)))
        });
    }
    group.finish();
}

criterion_group!(benches, crc, delivery, full_post);
criterion_main!(benches);
