//! Engine tests: one per routing rule, hand-over and resumption, and a property test over the
//! example flow.

use proptest::prelude::*;

use super::*;
use crate::flow::tests::example;
use crate::twitter::limits::{
    MAX_BUTTON_LABEL_CHARS, MAX_BUTTONS, MAX_QUICK_REPLY_DESCRIPTION_CHARS,
    MAX_QUICK_REPLY_LABEL_CHARS, MAX_QUICK_REPLY_METADATA_CHARS, MAX_QUICK_REPLY_OPTIONS,
    MAX_TEXT_CHARS,
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

// ---- Routing: quick-reply metadata ----------------------------------------------------------

#[test]
fn quick_reply_metadata_routes_to_its_node() {
    let input = EngineInput {
        quick_reply_metadata: Some("returns"),
        ..says("Returns & refunds")
    };
    assert_eq!(
        routed(&flow(), &at("menu"), &input),
        ("returns".into(), Via::QuickReply)
    );
}

#[test]
fn quick_reply_metadata_beats_keywords_in_the_text() {
    // "agent" is a global keyword, but the tap is the customer's exact choice.
    let input = EngineInput {
        quick_reply_metadata: Some("order_status"),
        ..says("agent")
    };
    assert_eq!(
        routed(&flow(), &at("menu"), &input),
        ("order_status".into(), Via::QuickReply)
    );
}

#[test]
fn a_tap_on_an_older_messages_option_still_routes() {
    let input = EngineInput {
        quick_reply_metadata: Some("sizing"),
        ..says("Size guide")
    };
    assert_eq!(
        routed(&flow(), &at("faq_shipping"), &input),
        ("sizing".into(), Via::QuickReply)
    );
}

#[test]
fn unknown_metadata_falls_through_to_the_text() {
    let keyword = EngineInput {
        quick_reply_metadata: Some("from_an_old_flow"),
        ..says("Talk to a person please")
    };
    assert_eq!(
        routed(&flow(), &at("menu"), &keyword),
        ("agent".into(), Via::GlobalKeyword)
    );
    let nothing = EngineInput {
        quick_reply_metadata: Some("from_an_old_flow"),
        ..says("Old option")
    };
    assert_eq!(
        routed(&flow(), &at("menu"), &nothing),
        ("not_understood".into(), Via::Fallback)
    );
}

// ---- Routing: keywords ----------------------------------------------------------------------

#[test]
fn node_keywords_match_regardless_of_case_and_accents() {
    for text in ["yes", "YES", "Yés!", "  yes,   thanks "] {
        assert_eq!(
            routed(&flow(), &at("order_status"), &says(text)),
            ("order_track".into(), Via::NodeKeyword),
            "{text:?}"
        );
    }
}

#[test]
fn keywords_match_whole_words_only() {
    // "yes" is in "yesterday" and "no" in "nothing", but not as words.
    for text in ["yesterday", "nothing"] {
        assert_eq!(
            routed(&flow(), &at("order_status"), &says(text)),
            ("not_understood".into(), Via::Fallback),
            "{text:?}"
        );
    }
}

#[test]
fn multi_word_keywords_match_as_a_phrase() {
    assert_eq!(
        routed(
            &flow(),
            &at("order_status"),
            &says("Sorry, I can’t find it anywhere")
        ),
        ("order_lookup".into(), Via::NodeKeyword)
    );
}

#[test]
fn node_keywords_apply_only_at_their_node() {
    // "yes" means something at order_status only.
    assert_eq!(
        routed(&flow(), &at("faq"), &says("yes")),
        ("not_understood".into(), Via::Fallback)
    );
}

#[test]
fn node_keywords_beat_global_keywords() {
    // "start" is global (→ menu) but means "start a return" at the returns node.
    assert_eq!(
        routed(&flow(), &at("returns"), &says("start")),
        ("return_start".into(), Via::NodeKeyword)
    );
    assert_eq!(
        routed(&flow(), &at("faq"), &says("start")),
        ("menu".into(), Via::GlobalKeyword)
    );
    // "shipping" is global (→ faq) and, at faq, leads on to faq_shipping.
    assert_eq!(
        routed(&flow(), &at("faq"), &says("Shipping?")),
        ("faq_shipping".into(), Via::NodeKeyword)
    );
}

#[test]
fn global_keywords_apply_from_any_node() {
    for node in [
        "menu",
        "faq_shipping",
        "order_status",
        "sizing",
        "not_understood",
    ] {
        assert_eq!(
            routed(&flow(), &at(node), &says("I want to speak to someone")),
            ("agent".into(), Via::GlobalKeyword),
            "{node}"
        );
    }
}

#[test]
fn the_keyword_with_the_most_words_wins() {
    let toml = r#"
id = "k"
start = "a"
keywords = [
  { words = ["return"], goto = "r" },
  { words = ["return label"], goto = "l" },
]
[nodes.a]
text = "a"
[nodes.r]
text = "r"
[nodes.l]
text = "l"
"#;
    let f = Flow::from_toml_str(toml, ".").unwrap();
    let state = ConversationState::default();
    assert_eq!(
        routed(&f, &state, &says("I need a return label")),
        ("l".into(), Via::GlobalKeyword)
    );
    assert_eq!(
        routed(&f, &state, &says("return it")),
        ("r".into(), Via::GlobalKeyword)
    );
}

// ---- Routing: fallback and start ------------------------------------------------------------

#[test]
fn unmatched_text_goes_to_the_nodes_fallback() {
    assert_eq!(
        routed(&flow(), &at("order_lookup"), &says("jordan@example.com")),
        ("agent".into(), Via::Fallback)
    );
}

#[test]
fn unmatched_text_goes_to_the_flows_fallback_when_the_node_has_none() {
    assert_eq!(
        routed(&flow(), &at("faq_shipping"), &says("blue tent")),
        ("not_understood".into(), Via::Fallback)
    );
}

#[test]
fn a_new_conversation_starts_at_start_unless_a_keyword_matches() {
    let new = ConversationState::default();
    assert_eq!(
        routed(&flow(), &new, &says("good morning")),
        ("menu".into(), Via::Start)
    );
    assert_eq!(
        routed(&flow(), &new, &says("where is my parcel")),
        ("order_status".into(), Via::GlobalKeyword)
    );
}

#[test]
fn a_stored_node_the_flow_no_longer_has_counts_as_no_node() {
    let stale = at("node_removed_since");
    assert_eq!(
        routed(&flow(), &stale, &says("blue tent")),
        ("menu".into(), Via::Start)
    );
    assert_eq!(
        routed(&flow(), &stale, &says("refund")),
        ("returns".into(), Via::GlobalKeyword)
    );
}

// ---- Welcome messages -----------------------------------------------------------------------

#[test]
fn a_conversation_opened_from_a_welcome_message_starts_at_its_node() {
    let new = ConversationState::default();
    // The welcome's quick reply, as in the fixture webhook_dm_from_welcome.json.
    let tap = EngineInput {
        quick_reply_metadata: Some("returns"),
        welcome_message_id: Some(GREETING_ID),
        ..says("Returns")
    };
    assert_eq!(
        routed(&flow(), &new, &tap),
        ("returns".into(), Via::QuickReply)
    );
    // Free text is an answer to the welcome's node: its fallback, not the start node.
    let typed = EngineInput {
        welcome_message_id: Some(SIZE_GUIDE_ID),
        ..says("blue tent")
    };
    assert_eq!(
        routed(&flow(), &new, &typed),
        ("not_understood".into(), Via::Fallback)
    );
}

#[test]
fn a_welcome_node_keywords_apply_to_the_first_message() {
    let toml = r#"
id = "w"
start = "menu"
welcome_messages = [{ name = "Hello", node = "hello", default = true }]
[nodes.menu]
text = "menu"
[nodes.hello]
text = "Want our newsletter?"
keywords = [{ words = ["yes"], goto = "subscribed" }]
[nodes.subscribed]
text = "Done!"
"#;
    let mut f = Flow::from_toml_str(toml, ".").unwrap();
    f.synced
        .welcome_messages
        .insert("Hello".into(), "42".into());
    let input = EngineInput {
        welcome_message_id: Some("42"),
        ..says("Yes please")
    };
    assert_eq!(
        routed(&f, &ConversationState::default(), &input),
        ("subscribed".into(), Via::NodeKeyword)
    );
}

#[test]
fn an_unknown_welcome_id_is_ignored() {
    let input = EngineInput {
        welcome_message_id: Some("999"),
        ..says("blue tent")
    };
    assert_eq!(
        routed(&flow(), &ConversationState::default(), &input),
        ("menu".into(), Via::Start)
    );
    // Unsynced (local) flows know no welcome ids at all.
    let input = EngineInput {
        welcome_message_id: Some(GREETING_ID),
        ..says("blue tent")
    };
    assert_eq!(
        routed(&example(), &ConversationState::default(), &input),
        ("menu".into(), Via::Start)
    );
}

// ---- Hand-over ------------------------------------------------------------------------------

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

// ---- The reply plan -------------------------------------------------------------------------

#[test]
fn placeholders_are_filled_with_the_customers_name_or_the_fallback() {
    let named = EngineInput {
        customer_name: Some("Jordan Brinks"),
        ..says("menu")
    };
    let s = step(&flow(), &at("faq"), &named);
    assert_eq!(
        reply(&s).text().as_str(),
        "Hi Jordan Brinks! What can we help you with?"
    );
    let s = step(&flow(), &at("faq"), &says("menu"));
    assert_eq!(
        reply(&s).text().as_str(),
        "Hi there! What can we help you with?"
    );
}

#[test]
fn the_plan_carries_media_profile_and_flags_and_builds_the_message() {
    let f = flow();
    let s = step(&f, &at("menu"), &says("size chart"));
    let plan = reply(&s);
    assert_eq!(plan.node, "sizing");
    let media = plan.media.as_ref().unwrap();
    assert_eq!(media.path, "media/size-chart.png");
    assert_eq!(media.category.as_str(), "dm_image");
    assert_eq!(media.sha256.len(), 64);
    assert_eq!(
        plan.custom_profile.as_ref().unwrap().as_str(),
        "Acme Assistant"
    );
    assert!(plan.typing && plan.mark_read);

    let without = serde_json::to_value(plan.message_data(None)).unwrap();
    assert!(without.get("attachment").is_none());
    let media_id = MediaId::new("48909183894931").unwrap();
    let dm = plan.direct_message(
        UserId::parse("3001969357").unwrap(),
        Some(media_id),
        Some(CustomProfileId::new("100001").unwrap()),
    );
    let body = dm.to_request_body();
    let create = &body["event"]["message_create"];
    assert_eq!(create["custom_profile_id"], "100001");
    assert_eq!(create["target"]["recipient_id"], "3001969357");
    assert_eq!(
        create["message_data"]["attachment"]["media"]["id"],
        "48909183894931"
    );
    assert_eq!(
        create["message_data"]["quick_reply"]["options"][0]["metadata"],
        "agent"
    );
}

#[test]
fn the_state_keeps_what_the_engine_does_not_own() {
    let mut state = at("menu");
    state.vars.insert("order".into(), "AC123".into());
    state.last_answered = Some(crate::domain::EventId::parse("954491830116155396").unwrap());
    let s = step(&flow(), &state, &says("faq"));
    assert_eq!(s.state.vars, state.vars);
    assert_eq!(s.state.last_answered, state.last_answered);
    assert_eq!(s.state.last_activity_ms, T0);
}

#[test]
fn input_from_a_stored_message_uses_its_fields() {
    let message = InboundMessage {
        event_id: crate::domain::EventId::parse("954491830116155398").unwrap(),
        conversation: crate::domain::ConversationKey::new(
            UserId::parse("4337869213").unwrap(),
            UserId::parse("3001969357").unwrap(),
        ),
        created_ms: T0,
        text: "Returns".into(),
        quick_reply_metadata: Some("returns".into()),
        welcome_message_id: Some(GREETING_ID.into()),
        media: None,
        customer_screen_name: Some("furiouscamper".into()),
        customer_name: Some("Jordan Brinks".into()),
    };
    let input = EngineInput::from_message(&message, Some(7));
    assert_eq!(input.now_ms, T0);
    assert_eq!(input.agent_last_active_ms, Some(7));
    assert_eq!(input.welcome_message_id, Some(GREETING_ID));
    assert_eq!(
        routed(
            &flow(),
            &ConversationState::default(),
            &EngineInput {
                agent_last_active_ms: None,
                ..input
            }
        ),
        ("returns".into(), Via::QuickReply)
    );
}

#[test]
fn a_long_name_never_pushes_the_text_over_twitters_limit() {
    let toml = format!(
        "id = \"l\"\nstart = \"a\"\n[nodes.a]\ntext = \"{}{{customer_name}}\"\n",
        "x".repeat(MAX_TEXT_CHARS - 16)
    );
    let f = Flow::from_toml_str(&toml, ".").unwrap();
    let input = EngineInput {
        customer_name: Some("A very long display name, much too long"),
        ..says("hi")
    };
    let s = step(&f, &ConversationState::default(), &input);
    assert_eq!(reply(&s).text().as_str().chars().count(), MAX_TEXT_CHARS);
}

// ---- Property: any input yields silence or a valid reply ------------------------------------

/// Checks a built message against Twitter's limits on its JSON form.
fn assert_within_limits(data: &serde_json::Value) {
    let n = |v: &serde_json::Value| v.as_str().map(|s| s.chars().count()).unwrap_or(usize::MAX);
    let text = data["text"].as_str().unwrap();
    assert!(!text.trim().is_empty());
    assert!(n(&data["text"]) <= MAX_TEXT_CHARS);
    if let Some(qr) = data.get("quick_reply") {
        assert_eq!(qr["type"], "options");
        let options = qr["options"].as_array().unwrap();
        assert!((1..=MAX_QUICK_REPLY_OPTIONS).contains(&options.len()));
        let described = options
            .iter()
            .filter(|o| o.get("description").is_some())
            .count();
        assert!(described == 0 || described == options.len());
        for o in options {
            assert!(n(&o["label"]) <= MAX_QUICK_REPLY_LABEL_CHARS);
            if let Some(d) = o.get("description") {
                assert!(n(d) <= MAX_QUICK_REPLY_DESCRIPTION_CHARS);
            }
            if let Some(m) = o.get("metadata") {
                assert!(n(m) <= MAX_QUICK_REPLY_METADATA_CHARS);
            }
        }
    }
    if let Some(ctas) = data.get("ctas") {
        let ctas = ctas.as_array().unwrap();
        assert!((1..=MAX_BUTTONS).contains(&ctas.len()));
        for b in ctas {
            assert_eq!(b["type"], "web_url");
            assert!(n(&b["label"]) <= MAX_BUTTON_LABEL_CHARS);
            assert!(b["url"].as_str().unwrap().starts_with("http"));
        }
    }
}

fn words_of_the_flow() -> Vec<String> {
    let mut w: Vec<String> = vec![
        "menu",
        "agent",
        "bot",
        "yes",
        "no",
        "start",
        "refund",
        "return label",
        "shipping",
        "MENÚ",
        "I can't find it",
        "size chart",
        "Back to the bot",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    w.push(String::new());
    w
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_inbound_message_on_any_node_yields_silence_or_a_valid_reply(
        node in prop::option::of(prop::sample::select(vec![
            "welcome", "menu", "order_status", "order_track", "order_lookup", "returns",
            "return_start", "refund_status", "sizing", "faq", "faq_shipping", "faq_warranty",
            "faq_stores", "agent", "not_understood", "removed_node",
        ])),
        known_words in prop::sample::select(words_of_the_flow()),
        noise in "\\PC{0,80}",
        metadata in prop::option::of(prop_oneof![
            prop::sample::select(vec![
                "menu", "agent", "returns", "order_status", "sizing", "faq", "order_track",
                "unknown", "",
            ]).prop_map(String::from),
            "\\PC{0,40}",
        ]),
        welcome in prop::option::of(prop_oneof![
            Just(GREETING_ID.to_string()),
            Just(SIZE_GUIDE_ID.to_string()),
            "[0-9]{1,20}",
        ]),
        name in prop::option::of("\\PC{0,120}"),
        handoff in prop::option::of((0u64..4_000_000_000_000, any::<bool>())),
        agent in prop::option::of(0u64..4_000_000_000_000),
        resumed_ms in 0u64..4_000_000_000_000,
        now in 0u64..4_000_000_000_000,
        media_uploaded in any::<bool>(),
    ) {
        let f = flow();
        let text = format!("{noise} {known_words}");
        let state = ConversationState {
            node: node.map(String::from),
            handoff: handoff.map(|(since_ms, by_agent)| Handoff {
                since_ms,
                reason: if by_agent { HandoffReason::AgentWrote } else { HandoffReason::FlowNode },
            }),
            resumed_ms,
            ..Default::default()
        };
        let input = EngineInput {
            text: &text,
            quick_reply_metadata: metadata.as_deref(),
            welcome_message_id: welcome.as_deref(),
            customer_name: name.as_deref(),
            agent_last_active_ms: agent,
            now_ms: now,
        };
        let s = step(&f, &state, &input);
        prop_assert!(s.state.last_activity_ms >= now);
        match &s.outcome {
            Outcome::Silent { reason } => {
                prop_assert!(s.state.handoff.is_some());
                let handed_over = matches!(reason, SilentReason::HandedOver { .. });
                prop_assert!(handed_over);
            }
            Outcome::Reply(plan) => {
                prop_assert!(f.node(&plan.node).is_some());
                prop_assert_eq!(s.state.node.as_deref(), Some(plan.node.as_str()));
                prop_assert_eq!(
                    s.state.handoff.is_some(),
                    f.node(&plan.node).unwrap().is_handoff()
                );
                let media = (media_uploaded && plan.media.is_some())
                    .then(|| MediaId::new("1234567890").unwrap());
                let data = serde_json::to_value(plan.message_data(media)).unwrap();
                assert_within_limits(&data);
                prop_assert!(serde_json::to_string(plan).is_ok());
            }
        }
    }

    #[test]
    fn rendered_text_is_always_a_valid_message_text(
        body_len in 0usize..MAX_TEXT_CHARS - 20,
        name in prop::option::of(prop::collection::vec(any::<char>(), 0..400)
            .prop_map(|c| c.into_iter().collect::<String>())),
    ) {
        let template = MessageText::new(format!("{}{{customer_name}}", "é".repeat(body_len)))
            .unwrap();
        let out = crate::flow::text::render(&template, name.as_deref(), "there");
        prop_assert!(out.as_str().chars().count() <= MAX_TEXT_CHARS);
        prop_assert!(!out.as_str().trim().is_empty());
    }
}
