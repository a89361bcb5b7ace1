//! Welcome messages, their rules and deep links.

use crate::support::*;

fn welcome_data(text: &str) -> WelcomeMessageData {
    WelcomeMessageData::new(MessageData::text(text).unwrap()).unwrap()
}

#[tokio::test]
async fn welcome_messages_can_be_created_shown_updated_listed_and_destroyed() {
    let fake = TwitterApi::start().await;
    let client = client(&fake);
    let account = tokens(fake.owner());
    let name = WelcomeMessageName::new("spring campaign").unwrap();
    let created = client
        .create_welcome_message(&account, Some(&name), &welcome_data("Hi! How can we help?"))
        .await
        .unwrap();
    assert_eq!(created.name.as_deref(), Some("spring campaign"));
    assert_eq!(created.message_data.text, "Hi! How can we help?");

    let updated = client
        .update_welcome_message(&account, &created.id, &welcome_data("Hello again"))
        .await
        .unwrap();
    assert_eq!(updated.message_data.text, "Hello again");
    let shown = client
        .show_welcome_message(&account, &created.id)
        .await
        .unwrap();
    assert_eq!(shown.message_data.text, "Hello again");
    assert_eq!(shown.name.as_deref(), Some("spring campaign"));

    for i in 0..2 {
        client
            .create_welcome_message(&account, None, &welcome_data(&format!("w{i}")))
            .await
            .unwrap();
    }
    let page = client
        .list_welcome_messages(&account, Some(PageSize::new(2).unwrap()), None)
        .await
        .unwrap();
    assert_eq!(page.welcome_messages.len(), 2);
    let rest = client
        .list_welcome_messages(
            &account,
            Some(PageSize::new(2).unwrap()),
            page.next_cursor.as_deref(),
        )
        .await
        .unwrap();
    assert_eq!(rest.welcome_messages.len(), 1);
    assert_eq!(
        rest.welcome_messages[0].name.as_deref(),
        Some("spring campaign")
    );
    let all = client.list_all_welcome_messages(&account).await.unwrap();
    assert_eq!(all.len(), 3);

    client
        .destroy_welcome_message(&account, &created.id)
        .await
        .unwrap();
    assert_eq!(fake.welcome_message_ids().len(), 2);
    let gone = client.show_welcome_message(&account, &created.id).await;
    assert!(
        matches!(gone, Err(TwitterError::NotFound { .. })),
        "{gone:?}"
    );
    assert_all_authenticated(&fake);
}

#[tokio::test]
async fn welcome_rules_can_be_created_listed_shown_and_destroyed() {
    let fake = TwitterApi::start().await;
    let client = client(&fake);
    let account = tokens(fake.owner());
    let welcome = client
        .create_welcome_message(&account, None, &welcome_data("Welcome!"))
        .await
        .unwrap();
    let rule = client
        .create_welcome_rule(&account, &welcome.id)
        .await
        .unwrap();
    assert_eq!(rule.welcome_message_id, welcome.id);
    let rules = client
        .list_welcome_rules(&account, None, None)
        .await
        .unwrap();
    assert_eq!(rules.welcome_message_rules, vec![rule.clone()]);
    assert_eq!(
        client.show_welcome_rule(&account, &rule.id).await.unwrap(),
        rule
    );
    client
        .destroy_welcome_rule(&account, &rule.id)
        .await
        .unwrap();
    let rules = client
        .list_welcome_rules(&account, None, None)
        .await
        .unwrap();
    assert!(rules.welcome_message_rules.is_empty());

    let missing = client
        .create_welcome_rule(&account, &WelcomeMessageId::new("1").unwrap())
        .await;
    assert!(
        matches!(missing, Err(TwitterError::NotFound { .. })),
        "{missing:?}"
    );
}

#[test]
fn the_welcome_deep_link_opens_a_conversation_on_that_welcome_message() {
    let link = welcome_message_deep_link(
        &UserId::parse("4337869213").unwrap(),
        &WelcomeMessageId::new("99").unwrap(),
    );
    assert_eq!(
        link,
        "https://twitter.com/messages/compose?recipient_id=4337869213&welcome_message_id=99"
    );
}
