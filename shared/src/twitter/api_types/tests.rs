use super::*;
use crate::domain::UserId;

#[test]
fn env_names_refuse_path_characters() {
    assert!(EnvName::new("prod").is_ok());
    assert!(EnvName::new("dev-env_2").is_ok());
    assert!(EnvName::new("").is_err());
    assert!(EnvName::new("a/b").is_err());
    assert!(EnvName::new("a b").is_err());
}

#[test]
fn webhook_urls_must_be_https_unless_explicitly_local() {
    assert!(WebhookUrl::new("https://hooks.example/webhooks/twitter").is_ok());
    assert!(WebhookUrl::new("http://hooks.example/webhooks/twitter").is_err());
    assert!(WebhookUrl::new_allowing_http("http://127.0.0.1:9/webhooks/twitter").is_ok());
    assert!(WebhookUrl::new_allowing_http("ftp://x.example/").is_err());
    assert!(WebhookUrl::new("https://x.example/#frag").is_err());
}

#[test]
fn page_size_is_one_to_fifty() {
    assert!(PageSize::new(0).is_err());
    assert!(PageSize::new(50).is_ok());
    assert!(PageSize::new(51).is_err());
}

#[test]
fn media_categories_follow_the_mime_type() {
    assert_eq!(
        MediaCategory::for_media_type("image/png"),
        Some(MediaCategory::DmImage)
    );
    assert_eq!(
        MediaCategory::for_media_type("image/GIF"),
        Some(MediaCategory::DmGif)
    );
    assert_eq!(
        MediaCategory::for_media_type("video/mp4"),
        Some(MediaCategory::DmVideo)
    );
    assert_eq!(MediaCategory::for_media_type("text/plain"), None);
}

#[test]
fn the_deep_link_names_the_account_and_the_welcome_message() {
    let link = welcome_message_deep_link(
        &UserId::parse("4337869213").unwrap(),
        &WelcomeMessageId::new("844385345234").unwrap(),
    );
    assert_eq!(
        link,
        "https://twitter.com/messages/compose?recipient_id=4337869213&welcome_message_id=844385345234"
    );
}

#[test]
fn the_send_response_fixture_decodes_into_an_event_with_its_id() {
    #[derive(Deserialize)]
    struct Wrapper {
        event: DmEvent,
    }
    let w: Wrapper = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/send_dm_response.json"
    )))
    .unwrap();
    assert_eq!(w.event.id.as_str(), "1102330936183349252");
    let mc = w.event.message_create.unwrap();
    assert_eq!(mc.sender_id.as_str(), "4337869213");
    assert_eq!(mc.message_data.text, "What can we help you with?");
}

#[test]
fn subscription_counts_are_read_from_strings_or_numbers() {
    let c: SubscriptionCount = serde_json::from_str(
        r#"{"account_name":"my-account","subscriptions_count_all":"3","subscriptions_count_direct_messages":2}"#,
    )
    .unwrap();
    assert_eq!(c.subscriptions_count_all, 3);
    assert_eq!(c.subscriptions_count_direct_messages, 2);
}

#[test]
fn bearer_tokens_do_not_print() {
    assert_eq!(
        format!("{:?}", BearerToken::new("AAAA-secret")),
        "BearerToken(<redacted>)"
    );
}
