//! Conversations opened from a welcome message.

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
