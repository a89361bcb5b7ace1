//! v2 Direct Messages against the simulator: send (text, media, refusals, rate limits) and the
//! conversation lookup.

use crate::v2_support::*;

#[tokio::test]
async fn a_v2_send_to_a_customer_who_wrote_returns_the_event_and_conversation_ids() {
    let fake = TwitterApi::start().await;
    let customer = customer_who_wrote(&fake, "hello");
    let client = client(&fake);
    let sent = client
        .send_dm_v2(
            &owner_tokens(&fake),
            &customer,
            &text("Hi! How can we help?"),
            None,
        )
        .await
        .unwrap();
    let last = fake.sent_messages().pop().unwrap();
    assert_eq!(last["id"], sent.dm_event_id.as_str());
    assert_eq!(
        last["message_create"]["message_data"]["text"],
        "Hi! How can we help?"
    );
    assert_eq!(
        sent.dm_conversation_id,
        format!("{}-{}", customer.as_str(), fake.owner().user_id)
    );
    assert_eq!(fake.v2_usage().dm_create, 1);
    let request = fake.requests_to("/messages").pop().unwrap();
    assert_eq!(
        request.json().unwrap(),
        serde_json::json!({"text": "Hi! How can we help?"})
    );
    assert_v2_authenticated(&fake, 1);
}

#[tokio::test]
async fn a_v2_send_to_someone_who_never_wrote_is_not_allowed_and_says_to_wait() {
    let fake = TwitterApi::start().await;
    let err = client(&fake)
        .send_dm_v2(
            &owner_tokens(&fake),
            &customer(),
            &text("cold outreach"),
            None,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, TwitterError::NotAllowedToDm { .. }),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("wrote to it first"), "{err}");
    assert_eq!(fake.v2_usage().dm_create, 0);
    assert_v2_authenticated(&fake, 1);
}

#[tokio::test]
async fn a_v2_send_carries_media_the_account_uploaded() {
    let fake = TwitterApi::start().await;
    let customer = customer_who_wrote(&fake, "a picture please");
    let client = client(&fake);
    let media = upload_v2(&client, &owner_tokens(&fake), &[9u8; 3000]).await;
    client
        .send_dm_v2(&owner_tokens(&fake), &customer, &text("here"), Some(&media))
        .await
        .unwrap();
    let request = fake.requests_to("/messages").pop().unwrap();
    assert_eq!(
        request.json().unwrap(),
        serde_json::json!({"text": "here", "attachments": [{"media_id": media.as_str()}]})
    );
    let last = fake.sent_messages().pop().unwrap();
    assert_eq!(
        last.pointer("/message_create/message_data/attachment/media/id_str"),
        Some(&serde_json::json!(media.as_str()))
    );
    assert_v2_authenticated(&fake, 4);
}

/// The refusal of a send with `media`: a permanent error naming the attachment and saying
/// to upload again.
async fn refused_media(fake: &TwitterApi, customer: &UserId, media: &MediaId) -> TwitterError {
    let err = client(fake)
        .send_dm_v2(&owner_tokens(fake), customer, &text("x"), Some(media))
        .await
        .unwrap_err();
    let TwitterError::Permanent {
        status: 400,
        ref message,
        ..
    } = err
    else {
        panic!("{err:?}");
    };
    assert!(message.contains("attachments.media_id"), "{message}");
    assert!(err.to_string().contains("upload the media again"), "{err}");
    err
}

#[tokio::test]
async fn expired_foreign_and_unknown_media_are_refused_naming_the_attachment() {
    let fake = TwitterApi::start().await;
    let customer = customer_who_wrote(&fake, "hi");
    let client = client(&fake);

    let unknown = MediaId::new("123456789").unwrap();
    refused_media(&fake, &customer, &unknown).await;

    let other = fake.add_account("someone_else");
    let foreign = upload_v2(&client, &tokens(&other), &[1u8; 100]).await;
    let err = refused_media(&fake, &customer, &foreign).await;
    assert!(err.to_string().contains("uploaded the media"), "{err}");

    let mine = upload_v2(&client, &owner_tokens(&fake), &[2u8; 100]).await;
    fake.advance_clock(24 * 60 * 60 + 1);
    let err = refused_media(&fake, &customer, &mine).await;
    assert!(err.to_string().contains("expired"), "{err}");
    assert_eq!(fake.v2_usage().dm_create, 0);
}

#[tokio::test]
async fn the_send_limit_is_rate_limited_with_the_reset_from_the_header() {
    let fake = TwitterApi::start().await;
    set_config(&fake, |c| c.dm_sends_per_user_short = 2);
    let customer = customer_who_wrote(&fake, "hi");
    let client = client(&fake);
    let tokens = owner_tokens(&fake);
    for n in 0..2 {
        let t = text(&format!("answer {n}"));
        client
            .send_dm_v2(&tokens, &customer, &t, None)
            .await
            .unwrap();
    }
    let before = now_unix();
    let err = client
        .send_dm_v2(&tokens, &customer, &text("one too many"), None)
        .await
        .unwrap_err();
    let TwitterError::RateLimited {
        reset_at: Some(reset),
        remaining,
        ..
    } = err
    else {
        panic!("{err:?}");
    };
    assert_eq!(remaining, Some(0));
    assert!(reset > before && reset <= now_unix() + 15 * 60, "{reset}");
    assert!(err.is_retryable());
    assert!(err.retry_after(before).is_some());
    let known = client.rate_limit(Endpoint::SendDmV2).unwrap();
    assert_eq!(known.reset_at, Some(reset));
    assert_eq!(fake.v2_usage().rate_limited, 1);

    fake.advance_clock(15 * 60);
    client
        .send_dm_v2(&tokens, &customer, &text("later"), None)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_lookup_pages_through_the_conversation_newest_first() {
    let fake = TwitterApi::start().await;
    let customer = customer_who_wrote(&fake, "first");
    let client = client(&fake);
    let tokens = owner_tokens(&fake);
    let sent = client
        .send_dm_v2(&tokens, &customer, &text("second"), None)
        .await
        .unwrap();

    let all = client
        .dm_events_with_v2(&tokens, &customer, None, None)
        .await
        .unwrap();
    assert_eq!(all.events.len(), 2);
    assert_eq!(all.next_token, None);
    let newest = &all.events[0];
    assert_eq!(newest.id, sent.dm_event_id);
    assert_eq!(newest.event_type, "MessageCreate");
    assert_eq!(newest.text.as_deref(), Some("second"));
    assert_eq!(newest.sender_id.as_ref(), Some(&business(&fake)));
    assert_eq!(
        newest.dm_conversation_id.as_ref(),
        Some(&sent.dm_conversation_id)
    );
    assert!(
        newest
            .created_at
            .as_deref()
            .is_some_and(|t| t.ends_with('Z'))
    );
    assert_eq!(all.events[1].sender_id.as_ref(), Some(&customer));

    let first = client
        .dm_events_with_v2(&tokens, &customer, Some(1), None)
        .await
        .unwrap();
    assert_eq!(ids(&first), vec![sent.dm_event_id.as_str().to_string()]);
    let token = first.next_token.clone().unwrap();
    let second = client
        .dm_events_with_v2(&tokens, &customer, Some(1), Some(&token))
        .await
        .unwrap();
    assert_eq!(second.events[0].text.as_deref(), Some("first"));
    assert_eq!(second.next_token, None);
    assert_eq!(fake.v2_usage().dm_event_read, 4);
    assert_v2_authenticated(&fake, 4);
}

#[tokio::test]
async fn lookup_refusals_are_typed_and_a_bad_page_size_is_not_sent() {
    let fake = TwitterApi::start().await;
    set_config(&fake, |c| c.dm_lookups_per_user_short = 2);
    let customer = customer_who_wrote(&fake, "hi");
    let client = client(&fake);
    let tokens = owner_tokens(&fake);

    let err = client
        .dm_events_with_v2(&tokens, &customer, Some(0), None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, TwitterError::InvalidRequest { .. }),
        "{err:?}"
    );
    assert!(fake.requests_to("/dm_events").is_empty());

    let err = client
        .dm_events_with_v2(&tokens, &customer, None, Some("not-a-token"))
        .await
        .unwrap_err();
    let TwitterError::Permanent {
        status: 400,
        message,
        ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert!(message.contains("pagination_token"), "{message}");

    client
        .dm_events_with_v2(&tokens, &customer, None, None)
        .await
        .unwrap();
    let err = client
        .dm_events_with_v2(&tokens, &customer, None, None)
        .await
        .unwrap_err();
    assert!(err.is_rate_limited(), "{err:?}");
}
