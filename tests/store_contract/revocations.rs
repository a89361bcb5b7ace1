//! The revocations port: a revoke removes the record at once, forget steps the rest.

use super::data::*;
use super::*;

/// Gives account `id` one of everything: 2 inbound, 1 sent, a state, agent activity, media.
async fn populate<S: Store>(store: &S, id: &str, customer: &str) -> ConversationKey {
    let c = conv(id, customer);
    store.put_account(&account(id)).await.unwrap();
    store.put_inbound(&inbound(&c, "1", 1_000)).await.unwrap();
    store.put_inbound(&inbound(&c, "2", 1_000)).await.unwrap();
    store
        .record_sent(&c, &event("3"), &event("1"), 1_000)
        .await
        .unwrap();
    store
        .save_conversation(&c, &state("start"), 0)
        .await
        .unwrap();
    store
        .record_agent_activity(&AgentActivity {
            event_id: event("4"),
            conversation: c.clone(),
            created_ms: 1_000,
        })
        .await
        .unwrap();
    store
        .put_media(
            &user(id),
            "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef",
            &MediaRef {
                media_id: "710511363345354753".to_string(),
                expires_ms: 2_000_000_000_000,
            },
        )
        .await
        .unwrap();
    c
}

/// Runs forget steps of at most `max` entries until the store says done; returns the total
/// removed and the number of steps.
async fn forget_all<S: Store>(store: &S, id: &str, max: usize) -> (u64, usize) {
    let (mut removed, mut steps) = (0u64, 0usize);
    loop {
        let step = store.forget_step(&user(id), max).await.unwrap();
        removed += step.removed;
        steps += 1;
        if step.done {
            return (removed, steps);
        }
        assert!(steps < 100, "forgetting account {id} never finished");
    }
}

pub async fn a_revoke_removes_the_record_at_once_and_forgetting_removes_the_rest_only<S: Store>(
    store: &S,
) {
    // "12" is a prefix of "123": the removal must match whole ids.
    let gone = populate(store, "12", "20").await;
    let kept = populate(store, "123", "20").await;
    let kept_other_customer = populate(store, "123", "12").await;
    const SHA: &str = "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";

    store.revoke_account(&user("12"), 1_000).await.unwrap();
    assert_eq!(store.get_account(&user("12")).await.unwrap(), None);
    assert_eq!(
        store.pending_forgets(10).await.unwrap(),
        [PendingForget {
            account: user("12"),
            requested_ms: 1_000
        }]
    );
    // The revoke itself removes only the record: the rest is the forget steps' work.
    assert!(
        store
            .get_inbound(&gone, &event("1"))
            .await
            .unwrap()
            .is_some()
    );

    // 2 inbound + 1 sent + state + agent activity + media
    assert_eq!(forget_all(store, "12", 100).await.0, 6);
    assert!(store.pending_forgets(10).await.unwrap().is_empty());

    assert_eq!(store.get_inbound(&gone, &event("1")).await.unwrap(), None);
    assert_eq!(store.get_inbound(&gone, &event("2")).await.unwrap(), None);
    assert!(!store.is_sent_by_bot(&gone, &event("3")).await.unwrap());
    let loaded = store.load_conversation(&gone).await.unwrap();
    assert_eq!((loaded.version, loaded.agent_last_active_ms), (0, None));
    assert_eq!(store.get_media(&user("12"), SHA).await.unwrap(), None);

    for c in [&kept, &kept_other_customer] {
        assert!(store.get_inbound(c, &event("1")).await.unwrap().is_some());
        assert!(store.get_inbound(c, &event("2")).await.unwrap().is_some());
        assert!(store.is_sent_by_bot(c, &event("3")).await.unwrap());
        let loaded = store.load_conversation(c).await.unwrap();
        assert_eq!(
            (loaded.version, loaded.agent_last_active_ms),
            (1, Some(1_000))
        );
    }
    assert_eq!(
        store.get_account(&user("123")).await.unwrap(),
        Some(account("123"))
    );
    assert!(store.get_media(&user("123"), SHA).await.unwrap().is_some());
    assert_eq!(store.list_accounts().await.unwrap(), [account("123")]);

    assert_eq!(
        store.forget_step(&user("12"), 100).await.unwrap(),
        ForgetStep {
            removed: 0,
            done: true
        },
        "forgetting again is harmless"
    );
}

pub async fn forgetting_an_account_with_many_messages_removes_them_all<S: Store>(store: &S) {
    // More than one DynamoDB batch (25 writes) and more than one step.
    let c = conv("10", "20");
    for i in 0..60u32 {
        store
            .put_inbound(&plain_inbound(&c, &(1_000 + i).to_string()))
            .await
            .unwrap();
    }
    store.revoke_account(&user("10"), 5).await.unwrap();
    assert_eq!(forget_all(store, "10", 25).await.0, 60);
    for i in [0u32, 24, 25, 59] {
        assert_eq!(
            store
                .get_inbound(&c, &event(&(1_000 + i).to_string()))
                .await
                .unwrap(),
            None
        );
    }
}

pub async fn revoking_an_unknown_account_again_and_again_is_harmless<S: Store>(store: &S) {
    populate(store, "123", "20").await;
    for at in [5, 6] {
        store.revoke_account(&user("99"), at).await.unwrap();
    }
    assert_eq!(
        store.pending_forgets(10).await.unwrap(),
        [PendingForget {
            account: user("99"),
            requested_ms: 6
        }],
        "one pending removal, from the latest revoke"
    );
    assert_eq!(forget_all(store, "99", 100).await, (0, 1));
    assert!(store.pending_forgets(10).await.unwrap().is_empty());
    assert_eq!(store.list_accounts().await.unwrap(), [account("123")]);
}

pub async fn pending_removals_are_listed_oldest_first_up_to_the_limit<S: Store>(store: &S) {
    assert!(store.pending_forgets(10).await.unwrap().is_empty());
    for (id, at) in [("30", 300), ("10", 100), ("20", 200)] {
        store.revoke_account(&user(id), at).await.unwrap();
    }
    let pending = store.pending_forgets(10).await.unwrap();
    let ids: Vec<&str> = pending.iter().map(|p| p.account.as_str()).collect();
    assert_eq!(ids, ["10", "20", "30"]);
    assert_eq!(store.pending_forgets(2).await.unwrap().len(), 2);
}
