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
//!
//! The envelope, its items and errors here; the event and object types in `events.rs`.

mod events;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::domain::UserId;

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
    pub(crate) fn from_json(e: &serde_json::Error) -> Self {
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
    /// `data`: the event of an X Activity API delivery (`twitter::xaa`), kept unparsed. Read in
    /// the same pass as the rest, so that a body is parsed once whichever product sent it.
    #[serde(default, borrow, rename = "data", skip_serializing)]
    pub activity: Option<Item<'a, serde_json::Value>>,
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

pub use events::*;
