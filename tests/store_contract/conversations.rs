//! The conversations port: versions, conflicts, agent activity.

use super::data::*;
use super::*;

pub async fn an_unknown_conversation_loads_as_new<S: Store>(store: &S) {
    let loaded = store.load_conversation(&conv("10", "20")).await.unwrap();
    assert_eq!(loaded.version, 0);
    assert_eq!(loaded.state, ConversationState::default());
    assert_eq!(loaded.agent_last_active_ms, None);
}

pub async fn each_save_bumps_the_version<S: Store>(store: &S) {
    let c = conv("10", "20");
    assert_eq!(
        store
            .save_conversation(&c, &state("start"), 0)
            .await
            .unwrap(),
        1
    );
    let loaded = store.load_conversation(&c).await.unwrap();
    assert_eq!(loaded.version, 1);
    assert_eq!(loaded.state, state("start"));

    assert_eq!(
        store
            .save_conversation(&c, &state("menu"), 1)
            .await
            .unwrap(),
        2
    );
    let loaded = store.load_conversation(&c).await.unwrap();
    assert_eq!((loaded.version, loaded.state), (2, state("menu")));
    assert_eq!(
        store
            .load_conversation(&conv("10", "21"))
            .await
            .unwrap()
            .version,
        0,
        "conversations do not share state"
    );
}

pub async fn a_save_on_a_stale_version_is_a_conflict<S: Store>(store: &S) {
    let c = conv("10", "20");
    store
        .save_conversation(&c, &state("start"), 0)
        .await
        .unwrap();
    store
        .save_conversation(&c, &state("menu"), 1)
        .await
        .unwrap();

    for stale in [0, 1, 3] {
        let result = store.save_conversation(&c, &state("lost"), stale).await;
        assert!(
            matches!(result, Err(StoreError::Conflict { .. })),
            "expected version {stale}: got {result:?}"
        );
    }
    let result = store
        .save_conversation(&conv("10", "21"), &state("x"), 4)
        .await;
    assert!(
        matches!(result, Err(StoreError::Conflict { .. })),
        "a missing conversation has version 0: got {result:?}"
    );
    let loaded = store.load_conversation(&c).await.unwrap();
    assert_eq!((loaded.version, loaded.state), (2, state("menu")));
}

pub async fn of_concurrent_saves_on_one_version_exactly_one_wins<S: Store + Clone + 'static>(
    store: &S,
) {
    let c = conv("10", "20");
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..8 {
        let store = store.clone();
        let c = c.clone();
        tasks.spawn(async move {
            let result = store
                .save_conversation(&c, &state(&format!("writer {i}")), 0)
                .await;
            (i, result)
        });
    }
    let mut winners = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (i, result) = joined.expect("the task does not panic");
        match result {
            Ok(version) => {
                assert_eq!(version, 1);
                winners.push(i);
            }
            Err(StoreError::Conflict { .. }) => {}
            Err(other) => panic!("writer {i}: unexpected {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    let loaded = store.load_conversation(&c).await.unwrap();
    assert_eq!(loaded.version, 1);
    assert_eq!(loaded.state, state(&format!("writer {}", winners[0])));
}

pub async fn agent_activity_keeps_the_latest_time_without_touching_the_version<S: Store>(
    store: &S,
) {
    let c = conv("10", "20");
    let activity = |event_id: &str, created_ms| AgentActivity {
        event_id: event(event_id),
        conversation: c.clone(),
        created_ms,
    };
    store
        .record_agent_activity(&activity("1", 2_000))
        .await
        .unwrap();
    store
        .record_agent_activity(&activity("2", 1_000))
        .await
        .unwrap();
    let loaded = store.load_conversation(&c).await.unwrap();
    assert_eq!(loaded.agent_last_active_ms, Some(2_000));
    assert_eq!(loaded.version, 0);

    // The engine's optimistic save is not disturbed by agent activity, before or after.
    assert_eq!(
        store
            .save_conversation(&c, &state("start"), 0)
            .await
            .unwrap(),
        1
    );
    store
        .record_agent_activity(&activity("3", 3_000))
        .await
        .unwrap();
    assert_eq!(
        store
            .save_conversation(&c, &state("menu"), 1)
            .await
            .unwrap(),
        2
    );

    let loaded = store.load_conversation(&c).await.unwrap();
    assert_eq!(loaded.agent_last_active_ms, Some(3_000));
    assert_eq!((loaded.version, loaded.state), (2, state("menu")));
    assert_eq!(
        store
            .load_conversation(&conv("10", "21"))
            .await
            .unwrap()
            .agent_last_active_ms,
        None
    );
}
