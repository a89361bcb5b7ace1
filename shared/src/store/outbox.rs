//! The outbox port: the account's sent messages per conversation ([`Receipt`]s), merged from
//! the dispatcher's record of its own sends and Twitter's echoes.

use std::future::Future;

use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::domain::{AccountEcho, ConversationKey, EventId};

/// One message the account sent in a conversation, as far as we know it: what the dispatcher
/// recorded after sending ([`Outbox::record_sent`]) and what Twitter's echo told the webhook
/// ([`Outbox::record_echo`]). The two writes merge in either order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub event_id: EventId,
    /// The inbound message this reply answers (set by the dispatcher).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<EventId>,
    /// When the dispatcher recorded it (ms since epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_ms: Option<u64>,
    /// When Twitter created it, from the echo (ms since epoch, Twitter's clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub echo_created_ms: Option<u64>,
    /// From the echo: sent through our app (false: a person, or unknown).
    #[serde(default)]
    pub echo_from_our_app: bool,
}

impl Receipt {
    /// A receipt of `event_id` with nothing known yet.
    pub fn new(event_id: EventId) -> Self {
        Self {
            event_id,
            in_reply_to: None,
            sent_ms: None,
            echo_created_ms: None,
            echo_from_our_app: false,
        }
    }

    /// Merges what the dispatcher recorded.
    pub fn apply_sent(&mut self, in_reply_to: &EventId, at_ms: u64) {
        self.in_reply_to = Some(in_reply_to.clone());
        self.sent_ms = Some(self.sent_ms.map_or(at_ms, |t| t.min(at_ms)));
    }

    /// Merges what an echo told.
    pub fn apply_echo(&mut self, echo: &AccountEcho) {
        self.echo_created_ms = Some(echo.created_ms);
        self.echo_from_our_app |= echo.from_our_app;
    }

    /// Whether the dispatcher recorded it as the bot's own reply.
    pub fn is_recorded_send(&self) -> bool {
        self.sent_ms.is_some()
    }

    /// Whether Twitter's echo of it arrived.
    pub fn is_echoed(&self) -> bool {
        self.echo_created_ms.is_some()
    }
}

/// How many receipts [`Outbox::receipts_after`] returns at most.
pub const RECEIPTS_LIMIT: usize = 50;

/// The account's sent messages per conversation ([`Receipt`]s): the dispatcher records its own
/// sends, the webhook records Twitter's echoes; the webhook uses them to recognise the bot's
/// echoes, the dispatcher to tell whether a reply it may have sent went out.
pub trait Outbox: Send + Sync {
    /// Records that the bot sent `sent` in reply to the inbound message `in_reply_to` (merging
    /// with an echo already recorded).
    fn record_sent(
        &self,
        conversation: &ConversationKey,
        sent: &EventId,
        in_reply_to: &EventId,
        at_ms: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Records Twitter's echo of a message the account sent (merging with the dispatcher's
    /// record, which may come before or after it). Redeliveries change nothing.
    fn record_echo(
        &self,
        echo: &AccountEcho,
        at_ms: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The receipts of the conversation with an event id greater than `after`, lowest id
    /// first, at most [`RECEIPTS_LIMIT`]: one read in the conversation's own partition.
    fn receipts_after(
        &self,
        conversation: &ConversationKey,
        after: &EventId,
    ) -> impl Future<Output = Result<Vec<Receipt>, StoreError>> + Send;

    /// Whether the dispatcher recorded `event` as the bot's own send.
    fn is_sent_by_bot(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}
