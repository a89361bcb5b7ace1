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
//!       with no current node: the flow's `start`; but on a surface without welcome messages
//!       ([`EngineInput::no_welcome_messages`], X API v2), a new conversation (never at a node,
//!       never resumed) gets the default welcome message's node ([`Via::Greeting`]): the
//!       greeting a v1.1 customer sees before writing reaches a v2 customer as the first reply.
//!
//!    Why this order: a tap is the customer's exact choice; a node keyword is the meaning of a
//!    word *at this step* (a "yes" to this question) and must beat a general one; global
//!    keywords are the ways out from anywhere ("menu", "agent"); the fallback catches the
//!    rest. Within one keyword list the phrase with the most words wins ("return label" beats
//!    "return"), then the first in the file.
//! 5. **Entering the node.** The reply is the node's message (placeholders filled in, cut to
//!    Twitter's limit if a long name overflows it); the state moves to the node; a hand-over
//!    node also starts a hand-over ([`HandoffReason::FlowNode`]) after its message is sent.
//!
//! `input.rs` and `outcome.rs` hold what goes in and comes out; `routing.rs` picks the node
//! and plans its reply.

mod input;
mod outcome;
mod routing;
#[cfg(test)]
mod tests;

use super::{Flow, text};
use crate::domain::{ConversationState, Handoff, HandoffReason};

pub use input::EngineInput;
pub use outcome::{Outcome, ReplyPlan, ResumeCause, SilentReason, Step, Via};
use routing::{plan, route, typed_choice};

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
    let typed = match (input.quick_reply_metadata, current) {
        (None, Some(node)) if input.typed_choices => typed_choice(node, input.text),
        _ => None,
    };
    let metadata = input.quick_reply_metadata.or(typed);
    // New: never at a node, never resumed (a resumed conversation has seen the greeting).
    let new_conversation = current.is_none() && st.node.is_none() && st.resumed_ms == 0;
    let greet = input.no_welcome_messages && new_conversation;
    let (target, via) = route(flow, current, metadata, &text_words, greet);
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
