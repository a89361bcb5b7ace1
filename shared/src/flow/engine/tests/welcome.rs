//! Conversations opened from a welcome message, and the greeting on a surface without them.

use super::*;

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

/// X API v2: no welcome messages, options typed (`EngineInput::on_text_only_surface`).
fn on_v2(text: &str) -> EngineInput<'_> {
    says(text).on_text_only_surface(true)
}

#[test]
fn without_welcome_messages_a_first_message_that_matches_nothing_gets_the_greeting() {
    let new = ConversationState::default();
    let first = step(&flow(), &new, &on_v2("I need help"));
    assert_eq!(reply(&first).node, "welcome");
    assert_eq!(reply(&first).via, Via::Greeting);
    // The greeting's options answer the next message, typed as a number.
    assert_eq!(
        routed(&flow(), &first.state, &on_v2("2")),
        ("returns".into(), Via::QuickReply)
    );
    // On v1.1 the same message gets the start node, as before.
    assert_eq!(
        routed(&flow(), &new, &says("I need help")),
        ("menu".into(), Via::Start)
    );
}

#[test]
fn without_welcome_messages_keywords_still_win_over_the_greeting() {
    let new = ConversationState::default();
    assert_eq!(
        routed(&flow(), &new, &on_v2("where is my order?")),
        ("order_status".into(), Via::GlobalKeyword)
    );
}

#[test]
fn only_new_conversations_get_the_greeting() {
    // At a node: its fallback, as on v1.1.
    assert_eq!(
        routed(&flow(), &at("faq"), &on_v2("I need help")),
        ("not_understood".into(), Via::Fallback)
    );
    // Resumed by an operator (no node, but not new): the start node.
    let resumed = resume(&at("agent"), T0 - MINUTE);
    assert_eq!(
        routed(&flow(), &resumed, &on_v2("I need help")),
        ("menu".into(), Via::Start)
    );
    // At a node the flow no longer has: the start node.
    assert_eq!(
        routed(&flow(), &at("removed_node"), &on_v2("I need help")),
        ("menu".into(), Via::Start)
    );
    // Resumed by the customer's keyword during this message: the start node.
    let handed = handed_over(T0 - MINUTE, HandoffReason::FlowNode);
    let handed = ConversationState {
        node: None,
        ..handed
    };
    assert_eq!(
        routed(&flow(), &handed, &on_v2("bot")),
        ("menu".into(), Via::Start)
    );
}

#[test]
fn a_flow_without_welcome_messages_starts_at_start_on_every_surface() {
    let f = Flow::from_toml_str("id = \"a\"\nstart = \"m\"\n[nodes.m]\ntext = \"Hi\"\n", ".")
        .expect("valid");
    let new = ConversationState::default();
    assert_eq!(routed(&f, &new, &on_v2("hello")), ("m".into(), Via::Start));
}
