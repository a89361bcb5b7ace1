//! The validated parts of a flow: nodes, keyword routes, custom profiles, welcome messages and
//! hand-over settings.

use serde::{Deserialize, Serialize};

use super::MediaFile;
use super::text::Phrase;
use crate::twitter::limits::{
    Buttons, CustomProfileName, LimitError, MediaId, MessageData, MessageText, QuickReply,
    WelcomeMessageData, WelcomeMessageName,
};
/// Whether a custom profile is the bot's voice or a person's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileRole {
    Bot,
    /// For people answering from the account; the engine never speaks as them on its own.
    Agent,
}

/// A custom profile: the name and avatar shown on messages instead of the account's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: CustomProfileName,
    pub avatar: MediaFile,
    pub role: ProfileRole,
}

/// A welcome message: shows its node's content when someone opens a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WelcomeMessage {
    pub name: WelcomeMessageName,
    /// The node the conversation is at once the customer answers the welcome message.
    pub node: String,
    /// The one `flow sync` makes the account's default (a welcome message rule).
    pub default: bool,
    /// Text, quick replies and buttons, within the welcome message limits; no media id yet.
    pub(super) data: MessageData,
    pub media: Option<MediaFile>,
}

impl WelcomeMessage {
    /// The `message_data` for `welcome_messages/new.json`, with the media id once uploaded.
    /// It cannot fail for a validated flow; the `Result` keeps the limits type honest.
    pub fn message_data(&self, media: Option<MediaId>) -> Result<WelcomeMessageData, LimitError> {
        let mut data = self.data.clone();
        data.media = media;
        WelcomeMessageData::new(data)
    }
}

/// A keyword rule, compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeywordRoute {
    pub(crate) phrase: Phrase,
    pub(crate) goto: String,
}

/// A validated node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub(super) id: String,
    /// The text template (may hold placeholders).
    pub(super) text: MessageText,
    pub(super) quick_reply: Option<QuickReply>,
    pub(super) buttons: Option<Buttons>,
    pub(super) media: Option<MediaFile>,
    pub(super) profile: Option<CustomProfileName>,
    pub(super) keywords: Vec<KeywordRoute>,
    pub(super) fallback: Option<String>,
    pub(super) handoff: bool,
    pub(super) typing: bool,
    pub(super) mark_read: bool,
}

impl Node {
    pub fn id(&self) -> &str {
        &self.id
    }
    /// The text as written, placeholders unfilled.
    pub fn text(&self) -> &MessageText {
        &self.text
    }
    pub fn quick_reply(&self) -> Option<&QuickReply> {
        self.quick_reply.as_ref()
    }
    pub fn buttons(&self) -> Option<&Buttons> {
        self.buttons.as_ref()
    }
    pub fn media(&self) -> Option<&MediaFile> {
        self.media.as_ref()
    }
    /// The custom profile the node speaks as (its own or the flow's default).
    pub fn profile(&self) -> Option<&CustomProfileName> {
        self.profile.as_ref()
    }
    /// Whether entering the node hands the conversation over to a person.
    pub fn is_handoff(&self) -> bool {
        self.handoff
    }
    /// Where unmatched messages go from here (the flow's `fallback` when `None`).
    pub fn fallback(&self) -> Option<&str> {
        self.fallback.as_deref()
    }
}

/// `[handoff]`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HandoffSettings {
    pub(crate) resume_after_ms: Option<u64>,
    pub(crate) resume_keywords: Vec<Phrase>,
}
