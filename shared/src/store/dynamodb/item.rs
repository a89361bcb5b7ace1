//! The single table's item layout: attribute names, fixed values, key builders, the stream
//! filters. The table of items is in the module documentation of `dynamodb`.

use crate::domain::{AccountId, ConversationKey, EventId};
use crate::store::EVENT_TTL_SECS;

/// Partition key (string).
pub const ATTR_PK: &str = "pk";
/// Sort key (string).
pub const ATTR_SK: &str = "sk";
/// What the item is (`KIND_*`).
pub const ATTR_KIND: &str = "kind";
/// An inbound message's status (`STATUS_*`).
pub const ATTR_STATUS: &str = "status";
pub const ATTR_EVENT_ID: &str = "event_id";
pub const ATTR_ACCOUNT_ID: &str = "account_id";
pub const ATTR_CUSTOMER_ID: &str = "customer_id";
/// When Twitter created the message (ms since epoch, number).
pub const ATTR_CREATED_MS: &str = "created_ms";
/// When ingestion stored the message (ms since epoch, number).
pub const ATTR_RECEIVED_MS: &str = "received_ms";
/// The inbound message as JSON ([`InboundMessage`](crate::domain::InboundMessage)).
pub const ATTR_MESSAGE: &str = "message";
/// When the message was answered or failed (ms since epoch, number).
pub const ATTR_STATUS_AT_MS: &str = "status_at_ms";
/// The id Twitter gave the bot's reply.
pub const ATTR_REPLY_EVENT_ID: &str = "reply_event_id";
/// Why a message failed permanently.
pub const ATTR_FAILURE_REASON: &str = "failure_reason";
/// Until when a dispatcher holds the message (ms since epoch, number).
pub const ATTR_LEASE_UNTIL_MS: &str = "lease_until_ms";
/// Present (value [`REDRIVE_REQUESTED`]) between a redrive and the next claim.
pub const ATTR_REDRIVE: &str = "redrive";
/// DynamoDB TTL attribute (seconds since epoch, number): the table's TTL setting names it.
pub const ATTR_EXPIRES_AT: &str = "expires_at";
/// Optimistic-locking version of a conversation, or a flow's version (number).
pub const ATTR_VERSION: &str = "version";
/// The conversation state as JSON ([`ConversationState`](crate::domain::ConversationState)).
pub const ATTR_STATE: &str = "state";
pub const ATTR_AGENT_LAST_ACTIVE_MS: &str = "agent_last_active_ms";
pub const ATTR_SENT_MS: &str = "sent_ms";
/// On a receipt: the inbound message the bot's reply answers.
pub const ATTR_IN_REPLY_TO: &str = "in_reply_to";
/// On a receipt: when Twitter created the message, from its echo (ms, number).
pub const ATTR_ECHO_CREATED_MS: &str = "echo_created_ms";
/// On a receipt: `"true"` when the echo says it was sent through our app.
pub const ATTR_ECHO_FROM_APP: &str = "echo_from_app";
/// On a pending inbound message: when a dispatcher first began sending (ms, number).
pub const ATTR_SENDING_MS: &str = "sending_ms";
/// On a pending inbound message: the reply Twitter accepted, before the message is answered.
pub const ATTR_SENT_REPLY_ID: &str = "sent_reply_id";
/// On a pending inbound message: not to be tried before (ms, number).
pub const ATTR_NOT_BEFORE_MS: &str = "not_before_ms";
pub const ATTR_DEFER_REASON: &str = "defer_reason";
pub const ATTR_DEFERRALS: &str = "deferrals";
/// On a pending inbound message: a send slot is reserved for it in the budget windows
/// containing this time (ms, number; set or removed by each deferral).
pub const ATTR_SLOT_MS: &str = "slot_ms";
/// The account as JSON ([`AccountRecord`](crate::store::AccountRecord)).
pub const ATTR_ACCOUNT: &str = "account";
pub const ATTR_FLOW_ID: &str = "flow_id";
pub const ATTR_DOCUMENT: &str = "document";
pub const ATTR_STORED_MS: &str = "stored_ms";
pub const ATTR_MEDIA_ID: &str = "media_id";
pub const ATTR_EXPIRES_MS: &str = "expires_ms";

pub const KIND_INBOUND: &str = "inbound";
pub const KIND_SENT: &str = "sent";
pub const KIND_CONVERSATION: &str = "conversation";
pub const KIND_AGENT_ACTIVITY: &str = "agent_activity";
pub const KIND_ACCOUNT: &str = "account";
pub const KIND_FLOW: &str = "flow";
pub const KIND_FLOW_HEAD: &str = "flow_head";
pub const KIND_MEDIA: &str = "media";
pub const KIND_FORGET: &str = "forget";

/// When a pending removal was requested (ms since epoch, number).
pub const ATTR_REQUESTED_MS: &str = "requested_ms";

/// The partition of pending removals (one item per revoked account, sort key its id).
pub const PK_FORGET: &str = "FORGET";

/// The global secondary index on `account_id` (sort key `pk`, keys only): an account's items.
/// `template.yaml` declares the same index.
pub const INDEX_BY_ACCOUNT: &str = "by_account";

pub const STATUS_PENDING: &str = "pending";
pub const STATUS_ANSWERED: &str = "answered";
pub const STATUS_FAILED: &str = "failed";

/// Value of [`ATTR_REDRIVE`] while a redrive waits for the dispatcher.
pub const REDRIVE_REQUESTED: &str = "requested";

/// Lambda event-source filter (for `template.yaml`): the insert of a new inbound message.
pub const STREAM_FILTER_NEW_INBOUND: &str = r#"{"eventName":["INSERT"],"dynamodb":{"NewImage":{"kind":{"S":["inbound"]},"status":{"S":["pending"]}}}}"#;

/// Lambda event-source filter (for `template.yaml`): a failed message put back to pending by
/// `dmbot failures redrive`.
pub const STREAM_FILTER_REDRIVE: &str = r#"{"eventName":["MODIFY"],"dynamodb":{"NewImage":{"kind":{"S":["inbound"]},"status":{"S":["pending"]},"redrive":{"S":["requested"]}}}}"#;

/// The partition of the deferred-message index (see [`deferred_sk`]).
pub const PK_DEFERRED: &str = "DEFERRED";
pub const KIND_DEFERRED: &str = "deferred";
/// On a deferred-index item: the inbound message's keys.
pub const ATTR_INBOUND_PK: &str = "inbound_pk";
pub const ATTR_INBOUND_SK: &str = "inbound_sk";

pub(super) const SK_STATE: &str = "STATE";
pub(super) const SK_AGENT: &str = "AGENT";
pub(super) const SK_PROFILE: &str = "PROFILE";
pub(super) const SK_FLOW_HEAD: &str = "HEAD";

/// BatchWriteItem takes at most 25 requests.
pub(super) const BATCH_WRITE_MAX: usize = 25;
/// How often unprocessed batch items are retried before giving up as `Unavailable`.
pub(super) const BATCH_WRITE_ATTEMPTS: u32 = 8;

/// `CONV#<account>#<customer>`: the partition of one conversation.
pub fn conversation_pk(conversation: &ConversationKey) -> String {
    format!("CONV#{}#{}", conversation.account, conversation.customer)
}

/// `CONV#<account>#`: the prefix of every conversation partition of an account. Ids are digits
/// only, so the trailing `#` keeps account `12` from matching account `123`.
pub fn account_conversations_prefix(account: &AccountId) -> String {
    format!("CONV#{account}#")
}

/// What every inbound message's sort key begins with.
pub const INBOUND_SK_PREFIX: &str = "EVT#";

/// `EVT#<event id>`.
pub fn inbound_sk(event: &EventId) -> String {
    format!("{INBOUND_SK_PREFIX}{event}")
}

/// `OUT#<event id, 32 digits>`: zero-padded so that a conversation's receipts sort by event id
/// (snowflakes grow with time) and [`Outbox::receipts_after`](crate::store::Outbox::receipts_after) is one range Query.
pub fn sent_sk(event: &EventId) -> String {
    format!("OUT#{:0>32}", event.as_str())
}

/// `OUT#<event id>`: the sent markers written before receipts were padded (read only).
pub(super) fn legacy_sent_sk(event: &EventId) -> String {
    format!("OUT#{event}")
}

/// `<due ms, 20 digits>#<event id, zero-padded to 20 digits>#<conversation pk>`: a deferred
/// message's entry in the `DEFERRED` partition, in due order, so the scheduled re-drive reads
/// only what is due, and within one due time in event-id order (snowflakes grow with time), so
/// messages put off until the same time are redriven first come, first served across
/// conversations. Entries written before (`<due>#<conversation pk>#<event id>`) sort after the
/// new ones of their due time and are read the same way (through `inbound_pk`/`inbound_sk`).
pub fn deferred_sk(until_ms: u64, conversation: &ConversationKey, event: &EventId) -> String {
    format!(
        "{until_ms:020}#{:0>20}#{}",
        event.as_str(),
        conversation_pk(conversation)
    )
}

/// `ACCOUNT#<account>`.
pub fn account_pk(account: &AccountId) -> String {
    format!("ACCOUNT#{account}")
}

/// `FLOW#<flow id>`.
pub fn flow_pk(flow_id: &str) -> String {
    format!("FLOW#{flow_id}")
}

/// `V#<version>`, zero-padded to 20 digits so that string order is numeric order.
pub fn flow_sk(version: u64) -> String {
    format!("V#{version:020}")
}

/// `MEDIA#<account>`.
pub fn media_pk(account: &AccountId) -> String {
    format!("MEDIA#{account}")
}

/// TTL value for an item created at `ms`: seconds since the epoch, [`EVENT_TTL_SECS`] later.
pub(super) fn expires_at(ms: u64) -> u64 {
    (ms / 1000).saturating_add(EVENT_TTL_SECS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::UserId;

    #[test]
    fn flow_sort_keys_sort_like_their_versions() {
        assert!(flow_sk(9) < flow_sk(10));
        assert!(flow_sk(99) < flow_sk(u64::MAX));
    }

    #[test]
    fn deferred_entries_sort_by_due_time_then_event_id_across_conversations() {
        let id = |s: &str| UserId::parse(s).unwrap();
        let event = |s: &str| EventId::parse(s).unwrap();
        let (a, b) = (
            ConversationKey::new(id("10"), id("10")),
            ConversationKey::new(id("10"), id("99")),
        );
        assert!(deferred_sk(5, &b, &event("9")) < deferred_sk(5, &a, &event("10")));
        assert!(deferred_sk(5, &a, &event("99")) < deferred_sk(6, &b, &event("1")));
        assert_eq!(
            deferred_sk(5, &a, &event("123")),
            "00000000000000000005#00000000000000000123#CONV#10#10"
        );
    }

    #[test]
    fn account_prefix_does_not_match_a_longer_account_id() {
        let prefix = account_conversations_prefix(&UserId::parse("12").unwrap());
        let other = conversation_pk(&ConversationKey::new(
            UserId::parse("123").unwrap(),
            UserId::parse("4").unwrap(),
        ));
        assert!(!other.starts_with(&prefix));
    }
}
