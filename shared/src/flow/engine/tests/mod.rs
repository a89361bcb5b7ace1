//! Engine tests: one per routing rule, hand-over and resumption, and a property test over the
//! example flow.
//!
//! Helpers here; one file per area: `routing.rs`, `welcome.rs`, `handoff.rs`, `plan.rs`,
//! `property.rs`.

mod handoff;
mod plan;
mod property;
mod routing;
mod welcome;

use super::*;
use crate::domain::{InboundMessage, UserId};
use crate::flow::tests::example;
use crate::twitter::limits::{
    CustomProfileId, MAX_BUTTON_LABEL_CHARS, MAX_BUTTONS, MAX_QUICK_REPLY_DESCRIPTION_CHARS,
    MAX_QUICK_REPLY_LABEL_CHARS, MAX_QUICK_REPLY_METADATA_CHARS, MAX_QUICK_REPLY_OPTIONS,
    MAX_TEXT_CHARS, MediaId, MessageText,
};

const T0: u64 = 1_516_403_560_557;
const MINUTE: u64 = 60_000;
const GREETING_ID: &str = "844385345234";
const SIZE_GUIDE_ID: &str = "844385345299";

/// The example flow, synced (so welcome ids are known).
fn flow() -> Flow {
    let mut f = example();
    f.synced
        .welcome_messages
        .insert("Acme support greeting".into(), GREETING_ID.into());
    f.synced
        .welcome_messages
        .insert("Acme size guide".into(), SIZE_GUIDE_ID.into());
    f
}

fn at(node: &str) -> ConversationState {
    ConversationState {
        node: Some(node.to_string()),
        last_activity_ms: T0 - MINUTE,
        ..Default::default()
    }
}

fn says(text: &str) -> EngineInput<'_> {
    EngineInput {
        text,
        now_ms: T0,
        ..Default::default()
    }
}

fn reply(step: &Step) -> &ReplyPlan {
    match &step.outcome {
        Outcome::Reply(plan) => plan,
        other => panic!("expected a reply, got {other:?}"),
    }
}

/// The node the reply comes from and how it was chosen.
fn routed(flow: &Flow, state: &ConversationState, input: &EngineInput<'_>) -> (String, Via) {
    let s = step(flow, state, input);
    let plan = reply(&s);
    assert_eq!(s.state.node.as_deref(), Some(plan.node.as_str()));
    (plan.node.clone(), plan.via)
}

fn handed_over(since_ms: u64, reason: HandoffReason) -> ConversationState {
    ConversationState {
        node: Some("agent".into()),
        handoff: Some(Handoff { since_ms, reason }),
        last_activity_ms: since_ms,
        ..Default::default()
    }
}

fn assert_silent(s: &Step, reason: HandoffReason) {
    match &s.outcome {
        Outcome::Silent {
            reason: SilentReason::HandedOver { reason: r, .. },
        } => assert_eq!(*r, reason),
        other => panic!("expected silence, got {other:?}"),
    }
}
