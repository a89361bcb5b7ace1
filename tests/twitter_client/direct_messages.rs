//! Direct Messages: send, list, show, destroy, typing indicators and read receipts.

use crate::support::*;

#[tokio::test]
async fn sending_a_text_dm_returns_the_created_event_with_its_id() {
    let fake = TwitterApi::start().await;
    let client = client(&fake);
    let event = client
        .send_direct_message(&tokens(fake.owner()), &text_dm("Hello café ☃ & friends!"))
        .await
        .unwrap();
    let sent = fake.sent_messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["id"].as_str(), Some(event.id.as_str()));
    let mc = event.message_create.unwrap();
    assert_eq!(mc.sender_id.as_str(), fake.owner().user_id);
    assert_eq!(mc.target.recipient_id, customer());
    assert_eq!(mc.message_data.text, "Hello café ☃ & friends!");
    assert_eq!(mc.source_app_id.as_deref(), Some("13090192"));
    let request = &fake.requests_to("events/new.json")[0];
    assert_eq!(request.content_type.as_deref(), Some("application/json"));
    assert_all_authenticated(&fake);
}

#[tokio::test]
async fn a_dm_with_quick_replies_buttons_media_and_a_custom_profile_is_accepted() {
    let fake = TwitterApi::start().await;
    let client = client(&fake);
    let account = tokens(fake.owner());
    let media = upload_image(&fake, &client).await;
    let profile = client
        .create_custom_profile(
            &account,
            &CustomProfileName::new("Ada from Support").unwrap(),
            &media,
        )
        .await
        .unwrap();
    let options = (0..20)
        .map(|i| {
            QuickReplyOption::new(
                format!("Option {i}"),
                Some(format!("Description {i}")),
                Some(format!("meta_{i}")),
            )
            .unwrap()
        })
        .collect();
    let data = MessageData::text("Pick one")
        .unwrap()
        .with_quick_reply(QuickReply::new(options).unwrap())
        .with_buttons(
            Buttons::new(vec![
                Button::new("Track", "https://acme.example/track").unwrap(),
                Button::new("Help", "https://acme.example/help").unwrap(),
                Button::new("Shop", "https://acme.example/shop").unwrap(),
            ])
            .unwrap(),
        )
        .with_media(media.clone());
    let dm = DirectMessage::new(customer(), data).with_custom_profile(profile.id.clone());
    let event = client.send_direct_message(&account, &dm).await.unwrap();
    let mc = event.message_create.unwrap();
    assert_eq!(mc.custom_profile_id.as_deref(), Some(profile.id.as_str()));
    assert!(mc.message_data.attachment.is_some());
    let stored = &fake.sent_messages()[0];
    assert_eq!(
        stored
            .pointer("/message_create/message_data/quick_reply/options")
            .and_then(|o| o.as_array())
            .map(Vec::len),
        Some(20)
    );
    assert_all_authenticated(&fake);
}

#[tokio::test]
async fn dms_can_be_listed_by_page_shown_and_destroyed() {
    let fake = TwitterApi::start().await;
    let client = client(&fake);
    let account = tokens(fake.owner());
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            client
                .send_direct_message(&account, &text_dm(&format!("m{i}")))
                .await
                .unwrap()
                .id,
        );
    }
    let first = client
        .list_direct_messages(&account, Some(PageSize::new(2).unwrap()), None)
        .await
        .unwrap();
    assert_eq!(first.events.len(), 2);
    assert_eq!(first.events[0].id, ids[2], "newest first");
    let cursor = first.next_cursor.expect("a second page");
    let second = client
        .list_direct_messages(&account, Some(PageSize::new(2).unwrap()), Some(&cursor))
        .await
        .unwrap();
    assert_eq!(second.events.len(), 1);
    assert_eq!(second.events[0].id, ids[0]);
    assert_eq!(second.next_cursor, None);

    let shown = client.show_direct_message(&account, &ids[1]).await.unwrap();
    assert_eq!(shown.message_create.unwrap().message_data.text, "m1");
    client
        .destroy_direct_message(&account, &ids[1])
        .await
        .unwrap();
    let gone = client.show_direct_message(&account, &ids[1]).await;
    assert!(
        matches!(gone, Err(TwitterError::NotFound { .. })),
        "{gone:?}"
    );
}

#[tokio::test]
async fn typing_indicators_and_read_receipts_are_sent_as_signed_forms() {
    let fake = TwitterApi::start().await;
    let client = client(&fake);
    let account = tokens(fake.owner());
    client.indicate_typing(&account, &customer()).await.unwrap();
    client
        .mark_read(
            &account,
            &customer(),
            &EventId::parse("954491830116155396").unwrap(),
        )
        .await
        .unwrap();
    let owner = fake.owner().user_id.clone();
    assert_eq!(
        fake.typing_indicators(),
        vec![(owner.clone(), "3001969357".to_string())]
    );
    assert_eq!(
        fake.read_receipts(),
        vec![(
            owner,
            "3001969357".to_string(),
            "954491830116155396".to_string()
        )]
    );
    assert_eq!(
        fake.requests_to("mark_read")[0].content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_all_authenticated(&fake);
}
