//! Hand-over to a person and the bot's resumption.

use super::*;

#[test]
fn a_handoff_node_answers_then_pauses_the_bot() {
    let f = flow();
    let first = step(&f, &at("menu"), &says("agent"));
    assert_eq!(reply(&first).node, "agent");
    assert_eq!(
        first.state.handoff,
        Some(Handoff {
            since_ms: T0,
            reason: HandoffReason::FlowNode
        })
    );
    let later = EngineInput {
        now_ms: T0 + 5 * MINUTE,
        ..says("hello? order AC123")
    };
    let second = step(&f, &first.state, &later);
    assert_silent(&second, HandoffReason::FlowNode);
    assert_eq!(second.state.handoff, first.state.handoff);
    assert_eq!(second.state.node.as_deref(), Some("agent"));
    assert_eq!(second.state.last_activity_ms, T0 + 5 * MINUTE);
}

#[test]
fn a_person_writing_from_the_account_pauses_the_bot() {
    let input = EngineInput {
        agent_last_active_ms: Some(T0 - 2 * MINUTE),
        ..says("order status")
    };
    let s = step(&flow(), &at("menu"), &input);
    assert_silent(&s, HandoffReason::AgentWrote);
    assert_eq!(
        s.state.handoff,
        Some(Handoff {
            since_ms: T0 - 2 * MINUTE,
            reason: HandoffReason::AgentWrote
        })
    );
    assert_eq!(s.state.node.as_deref(), Some("menu"));
}

#[test]
fn an_agent_writing_during_a_flow_handoff_takes_it_over() {
    let state = handed_over(T0 - 10 * MINUTE, HandoffReason::FlowNode);
    let input = EngineInput {
        agent_last_active_ms: Some(T0 - MINUTE),
        ..says("thanks")
    };
    let s = step(&flow(), &state, &input);
    assert_silent(&s, HandoffReason::AgentWrote);
    assert_eq!(s.state.handoff.unwrap().since_ms, T0 - MINUTE);
}

#[test]
fn agent_activity_from_before_the_last_resume_does_not_pause_again() {
    let state = ConversationState {
        resumed_ms: T0 - MINUTE,
        ..at("menu")
    };
    let input = EngineInput {
        agent_last_active_ms: Some(T0 - 2 * MINUTE),
        ..says("refund")
    };
    assert_eq!(
        routed(&flow(), &state, &input),
        ("returns".into(), Via::GlobalKeyword)
    );
}

#[test]
fn the_bot_resumes_after_the_idle_time() {
    let f = flow();
    let since = T0 - 120 * MINUTE;
    let state = handed_over(since, HandoffReason::FlowNode);
    // One minute short: still quiet.
    let early = EngineInput {
        now_ms: T0 - MINUTE,
        ..says("anyone there?")
    };
    assert_silent(&step(&f, &state, &early), HandoffReason::FlowNode);
    // On time: the conversation starts afresh.
    let s = step(&f, &state, &says("anyone there?"));
    let plan = reply(&s);
    assert_eq!(
        (plan.node.as_str(), plan.via, plan.resumed),
        ("menu", Via::Start, Some(ResumeCause::Idle))
    );
    assert_eq!(s.state.handoff, None);
    assert_eq!(s.state.resumed_ms, T0);
}

#[test]
fn idle_time_counts_from_the_last_agent_activity() {
    let since = T0 - 180 * MINUTE;
    let state = handed_over(since, HandoffReason::AgentWrote);
    // The agent last wrote 30 minutes ago: the hand-over is not idle yet.
    let input = EngineInput {
        agent_last_active_ms: Some(T0 - 30 * MINUTE),
        ..says("anyone there?")
    };
    assert_silent(&step(&flow(), &state, &input), HandoffReason::AgentWrote);
    // The agent's activity is older than the hand-over start: idle counts from the start.
    let input = EngineInput {
        agent_last_active_ms: Some(since - MINUTE),
        ..says("anyone there?")
    };
    assert_eq!(
        reply(&step(&flow(), &state, &input)).resumed,
        Some(ResumeCause::Idle)
    );
}

#[test]
fn a_resume_keyword_brings_the_bot_back() {
    let f = flow();
    let state = handed_over(T0 - MINUTE, HandoffReason::FlowNode);
    let s = step(&f, &state, &says("BOT please"));
    let plan = reply(&s);
    assert_eq!(
        (plan.node.as_str(), plan.via, plan.resumed),
        ("menu", Via::Start, Some(ResumeCause::Keyword))
    );
    assert_eq!(s.state.handoff, None);
    // The handoff node's "Back to the bot" option: its label holds the keyword, its metadata
    // then routes.
    let tap = EngineInput {
        quick_reply_metadata: Some("menu"),
        ..says("Back to the bot")
    };
    let plan = reply(&step(&f, &state, &tap)).clone();
    assert_eq!((plan.node.as_str(), plan.via), ("menu", Via::QuickReply));
    // A resume keyword that is also a global keyword routes there.
    assert_eq!(
        reply(&step(&f, &state, &says("menu"))).via,
        Via::GlobalKeyword
    );
}

#[test]
fn other_messages_and_taps_during_a_handoff_stay_unanswered() {
    let state = handed_over(T0 - MINUTE, HandoffReason::FlowNode);
    let tap = EngineInput {
        quick_reply_metadata: Some("returns"),
        ..says("Returns & refunds")
    };
    assert_silent(&step(&flow(), &state, &tap), HandoffReason::FlowNode);
    // "robot" holds "bot" but not as a word.
    assert_silent(
        &step(&flow(), &state, &says("are you a robot")),
        HandoffReason::FlowNode,
    );
}

#[test]
fn an_operator_resume_ends_the_handoff_and_starts_afresh() {
    let agent_at = T0 - 10 * MINUTE;
    let paused = handed_over(agent_at, HandoffReason::AgentWrote);
    let resumed = resume(&paused, T0 - MINUTE);
    assert_eq!(resumed.handoff, None);
    assert_eq!(resumed.node, None);
    assert_eq!(resumed.resumed_ms, T0 - MINUTE);
    // The agent's earlier message does not pause the bot again.
    let input = EngineInput {
        agent_last_active_ms: Some(agent_at),
        ..says("thanks, one more thing")
    };
    assert_eq!(
        routed(&flow(), &resumed, &input),
        ("menu".into(), Via::Start)
    );
    // A new one does.
    let input = EngineInput {
        agent_last_active_ms: Some(T0 - 30_000),
        ..says("thanks")
    };
    assert_silent(&step(&flow(), &resumed, &input), HandoffReason::AgentWrote);
}

#[test]
fn without_resume_settings_a_handoff_lasts_until_an_operator_resumes() {
    let toml = r#"
id = "h"
start = "a"
[nodes.a]
text = "a"
keywords = [{ words = ["human"], goto = "h" }]
[nodes.h]
text = "A person will answer."
handoff = true
"#;
    let f = Flow::from_toml_str(toml, ".").unwrap();
    let state = handed_over(0, HandoffReason::FlowNode);
    let input = EngineInput {
        now_ms: u64::MAX,
        ..says("bot menu")
    };
    assert_silent(&step(&f, &state, &input), HandoffReason::FlowNode);
}
