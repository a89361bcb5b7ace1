//! The reply plan: placeholders, media, profile, flags, the state it keeps.

use super::*;

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
