//! Helpers shared by the role tests: the role names, signed deliveries, stored fixtures.

pub(crate) use std::time::{Duration, Instant};

pub(crate) use bytes::Bytes;
pub(crate) use dmbot_shared::dispatch::{DispatchConfig, Dispatcher, FlowSource, Handled};
pub(crate) use dmbot_shared::domain::{
    ConversationKey, EventId, InboundMessage, InboundRecord, InboundStatus, UserId, now_ms,
};
pub(crate) use dmbot_shared::flow::Flow;
pub(crate) use dmbot_shared::forget;
pub(crate) use dmbot_shared::ingest::{HeaderText, Request, WebhookDeps, handle_webhook_post};
pub(crate) use dmbot_shared::invite::InviteToken;
pub(crate) use dmbot_shared::secrets::fetch_secret_document;
pub(crate) use dmbot_shared::signin::{SigninDeps, handle_request};
pub(crate) use dmbot_shared::store::dynamodb::DynamoStore;
pub(crate) use dmbot_shared::store::health::{Health, WatchdogOutcome, WatchdogRun};
pub(crate) use dmbot_shared::store::invites::{InviteRecord, Invites};
pub(crate) use dmbot_shared::store::usage::{BillableKind, Usage, UsageDay};
pub(crate) use dmbot_shared::store::{
    AccountRecord, AccountTokens, Accounts, Conversations, FlowRecord, Flows, Inbox, MediaCache,
    MediaRef, Revocations,
};
pub(crate) use dmbot_shared::twitter::oauth1::TokenCredentials;
pub(crate) use dmbot_shared::twitter::signature::{SIGNATURE_HEADER, WebhookSecret};
pub(crate) use dmbot_tests::iam::{CONSUMER_SECRET, IamMoto};
pub(crate) use dmbot_tests::signin::signin_deps;
pub(crate) use dmbot_tests::simulator::{TwitterApi, client};

pub(crate) const CRC: &str = "CrcFunction";
pub(crate) const WEBHOOK: &str = "WebhookFunction";
pub(crate) const DISPATCH: &str = "DispatchFunction";
pub(crate) const SIGNIN: &str = "SigninFunction";
pub(crate) const WATCHDOG: &str = "WatchdogFunction";

/// The secret crc and webhook read (the consumer secret alone), and the full one.
pub(crate) const WEBHOOK_SECRET: &str = "TwitterWebhookSecretArn";
pub(crate) const FULL_SECRET: &str = "TwitterSecretArn";

/// Asserts that `result` failed because IAM refused it.
pub(crate) fn assert_denied<T: std::fmt::Debug, E: std::fmt::Display>(
    result: Result<T, E>,
    what: &str,
) {
    match result {
        Ok(v) => panic!("{what} should be denied by IAM, but it was allowed: {v:?}"),
        Err(e) => assert!(
            e.to_string().contains("AccessDenied"),
            "{what} failed, but not for IAM: {e}"
        ),
    }
}

/// The panic message for a path IAM should allow: the response and moto's refusals.
pub(crate) fn denials(moto: &IamMoto) -> String {
    format!("moto refused: {:#?}", moto.denials())
}

pub(crate) fn user(id: &str) -> UserId {
    UserId::parse(id).expect("test ids are digits")
}

pub(crate) fn signed(body: String) -> Request {
    let secret = WebhookSecret::new(CONSUMER_SECRET);
    http::Request::post("/webhooks/twitter")
        .header(SIGNATURE_HEADER, secret.sign(body.as_bytes()))
        .header("content-type", "application/json")
        .body(Bytes::from(body))
        .expect("a request")
}

pub(crate) fn webhook_deps(store: DynamoStore) -> WebhookDeps<DynamoStore> {
    WebhookDeps {
        store,
        secret: WebhookSecret::new(CONSUMER_SECRET),
        app_id: Some("258901".to_string()),
    }
}

/// A customer's message to `account`, as Twitter delivers it.
pub(crate) fn customer_dm(account: &str, customer: &str, event: &str) -> String {
    serde_json::json!({
        "for_user_id": account,
        "direct_message_events": [{
            "type": "message_create",
            "id": event,
            "created_timestamp": "1516403560557",
            "message_create": {
                "target": {"recipient_id": account},
                "sender_id": customer,
                "message_data": {"text": "Hello, where is my order?"}
            }
        }]
    })
    .to_string()
}

/// The same message as an X Activity API `dm.received` event (one event per POST).
pub(crate) fn xaa_dm_received(account: &str, customer: &str, event: &str) -> String {
    let envelope: serde_json::Value =
        serde_json::from_str(&customer_dm(account, customer, event)).expect("JSON");
    serde_json::json!({
        "data": {
            "event_uuid": "-6850472171600526495",
            "filter": {"user_id": account},
            "event_type": "dm.received",
            "tag": "dmbot",
            "payload": {
                "direct_message_events": envelope["direct_message_events"],
                "users": {}
            }
        }
    })
    .to_string()
}

pub(crate) fn revoke(account: &str) -> String {
    serde_json::json!({
        "user_event": {"revoke": {
            "date_time": "2018-05-24T09:48:12+00:00",
            "target": {"app_id": "13090192"},
            "source": {"user_id": account}
        }}
    })
    .to_string()
}

pub(crate) fn inbound(conversation: &ConversationKey, event: &str) -> InboundRecord {
    InboundRecord {
        message: InboundMessage {
            event_id: EventId::parse(event).expect("digits"),
            conversation: conversation.clone(),
            created_ms: 1_700_000_000_000,
            text: "hi".to_string(),
            quick_reply_metadata: None,
            welcome_message_id: None,
            media: None,
            customer_screen_name: None,
            customer_name: None,
        },
        status: dmbot_shared::domain::InboundStatus::Pending,
        received_ms: 1_700_000_000_000,
        attempt: Default::default(),
    }
}

/// Gives `account` a connected record, a conversation with a message, a state and media, as
/// sign-in and the dispatcher would have left them (written as admin).
pub(crate) async fn populate(admin: &DynamoStore, account: &str) -> ConversationKey {
    let c = ConversationKey::new(user(account), user("3001969357"));
    admin
        .put_account(&AccountRecord {
            id: user(account),
            screen_name: Some("shop".to_string()),
            tokens: None,
            flow_id: None,
            created_ms: 1,
        })
        .await
        .unwrap();
    admin.put_inbound(&inbound(&c, "900")).await.unwrap();
    admin
        .save_conversation(&c, &Default::default(), 0)
        .await
        .unwrap();
    admin
        .put_media(
            &user(account),
            "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef",
            &MediaRef {
                media_id: "710511363345354753".to_string(),
                expires_ms: 4_000_000_000_000,
            },
        )
        .await
        .unwrap();
    c
}

pub(crate) const FLOW: &str = r#"
id = "iam-flow"
start = "menu"
fallback = "menu"
typing = true
mark_read = true

[[keywords]]
words = ["size"]
goto = "sizing"

[nodes.menu]
text = "Menu"

[nodes.sizing]
text = "Our size chart"
media = "chart.png"
"#;
