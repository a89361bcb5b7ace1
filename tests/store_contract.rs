//! The storage contract: one set of behaviour tests, written once as generic functions over
//! [`Store`], run against every implementation:
//! - `memory_store`: [`MemoryStore`], the reference behaviour;
//! - `embedded_store`: [`EmbeddedStore`] on a file in a temporary directory;
//! - `dynamo_store`: [`DynamoStore`] on a fresh table in moto (fails, never skips, when moto is
//!   not installed).
//!
//! Then a few tests of what only one adapter has (restart survival and notifications of the
//! embedded store, the DynamoDB item layout and error mapping).

use std::collections::BTreeMap;

use dmbot_shared::domain::{
    AccountEcho, AgentActivity, ConversationKey, ConversationState, EventId, Handoff,
    HandoffReason, InboundMedia, InboundMessage, InboundRecord, InboundStatus, UserId,
};
use dmbot_shared::invite::InviteToken;
use dmbot_shared::store::dynamodb::DynamoStore;
use dmbot_shared::store::embedded::EmbeddedStore;
use dmbot_shared::store::invites::{InviteRecord, Invites};
use dmbot_shared::store::memory::MemoryStore;
use dmbot_shared::store::{
    AccountRecord, AccountTokens, AttemptMark, ClaimOutcome, FlowRecord, ForgetStep, MediaRef,
    PendingForget, PutOutcome, Receipt, Store, StoreError,
};
use dmbot_tests::moto::Moto;

/// A store under test and whatever must live as long as it (a temporary directory).
struct Fixture<S> {
    store: S,
    _dir: Option<tempfile::TempDir>,
}

async fn memory() -> Fixture<MemoryStore> {
    Fixture {
        store: MemoryStore::new(),
        _dir: None,
    }
}

async fn embedded() -> Fixture<EmbeddedStore> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = EmbeddedStore::open(dir.path().join("data").join("dmbot.redb"))
        .expect("the embedded store opens in a fresh directory");
    Fixture {
        store,
        _dir: Some(dir),
    }
}

async fn dynamo() -> Fixture<DynamoStore> {
    Fixture {
        store: Moto::shared().await.fresh_table().await,
        _dir: None,
    }
}

/// Test data builders.
mod data {
    use super::*;

    pub fn user(id: &str) -> UserId {
        UserId::parse(id).expect("test ids are digits")
    }

    pub fn event(id: &str) -> EventId {
        EventId::parse(id).expect("test ids are digits")
    }

    pub fn conv(account: &str, customer: &str) -> ConversationKey {
        ConversationKey::new(user(account), user(customer))
    }

    /// A pending inbound message with every optional field set, so that a lossy round trip
    /// shows up.
    pub fn inbound(
        conversation: &ConversationKey,
        event_id: &str,
        received_ms: u64,
    ) -> InboundRecord {
        InboundRecord {
            message: InboundMessage {
                event_id: event(event_id),
                conversation: conversation.clone(),
                created_ms: received_ms.saturating_sub(100),
                text: format!("message {event_id}: héllo 👋"),
                quick_reply_metadata: Some("external_id_1".to_string()),
                welcome_message_id: Some("844385345234".to_string()),
                media: Some(InboundMedia {
                    id: "9000".to_string(),
                    url: "https://ton.twitter.com/1.1/ton/data/dm/1/2/photo.jpg".to_string(),
                    kind: "photo".to_string(),
                }),
                customer_screen_name: Some("customer".to_string()),
                customer_name: Some("A Customer".to_string()),
            },
            status: InboundStatus::Pending,
            received_ms,
            attempt: Default::default(),
        }
    }

    pub fn plain_inbound(conversation: &ConversationKey, event_id: &str) -> InboundRecord {
        let mut r = inbound(conversation, event_id, 1_700_000_000_000);
        r.message.quick_reply_metadata = None;
        r.message.welcome_message_id = None;
        r.message.media = None;
        r.message.customer_screen_name = None;
        r.message.customer_name = None;
        r
    }

    pub fn state(node: &str) -> ConversationState {
        ConversationState {
            node: Some(node.to_string()),
            vars: BTreeMap::from([("order".to_string(), "A-17".to_string())]),
            handoff: Some(Handoff {
                since_ms: 5,
                reason: HandoffReason::AgentWrote,
            }),
            last_answered: Some(event("77")),
            last_activity_ms: 1_700_000_000_000,
            resumed_ms: 1_700_000_000_500,
        }
    }

    pub fn account(id: &str) -> AccountRecord {
        AccountRecord {
            id: user(id),
            screen_name: Some(format!("business_{id}")),
            tokens: Some(AccountTokens {
                token: format!("{id}-token"),
                token_secret: "not-a-real-secret".to_string(),
            }),
            flow_id: Some("support".to_string()),
            created_ms: 1_700_000_000_000,
        }
    }

    pub fn flow(id: &str, version: u64) -> FlowRecord {
        FlowRecord {
            flow_id: id.to_string(),
            version,
            document: format!(r#"{{"id":"{id}","version":{version}}}"#),
            stored_ms: 1_700_000_000_000 + version,
        }
    }

    pub fn failed(reason: &str, at_ms: u64) -> InboundStatus {
        InboundStatus::Failed {
            reason: reason.to_string(),
            at_ms,
        }
    }
}

/// The contract, once. Every function takes any [`Store`].
mod cases {
    use super::data::*;
    use super::*;

    pub async fn a_redelivered_event_is_stored_once<S: Store>(store: &S) {
        let c = conv("10", "20");
        let first = inbound(&c, "1001", 1_000);
        assert_eq!(
            store.put_inbound(&first).await.unwrap(),
            PutOutcome::Inserted
        );

        let mut redelivery = first.clone();
        redelivery.message.text = "a different body under the same event id".to_string();
        redelivery.received_ms = 2_000;
        assert_eq!(
            store.put_inbound(&redelivery).await.unwrap(),
            PutOutcome::Duplicate
        );
        assert_eq!(
            store.get_inbound(&c, &event("1001")).await.unwrap(),
            Some(first),
            "a duplicate must not overwrite the stored message"
        );
    }

    pub async fn get_inbound_returns_the_stored_record_or_nothing<S: Store>(store: &S) {
        let c = conv("10", "20");
        let rich = inbound(&c, "1001", 1_000);
        let plain = plain_inbound(&c, "1002");
        store.put_inbound(&rich).await.unwrap();
        store.put_inbound(&plain).await.unwrap();

        assert_eq!(
            store.get_inbound(&c, &event("1001")).await.unwrap(),
            Some(rich)
        );
        assert_eq!(
            store.get_inbound(&c, &event("1002")).await.unwrap(),
            Some(plain)
        );
        assert_eq!(store.get_inbound(&c, &event("1003")).await.unwrap(), None);
        assert_eq!(
            store
                .get_inbound(&conv("10", "21"), &event("1001"))
                .await
                .unwrap(),
            None,
            "an event id belongs to one conversation"
        );
    }

    pub async fn the_same_event_id_in_two_conversations_is_two_messages<S: Store>(store: &S) {
        // When two subscribed accounts talk to each other, each gets the event for itself.
        let a = inbound(&conv("10", "20"), "1001", 1_000);
        let b = inbound(&conv("20", "10"), "1001", 1_000);
        assert_eq!(store.put_inbound(&a).await.unwrap(), PutOutcome::Inserted);
        assert_eq!(store.put_inbound(&b).await.unwrap(), PutOutcome::Inserted);
    }

    pub async fn a_claim_holds_the_message_until_its_lease_runs_out<S: Store>(store: &S) {
        let c = conv("10", "20");
        let record = inbound(&c, "1001", 1_000);
        store.put_inbound(&record).await.unwrap();

        assert_eq!(
            store
                .claim_inbound(&c, &event("1001"), 10_000, 500)
                .await
                .unwrap(),
            ClaimOutcome::Claimed(record.clone())
        );
        assert_eq!(
            store
                .claim_inbound(&c, &event("1001"), 10_001, 500)
                .await
                .unwrap(),
            ClaimOutcome::Busy
        );
        assert_eq!(
            store
                .claim_inbound(&c, &event("1001"), 10_499, 500)
                .await
                .unwrap(),
            ClaimOutcome::Busy,
            "the lease is live until its last millisecond"
        );
        assert_eq!(
            store
                .claim_inbound(&c, &event("1001"), 10_500, 500)
                .await
                .unwrap(),
            ClaimOutcome::Claimed(record.clone()),
            "a dispatcher that died must not block the message forever"
        );
        assert_eq!(
            store
                .claim_inbound(&c, &event("1001"), 10_600, 500)
                .await
                .unwrap(),
            ClaimOutcome::Busy,
            "the re-claim took a new lease"
        );
    }

    pub async fn claiming_a_finished_or_unknown_message_says_so<S: Store>(store: &S) {
        let c = conv("10", "20");
        store
            .put_inbound(&inbound(&c, "1001", 1_000))
            .await
            .unwrap();
        store
            .claim_inbound(&c, &event("1001"), 10_000, 60_000)
            .await
            .unwrap();
        let answered = InboundStatus::Answered {
            reply_event_id: Some(event("1002")),
            at_ms: 10_100,
        };
        store
            .set_inbound_status(&c, &event("1001"), &answered)
            .await
            .unwrap();

        assert_eq!(
            store
                .claim_inbound(&c, &event("1001"), 99_000, 500)
                .await
                .unwrap(),
            ClaimOutcome::Done(answered)
        );
        assert_eq!(
            store
                .claim_inbound(&c, &event("4242"), 10_000, 500)
                .await
                .unwrap(),
            ClaimOutcome::Missing
        );
    }

    pub async fn final_statuses_are_stored_as_given<S: Store>(store: &S) {
        let c = conv("10", "20");
        for id in ["1", "2", "3"] {
            store.put_inbound(&inbound(&c, id, 1_000)).await.unwrap();
        }
        let statuses = [
            (
                "1",
                InboundStatus::Answered {
                    reply_event_id: Some(event("99")),
                    at_ms: 2_000,
                },
            ),
            (
                "2",
                InboundStatus::Answered {
                    reply_event_id: None,
                    at_ms: 2_001,
                },
            ),
            (
                "3",
                failed(
                    "Twitter answered 403: the customer blocked the account",
                    2_002,
                ),
            ),
        ];
        for (id, status) in &statuses {
            store
                .set_inbound_status(&c, &event(id), status)
                .await
                .unwrap();
        }
        for (id, status) in statuses {
            let stored = store.get_inbound(&c, &event(id)).await.unwrap().unwrap();
            assert_eq!(stored.status, status);
            assert_eq!(stored.message, inbound(&c, id, 1_000).message);
        }
    }

    pub async fn setting_the_status_of_an_unknown_message_is_refused<S: Store>(store: &S) {
        let result = store
            .set_inbound_status(&conv("10", "20"), &event("1"), &failed("x", 1))
            .await;
        assert!(
            matches!(result, Err(StoreError::Rejected(_))),
            "got {result:?}"
        );
        assert_eq!(
            store
                .get_inbound(&conv("10", "20"), &event("1"))
                .await
                .unwrap(),
            None,
            "a status update must not create a message"
        );
    }

    pub async fn failures_are_listed_newest_event_first_up_to_the_limit<S: Store>(store: &S) {
        let c = conv("10", "20");
        let other = conv("11", "21");
        // "200" < "30" as text, 30 < 200 as snowflakes: the order must be numeric.
        for (conversation, id) in [(&c, "5"), (&c, "30"), (&other, "200"), (&c, "7"), (&c, "8")] {
            store
                .put_inbound(&inbound(conversation, id, 1_000))
                .await
                .unwrap();
        }
        for (conversation, id) in [(&c, "5"), (&c, "30"), (&other, "200")] {
            store
                .set_inbound_status(conversation, &event(id), &failed(&format!("bad {id}"), 9))
                .await
                .unwrap();
        }
        store
            .set_inbound_status(
                &c,
                &event("7"),
                &InboundStatus::Answered {
                    reply_event_id: None,
                    at_ms: 9,
                },
            )
            .await
            .unwrap();

        let ids = |records: Vec<InboundRecord>| {
            records
                .into_iter()
                .map(|r| r.message.event_id.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ids(store.list_failed(10).await.unwrap()),
            ["200", "30", "5"]
        );
        assert_eq!(ids(store.list_failed(2).await.unwrap()), ["200", "30"]);
        assert!(store.list_failed(0).await.unwrap().is_empty());
        let listed = store.list_failed(1).await.unwrap();
        assert_eq!(listed[0].status, failed("bad 200", 9));
    }

    pub async fn a_redriven_failure_is_pending_and_claimable_again<S: Store>(store: &S) {
        let c = conv("10", "20");
        store
            .put_inbound(&inbound(&c, "1001", 1_000))
            .await
            .unwrap();
        // Claimed with a long lease, then failed: the redrive must not wait for that lease.
        store
            .claim_inbound(&c, &event("1001"), 10_000, 3_600_000)
            .await
            .unwrap();
        store
            .set_inbound_status(&c, &event("1001"), &failed("Twitter answered 400", 10_001))
            .await
            .unwrap();
        store
            .set_inbound_status(&c, &event("1001"), &InboundStatus::Pending)
            .await
            .unwrap();

        let stored = store
            .get_inbound(&c, &event("1001"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.status, InboundStatus::Pending);
        assert!(store.list_failed(10).await.unwrap().is_empty());
        assert!(matches!(
            store
                .claim_inbound(&c, &event("1001"), 10_002, 500)
                .await
                .unwrap(),
            ClaimOutcome::Claimed(_)
        ));
    }

    pub async fn the_bot_recognises_only_its_own_sent_messages<S: Store>(store: &S) {
        let c = conv("10", "20");
        assert!(!store.is_sent_by_bot(&c, &event("500")).await.unwrap());
        store
            .record_sent(&c, &event("500"), &event("1"), 1_000)
            .await
            .unwrap();
        store
            .record_sent(&c, &event("500"), &event("1"), 1_001)
            .await
            .unwrap();

        assert!(store.is_sent_by_bot(&c, &event("500")).await.unwrap());
        assert!(!store.is_sent_by_bot(&c, &event("501")).await.unwrap());
        assert!(
            !store
                .is_sent_by_bot(&conv("10", "21"), &event("500"))
                .await
                .unwrap()
        );
        assert_eq!(
            store.get_inbound(&c, &event("500")).await.unwrap(),
            None,
            "a sent marker is not an inbound message"
        );
    }

    fn echo(c: &ConversationKey, id: &str, created_ms: u64, ours: bool) -> AccountEcho {
        AccountEcho {
            event_id: event(id),
            conversation: c.clone(),
            created_ms,
            from_our_app: ours,
        }
    }

    pub async fn receipts_merge_the_dispatchers_record_and_the_echo_in_either_order<S: Store>(
        store: &S,
    ) {
        let c = conv("10", "20");
        // Echo first, then the dispatcher's record; and the other way round.
        store
            .record_echo(&echo(&c, "600", 5_000, true), 5_001)
            .await
            .unwrap();
        store
            .record_sent(&c, &event("600"), &event("550"), 5_002)
            .await
            .unwrap();
        store
            .record_sent(&c, &event("700"), &event("650"), 6_000)
            .await
            .unwrap();
        store
            .record_echo(&echo(&c, "700", 6_001, true), 6_002)
            .await
            .unwrap();
        // A redelivered echo changes nothing.
        store
            .record_echo(&echo(&c, "700", 6_001, true), 6_003)
            .await
            .unwrap();

        let receipts = store.receipts_after(&c, &event("1")).await.unwrap();
        type Seen = (String, Option<String>, Option<u64>, bool, bool);
        let got: Vec<Seen> = receipts
            .iter()
            .map(|r| {
                (
                    r.event_id.to_string(),
                    r.in_reply_to.as_ref().map(|e| e.to_string()),
                    r.echo_created_ms,
                    r.echo_from_our_app,
                    r.is_recorded_send(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("600".into(), Some("550".into()), Some(5_000), true, true),
                ("700".into(), Some("650".into()), Some(6_001), true, true),
            ]
        );
        assert!(store.is_sent_by_bot(&c, &event("600")).await.unwrap());
    }

    pub async fn receipts_after_an_id_come_in_event_id_order_and_only_for_the_conversation<
        S: Store,
    >(
        store: &S,
    ) {
        let c = conv("10", "20");
        // Ids of different lengths: numeric order, not string order.
        for id in ["99", "1000", "120", "7"] {
            store.record_echo(&echo(&c, id, 1, false), 1).await.unwrap();
        }
        store
            .record_echo(&echo(&conv("10", "21"), "500", 1, true), 1)
            .await
            .unwrap();
        store
            .record_echo(&echo(&conv("11", "20"), "501", 1, true), 1)
            .await
            .unwrap();
        let ids = |rs: Vec<Receipt>| {
            rs.iter()
                .map(|r| r.event_id.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ids(store.receipts_after(&c, &event("99")).await.unwrap()),
            ["120", "1000"]
        );
        assert_eq!(
            ids(store.receipts_after(&c, &event("1")).await.unwrap()),
            ["7", "99", "120", "1000"]
        );
        assert!(
            store
                .receipts_after(&c, &event("1000"))
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            !store.is_sent_by_bot(&c, &event("99")).await.unwrap(),
            "an echo alone is not a recorded send"
        );
    }

    pub async fn attempt_marks_are_kept_on_a_pending_message_only<S: Store>(store: &S) {
        let c = conv("10", "20");
        store.put_inbound(&plain_inbound(&c, "1")).await.unwrap();
        let c = &c;
        let mark =
            |m: AttemptMark| async move { store.mark_inbound(c, &event("1"), &m).await.unwrap() };
        assert!(mark(AttemptMark::Sending { at_ms: 100 }).await);
        assert!(
            mark(AttemptMark::Sending { at_ms: 200 }).await,
            "a later attempt keeps the first time"
        );
        assert!(mark(AttemptMark::Replied { reply: event("9") }).await);
        let claimed = match store
            .claim_inbound(c, &event("1"), 1_000, 500)
            .await
            .unwrap()
        {
            ClaimOutcome::Claimed(r) => r,
            other => panic!("expected a claim, got {other:?}"),
        };
        assert_eq!(claimed.attempt.sending_ms, Some(100));
        assert_eq!(claimed.attempt.reply_event_id, Some(event("9")));
        assert!(
            mark(AttemptMark::Deferred {
                until_ms: 5_000,
                reason: "rate limited".into(),
                release_lease: true,
            })
            .await
        );
        assert!(
            mark(AttemptMark::Deferred {
                until_ms: 6_000,
                reason: "rate limited again".into(),
                release_lease: false,
            })
            .await
        );
        let r = store.get_inbound(c, &event("1")).await.unwrap().unwrap();
        assert_eq!(r.attempt.not_before_ms, Some(6_000));
        assert_eq!(
            r.attempt.defer_reason.as_deref(),
            Some("rate limited again")
        );
        assert_eq!(r.attempt.deferrals, 2);

        store
            .set_inbound_status(
                c,
                &event("1"),
                &InboundStatus::Answered {
                    reply_event_id: None,
                    at_ms: 1,
                },
            )
            .await
            .unwrap();
        assert!(
            !mark(AttemptMark::Sending { at_ms: 300 }).await,
            "an answered message takes no mark: its sender must not send"
        );
        assert!(
            !store
                .mark_inbound(c, &event("404"), &AttemptMark::Sending { at_ms: 1 })
                .await
                .unwrap()
        );
    }

    pub async fn messages_put_off_are_taken_once_when_due_and_never_when_answered<S: Store>(
        store: &S,
    ) {
        let c = conv("10", "20");
        for id in ["1", "2", "3"] {
            store.put_inbound(&plain_inbound(&c, id)).await.unwrap();
        }
        for (id, until) in [("1", 5_000), ("2", 5_000), ("3", 9_000)] {
            let mark = AttemptMark::Deferred {
                until_ms: until,
                reason: "rate limited".into(),
                release_lease: false,
            };
            assert!(store.mark_inbound(&c, &event(id), &mark).await.unwrap());
        }
        store
            .set_inbound_status(
                &c,
                &event("2"),
                &InboundStatus::Answered {
                    reply_event_id: None,
                    at_ms: 1,
                },
            )
            .await
            .unwrap();
        assert!(store.take_due_deferred(4_999, 10).await.unwrap().is_empty());
        let due = store.take_due_deferred(5_000, 10).await.unwrap();
        let ids: Vec<String> = due.iter().map(|r| r.message.event_id.to_string()).collect();
        assert_eq!(ids, ["1"], "due and still pending");
        assert_eq!(due[0].attempt.not_before_ms, None, "no longer put off");
        assert!(
            store.take_due_deferred(5_000, 10).await.unwrap().is_empty(),
            "once"
        );
        let later = store.take_due_deferred(10_000, 10).await.unwrap();
        assert_eq!(later.len(), 1);
        assert_eq!(later[0].message.event_id, event("3"));
    }

    pub async fn unfinished_messages_are_the_pending_ones_received_before_a_time<S: Store>(
        store: &S,
    ) {
        let c = conv("10", "20");
        for (id, at) in [("1", 1_000), ("2", 2_000), ("3", 3_000)] {
            store.put_inbound(&inbound(&c, id, at)).await.unwrap();
        }
        store
            .set_inbound_status(
                &c,
                &event("1"),
                &InboundStatus::Answered {
                    reply_event_id: None,
                    at_ms: 1,
                },
            )
            .await
            .unwrap();
        store
            .mark_inbound(
                &c,
                &event("2"),
                &AttemptMark::Deferred {
                    until_ms: 9_000,
                    reason: "rate limited".into(),
                    release_lease: true,
                },
            )
            .await
            .unwrap();
        let found = store.list_unfinished(3_000, 10).await.unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].message.event_id, event("2"));
        assert_eq!(found[0].attempt.not_before_ms, Some(9_000));
        assert_eq!(store.list_unfinished(3_001, 1).await.unwrap().len(), 1);
    }

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

    pub async fn accounts_are_stored_listed_by_id_and_replaced<S: Store>(store: &S) {
        assert!(store.list_accounts().await.unwrap().is_empty());
        assert_eq!(store.get_account(&user("300")).await.unwrap(), None);

        store.put_account(&account("300")).await.unwrap();
        store.put_account(&account("100")).await.unwrap();
        let mut owner = account("200");
        owner.tokens = None;
        owner.screen_name = None;
        owner.flow_id = None;
        store.put_account(&owner).await.unwrap();

        assert_eq!(
            store.get_account(&user("300")).await.unwrap(),
            Some(account("300"))
        );
        assert_eq!(
            store.get_account(&user("200")).await.unwrap(),
            Some(owner.clone())
        );
        assert_eq!(
            store.list_accounts().await.unwrap(),
            [account("100"), owner.clone(), account("300")]
        );

        let mut renamed = account("300");
        renamed.screen_name = Some("renamed".to_string());
        store.put_account(&renamed).await.unwrap();
        assert_eq!(
            store.get_account(&user("300")).await.unwrap(),
            Some(renamed)
        );
        assert_eq!(store.list_accounts().await.unwrap().len(), 3);
    }

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

    pub async fn a_revoke_removes_the_record_at_once_and_forgetting_removes_the_rest_only<
        S: Store,
    >(
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

    pub async fn the_newest_flow_version_is_the_active_one<S: Store>(store: &S) {
        assert_eq!(store.get_flow("support").await.unwrap(), None);
        store.put_flow(&flow("support", 1)).await.unwrap();
        assert_eq!(
            store.get_flow("support").await.unwrap(),
            Some(flow("support", 1))
        );
        // 9 -> 10: string order would say "10" < "9".
        store.put_flow(&flow("support", 9)).await.unwrap();
        store.put_flow(&flow("support", 10)).await.unwrap();
        assert_eq!(
            store.get_flow("support").await.unwrap(),
            Some(flow("support", 10))
        );

        store.put_flow(&flow("sales", 3)).await.unwrap();
        assert_eq!(
            store.get_flow("sales").await.unwrap(),
            Some(flow("sales", 3))
        );
        assert_eq!(
            store.get_flow("support").await.unwrap(),
            Some(flow("support", 10))
        );
        assert_eq!(store.get_flow("support-v2").await.unwrap(), None);
    }

    pub async fn an_older_or_equal_flow_version_is_refused<S: Store>(store: &S) {
        store.put_flow(&flow("support", 5)).await.unwrap();
        for version in [5, 4, 1] {
            let result = store.put_flow(&flow("support", version)).await;
            assert!(
                matches!(result, Err(StoreError::Conflict { .. })),
                "version {version}: got {result:?}"
            );
        }
        assert_eq!(
            store.get_flow("support").await.unwrap(),
            Some(flow("support", 5))
        );
        store.put_flow(&flow("support", 6)).await.unwrap();
        assert_eq!(
            store.get_flow("support").await.unwrap(),
            Some(flow("support", 6))
        );
    }

    fn invite(expires_ms: u64, note: Option<&str>) -> InviteRecord {
        InviteRecord {
            id: InviteToken::generate().id(),
            created_ms: 1_700_000_000_000,
            expires_ms,
            note: note.map(str::to_string),
        }
    }

    pub async fn invites_are_kept_until_used_revoked_or_expired<S: Store + Invites>(store: &S) {
        let now = 1_700_000_000_000;
        let soon = invite(now + 1_000, None);
        let later = invite(now + 60_000, Some("Acme Outdoor — ünïcode"));
        let revoked = invite(now + 60_000, None);
        for i in [&later, &soon, &revoked] {
            store.put_invite(i).await.unwrap();
        }
        assert_eq!(
            store.get_invite(&soon.id, now).await.unwrap(),
            Some(soon.clone())
        );
        assert_eq!(
            store.get_invite(&soon.id, now).await.unwrap(),
            Some(soon.clone()),
            "reading an invite leaves it in place"
        );
        let (first, second) = if later.id < revoked.id {
            (&later, &revoked)
        } else {
            (&revoked, &later)
        };
        assert_eq!(
            store.list_invites(now).await.unwrap(),
            vec![soon.clone(), first.clone(), second.clone()],
            "the valid invites, those expiring first first (then by id)"
        );

        // Expired: neither read, listed nor taken.
        let expired_at = now + 1_000;
        assert_eq!(store.get_invite(&soon.id, expired_at).await.unwrap(), None);
        assert_eq!(store.take_invite(&soon.id, expired_at).await.unwrap(), None);
        assert!(
            !store
                .list_invites(expired_at)
                .await
                .unwrap()
                .iter()
                .any(|i| i.id == soon.id)
        );

        // Used: taken once.
        assert_eq!(
            store.take_invite(&later.id, now).await.unwrap(),
            Some(later.clone())
        );
        assert_eq!(store.take_invite(&later.id, now).await.unwrap(), None);
        assert_eq!(store.get_invite(&later.id, now).await.unwrap(), None);

        // Revoked.
        assert!(store.revoke_invite(&revoked.id).await.unwrap());
        assert!(!store.revoke_invite(&revoked.id).await.unwrap());
        assert_eq!(store.get_invite(&revoked.id, now).await.unwrap(), None);
        assert_eq!(
            store
                .get_invite(&InviteToken::generate().id(), now)
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            store.list_invites(now).await.unwrap(),
            vec![soon],
            "only the unused, unrevoked one is left"
        );
    }

    pub async fn of_concurrent_takes_of_an_invite_exactly_one_wins<S: Store + Invites>(store: &S) {
        let now = 1_700_000_000_000;
        let i = invite(now + 60_000, None);
        store.put_invite(&i).await.unwrap();
        let (a, b, c) = tokio::join!(
            store.take_invite(&i.id, now),
            store.take_invite(&i.id, now),
            store.take_invite(&i.id, now)
        );
        let won = [a.unwrap(), b.unwrap(), c.unwrap()]
            .into_iter()
            .flatten()
            .count();
        assert_eq!(won, 1);
    }

    pub async fn media_ids_are_cached_per_account_and_content<S: Store>(store: &S) {
        let sha = "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";
        let first = MediaRef {
            media_id: "710511363345354753".to_string(),
            expires_ms: 1_700_086_400_000,
        };
        assert_eq!(store.get_media(&user("10"), sha).await.unwrap(), None);
        store.put_media(&user("10"), sha, &first).await.unwrap();
        assert_eq!(
            store.get_media(&user("10"), sha).await.unwrap(),
            Some(first)
        );
        assert_eq!(store.get_media(&user("11"), sha).await.unwrap(), None);
        assert_eq!(store.get_media(&user("10"), "00ff").await.unwrap(), None);

        let reupload = MediaRef {
            media_id: "710511363345354754".to_string(),
            expires_ms: 1_700_172_800_000,
        };
        store.put_media(&user("10"), sha, &reupload).await.unwrap();
        assert_eq!(
            store.get_media(&user("10"), sha).await.unwrap(),
            Some(reupload)
        );
    }
}

/// Runs every case against every store: `<store>::<case>`.
macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        mod memory_store {
            $(
                #[tokio::test]
                async fn $case() {
                    let fixture = super::memory().await;
                    super::cases::$case(&fixture.store).await;
                }
            )*
        }
        mod embedded_store {
            $(
                #[tokio::test]
                async fn $case() {
                    let fixture = super::embedded().await;
                    super::cases::$case(&fixture.store).await;
                }
            )*
        }
        mod dynamo_store {
            $(
                #[tokio::test]
                async fn $case() {
                    let fixture = super::dynamo().await;
                    super::cases::$case(&fixture.store).await;
                }
            )*
        }
    };
}

contract!(
    a_redelivered_event_is_stored_once,
    get_inbound_returns_the_stored_record_or_nothing,
    the_same_event_id_in_two_conversations_is_two_messages,
    a_claim_holds_the_message_until_its_lease_runs_out,
    claiming_a_finished_or_unknown_message_says_so,
    final_statuses_are_stored_as_given,
    setting_the_status_of_an_unknown_message_is_refused,
    failures_are_listed_newest_event_first_up_to_the_limit,
    a_redriven_failure_is_pending_and_claimable_again,
    the_bot_recognises_only_its_own_sent_messages,
    receipts_merge_the_dispatchers_record_and_the_echo_in_either_order,
    receipts_after_an_id_come_in_event_id_order_and_only_for_the_conversation,
    attempt_marks_are_kept_on_a_pending_message_only,
    unfinished_messages_are_the_pending_ones_received_before_a_time,
    messages_put_off_are_taken_once_when_due_and_never_when_answered,
    an_unknown_conversation_loads_as_new,
    each_save_bumps_the_version,
    a_save_on_a_stale_version_is_a_conflict,
    of_concurrent_saves_on_one_version_exactly_one_wins,
    agent_activity_keeps_the_latest_time_without_touching_the_version,
    accounts_are_stored_listed_by_id_and_replaced,
    a_revoke_removes_the_record_at_once_and_forgetting_removes_the_rest_only,
    forgetting_an_account_with_many_messages_removes_them_all,
    revoking_an_unknown_account_again_and_again_is_harmless,
    pending_removals_are_listed_oldest_first_up_to_the_limit,
    the_newest_flow_version_is_the_active_one,
    an_older_or_equal_flow_version_is_refused,
    media_ids_are_cached_per_account_and_content,
    invites_are_kept_until_used_revoked_or_expired,
    of_concurrent_takes_of_an_invite_exactly_one_wins,
);

/// What only the embedded store does: survive restarts, notify the local dispatcher.
mod embedded_only {
    use super::data::*;
    use super::*;
    use dmbot_shared::store::signin::{PendingSignin, PendingSignins};
    use dmbot_shared::store::{
        Accounts, Conversations, Flows, Inbox, MediaCache, Outbox, Revocations,
    };
    use tokio::sync::broadcast::error::TryRecvError;

    #[tokio::test]
    async fn when_reopened_the_embedded_store_has_everything_written_before() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dmbot.redb");
        let c = conv("10", "20");
        {
            let store = EmbeddedStore::open(&path).unwrap();
            store.put_inbound(&inbound(&c, "1", 1_000)).await.unwrap();
            store.put_inbound(&inbound(&c, "2", 1_000)).await.unwrap();
            store
                .set_inbound_status(&c, &event("2"), &failed("boom", 5))
                .await
                .unwrap();
            store
                .record_sent(&c, &event("3"), &event("1"), 1_000)
                .await
                .unwrap();
            store
                .save_conversation(&c, &state("menu"), 0)
                .await
                .unwrap();
            store.put_account(&account("10")).await.unwrap();
            store.put_flow(&flow("support", 2)).await.unwrap();
            store
                .put_media(
                    &user("10"),
                    "ab",
                    &MediaRef {
                        media_id: "1".to_string(),
                        expires_ms: 9,
                    },
                )
                .await
                .unwrap();
        }

        let store = EmbeddedStore::open(&path).unwrap();
        assert_eq!(
            store.get_inbound(&c, &event("1")).await.unwrap(),
            Some(inbound(&c, "1", 1_000))
        );
        assert_eq!(store.list_failed(10).await.unwrap().len(), 1);
        assert!(store.is_sent_by_bot(&c, &event("3")).await.unwrap());
        let loaded = store.load_conversation(&c).await.unwrap();
        assert_eq!((loaded.version, loaded.state), (1, state("menu")));
        assert_eq!(
            store.get_account(&user("10")).await.unwrap(),
            Some(account("10"))
        );
        assert_eq!(
            store.get_flow("support").await.unwrap(),
            Some(flow("support", 2))
        );
        assert!(store.get_media(&user("10"), "ab").await.unwrap().is_some());
        assert_eq!(
            store.put_inbound(&inbound(&c, "1", 1_000)).await.unwrap(),
            PutOutcome::Duplicate,
            "de-duplication survives a restart"
        );
    }

    #[tokio::test]
    async fn a_second_open_of_the_same_file_is_refused_with_advice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dmbot.redb");
        let _first = EmbeddedStore::open(&path).unwrap();
        match EmbeddedStore::open(&path) {
            Err(e @ StoreError::InUse { .. }) => {
                let message = e.to_string();
                assert!(message.contains("already open"), "{message}");
                assert!(message.contains("dmbot.redb"), "names the file: {message}");
            }
            other => panic!("expected InUse, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn subscribers_hear_of_each_new_message_once_and_not_of_duplicates() {
        let fixture = embedded().await;
        let store = &fixture.store;
        let c = conv("10", "20");
        let mut rx = store.subscribe_inbound();

        store.put_inbound(&inbound(&c, "1", 1_000)).await.unwrap();
        store.put_inbound(&inbound(&c, "1", 1_000)).await.unwrap();
        store.put_inbound(&inbound(&c, "2", 1_001)).await.unwrap();

        assert_eq!(rx.recv().await.unwrap(), inbound(&c, "1", 1_000));
        assert_eq!(rx.recv().await.unwrap(), inbound(&c, "2", 1_001));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    }

    #[tokio::test]
    async fn pending_messages_are_listed_oldest_first_for_recovery() {
        let fixture = embedded().await;
        let store = &fixture.store;
        let c = conv("10", "20");
        let other = conv("11", "20");
        store.put_inbound(&inbound(&c, "30", 3_000)).await.unwrap();
        store
            .put_inbound(&inbound(&other, "200", 1_000))
            .await
            .unwrap();
        store.put_inbound(&inbound(&c, "5", 2_000)).await.unwrap();
        store.put_inbound(&inbound(&c, "6", 2_000)).await.unwrap();
        store.put_inbound(&inbound(&c, "7", 500)).await.unwrap();
        store
            .set_inbound_status(&c, &event("7"), &failed("x", 1))
            .await
            .unwrap();
        store
            .set_inbound_status(
                &c,
                &event("6"),
                &InboundStatus::Answered {
                    reply_event_id: None,
                    at_ms: 1,
                },
            )
            .await
            .unwrap();
        // A leased message is still pending: after a restart its lease means nothing.
        store
            .claim_inbound(&c, &event("30"), 0, 1_000_000)
            .await
            .unwrap();

        let ids: Vec<String> = store
            .pending_inbound()
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.message.event_id.to_string())
            .collect();
        assert_eq!(ids, ["200", "5", "30"]);
    }

    async fn pending_ids(store: &EmbeddedStore) -> Vec<String> {
        let pending = store.pending_inbound().await.unwrap();
        pending
            .into_iter()
            .map(|r| r.message.event_id.to_string())
            .collect()
    }

    async fn failed_ids(store: &EmbeddedStore) -> Vec<String> {
        let failed = store.list_failed(100).await.unwrap();
        failed
            .into_iter()
            .map(|r| r.message.event_id.to_string())
            .collect()
    }

    fn answered() -> InboundStatus {
        InboundStatus::Answered {
            reply_event_id: None,
            at_ms: 1,
        }
    }

    #[tokio::test]
    async fn a_redriven_message_is_pending_again_and_no_longer_failed() {
        let fixture = embedded().await;
        let store = &fixture.store;
        let c = conv("10", "20");
        store.put_inbound(&inbound(&c, "1", 1_000)).await.unwrap();
        store.put_inbound(&inbound(&c, "2", 2_000)).await.unwrap();
        store
            .set_inbound_status(&c, &event("1"), &failed("boom", 5))
            .await
            .unwrap();
        assert_eq!(pending_ids(store).await, ["2"]);
        assert_eq!(failed_ids(store).await, ["1"]);

        store
            .set_inbound_status(&c, &event("1"), &InboundStatus::Pending)
            .await
            .unwrap();
        assert_eq!(pending_ids(store).await, ["1", "2"]);
        assert!(failed_ids(store).await.is_empty());

        store
            .set_inbound_status(&c, &event("1"), &answered())
            .await
            .unwrap();
        assert_eq!(pending_ids(store).await, ["2"]);
        assert!(failed_ids(store).await.is_empty());
    }

    const DAY_MS: u64 = 24 * 3600 * 1000;
    const TTL_MS: u64 = dmbot_shared::store::EVENT_TTL_SECS * 1000;

    fn media(expires_ms: u64) -> MediaRef {
        MediaRef {
            media_id: "710511363345354753".to_string(),
            expires_ms,
        }
    }

    fn signin(token: &str, expires_ms: u64) -> PendingSignin {
        PendingSignin {
            request_token: token.to_string(),
            request_token_secret: "request-secret".to_string(),
            state: "state".to_string(),
            expires_ms,
            invite: None,
        }
    }

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
    async fn a_store_whose_caller_goes_away_mid_write_still_notifies_the_dispatcher() {
        let fixture = embedded().await;
        let store = &fixture.store;
        let mut notes = store.subscribe_inbound();
        let record = plain_inbound(&conv("10", "20"), "1");
        // Polled once, then dropped: what hyper does to a handler whose client disconnected.
        {
            let mut put = std::pin::pin!(store.put_inbound(&record));
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            let first = std::future::Future::poll(put.as_mut(), &mut cx);
            assert!(first.is_pending(), "the write was still in progress");
        }

        let note = tokio::time::timeout(std::time::Duration::from_secs(10), notes.recv())
            .await
            .expect("the notification came")
            .expect("a record");
        assert_eq!(note, record);
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

    /// Takes a data file back to its first schema: no indexes, no expiry, no schema mark.
    fn age_to_schema_1(path: &std::path::Path) {
        let db = redb::Database::create(path).unwrap();
        let txn = db.begin_write().unwrap();
        for table in ["inbound_pending", "inbound_failed", "expiry", "meta"] {
            let def: redb::TableDefinition<&str, u64> = redb::TableDefinition::new(table);
            assert!(txn.delete_table(def).unwrap(), "table {table} existed");
        }
        txn.commit().unwrap();
    }

    fn schema_of(path: &std::path::Path) -> Option<u64> {
        use redb::ReadableDatabase;
        let db = redb::Database::create(path).unwrap();
        let txn = db.begin_read().unwrap();
        let def: redb::TableDefinition<&str, u64> = redb::TableDefinition::new("meta");
        let meta = txn.open_table(def).unwrap();
        meta.get("schema").unwrap().map(|v| v.value())
    }

    fn set_schema(path: &std::path::Path, schema: u64) {
        let db = redb::Database::create(path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let def: redb::TableDefinition<&str, u64> = redb::TableDefinition::new("meta");
            txn.open_table(def)
                .unwrap()
                .insert("schema", schema)
                .unwrap();
        }
        txn.commit().unwrap();
    }

    #[tokio::test]
    async fn a_data_file_of_the_first_schema_gets_its_indexes_built_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dmbot.redb");
        let c = conv("10", "20");
        let old = 1_700_000_000_000;
        {
            let store = EmbeddedStore::open(&path).unwrap();
            store.put_inbound(&inbound(&c, "1", old)).await.unwrap();
            store.put_inbound(&inbound(&c, "2", old + 1)).await.unwrap();
            store.put_inbound(&inbound(&c, "3", old + 2)).await.unwrap();
            store
                .set_inbound_status(&c, &event("2"), &failed("boom", 5))
                .await
                .unwrap();
            store
                .record_sent(&c, &event("4"), &event("1"), old)
                .await
                .unwrap();
        }
        age_to_schema_1(&path);

        let store = EmbeddedStore::open(&path).unwrap();
        assert_eq!(pending_ids(&store).await, ["1", "3"]);
        assert_eq!(failed_ids(&store).await, ["2"]);
        assert_eq!(store.sweep_expired(old + TTL_MS + 2_000).await.unwrap(), 4);
        drop(store);
        // The upgrade is recorded, so the next open does not build the indexes again.
        assert_eq!(schema_of(&path), Some(2));
    }

    #[tokio::test]
    async fn a_data_file_from_a_newer_dmbot_is_refused_with_advice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dmbot.redb");
        drop(EmbeddedStore::open(&path).unwrap());
        set_schema(&path, 99);
        match EmbeddedStore::open(&path) {
            Err(StoreError::Rejected(message)) => {
                assert!(message.contains("newer dmbot"), "{message}");
            }
            other => panic!("expected Rejected, got {other:?}"),
        }
    }
}

/// What only the DynamoDB store does: the item layout the stream filter relies on, and errors
/// that tell the operator what to do.
mod dynamo_only {
    use super::data::*;
    use super::*;
    use aws_sdk_dynamodb::types::AttributeValue;
    use dmbot_shared::store::dynamodb::{self as layout, ItemView};
    use dmbot_shared::store::{Inbox, Revocations};
    use std::collections::HashMap;

    #[tokio::test]
    async fn forget_steps_remove_at_most_their_size_and_then_the_pending_item() {
        let fixture = dynamo().await;
        let store = &fixture.store;
        let c = conv("10", "20");
        for i in 0..30u32 {
            store
                .put_inbound(&plain_inbound(&c, &(1_000 + i).to_string()))
                .await
                .unwrap();
        }
        store.revoke_account(&user("10"), 5).await.unwrap();
        let mut removed = Vec::new();
        loop {
            let step = store.forget_step(&user("10"), 12).await.unwrap();
            removed.push(step.removed);
            if step.done {
                break;
            }
        }
        assert_eq!(removed, [12, 12, 6, 0]);
        let pending = store
            .client()
            .get_item()
            .table_name(store.table_name())
            .key("pk", AttributeValue::S(layout::PK_FORGET.to_string()))
            .key("sk", AttributeValue::S("10".to_string()))
            .consistent_read(true)
            .send()
            .await
            .unwrap();
        assert!(pending.item.is_none(), "the pending item is gone when done");
    }

    async fn raw_item(store: &DynamoStore, pk: &str, sk: &str) -> HashMap<String, AttributeValue> {
        store
            .client()
            .get_item()
            .table_name(store.table_name())
            .key("pk", AttributeValue::S(pk.to_string()))
            .key("sk", AttributeValue::S(sk.to_string()))
            .consistent_read(true)
            .send()
            .await
            .unwrap()
            .item
            .expect("the item exists")
    }

    #[tokio::test]
    async fn inbound_items_carry_the_attributes_the_stream_filter_and_ttl_use() {
        let store = Moto::shared().await.fresh_table().await;
        let c = conv("10", "20");
        let record = inbound(&c, "1001", 1_700_000_000_000);
        store.put_inbound(&record).await.unwrap();

        let item = raw_item(&store, "CONV#10#20", "EVT#1001").await;
        assert_eq!(
            item.string_attr(layout::ATTR_KIND),
            Some(layout::KIND_INBOUND)
        );
        assert_eq!(
            item.string_attr(layout::ATTR_STATUS),
            Some(layout::STATUS_PENDING)
        );
        assert_eq!(item.string_attr(layout::ATTR_EVENT_ID), Some("1001"));
        assert_eq!(item.string_attr(layout::ATTR_ACCOUNT_ID), Some("10"));
        assert_eq!(item.string_attr(layout::ATTR_CUSTOMER_ID), Some("20"));
        assert_eq!(
            item.number_attr(layout::ATTR_EXPIRES_AT),
            Some(
                (1_700_000_000 + dmbot_shared::store::EVENT_TTL_SECS)
                    .to_string()
                    .as_str()
            )
        );
        assert_eq!(layout::decode_inbound_item(&item).unwrap(), record);
    }

    #[tokio::test]
    async fn invite_items_hold_the_hash_an_expiry_and_a_ttl_never_the_token() {
        use dmbot_shared::invite::InviteToken;
        use dmbot_shared::store::invites::{self as invites, InviteRecord, Invites};
        let store = Moto::shared().await.fresh_table().await;
        let token = InviteToken::generate();
        let record = InviteRecord {
            id: token.id(),
            created_ms: 1_700_000_000_000,
            expires_ms: 1_700_000_600_500,
            note: Some("Acme".into()),
        };
        store.put_invite(&record).await.unwrap();
        let pk = format!("INVITE#{}", token.id());
        assert_eq!(invites::invite_pk(&token.id()), pk);
        let item = raw_item(&store, &pk, invites::SK_INVITE).await;
        assert_eq!(
            item.string_attr(layout::ATTR_KIND),
            Some(invites::KIND_INVITE)
        );
        assert_eq!(
            item.number_attr(layout::ATTR_EXPIRES_MS),
            Some("1700000600500")
        );
        assert_eq!(
            item.number_attr(layout::ATTR_EXPIRES_AT),
            Some("1700000601")
        );
        assert_eq!(item.string_attr(invites::ATTR_NOTE), Some("Acme"));
        assert!(
            !format!("{item:?}").contains(token.expose()),
            "the token itself is never stored"
        );
    }

    #[tokio::test]
    async fn a_redrive_is_marked_for_the_stream_until_the_next_claim() {
        let store = Moto::shared().await.fresh_table().await;
        let c = conv("10", "20");
        store
            .put_inbound(&inbound(&c, "1001", 1_000))
            .await
            .unwrap();
        store
            .set_inbound_status(&c, &event("1001"), &failed("x", 1))
            .await
            .unwrap();
        store
            .set_inbound_status(&c, &event("1001"), &InboundStatus::Pending)
            .await
            .unwrap();
        let item = raw_item(&store, "CONV#10#20", "EVT#1001").await;
        assert_eq!(
            item.string_attr(layout::ATTR_REDRIVE),
            Some(layout::REDRIVE_REQUESTED)
        );
        assert_eq!(item.string_attr(layout::ATTR_FAILURE_REASON), None);

        store
            .claim_inbound(&c, &event("1001"), 5, 500)
            .await
            .unwrap();
        let item = raw_item(&store, "CONV#10#20", "EVT#1001").await;
        assert_eq!(item.string_attr(layout::ATTR_REDRIVE), None);
    }

    #[tokio::test]
    async fn a_corrupt_item_is_reported_as_corrupt() {
        let store = Moto::shared().await.fresh_table().await;
        let c = conv("10", "20");
        store
            .put_inbound(&inbound(&c, "1001", 1_000))
            .await
            .unwrap();
        store
            .client()
            .update_item()
            .table_name(store.table_name())
            .key("pk", AttributeValue::S("CONV#10#20".to_string()))
            .key("sk", AttributeValue::S("EVT#1001".to_string()))
            .update_expression("SET message = :m")
            .expression_attribute_values(":m", AttributeValue::S("{truncated".to_string()))
            .send()
            .await
            .unwrap();
        let result = store.get_inbound(&c, &event("1001")).await;
        assert!(
            matches!(result, Err(StoreError::Corrupt { .. })),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn a_missing_table_is_rejected_with_what_to_do() {
        let moto = Moto::shared().await;
        let store = DynamoStore::new(moto.dynamodb().await, "no-such-table");
        match store.get_inbound(&conv("10", "20"), &event("1")).await {
            Err(e @ StoreError::Rejected(_)) => {
                assert!(!e.is_transient());
                let message = e.to_string();
                assert!(message.contains("no-such-table"), "{message}");
                assert!(message.contains("TABLE_NAME"), "{message}");
            }
            other => panic!("expected Rejected, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn an_unreachable_endpoint_is_unavailable_and_retryable() {
        // A port nobody listens on.
        let port = std::net::TcpListener::bind(("127.0.0.1", 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config =
            aws_sdk_dynamodb::config::Builder::from(&Moto::shared().await.sdk_config().await)
                .endpoint_url(format!("http://127.0.0.1:{port}"))
                .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
                .build();
        let store = DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config), "any");
        let result = store
            .put_inbound(&inbound(&conv("10", "20"), "1", 1_000))
            .await;
        match result {
            Err(e @ StoreError::Unavailable(_)) => assert!(e.is_transient()),
            other => panic!("expected Unavailable, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn creating_an_existing_table_again_is_harmless() {
        let store = Moto::shared().await.fresh_table().await;
        store
            .put_inbound(&inbound(&conv("10", "20"), "1", 1_000))
            .await
            .unwrap();
        store.create_table_if_missing().await.unwrap();
        assert!(
            store
                .get_inbound(&conv("10", "20"), &event("1"))
                .await
                .unwrap()
                .is_some()
        );
    }
}
