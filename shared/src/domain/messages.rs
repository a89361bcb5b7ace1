//! What arrives: a customer's message, a person writing from the account, the echo of a send.

use serde::{Deserialize, Serialize};

use super::{ConversationKey, EventId};
/// Media a customer attached to a message (Twitter hosts it; fetching needs an OAuth-signed GET).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundMedia {
    pub id: String,
    pub url: String,
    /// `photo`, `animated_gif` or `video`.
    pub kind: String,
}

/// A Direct Message a customer sent to a subscribed account: the bot's input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundMessage {
    pub event_id: EventId,
    pub conversation: ConversationKey,
    /// Milliseconds since the epoch, as Twitter stamped it.
    pub created_ms: u64,
    pub text: String,
    /// `quick_reply_response.metadata` when the customer tapped a quick-reply option.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quick_reply_metadata: Option<String>,
    /// `initiated_via.welcome_message_id` when the conversation was opened from a welcome message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub welcome_message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<InboundMedia>,
    /// The customer's screen name and display name when the delivery's `users` map had them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_screen_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
}

impl InboundMessage {
    /// A plain text message, none of the optional parts set (no quick reply, welcome message,
    /// media or customer names).
    pub fn text(
        event_id: EventId,
        conversation: ConversationKey,
        created_ms: u64,
        text: impl Into<String>,
    ) -> Self {
        Self {
            event_id,
            conversation,
            created_ms,
            text: text.into(),
            quick_reply_metadata: None,
            welcome_message_id: None,
            media: None,
            customer_screen_name: None,
            customer_name: None,
        }
    }
}

/// A message a person sent from the business account (not through our bot): a human agent has
/// taken over. Ingestion records it as a hand-over signal for the conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentActivity {
    pub event_id: EventId,
    pub conversation: ConversationKey,
    pub created_ms: u64,
}

/// A message sent from the account to a customer (the bot's reply, or a person's message), as
/// Twitter echoes it to the webhook: the durable receipt of a send (see `docs/DISPATCH.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountEcho {
    pub event_id: EventId,
    pub conversation: ConversationKey,
    /// When Twitter created the message (ms since epoch, Twitter's clock).
    pub created_ms: u64,
    /// Whether it was sent through our app (`source_app_id` is `TWITTER_APP_ID`, or our outbox
    /// already had the id); false for a person writing from the account, or when unknown.
    pub from_our_app: bool,
}
