//! What a step comes to: the reply plan or the reason for silence, and the state to save.

use serde::Serialize;

use super::super::MediaFile;
use crate::domain::{ConversationState, HandoffReason, UserId};
use crate::twitter::limits::{
    Buttons, CustomProfileId, CustomProfileName, DirectMessage, MediaId, MessageData, MessageText,
    QuickReply,
};

/// How the engine chose the node it answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// The quick-reply option's metadata.
    QuickReply,
    /// A keyword of the current node.
    NodeKeyword,
    /// A global keyword.
    GlobalKeyword,
    /// Nothing matched: the node's (or the flow's) fallback.
    Fallback,
    /// Nothing matched and there was no current node: the flow's start node.
    Start,
    /// Nothing matched in a new conversation on a surface without welcome messages
    /// ([`super::EngineInput::no_welcome_messages`], X API v2): the default welcome message's
    /// node, so that the greeting and its options reach the customer after they wrote first.
    Greeting,
}

/// Why a hand-over ended before this reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResumeCause {
    /// No agent activity for `handoff.resume_after_minutes`.
    Idle,
    /// The customer wrote one of `handoff.resume_keywords`.
    Keyword,
}

/// The reply to send: a valid message without its media id (the file may not be uploaded yet),
/// the media file, the profile to speak as, and what to do before sending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplyPlan {
    /// The node the reply comes from.
    pub node: String,
    pub via: Via,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed: Option<ResumeCause>,
    /// Text, quick replies and buttons. Never holds a media id: see [`ReplyPlan::message_data`].
    pub(super) data: MessageData,
    /// The file to attach; its media id comes from the flow's synced ids or a fresh upload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<MediaFile>,
    /// The custom profile to send as, by name; its id comes from the flow's synced ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_profile: Option<CustomProfileName>,
    /// Show the typing indicator before sending.
    pub typing: bool,
    /// Mark the customer's message read before sending.
    pub mark_read: bool,
}

impl ReplyPlan {
    pub fn text(&self) -> &MessageText {
        &self.data.text
    }
    pub fn quick_reply(&self) -> Option<&QuickReply> {
        self.data.quick_reply.as_ref()
    }
    pub fn buttons(&self) -> Option<&Buttons> {
        self.data.buttons.as_ref()
    }

    /// The final `message_data`. Pass the media id of [`ReplyPlan::media`] once known; with
    /// `None` the message goes without its attachment (e.g. when the upload failed).
    pub fn message_data(&self, media: Option<MediaId>) -> MessageData {
        let mut data = self.data.clone();
        data.media = media;
        data
    }

    /// The Direct Message to send to `recipient`.
    pub fn direct_message(
        &self,
        recipient: UserId,
        media: Option<MediaId>,
        custom_profile: Option<CustomProfileId>,
    ) -> DirectMessage {
        let dm = DirectMessage::new(recipient, self.message_data(media));
        match custom_profile {
            Some(p) => dm.with_custom_profile(p),
            None => dm,
        }
    }
}

/// Why the bot does not answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SilentReason {
    /// A person handles the conversation.
    HandedOver {
        reason: HandoffReason,
        since_ms: u64,
    },
    /// The flow has no node to answer with. Cannot happen with a validated [`Flow`] (its
    /// `start` always exists); it exists so that the engine never has to panic.
    NoNode,
}

/// What the dispatcher should do with a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Reply(ReplyPlan),
    Silent { reason: SilentReason },
}

/// The engine's answer: what to do, and the state to save (whatever the outcome).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub outcome: Outcome,
    pub state: ConversationState,
}
