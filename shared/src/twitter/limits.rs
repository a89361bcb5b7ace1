//! Twitter's limits on what can be sent, as types.
//!
//! "Parse, don't validate": every piece of an outgoing Direct Message or welcome message has a
//! constructor that refuses values Twitter would reject, with a [`LimitError`] naming the field
//! and the limit. A [`MessageData`] that exists can be sent. The limits come from
//! `docs/TWITTER-API.md` §3 and §4:
//!
//! | Field | Limit |
//! | --- | --- |
//! | `text` | required, at most 10,000 characters (9,990 in a welcome message) |
//! | `quick_reply.options` | 1 to 20; `label` ≤ 36 and no URLs; `description` ≤ 72 on all options or none; `metadata` ≤ 1,000 |
//! | `ctas` (buttons) | 1 to 3 of `web_url`, `label` ≤ 36, `url` http(s) |
//! | `attachment` | one media id |
//! | custom profile `name` | ≤ 48 |
//! | welcome message `name` | ≤ 100 |
//!
//! Lengths are counted in Unicode scalar values (what Twitter calls characters for DMs).

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::domain::UserId;

/// A value Twitter would refuse. `field` is a path such as `quick_reply.options[3].label`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct LimitError {
    pub field: String,
    pub problem: String,
}

impl LimitError {
    fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            problem: problem.into(),
        }
    }

    /// Puts `prefix` in front of the field path (`options[2]` + `label` → `options[2].label`).
    pub fn within(mut self, prefix: &str) -> Self {
        self.field = if self.field.is_empty() {
            prefix.to_string()
        } else {
            format!("{prefix}.{}", self.field)
        };
        self
    }
}

/// Maximum characters of a Direct Message's text.
pub const MAX_TEXT_CHARS: usize = 10_000;
/// Maximum characters of a welcome message's text.
pub const MAX_WELCOME_TEXT_CHARS: usize = 9_990;
/// Quick-reply options per message.
pub const MAX_QUICK_REPLY_OPTIONS: usize = 20;
/// Characters of a quick-reply label.
pub const MAX_QUICK_REPLY_LABEL_CHARS: usize = 36;
/// Characters of a quick-reply description.
pub const MAX_QUICK_REPLY_DESCRIPTION_CHARS: usize = 72;
/// Characters of quick-reply metadata (it comes back as `quick_reply_response.metadata`).
pub const MAX_QUICK_REPLY_METADATA_CHARS: usize = 1_000;
/// Buttons (`ctas`) per message.
pub const MAX_BUTTONS: usize = 3;
/// Characters of a button label.
pub const MAX_BUTTON_LABEL_CHARS: usize = 36;
/// Characters of a custom profile's name.
pub const MAX_CUSTOM_PROFILE_NAME_CHARS: usize = 48;
/// Characters of a welcome message's name.
pub const MAX_WELCOME_MESSAGE_NAME_CHARS: usize = 100;

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn bounded(field: &str, value: String, max: usize, required: bool) -> Result<String, LimitError> {
    let n = chars(&value);
    if required && value.trim().is_empty() {
        return Err(LimitError::new(field, "is required and must not be blank"));
    }
    if n > max {
        return Err(LimitError::new(
            field,
            format!("must be at most {max} characters (has {n})"),
        ));
    }
    Ok(value)
}

macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $field:literal, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            #[doc = concat!("Accepts a non-blank `", $field, "` within its limit.")]
            pub fn new(value: impl Into<String>) -> Result<Self, LimitError> {
                bounded($field, value.into(), $max, true).map(Self)
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

bounded_text!(
    /// A Direct Message's text: required, at most 10,000 characters.
    MessageText,
    "text",
    MAX_TEXT_CHARS
);
bounded_text!(
    /// A quick-reply option's description: at most 72 characters.
    QuickReplyDescription,
    "description",
    MAX_QUICK_REPLY_DESCRIPTION_CHARS
);
bounded_text!(
    /// Quick-reply metadata: at most 1,000 characters; Twitter hands it back in
    /// `quick_reply_response.metadata` when the option is tapped, which is how flows route.
    QuickReplyMetadata,
    "metadata",
    MAX_QUICK_REPLY_METADATA_CHARS
);
bounded_text!(
    /// A button's label: at most 36 characters.
    ButtonLabel,
    "label",
    MAX_BUTTON_LABEL_CHARS
);
bounded_text!(
    /// A custom profile's name: at most 48 characters.
    CustomProfileName,
    "name",
    MAX_CUSTOM_PROFILE_NAME_CHARS
);
bounded_text!(
    /// A welcome message's name (an operator's label, not shown to customers): at most 100.
    WelcomeMessageName,
    "name",
    MAX_WELCOME_MESSAGE_NAME_CHARS
);

fn looks_like_url(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    lower.contains("://") || lower.contains("www.")
}

/// A quick-reply option's label: at most 36 characters and no URLs (Twitter refuses them).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct QuickReplyLabel(String);

impl QuickReplyLabel {
    pub fn new(value: impl Into<String>) -> Result<Self, LimitError> {
        let value = bounded("label", value.into(), MAX_QUICK_REPLY_LABEL_CHARS, true)?;
        if looks_like_url(&value) {
            return Err(LimitError::new("label", "must not contain a URL"));
        }
        Ok(Self(value))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One quick-reply option.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuickReplyOption {
    pub label: QuickReplyLabel,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<QuickReplyDescription>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<QuickReplyMetadata>,
}

impl QuickReplyOption {
    /// An option from raw strings, each checked (errors name `label`, `description`,
    /// `metadata`).
    pub fn new(
        label: impl Into<String>,
        description: Option<String>,
        metadata: Option<String>,
    ) -> Result<Self, LimitError> {
        Ok(Self {
            label: QuickReplyLabel::new(label)?,
            description: description.map(QuickReplyDescription::new).transpose()?,
            metadata: metadata.map(QuickReplyMetadata::new).transpose()?,
        })
    }
}

/// Quick replies: 1 to 20 options; descriptions on all options or on none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuickReply {
    options: Vec<QuickReplyOption>,
}

impl QuickReply {
    pub fn new(options: Vec<QuickReplyOption>) -> Result<Self, LimitError> {
        let field = "quick_reply.options";
        if options.is_empty() {
            return Err(LimitError::new(field, "needs at least 1 option"));
        }
        if options.len() > MAX_QUICK_REPLY_OPTIONS {
            return Err(LimitError::new(
                field,
                format!(
                    "must have at most {MAX_QUICK_REPLY_OPTIONS} options (has {})",
                    options.len()
                ),
            ));
        }
        let with_description = options.iter().filter(|o| o.description.is_some()).count();
        if with_description != 0 && with_description != options.len() {
            return Err(LimitError::new(
                field,
                format!(
                    "descriptions must be on all options or on none ({with_description} of {} have one)",
                    options.len()
                ),
            ));
        }
        Ok(Self { options })
    }

    pub fn options(&self) -> &[QuickReplyOption] {
        &self.options
    }
}

impl Serialize for QuickReply {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("type", "options")?;
        m.serialize_entry("options", &self.options)?;
        m.end()
    }
}

/// A button's target: an absolute `http` or `https` URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ButtonUrl(String);

impl ButtonUrl {
    pub fn new(value: impl Into<String>) -> Result<Self, LimitError> {
        let value = value.into();
        match url::Url::parse(&value) {
            Ok(u) if (u.scheme() == "https" || u.scheme() == "http") && u.host().is_some() => {
                Ok(Self(value))
            }
            Ok(u) => Err(LimitError::new(
                "url",
                format!("must be an http(s) URL (scheme is {:?})", u.scheme()),
            )),
            Err(e) => Err(LimitError::new("url", format!("is not a valid URL ({e})"))),
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A `web_url` button (Twitter calls them calls-to-action, `ctas`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    pub label: ButtonLabel,
    pub url: ButtonUrl,
}

impl Button {
    pub fn new(label: impl Into<String>, url: impl Into<String>) -> Result<Self, LimitError> {
        Ok(Self {
            label: ButtonLabel::new(label)?,
            url: ButtonUrl::new(url)?,
        })
    }
}

impl Serialize for Button {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("type", "web_url")?;
        m.serialize_entry("label", &self.label)?;
        m.serialize_entry("url", &self.url)?;
        m.end()
    }
}

/// 1 to 3 buttons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Buttons(Vec<Button>);

impl Buttons {
    pub fn new(buttons: Vec<Button>) -> Result<Self, LimitError> {
        if buttons.is_empty() {
            return Err(LimitError::new("ctas", "needs at least 1 button"));
        }
        if buttons.len() > MAX_BUTTONS {
            return Err(LimitError::new(
                "ctas",
                format!(
                    "must have at most {MAX_BUTTONS} buttons (has {})",
                    buttons.len()
                ),
            ));
        }
        Ok(Self(buttons))
    }
    pub fn as_slice(&self) -> &[Button] {
        &self.0
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn option(label: &str, description: Option<&str>, metadata: &str) -> QuickReplyOption {
        QuickReplyOption::new(
            label,
            description.map(str::to_string),
            Some(metadata.to_string()),
        )
        .unwrap()
    }

    #[test]
    fn text_of_exactly_ten_thousand_characters_is_accepted_and_one_more_is_refused() {
        assert!(MessageText::new("é".repeat(MAX_TEXT_CHARS)).is_ok());
        let err = MessageText::new("é".repeat(MAX_TEXT_CHARS + 1)).unwrap_err();
        assert_eq!(err.field, "text");
        assert!(err.problem.contains("10000"), "{err}");
    }

    #[test]
    fn blank_text_is_refused() {
        assert!(MessageText::new("  ").is_err());
        assert!(MessageText::new("").is_err());
    }

    #[test]
    fn welcome_text_is_limited_to_9990_characters() {
        let ok = MessageData::text("a".repeat(MAX_WELCOME_TEXT_CHARS)).unwrap();
        assert!(WelcomeMessageData::new(ok).is_ok());
        let long = MessageData::text("a".repeat(MAX_WELCOME_TEXT_CHARS + 1)).unwrap();
        let err = WelcomeMessageData::new(long).unwrap_err();
        assert!(err.problem.contains("9990"), "{err}");
    }

    #[test]
    fn quick_reply_labels_over_36_characters_or_with_urls_are_refused() {
        assert!(QuickReplyLabel::new("a".repeat(36)).is_ok());
        assert_eq!(
            QuickReplyLabel::new("a".repeat(37)).unwrap_err().field,
            "label"
        );
        assert!(QuickReplyLabel::new("see https://x.example").is_err());
        assert!(QuickReplyLabel::new("www.example.com").is_err());
    }

    #[test]
    fn quick_reply_needs_one_to_twenty_options() {
        assert!(QuickReply::new(vec![]).is_err());
        let twenty: Vec<_> = (0..20)
            .map(|i| option(&format!("o{i}"), None, "m"))
            .collect();
        assert!(QuickReply::new(twenty.clone()).is_ok());
        let mut twenty_one = twenty;
        twenty_one.push(option("x", None, "m"));
        let err = QuickReply::new(twenty_one).unwrap_err();
        assert_eq!(err.field, "quick_reply.options");
    }

    #[test]
    fn quick_reply_descriptions_must_be_on_all_options_or_none() {
        let mixed = vec![option("a", Some("d"), "m"), option("b", None, "m")];
        let err = QuickReply::new(mixed).unwrap_err();
        assert!(err.problem.contains("all options or on none"), "{err}");
        let all = vec![option("a", Some("d"), "m"), option("b", Some("e"), "m")];
        assert!(QuickReply::new(all).is_ok());
    }

    #[test]
    fn descriptions_and_metadata_have_their_limits() {
        assert!(QuickReplyDescription::new("d".repeat(72)).is_ok());
        assert!(QuickReplyDescription::new("d".repeat(73)).is_err());
        assert!(QuickReplyMetadata::new("m".repeat(1000)).is_ok());
        assert!(QuickReplyMetadata::new("m".repeat(1001)).is_err());
    }

    #[test]
    fn buttons_need_http_urls_short_labels_and_at_most_three() {
        assert!(Button::new("Track", "https://acme.example/track").is_ok());
        assert!(Button::new("Track", "http://acme.example").is_ok());
        assert_eq!(
            Button::new("Track", "javascript:alert(1)")
                .unwrap_err()
                .field,
            "url"
        );
        assert!(Button::new("Track", "not a url").is_err());
        assert!(Button::new("a".repeat(37), "https://a.example").is_err());
        let b = || Button::new("x", "https://a.example").unwrap();
        assert!(Buttons::new(vec![]).is_err());
        assert!(Buttons::new(vec![b(), b(), b()]).is_ok());
        assert!(Buttons::new(vec![b(), b(), b(), b()]).is_err());
    }

    #[test]
    fn profile_and_welcome_names_have_their_limits() {
        assert!(CustomProfileName::new("n".repeat(48)).is_ok());
        assert!(CustomProfileName::new("n".repeat(49)).is_err());
        assert!(WelcomeMessageName::new("n".repeat(100)).is_ok());
        assert!(WelcomeMessageName::new("n".repeat(101)).is_err());
    }

    #[test]
    fn errors_carry_the_field_path() {
        let err = QuickReplyLabel::new("a".repeat(40))
            .unwrap_err()
            .within("quick_reply.options[3]");
        assert_eq!(err.field, "quick_reply.options[3].label");
        assert!(
            err.to_string()
                .starts_with("quick_reply.options[3].label: ")
        );
    }

    #[test]
    fn a_full_message_serializes_exactly_like_twitters_example() {
        let qr = QuickReply::new(vec![
            option("Order status", Some("Where is my parcel?"), "order_status"),
            option("Returns", Some("Send something back"), "returns"),
            option("Talk to a person", Some("An agent will answer"), "agent"),
        ])
        .unwrap();
        let data = MessageData::text("What can we help you with?")
            .unwrap()
            .with_quick_reply(qr)
            .with_buttons(
                Buttons::new(vec![
                    Button::new("Track online", "https://acme.example/track").unwrap(),
                ])
                .unwrap(),
            )
            .with_media(MediaId::new("48909183894931").unwrap());
        let dm = DirectMessage::new(UserId::parse("3001969357").unwrap(), data)
            .with_custom_profile(CustomProfileId::new("100001").unwrap());
        let fixture: serde_json::Value = serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/send_dm_full.json"
        )))
        .unwrap();
        assert_eq!(dm.to_request_body(), fixture);
    }

    #[test]
    fn a_text_only_message_has_no_optional_keys() {
        let body = DirectMessage::new(
            UserId::parse("1").unwrap(),
            MessageData::text("hi").unwrap(),
        )
        .to_request_body();
        assert_eq!(
            body,
            serde_json::json!({"event":{"type":"message_create","message_create":{
                "target":{"recipient_id":"1"},"message_data":{"text":"hi"}}}})
        );
    }
}
