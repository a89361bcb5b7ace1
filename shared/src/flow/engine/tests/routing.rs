//! Routing: quick-reply metadata, keywords, fallback and start.

use super::*;

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

/// Typed answers to a numbered list (X API v2, `EngineInput::typed_choices`).
fn typed(text: &str) -> EngineInput<'_> {
    says(text).with_typed_choices(true)
}

#[test]
fn a_typed_number_of_the_list_routes_exactly_like_a_tap() {
    for text in ["2", "2.", "#2", " 2 "] {
        assert_eq!(
            routed(&flow(), &at("menu"), &typed(text)),
            ("returns".into(), Via::QuickReply),
            "{text:?}"
        );
    }
    assert_eq!(
        routed(&flow(), &at("menu"), &typed("5")),
        ("agent".into(), Via::QuickReply)
    );
}

#[test]
fn a_typed_label_routes_like_a_tap_whatever_the_case_accents_and_punctuation() {
    assert_eq!(
        routed(&flow(), &at("menu"), &typed("where is my order")),
        ("order_status".into(), Via::QuickReply)
    );
    assert_eq!(
        routed(&flow(), &at("menu"), &typed("SIZE GUIDE!!")),
        ("sizing".into(), Via::QuickReply)
    );
    assert_eq!(
        routed(&flow(), &at("menu"), &typed("I'd like to talk to a person")),
        ("agent".into(), Via::QuickReply)
    );
}

#[test]
fn numbers_refer_to_the_options_of_the_node_the_bot_last_sent() {
    // At order_status the list is "1. Yes, I have it", "2. No, I can't find it".
    let at_menu = routed(&flow(), &at("menu"), &typed("1"));
    let at_status = routed(&flow(), &at("order_status"), &typed("1"));
    assert_eq!(at_menu.0, "order_status");
    assert_eq!(at_status, ("order_track".into(), Via::QuickReply));
}

#[test]
fn typed_choices_are_off_where_options_are_buttons() {
    // v1.1: the customer saw buttons, not numbers; "2" is just text.
    assert_eq!(
        routed(&flow(), &at("menu"), &says("2")),
        ("not_understood".into(), Via::Fallback)
    );
}

#[test]
fn a_number_outside_the_list_or_a_partial_label_is_ordinary_text() {
    assert_eq!(
        routed(&flow(), &at("menu"), &typed("9")),
        ("not_understood".into(), Via::Fallback)
    );
    // "yes" is a keyword of order_status, not the whole label "Yes, I have it".
    assert_eq!(
        routed(&flow(), &at("order_status"), &typed("yes")),
        ("order_track".into(), Via::NodeKeyword)
    );
}
