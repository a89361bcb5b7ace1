//! The X Activity API (XAA) webhook delivery (`docs/X-API-V2.md` §3): one event
//! per POST, `{"data": {"event_uuid", "filter": {"user_id"}, "event_type", "tag", "payload"}}`.
//!
//! The same webhook route receives both products, told apart by their shape ([`Delivery::parse`]):
//! an Account Activity envelope (v1.1, and the Account Activity API v2, which kept the v1.1
//! shape) or an XAA event. The DM events an XAA event carries keep the v1.1 `message_create`
//! shape, so [`ActivityEvent::dm_envelope`] turns `dm.received` and `dm.sent` into an
//! [`Envelope`] for the filtered account, and from there a delivery is planned the same way
//! whichever product brought it. Its `users` hold v2 user objects under `data` (`name`,
//! `username`): [`User`] reads both shapes.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::envelope::{DirectMessageEvent, Envelope, EnvelopeError, Item, User};
use crate::domain::UserId;

/// A webhook delivery of either product.
#[derive(Debug)]
pub enum Delivery<'a> {
    /// Account Activity API (v1.1 Enterprise or v2): one envelope, possibly many events.
    AccountActivity(Envelope<'a>),
    /// X Activity API: one event.
    Activity(ActivityEvent<'a>),
}

impl<'a> Delivery<'a> {
    /// Reads a delivery from the raw body. An object with a `data` object is an XAA event; any
    /// other object is an Account Activity envelope (checked by [`Envelope::parse`]).
    pub fn parse(body: &'a [u8]) -> Result<Self, EnvelopeError> {
        let envelope = Envelope::parse(body)?;
        match envelope.activity {
            Some(data) if data.raw_json().trim_start().starts_with('{') => {
                let event: ActivityEvent<'a> = serde_json::from_str(data.raw_json())
                    .map_err(|e| EnvelopeError::from_json(&e))?;
                Ok(Delivery::Activity(event))
            }
            _ => Ok(Delivery::AccountActivity(envelope)),
        }
    }
}

/// The kinds of XAA event dmbot acts on; everything else is acknowledged and ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityKind {
    /// `dm.received`: a message to the filtered account (a customer wrote).
    DmReceived,
    /// `dm.sent`: a message from the filtered account (the bot's echo, or a person answering).
    DmSent,
    /// `dm.read`: someone read the account's messages.
    DmRead,
    /// `dm.indicate_typing`: someone is typing to the account.
    DmTyping,
    /// `oauth.revoke`: a user withdrew the app's access.
    OauthRevoke,
    /// Any other event type (profile, post, chat, ... events).
    Other,
}

/// `data` of an XAA delivery. The payload stays raw until the kind says how to read it.
#[derive(Debug, Deserialize)]
pub struct ActivityEvent<'a> {
    /// XAA's own id of the delivery (a string, which may be negative). DM events are
    /// deduplicated on their DM event id, as on the Account Activity API.
    #[serde(default)]
    pub event_uuid: Option<String>,
    #[serde(default)]
    pub filter: Filter,
    pub event_type: String,
    #[serde(default)]
    pub tag: Option<String>,
    #[serde(default, borrow)]
    pub payload: Option<&'a RawValue>,
}

/// The subscription's filter: for DM events, the business account.
#[derive(Debug, Default, Deserialize)]
pub struct Filter {
    #[serde(default)]
    pub user_id: Option<UserId>,
}

/// `payload` of `dm.received` and `dm.sent`.
#[derive(Debug, Default, Deserialize)]
struct DmPayload<'a> {
    #[serde(default, borrow)]
    direct_message_events: Vec<Item<'a, DirectMessageEvent>>,
    #[serde(default, borrow)]
    users: HashMap<String, Item<'a, User>>,
}

/// `payload` of `oauth.revoke`.
#[derive(Debug, Deserialize)]
struct RevokePayload {
    user_id: UserId,
}

impl<'a> ActivityEvent<'a> {
    pub fn kind(&self) -> ActivityKind {
        match self.event_type.as_str() {
            "dm.received" => ActivityKind::DmReceived,
            "dm.sent" => ActivityKind::DmSent,
            "dm.read" => ActivityKind::DmRead,
            "dm.indicate_typing" => ActivityKind::DmTyping,
            "oauth.revoke" => ActivityKind::OauthRevoke,
            _ => ActivityKind::Other,
        }
    }

    /// For `dm.received` and `dm.sent`: the events as an Account Activity envelope for the
    /// filtered account, so that they are classified exactly as on that API. `None` for the other
    /// kinds.
    pub fn dm_envelope(&self) -> Option<Result<Envelope<'a>, EnvelopeError>> {
        if !matches!(self.kind(), ActivityKind::DmReceived | ActivityKind::DmSent) {
            return None;
        }
        Some(self.read_dm_payload())
    }

    fn read_dm_payload(&self) -> Result<Envelope<'a>, EnvelopeError> {
        let payload: DmPayload<'a> = match self.payload {
            Some(raw) => {
                serde_json::from_str(raw.get()).map_err(|e| EnvelopeError::from_json(&e))?
            }
            None => DmPayload::default(),
        };
        let Some(account) = self.filter.user_id.clone() else {
            return Err(EnvelopeError::MissingForUserId);
        };
        Ok(Envelope {
            for_user_id: Some(account),
            direct_message_events: payload.direct_message_events,
            users: payload.users,
            ..Envelope::default()
        })
    }

    /// For `oauth.revoke`: the user who revoked. `None` for other kinds; an error when the
    /// payload does not name one.
    pub fn revoked_user(&self) -> Option<Result<UserId, EnvelopeError>> {
        if self.kind() != ActivityKind::OauthRevoke {
            return None;
        }
        let raw = self.payload.map_or("null", RawValue::get);
        Some(
            serde_json::from_str::<RevokePayload>(raw)
                .map(|p| p.user_id)
                .map_err(|e| EnvelopeError::from_json(&e)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dm_received() -> String {
        r#"{"data":{"event_uuid":"-6850472171600526495","filter":{"user_id":"1111111111111111111"},
        "event_type":"dm.received","tag":"dm-inbound","payload":{"direct_message_events":[{
        "type":"message_create","id":"2080765901528535096","created_timestamp":"1784928224372",
        "message_create":{"target":{"recipient_id":"1111111111111111111"},
        "sender_id":"2222222222222222222","message_data":{"text":"hello!","entities":{}}}}],
        "users":{"2222222222222222222":{"data":{"id":"2222222222222222222","username":"OtherUser",
        "name":"Other User","verified":false}}}}}}"#
            .to_string()
    }

    #[test]
    fn an_account_activity_envelope_is_read_as_before() {
        let body = br#"{"for_user_id":"4337869213","direct_message_events":[]}"#;
        let Delivery::AccountActivity(envelope) = Delivery::parse(body).expect("parses") else {
            panic!("an envelope is not an XAA event");
        };
        assert_eq!(
            envelope.for_user_id.expect("account").as_str(),
            "4337869213"
        );
    }

    #[test]
    fn dm_received_becomes_an_envelope_for_the_filtered_account() {
        let body = dm_received();
        let Delivery::Activity(event) = Delivery::parse(body.as_bytes()).expect("parses") else {
            panic!("XAA event expected");
        };
        assert_eq!(event.kind(), ActivityKind::DmReceived);
        assert_eq!(event.event_uuid.as_deref(), Some("-6850472171600526495"));
        let envelope = event
            .dm_envelope()
            .expect("a DM kind")
            .expect("well formed");
        assert_eq!(
            envelope.for_user_id.as_ref().map(UserId::as_str),
            Some("1111111111111111111")
        );
        let dm = envelope.direct_message_events[0]
            .parse()
            .expect("the DM event");
        assert_eq!(dm.id.as_str(), "2080765901528535096");
        let sender = UserId::parse("2222222222222222222").expect("id");
        let user = envelope.user(&sender).expect("the v2 user object is read");
        assert_eq!(user.screen_name.as_deref(), Some("OtherUser"));
        assert_eq!(user.name.as_deref(), Some("Other User"));
    }

    #[test]
    fn dm_events_without_the_filtered_account_are_refused() {
        let body = dm_received().replace(
            r#""filter":{"user_id":"1111111111111111111"}"#,
            r#""filter":{}"#,
        );
        let Delivery::Activity(event) = Delivery::parse(body.as_bytes()).expect("parses") else {
            panic!("XAA event expected");
        };
        assert!(matches!(
            event.dm_envelope(),
            Some(Err(EnvelopeError::MissingForUserId))
        ));
    }

    #[test]
    fn revoke_names_the_user_and_other_kinds_are_not_dm_events() {
        let body = br#"{"data":{"event_uuid":"5934540941047412905","filter":{},"event_type":"oauth.revoke",
            "payload":{"date_time":"2026-07-23T21:44:05+00:00","user_id":"1111111111111111111","app_id":"29820954"}}}"#;
        let Delivery::Activity(event) = Delivery::parse(body).expect("parses") else {
            panic!("XAA event expected");
        };
        assert_eq!(event.kind(), ActivityKind::OauthRevoke);
        assert!(event.dm_envelope().is_none());
        let user = event
            .revoked_user()
            .expect("a revoke")
            .expect("names a user");
        assert_eq!(user.as_str(), "1111111111111111111");

        let body = br#"{"data":{"event_uuid":"1","filter":{"user_id":"1"},"event_type":"profile.update.bio","payload":{}}}"#;
        let Delivery::Activity(event) = Delivery::parse(body).expect("parses") else {
            panic!("XAA event expected");
        };
        assert_eq!(event.kind(), ActivityKind::Other);
        assert!(event.dm_envelope().is_none() && event.revoked_user().is_none());
    }

    #[test]
    fn malformed_deliveries_are_errors_not_panics() {
        for body in [
            &b"{"[..],
            br#"{"data":{"filter":{}}}"#,
            br#"{"data":{"event_type":"dm.received","filter":{"user_id":"x"}}}"#,
            br#"{"data":{"event_type":7}}"#,
            br#"[1,2]"#,
        ] {
            assert!(
                Delivery::parse(body).is_err(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        let body = br#"{"data":{"event_type":"dm.received","filter":{"user_id":"1"},"payload":{"direct_message_events":{}}}}"#;
        let Delivery::Activity(event) = Delivery::parse(body).expect("outer shape is fine") else {
            panic!("XAA event expected");
        };
        assert!(matches!(
            event.dm_envelope(),
            Some(Err(EnvelopeError::WrongShape { .. }))
        ));
        let body = br#"{"data":{"event_type":"oauth.revoke","payload":{}}}"#;
        let Delivery::Activity(event) = Delivery::parse(body).expect("outer shape is fine") else {
            panic!("XAA event expected");
        };
        assert!(matches!(event.revoked_user(), Some(Err(_))));
    }
}
