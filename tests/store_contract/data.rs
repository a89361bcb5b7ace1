//! Test data builders.

use super::*;

pub fn user(id: &str) -> UserId {
    UserId::parse(id).expect("test ids are digits")
}

pub fn event(id: &str) -> EventId {
    EventId::parse(id).expect("test ids are digits")
}

pub fn conv(account: &str, customer: &str) -> ConversationKey {
    ConversationKey::new(user(account), user(customer))
}

/// A pending inbound message with every optional field set, so that a lossy round trip
/// shows up.
pub fn inbound(conversation: &ConversationKey, event_id: &str, received_ms: u64) -> InboundRecord {
    InboundRecord {
        message: InboundMessage {
            event_id: event(event_id),
            conversation: conversation.clone(),
            created_ms: received_ms.saturating_sub(100),
            text: format!("message {event_id}: héllo 👋"),
            quick_reply_metadata: Some("external_id_1".to_string()),
            welcome_message_id: Some("844385345234".to_string()),
            media: Some(InboundMedia {
                id: "9000".to_string(),
                url: "https://ton.twitter.com/1.1/ton/data/dm/1/2/photo.jpg".to_string(),
                kind: "photo".to_string(),
            }),
            customer_screen_name: Some("customer".to_string()),
            customer_name: Some("A Customer".to_string()),
        },
        status: InboundStatus::Pending,
        received_ms,
        attempt: Default::default(),
    }
}

pub fn plain_inbound(conversation: &ConversationKey, event_id: &str) -> InboundRecord {
    let mut r = inbound(conversation, event_id, 1_700_000_000_000);
    r.message.quick_reply_metadata = None;
    r.message.welcome_message_id = None;
    r.message.media = None;
    r.message.customer_screen_name = None;
    r.message.customer_name = None;
    r
}

pub fn state(node: &str) -> ConversationState {
    ConversationState {
        node: Some(node.to_string()),
        vars: BTreeMap::from([("order".to_string(), "A-17".to_string())]),
        handoff: Some(Handoff {
            since_ms: 5,
            reason: HandoffReason::AgentWrote,
        }),
        last_answered: Some(event("77")),
        last_activity_ms: 1_700_000_000_000,
        resumed_ms: 1_700_000_000_500,
    }
}

pub fn account(id: &str) -> AccountRecord {
    AccountRecord {
        id: user(id),
        screen_name: Some(format!("business_{id}")),
        tokens: Some(AccountTokens {
            token: format!("{id}-token"),
            token_secret: "not-a-real-secret".to_string(),
        }),
        flow_id: Some("support".to_string()),
        created_ms: 1_700_000_000_000,
    }
}

pub fn flow(id: &str, version: u64) -> FlowRecord {
    FlowRecord {
        flow_id: id.to_string(),
        version,
        document: format!(r#"{{"id":"{id}","version":{version}}}"#),
        stored_ms: 1_700_000_000_000 + version,
    }
}

pub fn failed(reason: &str, at_ms: u64) -> InboundStatus {
    InboundStatus::Failed {
        reason: reason.to_string(),
        at_ms,
    }
}
