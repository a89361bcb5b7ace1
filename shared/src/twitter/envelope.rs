//! The Account Activity webhook envelope (`docs/TWITTER-API.md` §2): what Twitter POSTs to the
//! webhook.
//!
//! One JSON object per delivery, with one array per kind of event and lookup maps for the users
//! and apps the events mention. A delivery can carry **several events**, of several kinds, and
//! keys we do not know (`favorite_events`, `follow_events`, ... or kinds Twitter adds later) must
//! not break parsing: they are skipped.
//!
//! Parsing happens in two steps so that one bad event cannot cost the others:
//! 1. [`Envelope::parse`] checks the outer shape (an object, `for_user_id` a snowflake, each
//!    known key of the right JSON type) and keeps every event as an unparsed [`Item`] borrowed
//!    from the body (no copy);
//! 2. [`Item::parse`] turns one event into its typed form. A malformed event fails alone.
//!
//! Ids and timestamps are strings on the wire (they do not fit a JavaScript number). Where
//! Twitter also sends a numeric `id` (media objects), we read `id_str` and ignore the number,
//! which a float-based parser would round (e.g. `954491830116155400` > 2^53).

use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::domain::{EventId, UserId};

/// Why a delivery is not an Account Activity envelope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// The body is not JSON at all (or is cut short).
    #[error("the body is not valid JSON: {detail}")]
    NotJson { detail: String },
    /// JSON, but not the envelope's shape (e.g. `direct_message_events` is not an array).
    #[error("the body is not an Account Activity envelope: {detail}")]
    WrongShape { detail: String },
    /// Direct Message events without `for_user_id`: without it nobody can tell the customer
    /// from the business.
    #[error(
        "the delivery carries direct_message_events but no for_user_id, so the subscribed account is unknown"
    )]
    MissingForUserId,
}

impl EnvelopeError {
    fn from_json(e: &serde_json::Error) -> Self {
        let detail = truncate(e.to_string(), 300);
        match e.classify() {
            serde_json::error::Category::Data => EnvelopeError::WrongShape { detail },
            _ => EnvelopeError::NotJson { detail },
        }
    }
}

/// Error messages can quote a piece of the value that did not fit; keep them short.
pub(crate) fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
    s
}

/// One event of the envelope, kept as the raw JSON it arrived as until [`Item::parse`] is
/// called. Borrowed from the request body: building an [`Envelope`] copies no event.
pub struct Item<'a, T> {
    raw: &'a RawValue,
    _kind: PhantomData<fn() -> T>,
}

impl<T> Clone for Item<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Item<'_, T> {}

impl<T> fmt::Debug for Item<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The raw JSON may hold a customer's message: do not print it.
        write!(f, "Item({} bytes)", self.raw.get().len())
    }
}

impl<'a, T: DeserializeOwned> Item<'a, T> {
    /// Parses this one event. The error says which field was wrong.
    pub fn parse(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.raw.get())
    }

    /// The event's JSON exactly as it was in the body.
    pub fn raw_json(&self) -> &'a str {
        self.raw.get()
    }
}

impl<'de: 'a, 'a, T> Deserialize<'de> for Item<'a, T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = <&'a RawValue>::deserialize(deserializer)?;
        Ok(Item {
            raw,
            _kind: PhantomData,
        })
    }
}

impl<T> Serialize for Item<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(serializer)
    }
}

/// One webhook delivery. Keys other than these are accepted and ignored.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct Envelope<'a> {
    /// The subscribed account the delivery is for. Absent on `user_event` deliveries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_user_id: Option<UserId>,
    /// Messages received **and sent** by the account (the bot's own replies come back here).
    #[serde(default, borrow, skip_serializing_if = "Vec::is_empty")]
    pub direct_message_events: Vec<Item<'a, DirectMessageEvent>>,
    /// Someone is typing in a conversation with the account.
    #[serde(default, borrow, skip_serializing_if = "Vec::is_empty")]
    pub direct_message_indicate_typing_events: Vec<Item<'a, TypingEvent>>,
    /// Someone read the conversation up to an event.
    #[serde(default, borrow, skip_serializing_if = "Vec::is_empty")]
    pub direct_message_mark_read_events: Vec<Item<'a, MarkReadEvent>>,
    /// User id → user, for everyone the events mention.
    #[serde(default, borrow, skip_serializing_if = "HashMap::is_empty")]
    pub users: HashMap<String, Item<'a, User>>,
    /// App id → app, for the apps that sent the messages.
    #[serde(default, borrow, skip_serializing_if = "HashMap::is_empty")]
    pub apps: HashMap<String, Item<'a, App>>,
    /// Account-level events; today only `revoke`.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub user_event: Option<Item<'a, UserEvent>>,
}

impl<'a> Envelope<'a> {
    /// Parses the outer shape of a delivery from the raw body. Events stay unparsed (see
    /// [`Item::parse`]).
    pub fn parse(body: &'a [u8]) -> Result<Self, EnvelopeError> {
        let envelope: Envelope<'a> =
            serde_json::from_slice(body).map_err(|e| EnvelopeError::from_json(&e))?;
        if envelope.for_user_id.is_none() && !envelope.direct_message_events.is_empty() {
            return Err(EnvelopeError::MissingForUserId);
        }
        Ok(envelope)
    }

    /// The entry of `users` for `id`, when present and well-formed.
    pub fn user(&self, id: &UserId) -> Option<User> {
        self.users.get(id.as_str()).and_then(|u| u.parse().ok())
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! fixture {
        ($name:literal) => {
            include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../tests/fixtures/",
                $name
            ))
        };
    }

    fn only_dm(body: &[u8]) -> DirectMessageEvent {
        let env = Envelope::parse(body).unwrap();
        assert_eq!(env.direct_message_events.len(), 1);
        env.direct_message_events[0].parse().unwrap()
    }

    #[test]
    fn text_dm_parses_every_field_we_use() {
        let env = Envelope::parse(fixture!("webhook_dm_text.json")).unwrap();
        assert_eq!(env.for_user_id.as_ref().unwrap().as_str(), "4337869213");
        let dm = env.direct_message_events[0].parse().unwrap();
        assert_eq!(dm.kind, "message_create");
        assert_eq!(dm.id.as_str(), "954491830116155396");
        assert_eq!(dm.created_timestamp, 1_516_403_560_557);
        let mc = dm.message_create.unwrap();
        assert_eq!(mc.sender_id.as_str(), "3001969357");
        assert_eq!(mc.target.recipient_id.as_str(), "4337869213");
        assert_eq!(mc.source_app_id.as_deref(), Some("258901"));
        assert_eq!(mc.message_data.text, "Hello, where is my order?");
        let customer = env.user(&mc.sender_id).unwrap();
        assert_eq!(customer.screen_name.as_deref(), Some("furiouscamper"));
        assert_eq!(customer.name.as_deref(), Some("Jordan Brinks"));
        assert_eq!(env.apps.len(), 2);
        assert_eq!(
            env.apps["13090192"].parse().unwrap().name.as_deref(),
            Some("Acme Engagement")
        );
    }

    #[test]
    fn quick_reply_metadata_is_read() {
        let dm = only_dm(fixture!("webhook_dm_quick_reply.json"));
        let qr = dm.message_create.unwrap().message_data.quick_reply_response;
        assert_eq!(qr.unwrap().metadata.as_deref(), Some("order_status"));
    }

    #[test]
    fn welcome_message_id_is_read() {
        let dm = only_dm(fixture!("webhook_dm_from_welcome.json"));
        assert_eq!(
            dm.initiated_via.unwrap().welcome_message_id.as_deref(),
            Some("844385345234")
        );
    }

    #[test]
    fn media_id_comes_from_id_str_not_the_rounded_number() {
        let dm = only_dm(fixture!("webhook_dm_with_media.json"));
        let attachment = dm.message_create.unwrap().message_data.attachment.unwrap();
        assert_eq!(attachment.kind, "media");
        let media = attachment.media.unwrap();
        assert_eq!(media.id_str.as_deref(), Some("954491830116155400"));
        assert_eq!(media.kind.as_deref(), Some("photo"));
        assert!(
            media
                .media_url_https
                .unwrap()
                .starts_with("https://ton.twitter.com/")
        );
    }

    #[test]
    fn batch_keeps_every_event_in_order() {
        let env = Envelope::parse(fixture!("webhook_dm_batch.json")).unwrap();
        let ids: Vec<String> = env
            .direct_message_events
            .iter()
            .map(|e| e.parse().unwrap().id.to_string())
            .collect();
        assert_eq!(
            ids,
            [
                "954491830116155403",
                "954491830116155404",
                "954491830116155405"
            ]
        );
    }

    #[test]
    fn typing_and_read_events_parse() {
        let env = Envelope::parse(fixture!("webhook_typing.json")).unwrap();
        let typing = env.direct_message_indicate_typing_events[0]
            .parse()
            .unwrap();
        assert_eq!(typing.sender_id.as_str(), "3001969357");
        assert_eq!(typing.created_timestamp, 1_518_127_183_443);

        let env = Envelope::parse(fixture!("webhook_mark_read.json")).unwrap();
        let read = env.direct_message_mark_read_events[0].parse().unwrap();
        assert_eq!(read.last_read_event_id.as_str(), "963085315333238788");
        assert_eq!(read.target.recipient_id.as_str(), "4337869213");
    }

    #[test]
    fn revoke_parses_without_for_user_id() {
        let env = Envelope::parse(fixture!("webhook_revoke.json")).unwrap();
        assert!(env.for_user_id.is_none());
        let revoke = env.user_event.unwrap().parse().unwrap().revoke.unwrap();
        assert_eq!(revoke.source.user_id.as_str(), "3001969357");
        assert_eq!(revoke.target.unwrap().app_id.as_deref(), Some("13090192"));
    }

    #[test]
    fn unknown_event_arrays_are_accepted_and_ignored() {
        let env = Envelope::parse(fixture!("webhook_favorite.json")).unwrap();
        assert!(env.direct_message_events.is_empty());
        assert!(env.user_event.is_none());
        let env = Envelope::parse(
            br#"{"for_user_id":"1","some_future_events":[{"x":1}],"follow_events":[]}"#,
        )
        .unwrap();
        assert!(env.direct_message_events.is_empty());
    }

    #[test]
    fn one_malformed_event_does_not_prevent_parsing_the_others() {
        let body = br#"{"for_user_id":"1","direct_message_events":[
            {"type":"message_create","id":"not-a-number","created_timestamp":"1"},
            {"type":"message_create","id":"5","created_timestamp":"1","message_create":{
              "target":{"recipient_id":"1"},"sender_id":"2","message_data":{"text":"hi"}}}
        ]}"#;
        let env = Envelope::parse(body).unwrap();
        assert_eq!(env.direct_message_events.len(), 2);
        let err = env.direct_message_events[0].parse().unwrap_err();
        assert!(err.to_string().contains("event id"), "{err}");
        assert_eq!(
            env.direct_message_events[1].parse().unwrap().id.as_str(),
            "5"
        );
    }

    #[test]
    fn when_body_is_not_json_should_say_not_json() {
        assert!(matches!(
            Envelope::parse(b"{\"for_user_id\":"),
            Err(EnvelopeError::NotJson { .. })
        ));
        assert!(matches!(
            Envelope::parse(b"hello"),
            Err(EnvelopeError::NotJson { .. })
        ));
    }

    #[test]
    fn when_an_event_array_is_not_an_array_should_say_wrong_shape_and_where() {
        let err =
            Envelope::parse(br#"{"for_user_id":"1","direct_message_events":{}}"#).unwrap_err();
        let EnvelopeError::WrongShape { detail } = &err else {
            panic!("{err:?}");
        };
        assert!(detail.contains("sequence"), "{detail}");
        assert!(
            matches!(
                Envelope::parse(b"[1,2]"),
                Err(EnvelopeError::WrongShape { .. })
            ),
            "a JSON array is not an envelope"
        );
    }

    #[test]
    fn when_for_user_id_is_not_a_snowflake_should_say_wrong_shape() {
        let err = Envelope::parse(br#"{"for_user_id":"abc"}"#).unwrap_err();
        assert!(
            matches!(&err, EnvelopeError::WrongShape { detail } if detail.contains("user id")),
            "{err:?}"
        );
    }

    #[test]
    fn when_dms_come_without_for_user_id_should_refuse() {
        let err = Envelope::parse(br#"{"direct_message_events":[{}]}"#).unwrap_err();
        assert_eq!(err, EnvelopeError::MissingForUserId);
    }

    #[test]
    fn debug_output_of_events_does_not_show_their_content() {
        let env = Envelope::parse(fixture!("webhook_dm_text.json")).unwrap();
        let shown = format!("{env:?}");
        assert!(!shown.contains("where is my order"), "{shown}");
    }

    #[test]
    fn a_parsed_event_serializes_back_to_the_wire_form() {
        let dm = only_dm(fixture!("webhook_dm_quick_reply.json"));
        let json = serde_json::to_value(&dm).unwrap();
        assert_eq!(json["created_timestamp"], "1516403560557");
        assert_eq!(json["type"], "message_create");
        let again: DirectMessageEvent = serde_json::from_value(json).unwrap();
        assert_eq!(again, dm);
    }
}
