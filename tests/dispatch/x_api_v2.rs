//! The dispatcher on X API v2 (`DispatchConfig::api`): the same flow, written out as text on
//! `/2/dm_conversations/with/:id/messages`, answered by typing.

use dmbot_shared::config::ApiVersion;

use crate::support::*;

const V2_SEND: &str = "/2/dm_conversations/with/";

/// The example flow (`flows/support.toml`): welcome messages, quick replies, buttons, media.
fn example_flow() -> Arc<Flow> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../flows/support.toml");
    Arc::new(Flow::load(path).expect("the example flow loads"))
}

impl Env {
    fn v2_dispatcher(&self, flow: Arc<Flow>) -> Dispatcher<DynamoStore> {
        let mut config = self.config(FlowSource::Fixed(flow));
        config.api = ApiVersion::V2;
        self.dispatcher_with(config)
    }

    /// The texts the account sent on v2, oldest first.
    fn v2_texts(&self) -> Vec<String> {
        self.fake
            .requests_to(V2_SEND)
            .iter()
            .filter(|r| r.method == "POST" && r.status < 300)
            .map(|r| {
                let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
                body["text"].as_str().unwrap_or_default().to_string()
            })
            .collect()
    }
}

#[tokio::test]
async fn a_new_customer_is_greeted_with_the_welcome_node_written_out_then_a_typed_number_routes() {
    let env = env().await;
    let owner = env.fake.owner().user_id.clone();
    env.fake.record_incoming(CUSTOMER, &owner, "good morning");
    let key = env.owner_key(CUSTOMER);

    let flow = example_flow();
    let first = env
        .inbound(&key, 1_600_000_000_000_100_001, "good morning")
        .await;
    let handled = env
        .v2_dispatcher(flow.clone())
        .handle(&first, deadline())
        .await
        .unwrap();
    assert!(matches!(handled, Handled::Replied { .. }), "{handled:?}");
    let texts = env.v2_texts();
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(
        texts[0].starts_with("Hi! 👋 Welcome to Acme Outdoor support."),
        "{}",
        texts[0]
    );
    assert!(texts[0].contains("\n1. Where is my order?"), "{}", texts[0]);
    assert!(texts[0].contains("\n2. Returns & refunds"), "{}", texts[0]);

    // "2" names the second option of the message the bot sent last.
    let second = env.inbound(&key, 1_600_000_000_000_100_002, "2").await;
    let handled = env
        .v2_dispatcher(flow.clone())
        .handle(&second, deadline())
        .await
        .unwrap();
    assert!(matches!(handled, Handled::Replied { .. }), "{handled:?}");
    let texts = env.v2_texts();
    assert_eq!(texts.len(), 2, "{texts:?}");
    let returns = flow.node("returns").unwrap().text().as_str().to_string();
    let first_line = returns.lines().next().unwrap();
    assert!(
        texts[1].starts_with(first_line),
        "{}\nexpected the returns node: {returns}",
        texts[1]
    );

    // Nothing v2 does not have: no v1.1 send, no typing indicator, no read receipt.
    assert!(
        env.fake
            .requests_to("direct_messages/events/new.json")
            .is_empty()
    );
    assert!(env.fake.requests_to("indicate_typing").is_empty());
    assert!(env.fake.requests_to("mark_read").is_empty());
    assert_eq!(env.fake.v2_usage().dm_create, 2);
    // Both sends counted for `dmbot usage`; nothing else was billable.
    let today = dmbot_shared::store::usage::UsageDay::from_ms(now_ms());
    let days =
        dmbot_shared::store::usage::Usage::usage(&env.store, Some(&key.account), &today, &today)
            .await
            .unwrap();
    let counts: Vec<_> = days[0]
        .counts
        .iter()
        .map(|(k, n)| (k.as_str(), *n))
        .collect();
    assert_eq!(counts, [("dm_send", 2)]);
}

#[tokio::test]
async fn a_customer_who_never_wrote_cannot_be_sent_to_and_the_message_fails_saying_why() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let record = env.inbound(&key, 1_600_000_000_000_200_001, "hi").await;

    let handled = env
        .v2_dispatcher(env.flow.clone())
        .handle(&record, deadline())
        .await;

    // A permanent failure (the stream handler records it as failed, for `dmbot failures`),
    // saying why and what to do; nothing was retried.
    let error = handled.expect_err("X refuses the send").to_string();
    assert!(error.contains("wrote to it first"), "{error}");
    assert_eq!(env.v2_texts().len(), 0);
    assert_eq!(env.fake.requests_to(V2_SEND).len(), 1);
}
