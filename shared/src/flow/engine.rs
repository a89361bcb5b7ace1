//! The conversation engine: a pure function from (flow, conversation state, inbound message) to
//! (what to do, new state). No clock, no I/O, no randomness: the dispatcher passes the time and
//! the last agent activity in, and carries the plan out.
//!
//! # What happens to a message, in order
//!
//! 1. **Agent activity.** A person writing from the account (ingestion records it; the
//!    dispatcher passes its time as `agent_last_active_ms`) starts a hand-over with reason
//!    [`HandoffReason::AgentWrote`] when it is newer than the current hand-over's start, or,
//!    with no hand-over, newer than the last time the bot resumed
//!    ([`ConversationState::resumed_ms`]; without that, an old agent message would pause the
//!    bot again right after every resume).
//! 2. **Hand-over.** While a hand-over is active the bot stays [`Outcome::Silent`], unless it
//!    resumes: the idle time `handoff.resume_after_minutes` has passed since the later of the
//!    hand-over's start and the last agent activity ([`ResumeCause::Idle`]), or the customer's
//!    text holds one of `handoff.resume_keywords` ([`ResumeCause::Keyword`]). Resuming is the
//!    same as [`resume`] by an operator: the hand-over ends and the conversation starts afresh
//!    (no current node), then the message is routed as below.
//! 3. **Current node.** A known `welcome_message_id` (the conversation was opened from a
//!    welcome message) puts the conversation at that welcome message's node: the customer has
//!    just seen its content. Otherwise the stored node is used. An unknown welcome id (not
//!    synced, or from another flow) is ignored, and a stored node the flow no longer has (the
//!    flow changed since) counts as no node.
//! 4. **Routing**, first match wins:
//!    1. the quick-reply metadata, looked up across the whole flow (validation makes each
//!       metadata lead to one node), so a tap on an older message's option still works;
//!       metadata that matches nothing (a flow changed since) falls through to the text;
//!    2. the current node's keywords;
//!    3. the global keywords;
//!    4. with a current node: its `fallback`, else the flow's `fallback`;
//!       with no current node: the flow's `start`.
//!
//!    Why this order: a tap is the customer's exact choice; a node keyword is the meaning of a
//!    word *at this step* (a "yes" to this question) and must beat a general one; global
//!    keywords are the ways out from anywhere ("menu", "agent"); the fallback catches the
//!    rest. Within one keyword list the phrase with the most words wins ("return label" beats
//!    "return"), then the first in the file.
//! 5. **Entering the node.** The reply is the node's message (placeholders filled in, cut to
//!    Twitter's limit if a long name overflows it); the state moves to the node; a hand-over
//!    node also starts a hand-over ([`HandoffReason::FlowNode`]) after its message is sent.

use serde::Serialize;

use super::text;
use super::{Flow, KeywordRoute, MediaFile, Node};
use crate::domain::{ConversationState, Handoff, HandoffReason, InboundMessage, UserId};
use crate::twitter::limits::{
    Buttons, CustomProfileId, CustomProfileName, DirectMessage, MediaId, MessageData, MessageText,
    QuickReply,
};

/// What the engine needs to know about one inbound message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EngineInput<'a> {
    /// The customer's text (a tapped quick reply sends its label as text).
    pub text: &'a str,
    /// `quick_reply_response.metadata`, when the customer tapped an option.
    pub quick_reply_metadata: Option<&'a str>,
    /// `initiated_via.welcome_message_id`, when the conversation was opened from one.
    pub welcome_message_id: Option<&'a str>,
    /// The customer's display name, for `{customer_name}`.
    pub customer_name: Option<&'a str>,
    /// When a person last wrote from the account in this conversation (ms since epoch), as the
    /// store recorded it.
    pub agent_last_active_ms: Option<u64>,
    /// The time of the message (ms since epoch). Prefer the message's own timestamp to the
    /// clock, so that a retry decides the same way.
    pub now_ms: u64,
}

impl<'a> EngineInput<'a> {
    /// The input for a stored inbound message; `now_ms` is the message's creation time.
    pub fn from_message(message: &'a InboundMessage, agent_last_active_ms: Option<u64>) -> Self {
        Self {
            text: &message.text,
            quick_reply_metadata: message.quick_reply_metadata.as_deref(),
            welcome_message_id: message.welcome_message_id.as_deref(),
            customer_name: message.customer_name.as_deref(),
            agent_last_active_ms,
            now_ms: message.created_ms,
        }
    }
}

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
    data: MessageData,
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

/// An operator resumes the bot: the hand-over ends and the next message starts the
/// conversation afresh (as if new: quick-reply metadata, global keywords, else `start`).
/// `now_ms` is recorded so that agent messages from before the resume do not pause the bot
/// again.
pub fn resume(state: &ConversationState, now_ms: u64) -> ConversationState {
    ConversationState {
        node: None,
        handoff: None,
        resumed_ms: state.resumed_ms.max(now_ms),
        ..state.clone()
    }
}

/// Runs one inbound message through the flow. See the module documentation for the rules.
pub fn step(flow: &Flow, state: &ConversationState, input: &EngineInput<'_>) -> Step {
    let now = input.now_ms;
    let mut st = state.clone();
    st.last_activity_ms = st
        .last_activity_ms
        .max(now)
        .max(input.agent_last_active_ms.unwrap_or(0));

    // 1. Agent activity.
    if let Some(agent) = input.agent_last_active_ms {
        let newer = match &st.handoff {
            Some(h) => agent > h.since_ms,
            None => agent > st.resumed_ms,
        };
        if newer {
            st.handoff = Some(Handoff {
                since_ms: agent,
                reason: HandoffReason::AgentWrote,
            });
        }
    }

    // 2. Hand-over.
    let text_words = text::words(input.text);
    let mut resumed = None;
    if let Some(h) = &st.handoff {
        let idle_from = h.since_ms.max(input.agent_last_active_ms.unwrap_or(0));
        let idle = flow
            .handoff
            .resume_after_ms
            .is_some_and(|after| now.saturating_sub(idle_from) >= after);
        let keyword = flow
            .handoff
            .resume_keywords
            .iter()
            .any(|k| k.occurs_in(&text_words));
        if !idle && !keyword {
            let reason = SilentReason::HandedOver {
                reason: h.reason.clone(),
                since_ms: h.since_ms,
            };
            return Step {
                outcome: Outcome::Silent { reason },
                state: st,
            };
        }
        resumed = Some(if idle {
            ResumeCause::Idle
        } else {
            ResumeCause::Keyword
        });
        st = resume(&st, now);
    }

    // 3. Current node.
    let welcome_node = input
        .welcome_message_id
        .and_then(|id| flow.welcome_by_twitter_id(id))
        .and_then(|w| flow.node(&w.node));
    let current = welcome_node.or_else(|| st.node.as_deref().and_then(|id| flow.node(id)));

    // 4. Routing.
    let (target, via) = route(flow, current, input.quick_reply_metadata, &text_words);
    let Some(node) = flow.node(target).or_else(|| flow.node(flow.start())) else {
        // Unreachable for a validated flow (every route names a node); stay quiet rather
        // than panic.
        return Step {
            outcome: Outcome::Silent {
                reason: SilentReason::NoNode,
            },
            state: st,
        };
    };

    // 5. Entering the node.
    st.node = Some(node.id.clone());
    if node.handoff {
        st.handoff = Some(Handoff {
            since_ms: now,
            reason: HandoffReason::FlowNode,
        });
    }
    Step {
        outcome: Outcome::Reply(plan(flow, node, via, resumed, input.customer_name)),
        state: st,
    }
}

fn route<'f>(
    flow: &'f Flow,
    current: Option<&'f Node>,
    metadata: Option<&str>,
    text_words: &[String],
) -> (&'f str, Via) {
    if let Some(target) = metadata.and_then(|m| flow.routes.get(m)) {
        return (target, Via::QuickReply);
    }
    if let Some(target) = current.and_then(|n| best_keyword(&n.keywords, text_words)) {
        return (target, Via::NodeKeyword);
    }
    if let Some(target) = best_keyword(&flow.keywords, text_words) {
        return (target, Via::GlobalKeyword);
    }
    match current {
        Some(n) => (
            n.fallback.as_deref().unwrap_or(&flow.fallback),
            Via::Fallback,
        ),
        None => (flow.start(), Via::Start),
    }
}

/// The matching keyword with the most words; the first in the file among equals.
fn best_keyword<'k>(keywords: &'k [KeywordRoute], text_words: &[String]) -> Option<&'k str> {
    let mut best: Option<&KeywordRoute> = None;
    for k in keywords {
        if k.phrase.occurs_in(text_words) && best.is_none_or(|b| k.phrase.len() > b.phrase.len()) {
            best = Some(k);
        }
    }
    best.map(|k| k.goto.as_str())
}

fn plan(
    flow: &Flow,
    node: &Node,
    via: Via,
    resumed: Option<ResumeCause>,
    customer_name: Option<&str>,
) -> ReplyPlan {
    let mut data = super::validate::node_data(node);
    data.text = text::render(&node.text, customer_name, &flow.customer_name_fallback);
    ReplyPlan {
        node: node.id.clone(),
        via,
        resumed,
        data,
        media: node.media.clone(),
        custom_profile: node.profile.clone(),
        typing: node.typing,
        mark_read: node.mark_read,
    }
}

#[cfg(test)]
mod tests;
