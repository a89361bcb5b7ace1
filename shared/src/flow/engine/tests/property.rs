//! Property: any input yields silence or a valid reply.

use proptest::prelude::*;

use super::*;

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
            // Both surfaces, numbered lists (v2) and buttons (v1.1).
            typed_choices: now % 2 == 0,
            no_welcome_messages: now % 3 == 0,
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
