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
//!
//! One file per part of a message: `quick_reply.rs`, `buttons.rs`, `message.rs` (the message,
//! its media and profile ids, welcome content, the Direct Message).

mod buttons;
mod message;
mod quick_reply;
#[cfg(test)]
mod tests;

use serde::Serialize;

pub use buttons::{Button, ButtonUrl, Buttons};
pub use message::{CustomProfileId, DirectMessage, MediaId, MessageData, WelcomeMessageData};
pub use quick_reply::{QuickReply, QuickReplyLabel, QuickReplyOption};

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
