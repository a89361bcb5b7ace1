//! What the tests do through the environment: dispatchers, stored messages, echoes, the
//! stream events Lambda would receive, and what Twitter was sent.

use crate::support::*;

impl Env {
    pub(crate) fn client(&self) -> TwitterClient {
        client(&self.fake)
    }

    pub(crate) fn config(&self, flows: FlowSource) -> DispatchConfig {
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

    pub(crate) fn dispatcher(&self) -> Dispatcher<DynamoStore> {
        self.dispatcher_with(self.config(FlowSource::Fixed(self.flow.clone())))
    }

    pub(crate) fn dispatcher_with(&self, config: DispatchConfig) -> Dispatcher<DynamoStore> {
        Dispatcher::new(self.store.clone(), self.client(), config)
    }

    pub(crate) fn owner_key(&self, customer: &str) -> ConversationKey {
        ConversationKey::new(
            UserId::parse(&self.fake.owner().user_id).unwrap(),
            UserId::parse(customer).unwrap(),
        )
    }

    /// A Direct Message from the account to `to`, sent on Twitter outside the dispatcher (an
    /// earlier attempt, or the account's other conversations).
    pub(crate) async fn owner_sends(&self, to: &str, text: &str) -> EventId {
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
    pub(crate) async fn echo_arrives(&self, customer: &str, id: &EventId, from_our_app: bool) {
        let echo = AccountEcho {
            event_id: id.clone(),
            conversation: self.owner_key(customer),
            created_ms: now_ms(),
            from_our_app,
        };
        self.store.record_echo(&echo, now_ms()).await.unwrap();
    }

    /// How many pages of the account's events the dispatcher read.
    pub(crate) fn event_list_calls(&self) -> usize {
        self.fake
            .requests_to("direct_messages/events/list.json")
            .len()
    }

    /// Stores a pending inbound message as the webhook would.
    pub(crate) async fn inbound(
        &self,
        key: &ConversationKey,
        event: u64,
        text: &str,
    ) -> InboundRecord {
        self.inbound_received_at(key, event, text, now_ms()).await
    }

    pub(crate) async fn inbound_received_at(
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
    pub(crate) async fn inbound_tried_at(
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
    pub(crate) async fn stream_event(&self, records: &[&InboundRecord]) -> StreamEvent {
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

    pub(crate) async fn status(&self, record: &InboundRecord) -> InboundStatus {
        let m = &record.message;
        self.store
            .get_inbound(&m.conversation, &m.event_id)
            .await
            .unwrap()
            .unwrap()
            .status
    }

    /// Texts of the messages sent to `customer`, oldest first.
    pub(crate) fn texts_to(&self, customer: &str) -> Vec<String> {
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
