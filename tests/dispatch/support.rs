//! The test environment (moto's DynamoDB, the simulator, the test flow) and the helpers that
//! build stored messages and the stream events Lambda would receive.

pub(crate) use std::collections::HashMap;
pub(crate) use std::sync::Arc;
pub(crate) use std::time::{Duration, Instant};

pub(crate) use aws_sdk_dynamodb::types::AttributeValue;
pub(crate) use dmbot_dispatch::{BatchResponse, StreamEvent, handle_stream_event, redrive_due};
pub(crate) use dmbot_shared::dispatch::{
    DispatchConfig, DispatchError, Dispatcher, FlowSource, Handled,
};
pub(crate) use dmbot_shared::domain::{
    AccountEcho, ConversationKey, EventId, InboundMessage, InboundRecord, InboundStatus, UserId,
    now_ms,
};
pub(crate) use dmbot_shared::flow::Flow;
pub(crate) use dmbot_shared::store::dynamodb::{DynamoStore, conversation_pk, inbound_sk};
pub(crate) use dmbot_shared::store::{
    AccountRecord, AccountTokens, Accounts, AttemptMark, Conversations, FlowRecord, Flows, Inbox,
    Outbox,
};
pub(crate) use dmbot_shared::tokens::TokenSealer;
pub(crate) use dmbot_shared::twitter::client::TwitterClient;
pub(crate) use dmbot_shared::twitter::limits::{DirectMessage, MessageData};
pub(crate) use dmbot_shared::twitter::oauth1::TokenCredentials;
pub(crate) use dmbot_shared::twitter::retry::RetryPolicy;
pub(crate) use dmbot_tests::moto::Moto;
pub(crate) use dmbot_tests::simulator::{Fault, SimAccount, TwitterApi, client, client_config};
pub(crate) use serde_json::{Value, json};

pub(crate) const SEND: &str = "direct_messages/events/new.json";
pub(crate) const CUSTOMER: &str = "3301000001";
pub(crate) const OTHER_CUSTOMER: &str = "3301000002";

pub(crate) const FLOW: &str = r#"
id = "test-flow"
start = "menu"
fallback = "menu"
typing = true
mark_read = true

[[keywords]]
words = ["agent"]
goto = "agent"

[[keywords]]
words = ["size"]
goto = "sizing"

[handoff]
resume_keywords = ["bot"]

[nodes.menu]
text = "Menu for {customer_name}"

[nodes.sizing]
text = "Our size chart"
media = "chart.png"

[nodes.agent]
text = "A person will answer you"
handoff = true
"#;

pub(crate) const SECOND_FLOW: &str = r#"
id = "second-flow"
start = "hello"
typing = false
mark_read = false

[nodes.hello]
text = "Welcome to the second shop"
"#;

pub(crate) struct Env {
    pub(crate) fake: TwitterApi,
    pub(crate) store: DynamoStore,
    pub(crate) flow: Arc<Flow>,
    pub(crate) _dir: tempfile::TempDir,
}

pub(crate) fn load_flow(toml: &str, dir: &std::path::Path) -> Flow {
    std::fs::write(dir.join("chart.png"), b"\x89PNG\r\n\x1a\nsize chart bytes").unwrap();
    match Flow::from_toml_str(toml, dir) {
        Ok(f) => f,
        Err(e) => panic!("test flow must validate: {e}"),
    }
}

pub(crate) async fn env() -> Env {
    let fake = TwitterApi::start().await;
    let store = Moto::shared().await.fresh_table().await;
    let dir = tempfile::tempdir().unwrap();
    let flow = Arc::new(load_flow(FLOW, dir.path()));
    Env {
        fake,
        store,
        flow,
        _dir: dir,
    }
}

pub(crate) fn quick_retry() -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        max_attempts: 4,
        reset_margin: Duration::ZERO,
    }
}

pub(crate) fn sequence_number(event: &EventId) -> String {
    format!("9{}", event.as_str())
}

pub(crate) fn image_value(v: &AttributeValue) -> Value {
    match v {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        other => panic!("unexpected attribute type {other:?}"),
    }
}

pub(crate) fn image(item: &HashMap<String, AttributeValue>) -> Value {
    Value::Object(
        item.iter()
            .map(|(k, v)| (k.clone(), image_value(v)))
            .collect(),
    )
}

pub(crate) fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(20)
}

pub(crate) fn failed_ids(response: &BatchResponse) -> Vec<String> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone().unwrap_or_default())
        .collect()
}

/// `handled` is a reply, `recovered` (found on Twitter) or sent now.
pub(crate) fn assert_replied(handled: &Handled, recovered: bool) {
    match handled {
        Handled::Replied { recovered: r, .. } => assert_eq!(*r, recovered, "{handled:?}"),
        other => panic!("expected a reply, got {other:?}"),
    }
}

pub(crate) async fn put_flow(store: &DynamoStore, flow: &Flow) {
    store
        .put_flow(&FlowRecord {
            flow_id: flow.id().to_string(),
            version: 1,
            document: serde_json::to_string(flow).unwrap(),
            stored_ms: now_ms(),
        })
        .await
        .unwrap();
}

pub(crate) async fn connect(store: &DynamoStore, account: &SimAccount, flow_id: Option<&str>) {
    store
        .put_account(&AccountRecord {
            id: UserId::parse(&account.user_id).unwrap(),
            screen_name: Some(account.screen_name.clone()),
            tokens: Some(AccountTokens {
                token: account.token.clone(),
                token_secret: account.token_secret.clone(),
            }),
            flow_id: flow_id.map(str::to_string),
            created_ms: now_ms(),
        })
        .await
        .unwrap();
}
