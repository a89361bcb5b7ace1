//! A message's content (text, quick replies, buttons, one attachment), the ids it refers to,
//! welcome-message content and the Direct Message itself.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::{Buttons, LimitError, MAX_WELCOME_TEXT_CHARS, MessageText, QuickReply, chars};
use crate::domain::UserId;
/// A media id from the upload endpoint (a decimal string). One per message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct MediaId(String);

impl MediaId {
    pub fn new(value: impl Into<String>) -> Result<Self, LimitError> {
        let value = value.into();
        if value.is_empty() || value.len() > 32 || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(LimitError::new(
                "attachment.media.id",
                "must be a media id made of digits",
            ));
        }
        Ok(Self(value))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A custom profile id (a decimal string).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct CustomProfileId(String);

impl CustomProfileId {
    pub fn new(value: impl Into<String>) -> Result<Self, LimitError> {
        let value = value.into();
        if value.is_empty() || value.len() > 32 || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(LimitError::new(
                "custom_profile_id",
                "must be a custom profile id made of digits",
            ));
        }
        Ok(Self(value))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The content of a message (`message_data`): text plus optional quick replies, buttons and
/// one media attachment. Built with [`MessageData::new`] and the `with_*` methods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageData {
    pub text: MessageText,
    pub quick_reply: Option<QuickReply>,
    pub buttons: Option<Buttons>,
    pub media: Option<MediaId>,
}

impl MessageData {
    pub fn new(text: MessageText) -> Self {
        Self {
            text,
            quick_reply: None,
            buttons: None,
            media: None,
        }
    }

    /// A text-only message from a raw string.
    pub fn text(text: impl Into<String>) -> Result<Self, LimitError> {
        Ok(Self::new(MessageText::new(text)?))
    }

    pub fn with_quick_reply(mut self, quick_reply: QuickReply) -> Self {
        self.quick_reply = Some(quick_reply);
        self
    }

    pub fn with_buttons(mut self, buttons: Buttons) -> Self {
        self.buttons = Some(buttons);
        self
    }

    pub fn with_media(mut self, media: MediaId) -> Self {
        self.media = Some(media);
        self
    }
}

impl Serialize for MessageData {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Attachment<'a>(&'a MediaId);
        impl Serialize for Attachment<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("type", "media")?;
                m.serialize_entry("media", &serde_json::json!({ "id": self.0.as_str() }))?;
                m.end()
            }
        }
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("text", &self.text)?;
        if let Some(q) = &self.quick_reply {
            m.serialize_entry("quick_reply", q)?;
        }
        if let Some(b) = &self.buttons {
            m.serialize_entry("ctas", b)?;
        }
        if let Some(media) = &self.media {
            m.serialize_entry("attachment", &Attachment(media))?;
        }
        m.end()
    }
}

/// The content of a welcome message: a [`MessageData`] whose text is at most 9,990 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct WelcomeMessageData(MessageData);

impl WelcomeMessageData {
    pub fn new(data: MessageData) -> Result<Self, LimitError> {
        let n = chars(data.text.as_str());
        if n > MAX_WELCOME_TEXT_CHARS {
            return Err(LimitError::new(
                "text",
                format!(
                    "must be at most {MAX_WELCOME_TEXT_CHARS} characters in a welcome message (has {n})"
                ),
            ));
        }
        Ok(Self(data))
    }

    pub fn data(&self) -> &MessageData {
        &self.0
    }
}

/// A Direct Message ready for `POST direct_messages/events/new.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectMessage {
    pub recipient: UserId,
    pub custom_profile: Option<CustomProfileId>,
    pub data: MessageData,
}

impl DirectMessage {
    pub fn new(recipient: UserId, data: MessageData) -> Self {
        Self {
            recipient,
            custom_profile: None,
            data,
        }
    }

    pub fn with_custom_profile(mut self, profile: CustomProfileId) -> Self {
        self.custom_profile = Some(profile);
        self
    }

    /// The JSON body Twitter expects: `{"event":{"type":"message_create","message_create":{...}}}`.
    pub fn to_request_body(&self) -> serde_json::Value {
        let mut create = serde_json::Map::new();
        create.insert(
            "target".into(),
            serde_json::json!({ "recipient_id": self.recipient.as_str() }),
        );
        if let Some(p) = &self.custom_profile {
            create.insert("custom_profile_id".into(), p.as_str().into());
        }
        create.insert(
            "message_data".into(),
            serde_json::to_value(&self.data).unwrap_or(serde_json::Value::Null),
        );
        serde_json::json!({ "event": { "type": "message_create", "message_create": create } })
    }
}
