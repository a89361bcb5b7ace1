//! Quick replies: up to 20 options with a label, an optional description and metadata.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::{
    LimitError, MAX_QUICK_REPLY_LABEL_CHARS, MAX_QUICK_REPLY_OPTIONS, QuickReplyDescription,
    QuickReplyMetadata, bounded, looks_like_url,
};
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
