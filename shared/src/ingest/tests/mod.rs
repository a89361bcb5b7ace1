//! Handler tests: every fixture through the whole POST path, against the in-memory store. This
//! file holds the fixtures and helpers; the tests are grouped by concern in the files below.

use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;

use bytes::Bytes;

use super::*;
use crate::domain::{AccountId, ConversationKey};
use crate::domain::{EventId, InboundStatus, UserId};
use crate::store::memory::MemoryStore;
use crate::store::{
    AccountRecord, Accounts, ClaimOutcome, Conversation, ForgetStep, PendingForget,
};
use crate::store::{Conversations, Inbox, Outbox, Revocations, StoreError};
use crate::twitter::envelope::Envelope;
use crate::twitter::signature::SIGNATURE_HEADER;

const SECRET: &str = "fixture-consumer-secret";
const ACCOUNT: &str = "4337869213";
const CUSTOMER: &str = "3001969357";
const OUR_APP: &str = "13090192";
const NOW: u64 = 1_700_000_000_000;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

fn deps<S>(store: S, app_id: Option<&str>) -> WebhookDeps<S> {
    WebhookDeps {
        store,
        secret: WebhookSecret::new(SECRET),
        app_id: app_id.map(str::to_string),
    }
}

fn post_with_header(body: Vec<u8>, signature: Option<String>) -> Request {
    let mut request = http::Request::post("/webhooks/twitter")
        .header("Content-Type", "application/json; charset=utf-8");
    if let Some(signature) = signature {
        request = request.header("X-Twitter-Webhooks-Signature", signature);
    }
    request.body(Bytes::from(body)).unwrap()
}

fn signed_post(body: Vec<u8>) -> Request {
    let signature = WebhookSecret::new(SECRET).sign(&body);
    post_with_header(body, Some(signature))
}

fn summary_of(response: &Response) -> IngestSummary {
    assert_eq!(response.status(), 200, "{}", response.body());
    assert_eq!(response.header("content-type"), Some("application/json"));
    serde_json::from_str(response.body()).unwrap()
}

fn error_of(response: &Response) -> ErrorBody {
    assert_eq!(response.header("content-type"), Some("application/json"));
    serde_json::from_str(response.body()).unwrap()
}

fn conv(account: &str, customer: &str) -> ConversationKey {
    ConversationKey::new(
        UserId::parse(account).unwrap(),
        UserId::parse(customer).unwrap(),
    )
}

fn event(id: &str) -> EventId {
    EventId::parse(id).unwrap()
}

async fn post_fixture(deps: &WebhookDeps<MemoryStore>, name: &str) -> Response {
    handle_webhook_post(deps, &signed_post(fixture(name)), NOW).await
}

async fn agent_activity(store: &MemoryStore, customer: &str) -> Option<u64> {
    let Conversation {
        agent_last_active_ms,
        ..
    } = store
        .load_conversation(&conv(ACCOUNT, customer))
        .await
        .unwrap();
    agent_last_active_ms
}

mod activity;
mod billing;
mod crc;
mod events;
mod messages;
mod own_messages;
mod refusals;
mod routing;
mod store_failures;
