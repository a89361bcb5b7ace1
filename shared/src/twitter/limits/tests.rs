use super::*;
use crate::domain::UserId;

fn option(label: &str, description: Option<&str>, metadata: &str) -> QuickReplyOption {
    QuickReplyOption::new(
        label,
        description.map(str::to_string),
        Some(metadata.to_string()),
    )
    .unwrap()
}

#[test]
fn text_of_exactly_ten_thousand_characters_is_accepted_and_one_more_is_refused() {
    assert!(MessageText::new("é".repeat(MAX_TEXT_CHARS)).is_ok());
    let err = MessageText::new("é".repeat(MAX_TEXT_CHARS + 1)).unwrap_err();
    assert_eq!(err.field, "text");
    assert!(err.problem.contains("10000"), "{err}");
}

#[test]
fn blank_text_is_refused() {
    assert!(MessageText::new("  ").is_err());
    assert!(MessageText::new("").is_err());
}

#[test]
fn welcome_text_is_limited_to_9990_characters() {
    let ok = MessageData::text("a".repeat(MAX_WELCOME_TEXT_CHARS)).unwrap();
    assert!(WelcomeMessageData::new(ok).is_ok());
    let long = MessageData::text("a".repeat(MAX_WELCOME_TEXT_CHARS + 1)).unwrap();
    let err = WelcomeMessageData::new(long).unwrap_err();
    assert!(err.problem.contains("9990"), "{err}");
}

#[test]
fn quick_reply_labels_over_36_characters_or_with_urls_are_refused() {
    assert!(QuickReplyLabel::new("a".repeat(36)).is_ok());
    assert_eq!(
        QuickReplyLabel::new("a".repeat(37)).unwrap_err().field,
        "label"
    );
    assert!(QuickReplyLabel::new("see https://x.example").is_err());
    assert!(QuickReplyLabel::new("www.example.com").is_err());
}

#[test]
fn quick_reply_needs_one_to_twenty_options() {
    assert!(QuickReply::new(vec![]).is_err());
    let twenty: Vec<_> = (0..20)
        .map(|i| option(&format!("o{i}"), None, "m"))
        .collect();
    assert!(QuickReply::new(twenty.clone()).is_ok());
    let mut twenty_one = twenty;
    twenty_one.push(option("x", None, "m"));
    let err = QuickReply::new(twenty_one).unwrap_err();
    assert_eq!(err.field, "quick_reply.options");
}

#[test]
fn quick_reply_descriptions_must_be_on_all_options_or_none() {
    let mixed = vec![option("a", Some("d"), "m"), option("b", None, "m")];
    let err = QuickReply::new(mixed).unwrap_err();
    assert!(err.problem.contains("all options or on none"), "{err}");
    let all = vec![option("a", Some("d"), "m"), option("b", Some("e"), "m")];
    assert!(QuickReply::new(all).is_ok());
}

#[test]
fn descriptions_and_metadata_have_their_limits() {
    assert!(QuickReplyDescription::new("d".repeat(72)).is_ok());
    assert!(QuickReplyDescription::new("d".repeat(73)).is_err());
    assert!(QuickReplyMetadata::new("m".repeat(1000)).is_ok());
    assert!(QuickReplyMetadata::new("m".repeat(1001)).is_err());
}

#[test]
fn buttons_need_http_urls_short_labels_and_at_most_three() {
    assert!(Button::new("Track", "https://acme.example/track").is_ok());
    assert!(Button::new("Track", "http://acme.example").is_ok());
    assert_eq!(
        Button::new("Track", "javascript:alert(1)")
            .unwrap_err()
            .field,
        "url"
    );
    assert!(Button::new("Track", "not a url").is_err());
    assert!(Button::new("a".repeat(37), "https://a.example").is_err());
    let b = || Button::new("x", "https://a.example").unwrap();
    assert!(Buttons::new(vec![]).is_err());
    assert!(Buttons::new(vec![b(), b(), b()]).is_ok());
    assert!(Buttons::new(vec![b(), b(), b(), b()]).is_err());
}

#[test]
fn profile_and_welcome_names_have_their_limits() {
    assert!(CustomProfileName::new("n".repeat(48)).is_ok());
    assert!(CustomProfileName::new("n".repeat(49)).is_err());
    assert!(WelcomeMessageName::new("n".repeat(100)).is_ok());
    assert!(WelcomeMessageName::new("n".repeat(101)).is_err());
}

#[test]
fn errors_carry_the_field_path() {
    let err = QuickReplyLabel::new("a".repeat(40))
        .unwrap_err()
        .within("quick_reply.options[3]");
    assert_eq!(err.field, "quick_reply.options[3].label");
    assert!(
        err.to_string()
            .starts_with("quick_reply.options[3].label: ")
    );
}

#[test]
fn a_full_message_serializes_exactly_like_twitters_example() {
    let qr = QuickReply::new(vec![
        option("Order status", Some("Where is my parcel?"), "order_status"),
        option("Returns", Some("Send something back"), "returns"),
        option("Talk to a person", Some("An agent will answer"), "agent"),
    ])
    .unwrap();
    let data = MessageData::text("What can we help you with?")
        .unwrap()
        .with_quick_reply(qr)
        .with_buttons(
            Buttons::new(vec![
                Button::new("Track online", "https://acme.example/track").unwrap(),
            ])
            .unwrap(),
        )
        .with_media(MediaId::new("48909183894931").unwrap());
    let dm = DirectMessage::new(UserId::parse("3001969357").unwrap(), data)
        .with_custom_profile(CustomProfileId::new("100001").unwrap());
    let fixture: serde_json::Value = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/send_dm_full.json"
    )))
    .unwrap();
    assert_eq!(dm.to_request_body(), fixture);
}

#[test]
fn a_text_only_message_has_no_optional_keys() {
    let body = DirectMessage::new(
        UserId::parse("1").unwrap(),
        MessageData::text("hi").unwrap(),
    )
    .to_request_body();
    assert_eq!(
        body,
        serde_json::json!({"event":{"type":"message_create","message_create":{
            "target":{"recipient_id":"1"},"message_data":{"text":"hi"}}}})
    );
}
