//! The events and objects of an envelope: Direct Messages, typing and read indicators, users,
//! apps and account-level events. Only the fields we use are read.

use std::fmt;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};

use super::truncate;
use crate::domain::{EventId, UserId};
/// Reads a string of decimal digits (Twitter's timestamps) as a number. A bare JSON number is
/// accepted too.
fn de_u64_from_str<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    struct V;
    impl de::Visitor<'_> for V {
        type Value = u64;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("milliseconds since the epoch as a string of digits")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
            v.parse().map_err(|_| {
                E::custom(format_args!("{:?} is not a number", truncate(v.into(), 32)))
            })
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
            Ok(v)
        }
    }
    deserializer.deserialize_any(V)
}

fn ser_u64_as_str<S: serde::Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// `{"recipient_id": "..."}`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Target {
    pub recipient_id: UserId,
}

/// An item of `direct_message_events`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct DirectMessageEvent {
    /// `message_create` for messages; anything else is not a message and is ignored.
    #[serde(rename = "type")]
    pub kind: String,
    pub id: EventId,
    /// Milliseconds since the epoch (a string on the wire).
    #[serde(
        deserialize_with = "de_u64_from_str",
        serialize_with = "ser_u64_as_str"
    )]
    pub created_timestamp: u64,
    /// Present when the conversation was opened from a welcome message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initiated_via: Option<InitiatedVia>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_create: Option<MessageCreate>,
}

impl DirectMessageEvent {
    /// The `type` of a Direct Message.
    pub const MESSAGE_CREATE: &'static str = "message_create";
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct InitiatedVia {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub welcome_message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tweet_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct MessageCreate {
    pub target: Target,
    pub sender_id: UserId,
    /// The app the message was sent with (our app for the bot's replies, Twitter's own apps for
    /// a person typing). Optional on the wire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_app_id: Option<String>,
    pub message_data: MessageData,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
pub struct MessageData {
    #[serde(default)]
    pub text: String,
    /// Present when the customer tapped a quick-reply option.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quick_reply_response: Option<QuickReplyResponse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<Attachment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct QuickReplyResponse {
    /// `options`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The `metadata` of the option the customer tapped (up to 1,000 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
}

/// `{"type": "media", "media": {...}}`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Attachment {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<Media>,
}

/// A received media object. Only the fields we use are read; the numeric `id` is deliberately
/// not one of them (use `id_str`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
pub struct Media {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_str: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_url_https: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_url: Option<String>,
    /// `photo`, `animated_gif` or `video`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// An item of `direct_message_indicate_typing_events`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct TypingEvent {
    #[serde(
        deserialize_with = "de_u64_from_str",
        serialize_with = "ser_u64_as_str"
    )]
    pub created_timestamp: u64,
    pub sender_id: UserId,
    pub target: Target,
}

/// An item of `direct_message_mark_read_events`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct MarkReadEvent {
    #[serde(
        deserialize_with = "de_u64_from_str",
        serialize_with = "ser_u64_as_str"
    )]
    pub created_timestamp: u64,
    pub sender_id: UserId,
    pub target: Target,
    pub last_read_event_id: EventId,
}

/// An entry of `users`. Only the fields we use; the rest are ignored. Reads both the v1.1 user
/// object (`screen_name`) and the v2 one the X Activity API sends, wrapped in `data`
/// (`username`, `profile_image_url`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(from = "WireUser")]
pub struct User {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_image_url_https: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum WireUser {
    V2 { data: UserFields },
    V1(UserFields),
}

#[derive(Deserialize)]
struct UserFields {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default, alias = "username")]
    screen_name: Option<String>,
    #[serde(default, alias = "profile_image_url")]
    profile_image_url_https: Option<String>,
}

impl From<WireUser> for User {
    fn from(wire: WireUser) -> Self {
        let (WireUser::V2 { data: f } | WireUser::V1(f)) = wire;
        User {
            id: f.id,
            name: f.name,
            screen_name: f.screen_name,
            profile_image_url_https: f.profile_image_url_https,
        }
    }
}

/// An entry of `apps`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
pub struct App {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// `user_event`: account-level events. Unknown kinds are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
pub struct UserEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke: Option<Revoke>,
}

/// `user_event.revoke`: a user withdrew our app's access. Their tokens and data must go.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Revoke {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<RevokeTarget>,
    pub source: RevokeSource,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct RevokeTarget {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct RevokeSource {
    pub user_id: UserId,
}
