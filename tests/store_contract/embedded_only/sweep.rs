//! The embedded store's sweep of what expired, and its status indexes.

use super::*;

#[tokio::test]
async fn the_sweep_removes_what_is_past_its_time_and_keeps_the_rest() {
    let fixture = embedded().await;
    let store = &fixture.store;
    let c = conv("10", "20");
    let start = 1_700_000_000_000;
    let now = start + TTL_MS + DAY_MS;
    // Older than the TTL: an answered, a failed and a still pending message, a sent marker.
    for id in ["1", "2", "3"] {
        store.put_inbound(&inbound(&c, id, start)).await.unwrap();
    }
    store
        .set_inbound_status(&c, &event("1"), &answered())
        .await
        .unwrap();
    store
        .set_inbound_status(&c, &event("2"), &failed("boom", start))
        .await
        .unwrap();
    store
        .record_sent(&c, &event("4"), &event("1"), start)
        .await
        .unwrap();
    // Inside the TTL: kept.
    for id in ["5", "6"] {
        store
            .put_inbound(&inbound(&c, id, now - DAY_MS))
            .await
            .unwrap();
    }
    store
        .set_inbound_status(&c, &event("6"), &failed("boom", now))
        .await
        .unwrap();
    store
        .record_sent(&c, &event("7"), &event("1"), now - DAY_MS)
        .await
        .unwrap();
    // Media and sign-ins go when they expire.
    let business = user("10");
    store
        .put_media(&business, "old", &media(now - 1_000))
        .await
        .unwrap();
    store
        .put_media(&business, "new", &media(now + DAY_MS))
        .await
        .unwrap();
    store
        .put_pending_signin(&signin("t-old", now - 1_000))
        .await
        .unwrap();
    store
        .put_pending_signin(&signin("t-new", now + 600_000))
        .await
        .unwrap();
    // Nothing else is touched.
    store
        .save_conversation(&c, &state("menu"), 0)
        .await
        .unwrap();
    store.put_account(&account("10")).await.unwrap();

    assert_eq!(
        store.sweep_expired(start).await.unwrap(),
        0,
        "nothing due yet"
    );
    assert_eq!(store.sweep_expired(now).await.unwrap(), 6);

    for gone in ["1", "2", "3"] {
        assert_eq!(store.get_inbound(&c, &event(gone)).await.unwrap(), None);
    }
    assert!(!store.is_sent_by_bot(&c, &event("4")).await.unwrap());
    assert!(store.get_media(&business, "old").await.unwrap().is_none());
    assert!(
        store
            .take_pending_signin("t-old", 0)
            .await
            .unwrap()
            .is_none()
    );

    assert!(store.get_inbound(&c, &event("5")).await.unwrap().is_some());
    assert!(store.is_sent_by_bot(&c, &event("7")).await.unwrap());
    assert!(store.get_media(&business, "new").await.unwrap().is_some());
    assert!(
        store
            .take_pending_signin("t-new", now)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        pending_ids(store).await,
        ["5"],
        "the swept pending message left the index"
    );
    assert_eq!(
        failed_ids(store).await,
        ["6"],
        "the swept failed message left the index"
    );
    assert_eq!(store.load_conversation(&c).await.unwrap().version, 1);
    assert!(
        store
            .get_account(&account("10").id)
            .await
            .unwrap()
            .is_some()
    );

    assert_eq!(
        store.sweep_expired(now).await.unwrap(),
        0,
        "a second sweep finds nothing"
    );
    // A media reference uploaded again lives on: the old expiry entry no longer applies.
    store
        .put_media(&business, "new", &media(now + 3 * DAY_MS))
        .await
        .unwrap();
    assert_eq!(store.sweep_expired(now + 2 * DAY_MS).await.unwrap(), 0);
    assert!(store.get_media(&business, "new").await.unwrap().is_some());
    assert_eq!(store.sweep_expired(now + 3 * DAY_MS).await.unwrap(), 1);
    assert!(store.get_media(&business, "new").await.unwrap().is_none());
}

#[tokio::test]
async fn the_sweep_removes_expired_invites_and_keeps_valid_ones() {
    use dmbot_shared::invite::InviteToken;
    use dmbot_shared::store::invites::{InviteRecord, Invites};
    let fixture = embedded().await;
    let store = &fixture.store;
    let now = 1_700_000_000_000;
    let invite = |expires_ms| InviteRecord {
        id: InviteToken::generate().id(),
        created_ms: now - DAY_MS,
        expires_ms,
        note: None,
    };
    let (old, live) = (invite(now - 1_000), invite(now + DAY_MS));
    store.put_invite(&old).await.unwrap();
    store.put_invite(&live).await.unwrap();
    assert_eq!(store.sweep_expired(now).await.unwrap(), 1);
    assert!(
        !store.revoke_invite(&old.id).await.unwrap(),
        "the expired one is gone"
    );
    assert_eq!(store.list_invites(0).await.unwrap(), vec![live]);
}

#[tokio::test]
async fn a_conversation_and_its_agent_activity_go_thirty_days_after_their_last_change() {
    let fixture = embedded().await;
    let store = &fixture.store;
    let c = conv("10", "20");
    let now = dmbot_shared::domain::now_ms();
    store
        .save_conversation(&c, &state("start"), 0)
        .await
        .unwrap();
    store
        .record_agent_activity(&AgentActivity {
            event_id: event("4"),
            conversation: c.clone(),
            created_ms: now,
        })
        .await
        .unwrap();

    assert_eq!(store.sweep_expired(now + DAY_MS).await.unwrap(), 0);
    let kept = store.load_conversation(&c).await.unwrap();
    assert_eq!((kept.version, kept.agent_last_active_ms), (1, Some(now)));

    assert_eq!(store.sweep_expired(now + TTL_MS + DAY_MS).await.unwrap(), 2);
    let gone = store.load_conversation(&c).await.unwrap();
    assert_eq!((gone.version, gone.agent_last_active_ms), (0, None));
}

#[tokio::test]
async fn the_sweep_works_through_more_than_one_batch() {
    let fixture = embedded().await;
    let store = &fixture.store;
    let c = conv("10", "20");
    let n = 1_300u64;
    for i in 1..=n {
        store
            .put_inbound(&plain_inbound(&c, &i.to_string()))
            .await
            .unwrap();
    }
    let now = 1_700_000_000_000 + TTL_MS;
    assert_eq!(store.sweep_expired(now).await.unwrap(), n);
    assert!(pending_ids(store).await.is_empty());
}

#[tokio::test]
async fn forgetting_an_account_clears_its_index_entries_too() {
    let fixture = embedded().await;
    let store = &fixture.store;
    let (gone, kept) = (conv("10", "20"), conv("11", "20"));
    store
        .put_inbound(&inbound(&gone, "1", 1_000))
        .await
        .unwrap();
    store
        .put_inbound(&inbound(&gone, "2", 1_000))
        .await
        .unwrap();
    store
        .set_inbound_status(&gone, &event("2"), &failed("boom", 5))
        .await
        .unwrap();
    store
        .put_inbound(&inbound(&kept, "3", 1_000))
        .await
        .unwrap();

    store.revoke_account(&user("10"), 5).await.unwrap();
    assert!(store.forget_step(&user("10"), 100).await.unwrap().done);
    assert_eq!(pending_ids(store).await, ["3"]);
    assert!(failed_ids(store).await.is_empty());
    assert_eq!(
        store.sweep_expired(u64::MAX / 2).await.unwrap(),
        1,
        "only account 11's message was left"
    );
}
