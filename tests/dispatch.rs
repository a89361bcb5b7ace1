//! The dispatcher end to end: DynamoDB stream events (the JSON Lambda receives) against a real
//! `DynamoStore` on moto and the fake Twitter.
//!
//! Stream events are built from the stored items themselves (read back raw with `GetItem`), so
//! the decode path sees exactly what the table holds; `tests/fixtures/dispatch_stream_event.json`
//! is a sample of the shape.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use dmbot_dispatch::{BatchResponse, StreamEvent, handle_stream_event, redrive_due};
use dmbot_shared::dispatch::{DispatchConfig, DispatchError, Dispatcher, FlowSource, Handled};
use dmbot_shared::domain::{
    AccountEcho, ConversationKey, EventId, InboundMessage, InboundRecord, InboundStatus, UserId,
    now_ms,
};
use dmbot_shared::flow::Flow;
use dmbot_shared::store::dynamodb::{DynamoStore, conversation_pk, inbound_sk};
use dmbot_shared::store::{
    AccountRecord, AccountTokens, Accounts, AttemptMark, Conversations, FlowRecord, Flows, Inbox,
    Outbox,
};
use dmbot_shared::tokens::TokenSealer;
use dmbot_shared::twitter::client::TwitterClient;
use dmbot_shared::twitter::limits::{DirectMessage, MessageData};
use dmbot_shared::twitter::oauth1::TokenCredentials;
use dmbot_shared::twitter::retry::RetryPolicy;
use dmbot_tests::fake_twitter::{FakeAccount, FakeTwitter, Fault, client, client_config};
use dmbot_tests::moto::Moto;
use serde_json::{Value, json};

const SEND: &str = "direct_messages/events/new.json";
const CUSTOMER: &str = "3301000001";
const OTHER_CUSTOMER: &str = "3301000002";

const FLOW: &str = r#"
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

const SECOND_FLOW: &str = r#"
id = "second-flow"
start = "hello"
typing = false
mark_read = false

[nodes.hello]
text = "Welcome to the second shop"
"#;

struct Env {
    fake: FakeTwitter,
    store: DynamoStore,
    flow: Arc<Flow>,
    _dir: tempfile::TempDir,
}

fn load_flow(toml: &str, dir: &std::path::Path) -> Flow {
    std::fs::write(dir.join("chart.png"), b"\x89PNG\r\n\x1a\nsize chart bytes").unwrap();
    match Flow::from_toml_str(toml, dir) {
        Ok(f) => f,
        Err(e) => panic!("test flow must validate: {e}"),
    }
}

async fn env() -> Env {
    let fake = FakeTwitter::start().await;
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

fn quick_retry() -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        max_attempts: 4,
        reset_margin: Duration::ZERO,
    }
}

impl Env {
    fn client(&self) -> TwitterClient {
        client(&self.fake)
    }

    fn config(&self, flows: FlowSource) -> DispatchConfig {
        let owner = self.fake.owner();
        let mut config = DispatchConfig::new(
            TokenCredentials::new(&owner.token, &owner.token_secret),
            flows,
        );
        config.retry = quick_retry();
        config.busy_poll = Duration::from_millis(50);
        config.deadline_margin = Duration::from_millis(200);
        config.echo_grace = Duration::from_millis(300);
        config.app_id = Some(self.fake.app().app_id.clone());
        config
    }

    fn dispatcher(&self) -> Dispatcher<DynamoStore> {
        self.dispatcher_with(self.config(FlowSource::Fixed(self.flow.clone())))
    }

    fn dispatcher_with(&self, config: DispatchConfig) -> Dispatcher<DynamoStore> {
        Dispatcher::new(self.store.clone(), self.client(), config)
    }

    fn owner_key(&self, customer: &str) -> ConversationKey {
        ConversationKey::new(
            UserId::parse(&self.fake.owner().user_id).unwrap(),
            UserId::parse(customer).unwrap(),
        )
    }

    /// A Direct Message from the account to `to`, sent on Twitter outside the dispatcher (an
    /// earlier attempt, or the account's other conversations).
    async fn owner_sends(&self, to: &str, text: &str) -> EventId {
        let owner = self.fake.owner();
        let dm = DirectMessage::new(UserId::parse(to).unwrap(), MessageData::text(text).unwrap());
        self.client()
            .send_direct_message(
                &TokenCredentials::new(&owner.token, &owner.token_secret),
                &dm,
            )
            .await
            .unwrap()
            .id
    }

    /// What the webhook records when Twitter echoes `id` (sent to `customer` just now).
    async fn echo_arrives(&self, customer: &str, id: &EventId, from_our_app: bool) {
        let echo = AccountEcho {
            event_id: id.clone(),
            conversation: self.owner_key(customer),
            created_ms: now_ms(),
            from_our_app,
        };
        self.store.record_echo(&echo, now_ms()).await.unwrap();
    }

    /// How many pages of the account's events the dispatcher read.
    fn event_list_calls(&self) -> usize {
        self.fake
            .requests_to("direct_messages/events/list.json")
            .len()
    }

    /// Stores a pending inbound message as the webhook would.
    async fn inbound(&self, key: &ConversationKey, event: u64, text: &str) -> InboundRecord {
        self.inbound_received_at(key, event, text, now_ms()).await
    }

    async fn inbound_received_at(
        &self,
        key: &ConversationKey,
        event: u64,
        text: &str,
        received_ms: u64,
    ) -> InboundRecord {
        let record = InboundRecord {
            message: InboundMessage {
                event_id: EventId::parse(event.to_string()).unwrap(),
                conversation: key.clone(),
                created_ms: received_ms - 1000,
                text: text.to_string(),
                quick_reply_metadata: None,
                welcome_message_id: None,
                media: None,
                customer_screen_name: Some("jane".into()),
                customer_name: Some("Jane".into()),
            },
            status: InboundStatus::Pending,
            received_ms,
            attempt: Default::default(),
        };
        self.store.put_inbound(&record).await.unwrap();
        record
    }

    /// Stores a pending message that an earlier attempt began sending a reply to at
    /// `sending_ms` (and died, or lost the outcome), as that attempt's mark leaves it.
    async fn inbound_tried_at(
        &self,
        key: &ConversationKey,
        event: u64,
        text: &str,
        sending_ms: u64,
    ) -> InboundRecord {
        let mut record = self
            .inbound_received_at(key, event, text, sending_ms - 1_000)
            .await;
        self.store
            .mark_inbound(
                key,
                &record.message.event_id,
                &AttemptMark::Sending { at_ms: sending_ms },
            )
            .await
            .unwrap();
        record.attempt.sending_ms = Some(sending_ms);
        record
    }

    /// The stream event Lambda would deliver for these stored messages (INSERT, NEW_IMAGE).
    async fn stream_event(&self, records: &[&InboundRecord]) -> StreamEvent {
        let mut out = Vec::new();
        for (i, r) in records.iter().enumerate() {
            let m = &r.message;
            let item = self
                .store
                .client()
                .get_item()
                .table_name(self.store.table_name())
                .key("pk", AttributeValue::S(conversation_pk(&m.conversation)))
                .key("sk", AttributeValue::S(inbound_sk(&m.event_id)))
                .send()
                .await
                .unwrap()
                .item
                .unwrap();
            out.push(json!({
                "eventID": format!("evt{i}"),
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "dynamodb": {
                    "Keys": {"pk": image_value(&item["pk"]), "sk": image_value(&item["sk"])},
                    "NewImage": image(&item),
                    "SequenceNumber": sequence_number(&m.event_id),
                    "SizeBytes": 400,
                    "StreamViewType": "NEW_IMAGE"
                },
                "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x"
            }));
        }
        serde_json::from_value(json!({ "Records": out })).unwrap()
    }

    async fn status(&self, record: &InboundRecord) -> InboundStatus {
        let m = &record.message;
        self.store
            .get_inbound(&m.conversation, &m.event_id)
            .await
            .unwrap()
            .unwrap()
            .status
    }

    /// Texts of the messages sent to `customer`, oldest first.
    fn texts_to(&self, customer: &str) -> Vec<String> {
        self.fake
            .sent_messages()
            .iter()
            .filter(|e| e.pointer("/message_create/target/recipient_id") == Some(&json!(customer)))
            .map(|e| {
                e.pointer("/message_create/message_data/text")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    }
}

fn sequence_number(event: &EventId) -> String {
    format!("9{}", event.as_str())
}

fn image_value(v: &AttributeValue) -> Value {
    match v {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        other => panic!("unexpected attribute type {other:?}"),
    }
}

fn image(item: &HashMap<String, AttributeValue>) -> Value {
    Value::Object(
        item.iter()
            .map(|(k, v)| (k.clone(), image_value(v)))
            .collect(),
    )
}

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(20)
}

fn failed_ids(response: &BatchResponse) -> Vec<String> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone().unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn a_new_message_from_the_stream_gets_one_reply_and_everything_is_recorded() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let record = env.inbound(&key, 1_600_000_000_000_000_001, "hello").await;
    let event = env.stream_event(&[&record]).await;

    let response = handle_stream_event(&env.dispatcher(), &event, deadline()).await;

    assert!(failed_ids(&response).is_empty());
    assert_eq!(env.texts_to(CUSTOMER), vec!["Menu for Jane"]);
    let owner = env.fake.owner().user_id.clone();
    assert_eq!(
        env.fake.typing_indicators(),
        vec![(owner.clone(), CUSTOMER.to_string())]
    );
    assert_eq!(
        env.fake.read_receipts(),
        vec![(
            owner,
            CUSTOMER.to_string(),
            record.message.event_id.to_string()
        )]
    );
    let reply = match env.status(&record).await {
        InboundStatus::Answered {
            reply_event_id: Some(id),
            ..
        } => id,
        other => panic!("expected answered with a reply id, got {other:?}"),
    };
    let sent_id = env.fake.sent_messages()[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(reply.as_str(), sent_id);
    assert!(env.store.is_sent_by_bot(&key, &reply).await.unwrap());
    let conversation = env.store.load_conversation(&key).await.unwrap();
    assert_eq!(conversation.state.node.as_deref(), Some("menu"));
    assert_eq!(
        conversation.state.last_answered.as_ref(),
        Some(&record.message.event_id)
    );
}

#[tokio::test]
async fn a_redelivered_stream_record_is_not_answered_twice() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let record = env.inbound(&key, 1_600_000_000_000_000_001, "hello").await;
    let event = env.stream_event(&[&record]).await;
    let dispatcher = env.dispatcher();

    handle_stream_event(&dispatcher, &event, deadline()).await;
    let again = handle_stream_event(&dispatcher, &event, deadline()).await;
    let direct = dispatcher.handle(&record, deadline()).await.unwrap();

    assert!(failed_ids(&again).is_empty());
    assert!(matches!(
        direct,
        Handled::AlreadyDone(InboundStatus::Answered { .. })
    ));
    assert_eq!(env.fake.sent_messages().len(), 1);
}

#[tokio::test]
async fn concurrent_invocations_for_one_message_send_one_reply() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let record = env.inbound(&key, 1_600_000_000_000_000_001, "hello").await;
    let a = env.dispatcher();
    let b = env.dispatcher();

    let (ra, rb) = tokio::join!(a.handle(&record, deadline()), b.handle(&record, deadline()));

    let outcomes = [ra.unwrap(), rb.unwrap()];
    let replied = outcomes
        .iter()
        .filter(|h| matches!(h, Handled::Replied { .. }))
        .count();
    assert_eq!(replied, 1, "outcomes: {outcomes:?}");
    assert_eq!(env.fake.sent_messages().len(), 1);
}

#[tokio::test]
async fn messages_of_one_conversation_are_answered_in_order_whatever_the_batch_order() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let other = env.owner_key(OTHER_CUSTOMER);
    let m1 = env.inbound(&key, 1_600_000_000_000_000_001, "hello").await;
    let m2 = env.inbound(&key, 1_600_000_000_000_000_002, "size").await;
    let m3 = env.inbound(&key, 1_600_000_000_000_000_003, "agent").await;
    let o1 = env
        .inbound(&other, 1_600_000_000_000_000_004, "hello")
        .await;
    let event = env.stream_event(&[&m3, &o1, &m1, &m2]).await;

    let response = handle_stream_event(&env.dispatcher(), &event, deadline()).await;

    assert!(failed_ids(&response).is_empty());
    assert_eq!(
        env.texts_to(CUSTOMER),
        vec![
            "Menu for Jane",
            "Our size chart",
            "A person will answer you"
        ]
    );
    assert_eq!(env.texts_to(OTHER_CUSTOMER), vec!["Menu for Jane"]);
}

#[tokio::test]
async fn server_errors_then_success_give_one_reply() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let record = env.inbound(&key, 1_600_000_000_000_000_001, "hello").await;
    env.fake.fail_next(SEND, 2, Fault::Status(503));

    let handled = env.dispatcher().handle(&record, deadline()).await.unwrap();

    assert!(matches!(handled, Handled::Replied { .. }));
    assert_eq!(env.texts_to(CUSTOMER), vec!["Menu for Jane"]);
    assert_eq!(env.fake.requests_to(SEND).len(), 3);
}

#[tokio::test]
async fn a_rate_limit_that_resets_within_the_deadline_is_waited_out() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let record = env.inbound(&key, 1_600_000_000_000_000_001, "hello").await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    env.fake
        .fail_next(SEND, 1, Fault::RateLimited { reset_at: now });

    let handled = env.dispatcher().handle(&record, deadline()).await.unwrap();

    assert!(matches!(handled, Handled::Replied { .. }));
    assert_eq!(env.texts_to(CUSTOMER), vec!["Menu for Jane"]);
}

#[tokio::test]
async fn a_rate_limit_resetting_in_twenty_minutes_puts_the_messages_off_and_the_schedule_answers_them_after_it()
 {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let m1 = env.inbound(&key, 1_600_000_000_000_000_001, "hello").await;
    let m2 = env.inbound(&key, 1_600_000_000_000_000_002, "size").await;
    let event = env.stream_event(&[&m1, &m2]).await;
    let reset = now_ms() / 1000 + 20 * 60;
    env.fake
        .fail_next(SEND, 1, Fault::RateLimited { reset_at: reset });

    let response = handle_stream_event(
        &env.dispatcher(),
        &event,
        Instant::now() + Duration::from_secs(3),
    )
    .await;

    // Not a batch item failure (the stream's immediate retries would only hit the limit
    // again, then drop the messages): both are put off until the reset, in order.
    assert!(failed_ids(&response).is_empty(), "{response:?}");
    assert!(env.fake.sent_messages().is_empty());
    for m in [&m1, &m2] {
        let stored = env
            .store
            .get_inbound(&key, &m.message.event_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.status, InboundStatus::Pending);
        let until = stored.attempt.not_before_ms.expect("put off until a time");
        assert!(until >= reset * 1000, "{until} is before the reset {reset}");
        assert!(stored.attempt.defer_reason.is_some());
    }

    // The schedule's tick before the reset re-drives nothing; the first one after it both.
    assert_eq!(redrive_due(&env.store, now_ms()).await.unwrap(), 0);
    let after_reset = now_ms() + 21 * 60 * 1000;
    assert_eq!(redrive_due(&env.store, after_reset).await.unwrap(), 2);
    assert_eq!(
        redrive_due(&env.store, after_reset).await.unwrap(),
        0,
        "once"
    );

    // The re-drive is what the stream passes on (a MODIFY with `redrive`); answered in order.
    let redriven = env.stream_event(&[&m1, &m2]).await;
    for record in &redriven.records {
        assert_eq!(record["dynamodb"]["NewImage"]["redrive"]["S"], "requested");
    }
    let response = handle_stream_event(&env.dispatcher(), &redriven, deadline()).await;
    assert!(failed_ids(&response).is_empty(), "{response:?}");
    assert_eq!(
        env.texts_to(CUSTOMER),
        vec!["Menu for Jane", "Our size chart"]
    );
    assert_eq!(
        env.fake.requests_to(SEND).len(),
        3,
        "one refused attempt before the reset, then one send each"
    );
}

#[tokio::test]
async fn a_message_put_off_that_comes_back_early_is_put_off_again_without_an_attempt() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let m1 = env.inbound(&key, 1_600_000_000_000_000_001, "hello").await;
    let event = env.stream_event(&[&m1]).await;
    let reset = now_ms() / 1000 + 20 * 60;
    env.fake
        .fail_next(SEND, 1, Fault::RateLimited { reset_at: reset });
    handle_stream_event(&env.dispatcher(), &event, deadline()).await;

    // A redelivery (or a restart's pending scan) before the reset.
    let again = handle_stream_event(&env.dispatcher(), &event, deadline()).await;

    assert!(failed_ids(&again).is_empty());
    assert_eq!(env.fake.requests_to(SEND).len(), 1, "no second attempt");
    assert_eq!(env.status(&m1).await, InboundStatus::Pending);
}

#[tokio::test]
async fn a_permanent_refusal_is_recorded_on_the_message_and_the_batch_moves_on() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let m1 = env.inbound(&key, 1_600_000_000_000_000_001, "hello").await;
    let m2 = env.inbound(&key, 1_600_000_000_000_000_002, "size").await;
    env.fake.fail_next(
        SEND,
        1,
        Fault::Error {
            status: 403,
            code: 349,
            message: "You cannot send messages to this user.".into(),
        },
    );
    let event = env.stream_event(&[&m1, &m2]).await;

    let response = handle_stream_event(&env.dispatcher(), &event, deadline()).await;

    assert!(failed_ids(&response).is_empty());
    match env.status(&m1).await {
        InboundStatus::Failed { reason, .. } => assert!(reason.contains("349"), "{reason}"),
        s => panic!("expected failed, got {s:?}"),
    }
    assert!(matches!(
        env.status(&m2).await,
        InboundStatus::Answered { .. }
    ));
    assert_eq!(env.texts_to(CUSTOMER), vec!["Our size chart"]);
}

#[tokio::test]
async fn an_undecodable_stream_record_is_skipped_and_the_others_are_answered() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let record = env.inbound(&key, 1_600_000_000_000_000_001, "hello").await;
    let mut event = env.stream_event(&[&record]).await;
    event.records.insert(
        0,
        json!({"eventName": "INSERT", "dynamodb": {"NewImage": {"kind": {"S": "inbound"}}, "SequenceNumber": "1"}}),
    );

    let response = handle_stream_event(&env.dispatcher(), &event, deadline()).await;

    assert!(failed_ids(&response).is_empty());
    assert_eq!(env.texts_to(CUSTOMER), vec!["Menu for Jane"]);
}

#[tokio::test]
async fn a_handoff_silences_the_bot_until_the_customer_asks_for_it_back() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let m1 = env
        .inbound(&key, 1_600_000_000_000_000_001, "agent please")
        .await;
    let m2 = env.inbound(&key, 1_600_000_000_000_000_002, "hello?").await;
    let m3 = env.inbound(&key, 1_600_000_000_000_000_003, "bot").await;
    let dispatcher = env.dispatcher();

    let r1 = dispatcher.handle(&m1, deadline()).await.unwrap();
    let r2 = dispatcher.handle(&m2, deadline()).await.unwrap();
    let r3 = dispatcher.handle(&m3, deadline()).await.unwrap();

    assert!(matches!(r1, Handled::Replied { .. }));
    assert_eq!(r2, Handled::Silent);
    assert!(matches!(r3, Handled::Replied { .. }));
    assert_eq!(
        env.texts_to(CUSTOMER),
        vec!["A person will answer you", "Menu for Jane"]
    );
    assert!(matches!(
        env.status(&m2).await,
        InboundStatus::Answered {
            reply_event_id: None,
            ..
        }
    ));
    let state = env.store.load_conversation(&key).await.unwrap().state;
    assert!(state.handoff.is_none());
}

#[tokio::test]
async fn a_conversation_changed_during_the_send_is_saved_on_top_of_the_change() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let record = env.inbound(&key, 1_600_000_000_000_000_001, "hello").await;
    env.fake
        .fail_next(SEND, 1, Fault::Delay(Duration::from_secs(2)));
    let dispatcher = env.dispatcher();

    let change = async {
        // Wait for the typing indicator (sent just before the slow send), then change the
        // conversation under the dispatcher's feet.
        while env.fake.typing_indicators().is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let mut state = env.store.load_conversation(&key).await.unwrap().state;
        state
            .vars
            .insert("note".into(), "set by an operator".into());
        env.store.save_conversation(&key, &state, 0).await.unwrap()
    };
    let (handled, changed_version) = tokio::join!(dispatcher.handle(&record, deadline()), change);

    assert!(matches!(handled.unwrap(), Handled::Replied { .. }));
    assert_eq!(changed_version, 1);
    let conversation = env.store.load_conversation(&key).await.unwrap();
    assert_eq!(conversation.version, 2);
    assert_eq!(
        conversation.state.vars.get("note").map(String::as_str),
        Some("set by an operator")
    );
    assert_eq!(conversation.state.node.as_deref(), Some("menu"));
    assert_eq!(env.fake.sent_messages().len(), 1);
}

#[tokio::test]
async fn media_is_uploaded_once_and_its_id_reused() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let m1 = env.inbound(&key, 1_600_000_000_000_000_001, "size").await;
    let m2 = env.inbound(&key, 1_600_000_000_000_000_002, "size").await;
    let dispatcher = env.dispatcher();

    dispatcher.handle(&m1, deadline()).await.unwrap();
    dispatcher.handle(&m2, deadline()).await.unwrap();

    let inits: Vec<_> = env
        .fake
        .requests_to("media/upload.json")
        .into_iter()
        .filter(|r| String::from_utf8_lossy(&r.body).contains("INIT"))
        .collect();
    assert_eq!(inits.len(), 1);
    let sent = env.fake.sent_messages();
    let media = |i: usize| {
        sent[i]
            .pointer("/message_create/message_data/attachment/media/id")
            .cloned()
            .or_else(|| {
                sent[i]
                    .pointer("/message_create/message_data/attachment/media/id_str")
                    .cloned()
            })
    };
    assert_eq!(sent.len(), 2);
    assert!(media(0).is_some(), "{}", sent[0]);
    assert_eq!(media(0), media(1));
}

#[tokio::test]
async fn a_reply_sent_by_an_attempt_that_died_before_recording_it_is_not_sent_again() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    // An earlier attempt began sending a minute ago...
    let record = env
        .inbound_tried_at(&key, 1_600_000_000_000_000_001, "hello", now_ms() - 60_000)
        .await;
    // ...Twitter accepted its reply, then the process died; its echo never reached us.
    env.owner_sends(CUSTOMER, "Menu for Jane").await;

    let handled = env.dispatcher().handle(&record, deadline()).await.unwrap();

    assert_replied(&handled, true);
    assert_eq!(env.fake.sent_messages().len(), 1);
    assert!(matches!(
        env.status(&record).await,
        InboundStatus::Answered { .. }
    ));
}

#[tokio::test]
async fn an_unrecorded_reply_is_found_behind_pages_of_later_messages_to_other_customers() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let record = env
        .inbound_tried_at(&key, 1_600_000_000_000_000_001, "hello", now_ms() - 60_000)
        .await;
    // The earlier attempt's reply, then 120 messages of a busy account to other customers:
    // the reply is on the third page of the account's events, newest first.
    env.owner_sends(CUSTOMER, "Menu for Jane").await;
    for n in 0..120 {
        env.owner_sends(&(7_000 + n).to_string(), "hi").await;
    }

    let handled = env.dispatcher().handle(&record, deadline()).await.unwrap();

    assert_replied(&handled, true);
    assert_eq!(env.fake.sent_messages().len(), 121, "nothing sent again");
    assert_eq!(
        env.event_list_calls(),
        3,
        "read page by page until the reply was found"
    );
}

#[tokio::test]
async fn the_look_up_for_an_unrecorded_reply_stops_at_the_customers_message() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    // 120 events older than the customer's message: no reply to it can be among them.
    for n in 0..120 {
        env.owner_sends(&(7_000 + n).to_string(), "hi").await;
    }
    tokio::time::sleep(Duration::from_millis(5)).await;
    // Written after all of them (the store keeps it as created a second before it arrived),
    // and an attempt began sending (so the receipts, then Twitter, are asked).
    let record = env
        .inbound_tried_at(&key, 1_600_000_000_000_000_001, "hello", now_ms() + 2_000)
        .await;

    let handled = env.dispatcher().handle(&record, deadline()).await.unwrap();

    assert_replied(&handled, false);
    assert_eq!(
        env.event_list_calls(),
        1,
        "the first page already reached back past the customer's message"
    );
}

#[tokio::test]
async fn a_send_whose_answer_timed_out_after_twitter_took_it_is_found_not_sent_again() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let record = env.inbound(&key, 1_600_000_000_000_000_001, "hello").await;
    // Twitter stores the reply, then answers only after the client has given up.
    env.fake
        .fail_next(SEND, 1, Fault::AnswerLate(Duration::from_secs(3)));
    let client =
        TwitterClient::new(client_config(&env.fake).with_timeout(Duration::from_millis(500)))
            .unwrap();
    let dispatcher = Dispatcher::new(
        env.store.clone(),
        client,
        env.config(FlowSource::Fixed(env.flow.clone())),
    );

    let handled = dispatcher.handle(&record, deadline()).await.unwrap();

    let sent = env.fake.sent_messages();
    assert_eq!(sent.len(), 1, "one reply on Twitter: {sent:?}");
    let on_twitter = EventId::parse(sent[0]["id"].as_str().unwrap()).unwrap();
    match handled {
        Handled::Replied { reply_event_id, .. } => assert_eq!(reply_event_id, on_twitter),
        other => panic!("expected a reply, got {other:?}"),
    }
    match env.status(&record).await {
        InboundStatus::Answered { reply_event_id, .. } => {
            assert_eq!(reply_event_id, Some(on_twitter.clone()))
        }
        other => panic!("expected answered, got {other:?}"),
    }
    assert!(
        env.store.is_sent_by_bot(&key, &on_twitter).await.unwrap(),
        "the reply is in the outbox, so its echo is not taken for a person"
    );
}

#[tokio::test]
async fn an_echo_receipt_tells_that_an_interrupted_attempts_reply_went_out_without_asking_twitter()
{
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let record = env
        .inbound_tried_at(&key, 1_600_000_000_000_000_001, "hello", now_ms() - 1_000)
        .await;
    // The attempt's reply went out and its echo reached the webhook; then the attempt died.
    let reply = env.owner_sends(CUSTOMER, "Menu for Jane").await;
    env.echo_arrives(CUSTOMER, &reply, true).await;

    let handled = env.dispatcher().handle(&record, deadline()).await.unwrap();

    assert_eq!(
        handled,
        Handled::Replied {
            reply_event_id: reply.clone(),
            recovered: true
        }
    );
    assert_eq!(env.fake.sent_messages().len(), 1, "nothing sent again");
    assert_eq!(env.event_list_calls(), 0, "no Twitter call decided it");
    assert!(env.store.is_sent_by_bot(&key, &reply).await.unwrap());
    match env.status(&record).await {
        InboundStatus::Answered { reply_event_id, .. } => assert_eq!(reply_event_id, Some(reply)),
        other => panic!("expected answered, got {other:?}"),
    }
}

#[tokio::test]
async fn an_echo_that_arrives_during_the_grace_decides_it_too() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let record = env
        .inbound_tried_at(&key, 1_600_000_000_000_000_001, "hello", now_ms())
        .await;
    let reply = env.owner_sends(CUSTOMER, "Menu for Jane").await;
    let mut config = env.config(FlowSource::Fixed(env.flow.clone()));
    config.echo_grace = Duration::from_secs(20);
    let dispatcher = env.dispatcher_with(config);

    let (handled, ()) = tokio::join!(dispatcher.handle(&record, deadline()), async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        env.echo_arrives(CUSTOMER, &reply, true).await;
    });

    assert_replied(&handled.unwrap(), true);
    assert_eq!(env.fake.sent_messages().len(), 1);
    assert_eq!(env.event_list_calls(), 0);
}

#[tokio::test]
async fn a_message_never_tried_is_sent_without_a_look_up_however_old_it_is() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    // Stored an hour ago (a backlog, a restart), but no attempt ever began sending.
    let record = env
        .inbound_received_at(
            &key,
            1_600_000_000_000_000_001,
            "hello",
            now_ms() - 3_600_000,
        )
        .await;

    let handled = env.dispatcher().handle(&record, deadline()).await.unwrap();

    assert_replied(&handled, false);
    assert_eq!(env.event_list_calls(), 0);
    let stored = env
        .store
        .get_inbound(&key, &record.message.event_id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        stored.attempt.sending_ms.is_some(),
        "the send was marked first"
    );
    assert!(
        stored.attempt.reply_event_id.is_some(),
        "then its reply recorded"
    );
}

#[tokio::test]
async fn a_reply_recorded_on_the_message_is_not_sent_again_when_the_writes_after_it_failed() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let record = env
        .inbound_tried_at(&key, 1_600_000_000_000_000_001, "hello", now_ms() - 1_000)
        .await;
    // The attempt sent, recorded the reply on the message, then its state save failed.
    let reply = env.owner_sends(CUSTOMER, "Menu for Jane").await;
    env.store
        .mark_inbound(
            &key,
            &record.message.event_id,
            &AttemptMark::Replied {
                reply: reply.clone(),
            },
        )
        .await
        .unwrap();
    env.store
        .record_sent(&key, &reply, &record.message.event_id, now_ms())
        .await
        .unwrap();
    let record = env
        .store
        .get_inbound(&key, &record.message.event_id)
        .await
        .unwrap()
        .unwrap();

    let handled = env.dispatcher().handle(&record, deadline()).await.unwrap();

    assert_replied(&handled, true);
    assert_eq!(env.fake.sent_messages().len(), 1, "nothing sent again");
    assert_eq!(env.event_list_calls(), 0);
    let state = env.store.load_conversation(&key).await.unwrap().state;
    assert_eq!(state.last_answered, Some(record.message.event_id.clone()));
}

#[tokio::test]
async fn a_persons_message_after_an_interrupted_attempt_keeps_the_bot_quiet_and_stays_theirs() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let record = env
        .inbound_tried_at(&key, 1_600_000_000_000_000_001, "hello", now_ms() - 1_000)
        .await;
    // The attempt died before sending; meanwhile a person answered from Twitter's own app.
    let theirs = env.owner_sends(CUSTOMER, "Hi Jane, Sam here").await;
    env.echo_arrives(CUSTOMER, &theirs, false).await;

    let handled = env.dispatcher().handle(&record, deadline()).await.unwrap();

    assert_eq!(handled, Handled::Silent);
    assert_eq!(env.fake.sent_messages().len(), 1, "the bot sent nothing");
    assert!(
        !env.store.is_sent_by_bot(&key, &theirs).await.unwrap(),
        "the person's message is not recorded as the bot's"
    );
    let conversation = env.store.load_conversation(&key).await.unwrap();
    assert!(conversation.agent_last_active_ms.is_some(), "a hand-over");
}

/// `handled` is a reply, `recovered` (found on Twitter) or sent now.
fn assert_replied(handled: &Handled, recovered: bool) {
    match handled {
        Handled::Replied { recovered: r, .. } => assert_eq!(*r, recovered, "{handled:?}"),
        other => panic!("expected a reply, got {other:?}"),
    }
}

async fn put_flow(store: &DynamoStore, flow: &Flow) {
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

async fn connect(store: &DynamoStore, account: &FakeAccount, flow_id: Option<&str>) {
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

#[tokio::test]
async fn two_accounts_answer_with_their_own_tokens_and_flows() {
    let env = env().await;
    let dir = tempfile::tempdir().unwrap();
    let second = load_flow(SECOND_FLOW, dir.path());
    // The default flow as stored by `flow sync` (id "default" is the default flow id).
    let mut default_flow: Value = serde_json::to_value(&*env.flow).unwrap();
    default_flow["definition"]["id"] = json!("default");
    default_flow["flow_id"] = json!("default");
    let default_flow: Flow = serde_json::from_value(default_flow).unwrap();
    put_flow(&env.store, &default_flow).await;
    put_flow(&env.store, &second).await;
    let shop = env.fake.add_account("second_shop");
    connect(&env.store, &shop, Some("second-flow")).await;

    let owner_key = env.owner_key(CUSTOMER);
    let shop_key = ConversationKey::new(
        UserId::parse(&shop.user_id).unwrap(),
        UserId::parse(OTHER_CUSTOMER).unwrap(),
    );
    let m1 = env
        .inbound(&owner_key, 1_600_000_000_000_000_001, "hello")
        .await;
    let m2 = env
        .inbound(&shop_key, 1_600_000_000_000_000_002, "hello")
        .await;
    let event = env.stream_event(&[&m1, &m2]).await;
    let dispatcher = env.dispatcher_with(env.config(FlowSource::Store {
        default_flow_id: "default".into(),
    }));

    let response = handle_stream_event(&dispatcher, &event, deadline()).await;

    assert!(failed_ids(&response).is_empty(), "{response:?}");
    let sent = env.fake.sent_messages();
    let by_recipient = |r: &str| {
        sent.iter()
            .find(|e| e.pointer("/message_create/target/recipient_id") == Some(&json!(r)))
            .cloned()
            .unwrap()
    };
    let to_owner_customer = by_recipient(CUSTOMER);
    let to_shop_customer = by_recipient(OTHER_CUSTOMER);
    assert_eq!(
        to_owner_customer["message_create"]["sender_id"],
        json!(env.fake.owner().user_id)
    );
    assert_eq!(
        to_owner_customer["message_create"]["message_data"]["text"],
        json!("Menu for Jane")
    );
    assert_eq!(
        to_shop_customer["message_create"]["sender_id"],
        json!(shop.user_id)
    );
    assert_eq!(
        to_shop_customer["message_create"]["message_data"]["text"],
        json!("Welcome to the second shop")
    );
}

#[tokio::test]
async fn an_account_without_tokens_that_is_not_the_owner_fails_permanently() {
    let env = env().await;
    let key = ConversationKey::new(
        UserId::parse("999999").unwrap(),
        UserId::parse(CUSTOMER).unwrap(),
    );
    let record = env.inbound(&key, 1_600_000_000_000_000_001, "hello").await;

    let result = env.dispatcher().handle(&record, deadline()).await;

    assert!(matches!(result, Err(DispatchError::Permanent { .. })));
    assert!(matches!(
        env.status(&record).await,
        InboundStatus::Failed { .. }
    ));
    assert!(env.fake.sent_messages().is_empty());
}

#[tokio::test]
async fn an_account_with_sealed_tokens_is_answered_only_with_the_key_they_were_sealed_with() {
    const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let env = env().await;
    let sealer = TokenSealer::from_base64_key(KEY).unwrap();
    let shop = env.fake.add_account("second_shop");
    let shop_id = UserId::parse(&shop.user_id).unwrap();
    let sealed = sealer
        .seal(
            &shop_id,
            &AccountTokens {
                token: shop.token.clone(),
                token_secret: shop.token_secret.clone(),
            },
        )
        .unwrap();
    env.store
        .put_account(&AccountRecord {
            id: shop_id.clone(),
            screen_name: Some(shop.screen_name.clone()),
            tokens: Some(sealed),
            flow_id: None,
            created_ms: now_ms(),
        })
        .await
        .unwrap();
    let key = ConversationKey::new(shop_id, UserId::parse(OTHER_CUSTOMER).unwrap());

    // Without the key: a permanent failure that says which key to configure; nothing sent.
    let first = env.inbound(&key, 1_600_000_000_000_000_001, "hello").await;
    let result = env.dispatcher().handle(&first, deadline()).await;
    match result {
        Err(DispatchError::Permanent { reason, .. }) => {
            assert!(reason.contains("token_encryption_key"), "{reason}")
        }
        other => panic!("expected a permanent failure, got {other:?}"),
    }
    assert!(env.fake.sent_messages().is_empty());

    // With it: answered as the shop (the fake checks the OAuth signature with its tokens).
    let second = env.inbound(&key, 1_600_000_000_000_000_002, "hello").await;
    let mut config = env.config(FlowSource::Fixed(env.flow.clone()));
    config.sealer = sealer;
    let handled = env
        .dispatcher_with(config)
        .handle(&second, deadline())
        .await
        .unwrap();
    assert!(matches!(handled, Handled::Replied { .. }), "{handled:?}");
    let sent = env.fake.sent_messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["message_create"]["sender_id"], json!(shop.user_id));
}

/// The Lambda path's crash: an invocation dies mid-batch (its future dropped: a timeout, an
/// out-of-memory kill) while three of its sends were taken by Twitter but not yet answered, and
/// Lambda delivers the same batch again. Twitter's echoes reach the webhook (another function,
/// which stayed up) and are recorded as receipts.
#[tokio::test]
async fn a_dispatch_invocation_killed_mid_batch_and_redelivered_loses_and_doubles_nothing() {
    let env = env().await;
    let customers: Vec<String> = (0..10)
        .map(|i| (3_301_000_100u64 + i).to_string())
        .collect();
    let mut records = Vec::new();
    for (i, customer) in customers.iter().enumerate() {
        let key = env.owner_key(customer);
        records.push(
            env.inbound(&key, 1_600_000_000_000_000_100 + i as u64, "hello")
                .await,
        );
    }
    let event = env.stream_event(&records.iter().collect::<Vec<_>>()).await;
    // Three sends are taken by Twitter, then answered only after the invocation is gone.
    env.fake
        .fail_next(SEND, 3, Fault::AnswerLate(Duration::from_secs(5)));
    let mut config = env.config(FlowSource::Fixed(env.flow.clone()));
    config.lease_margin = Duration::ZERO;
    let first = env.dispatcher_with(config);
    let first_deadline = Instant::now() + Duration::from_secs(3);

    // Killed once every reply is on Twitter (three of them unanswered to the dispatcher).
    tokio::select! {
        _ = handle_stream_event(&first, &event, first_deadline) => {
            panic!("the invocation finished before it could be killed")
        }
        _ = async {
            while env.fake.sent_count() < customers.len() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        } => {}
    }
    drop(first);
    // Twitter echoes every message the account sent; the webhook records them.
    for sent in env.fake.sent_messages() {
        let to = sent["message_create"]["target"]["recipient_id"]
            .as_str()
            .unwrap()
            .to_string();
        let id = EventId::parse(sent["id"].as_str().unwrap()).unwrap();
        env.echo_arrives(&to, &id, true).await;
    }

    // Lambda delivers the batch again; the dead invocation's leases run out meanwhile.
    let response = handle_stream_event(&env.dispatcher(), &event, deadline()).await;

    assert!(failed_ids(&response).is_empty(), "{response:?}");
    for (customer, record) in customers.iter().zip(&records) {
        assert_eq!(env.texts_to(customer).len(), 1, "customer {customer}");
        assert!(matches!(
            env.status(record).await,
            InboundStatus::Answered {
                reply_event_id: Some(_),
                ..
            }
        ));
    }
    assert_eq!(env.fake.sent_count(), customers.len(), "0 doubled");
    assert_eq!(env.event_list_calls(), 0, "decided from the receipts alone");
}
