//! Direct Message events as the DM endpoints return them.

use serde::Deserialize;

use crate::domain::{EventId, UserId};
/// A Direct Message event as the DM endpoints return it (send, show, list).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DmEvent {
    /// The event id. The id a send returns is how the bot recognises its own message when it
    /// comes back through the webhook.
    pub id: EventId,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub created_timestamp: Option<String>,
    #[serde(default)]
    pub message_create: Option<DmMessageCreate>,
}

/// `message_create` of a [`DmEvent`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DmMessageCreate {
    pub target: DmTarget,
    pub sender_id: UserId,
    #[serde(default)]
    pub source_app_id: Option<String>,
    #[serde(default)]
    pub custom_profile_id: Option<String>,
    pub message_data: ReceivedMessageData,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DmTarget {
    pub recipient_id: UserId,
}

/// `message_data` as Twitter returns it (with `entities`, which we ignore).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ReceivedMessageData {
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub quick_reply: Option<serde_json::Value>,
    #[serde(default)]
    pub quick_reply_response: Option<QuickReplyResponse>,
    #[serde(default)]
    pub ctas: Option<serde_json::Value>,
    #[serde(default)]
    pub attachment: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct QuickReplyResponse {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: Option<String>,
}

/// One page of `direct_messages/events/list` (the last 30 days, newest first).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DmEventPage {
    #[serde(default)]
    pub events: Vec<DmEvent>,
    /// Pass it back as `cursor` for the next page; absent on the last one.
    #[serde(default)]
    pub next_cursor: Option<String>,
}
