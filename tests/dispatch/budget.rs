//! The send budget (`dispatch/send_budget.rs`) and coalescing (`dispatch/order.rs`): no call
//! X's limits would refuse, customers answered first come first served, one reply to a customer
//! who wrote several times while waiting.

use dmbot_shared::config::{ApiVersion, SendLimits};
use dmbot_shared::store::rules::window_start;

use crate::support::*;

const V2_SEND: &str = "/2/dm_conversations/with/";

/// A v2 dispatcher whose budget allows `per_window` sends per account in windows of
/// `window_ms`.
fn limited(env: &Env, per_window: u32, window_ms: u64) -> Dispatcher<DynamoStore> {
    let mut config = env.config(FlowSource::Fixed(env.flow.clone()));
    config.api = ApiVersion::V2;
    config.limits = SendLimits {
        window_ms,
        sends_per_account_window: Some(per_window),
        ..SendLimits::documented(ApiVersion::V2)
    };
    env.dispatcher_with(config)
}

impl Env {
    /// A customer who wrote to the owner (so v2 lets the owner answer), with one stored message.
    async fn customer_writes(&self, customer: &str, id: u64, text: &str) -> InboundRecord {
        let owner = self.fake.owner().user_id.clone();
        self.fake.record_incoming(customer, &owner, text);
        self.inbound(&self.owner_key(customer), id, text).await
    }

    fn v2_sends(&self) -> usize {
        self.fake
            .requests_to(V2_SEND)
            .iter()
            .filter(|r| r.method == "POST" && r.status < 300)
            .count()
    }

    async fn stored(&self, record: &InboundRecord) -> InboundRecord {
        self.store
            .get_inbound(&record.message.conversation, &record.message.event_id)
            .await
            .unwrap()
            .expect("stored")
    }
}

/// Waits, if need be, for the start of a window of `window_ms`, so that the next steps (taking
/// at most `needs_ms`) happen in one window.
async fn within_one_window(window_ms: u64, needs_ms: u64) {
    let into = now_ms() % window_ms;
    if window_ms - into < needs_ms {
        tokio::time::sleep(Duration::from_millis(window_ms - into + 10)).await;
    }
}

fn customer(i: u64) -> String {
    (3_302_000_000 + i).to_string()
}

#[tokio::test]
async fn sends_beyond_the_budget_are_put_off_to_a_reserved_slot_and_x_never_refuses_one() {
    let env = env().await;
    let window_ms = 60_000;
    let dispatcher = limited(&env, 2, window_ms);
    within_one_window(window_ms, 10_000).await;
    let mut outcomes = Vec::new();
    for i in 0..4 {
        let m = env
            .customer_writes(&customer(i), 1_600_000_000_000_400_001 + i, "hello")
            .await;
        outcomes.push((m.clone(), dispatcher.handle(&m, deadline()).await.unwrap()));
    }

    assert_eq!(env.v2_sends(), 2, "two sends fit the window");
    assert_eq!(env.fake.v2_usage().rate_limited, 0, "no 429");
    let next_window = window_start(now_ms(), window_ms) + window_ms;
    for (m, handled) in &outcomes[2..] {
        let Handled::Deferred { until_ms, .. } = handled else {
            panic!("{handled:?}");
        };
        assert_eq!(*until_ms, next_window, "put off to the next window");
        let stored = env.stored(m).await;
        assert_eq!(stored.status, InboundStatus::Pending);
        assert_eq!(
            stored.attempt.slot_ms,
            Some(next_window),
            "a slot is reserved"
        );
    }
}

#[tokio::test]
async fn customers_who_come_later_get_later_windows_first_come_first_served() {
    let env = env().await;
    let window_ms = 60_000;
    let dispatcher = limited(&env, 1, window_ms);
    within_one_window(window_ms, 10_000).await;
    let mut untils = Vec::new();
    for i in 0..4 {
        let m = env
            .customer_writes(&customer(i), 1_600_000_000_000_410_001 + i, "hello")
            .await;
        match dispatcher.handle(&m, deadline()).await.unwrap() {
            Handled::Replied { .. } => untils.push(0),
            Handled::Deferred { until_ms, .. } => untils.push(until_ms),
            other => panic!("{other:?}"),
        }
    }
    let start = window_start(now_ms(), window_ms);
    assert_eq!(
        untils,
        vec![
            0,
            start + window_ms,
            start + 2 * window_ms,
            start + 3 * window_ms
        ],
        "one per window, in arrival order"
    );
}

#[tokio::test]
async fn a_reserved_slot_is_used_in_its_window_and_a_newcomer_cannot_take_it() {
    let env = env().await;
    let window_ms = 3_000;
    within_one_window(window_ms, 2_000).await;
    let dispatcher = limited(&env, 1, window_ms);
    let first = env
        .customer_writes(&customer(0), 1_600_000_000_000_420_001, "hello")
        .await;
    let second = env
        .customer_writes(&customer(1), 1_600_000_000_000_420_002, "hello")
        .await;
    assert!(matches!(
        dispatcher.handle(&first, deadline()).await.unwrap(),
        Handled::Replied { .. }
    ));
    let Handled::Deferred { until_ms, .. } = dispatcher.handle(&second, deadline()).await.unwrap()
    else {
        panic!("the second waits");
    };

    tokio::time::sleep(Duration::from_millis(
        until_ms.saturating_sub(now_ms()) + 20,
    ))
    .await;
    // A newcomer in the reserved window finds it full...
    let third = env
        .customer_writes(&customer(2), 1_600_000_000_000_420_003, "hello")
        .await;
    let late = dispatcher.handle(&third, deadline()).await.unwrap();
    assert!(matches!(late, Handled::Deferred { .. }), "{late:?}");
    // ...and the second, back in its window, uses its slot.
    let back = env.stored(&second).await;
    let handled = dispatcher.handle(&back, deadline()).await.unwrap();
    assert!(matches!(handled, Handled::Replied { .. }), "{handled:?}");
    assert_eq!(env.v2_sends(), 2);
    assert_eq!(env.fake.v2_usage().rate_limited, 0);
}

#[tokio::test]
async fn what_x_says_is_left_tightens_the_budget_before_any_429() {
    let env = env().await;
    // X allows 2 per quarter hour; the configuration believes 10.
    let mut x = env.fake.v2_config();
    x.dm_sends_per_user_short = 2;
    env.fake.set_v2_config(x);
    let dispatcher = limited(&env, 10, 15 * 60 * 1000);
    let mut outcomes = Vec::new();
    for i in 0..3 {
        let m = env
            .customer_writes(&customer(i), 1_600_000_000_000_430_001 + i, "hello")
            .await;
        outcomes.push(dispatcher.handle(&m, deadline()).await.unwrap());
    }
    assert_eq!(env.v2_sends(), 2);
    assert!(
        matches!(outcomes[2], Handled::Deferred { .. }),
        "{:?}",
        outcomes[2]
    );
    assert_eq!(
        env.fake.v2_usage().rate_limited,
        0,
        "the headers told us first"
    );
}

#[tokio::test]
async fn a_message_waits_behind_its_conversations_earlier_message_that_is_put_off() {
    let env = env().await;
    let dispatcher = limited(&env, 1, 60_000);
    within_one_window(60_000, 10_000).await;
    let other = env
        .customer_writes(&customer(9), 1_600_000_000_000_440_001, "hello")
        .await;
    dispatcher.handle(&other, deadline()).await.unwrap();
    let m1 = env
        .customer_writes(CUSTOMER, 1_600_000_000_000_440_002, "hello")
        .await;
    let Handled::Deferred { until_ms, .. } = dispatcher.handle(&m1, deadline()).await.unwrap()
    else {
        panic!("the budget is spent");
    };
    let m2 = env
        .customer_writes(CUSTOMER, 1_600_000_000_000_440_003, "size")
        .await;
    let handled = dispatcher.handle(&m2, deadline()).await.unwrap();
    let Handled::Deferred {
        until_ms: behind,
        reason,
    } = handled
    else {
        panic!("{handled:?}");
    };
    assert_eq!(behind, until_ms);
    assert!(reason.contains("waits behind"), "{reason}");
}

#[tokio::test]
async fn a_customer_who_wrote_twice_while_waiting_gets_one_reply_to_the_latest() {
    let env = env().await;
    let window_ms = 3_000;
    let dispatcher = limited(&env, 1, window_ms);
    within_one_window(window_ms, 2_000).await;
    let other = env
        .customer_writes(&customer(9), 1_600_000_000_000_450_001, "hello")
        .await;
    dispatcher.handle(&other, deadline()).await.unwrap();
    let m1 = env
        .customer_writes(CUSTOMER, 1_600_000_000_000_450_002, "hello")
        .await;
    let m2 = env
        .customer_writes(CUSTOMER, 1_600_000_000_000_450_003, "size")
        .await;
    let Handled::Deferred { until_ms, .. } = dispatcher.handle(&m1, deadline()).await.unwrap()
    else {
        panic!("the budget is spent");
    };
    let put_off = dispatcher.handle(&m2, deadline()).await.unwrap();
    assert!(matches!(put_off, Handled::Deferred { .. }), "{put_off:?}");
    tokio::time::sleep(Duration::from_millis(
        until_ms.saturating_sub(now_ms()) + 20,
    ))
    .await;

    let first = dispatcher.handle(&env.stored(&m1).await, deadline()).await;
    assert_eq!(
        first.unwrap(),
        Handled::Coalesced {
            into: m2.message.event_id.clone()
        }
    );
    let second = dispatcher.handle(&env.stored(&m2).await, deadline()).await;
    assert!(matches!(second, Ok(Handled::Replied { .. })), "{second:?}");
    let texts: Vec<String> = env.texts_to(CUSTOMER);
    assert_eq!(texts.len(), 1, "one reply: {texts:?}");
    assert!(texts[0].contains("size chart"), "{texts:?}");
    assert_eq!(env.fake.v2_usage().rate_limited, 0);
}

#[tokio::test]
async fn the_daily_spend_cap_pauses_sending_until_the_next_utc_day_instead_of_overspending() {
    use dmbot_shared::store::prices::DailySpendCap;
    use dmbot_shared::store::usage::{BillableKind, Usage, UsageDay};

    let env = env().await;
    let mut config = env.config(FlowSource::Fixed(env.flow.clone()));
    config.api = ApiVersion::V2;
    config.limits = SendLimits::documented(ApiVersion::V2);
    // One send ($0.015) fits; a second would make $0.030.
    config.daily_spend_cap = DailySpendCap::new(0.02);
    let dispatcher = env.dispatcher_with(config);
    let first = env
        .customer_writes(&customer(0), 1_600_000_000_000_460_001, "hello")
        .await;
    let second = env
        .customer_writes(&customer(1), 1_600_000_000_000_460_002, "hello")
        .await;

    let replied = dispatcher.handle(&first, deadline()).await.unwrap();
    assert!(matches!(replied, Handled::Replied { .. }), "{replied:?}");
    let paused = dispatcher.handle(&second, deadline()).await.unwrap();
    let Handled::Deferred { until_ms, reason } = paused else {
        panic!("{paused:?}");
    };
    let day = 86_400_000;
    assert_eq!(
        until_ms,
        now_ms() - now_ms() % day + day,
        "the next UTC day"
    );
    assert!(reason.contains("DAILY_SPEND_CAP_USD"), "{reason}");
    assert_eq!(env.v2_sends(), 1);
    // The app's own count (what the cap reads) has the send.
    let today = UsageDay::from_ms(now_ms());
    let app = env.store.usage(None, &today, &today).await.unwrap();
    assert_eq!(
        app[0].counts.get(&BillableKind::DmSend),
        Some(&1),
        "{app:?}"
    );
}

#[tokio::test]
async fn with_coalesce_off_each_message_that_waited_gets_its_own_reply() {
    let env = env().await;
    let flow = Arc::new(load_flow(
        &format!("coalesce = false\n{FLOW}"),
        env._dir.path(),
    ));
    assert!(!flow.coalesce());
    let window_ms = 3_000;
    let mut config = env.config(FlowSource::Fixed(flow));
    config.api = ApiVersion::V2;
    config.limits = SendLimits {
        window_ms,
        sends_per_account_window: Some(2),
        ..SendLimits::documented(ApiVersion::V2)
    };
    let dispatcher = env.dispatcher_with(config);
    within_one_window(window_ms, 2_000).await;
    for i in 0..2 {
        let other = env
            .customer_writes(&customer(i), 1_600_000_000_000_470_001 + i, "hello")
            .await;
        dispatcher.handle(&other, deadline()).await.unwrap();
    }
    let m1 = env
        .customer_writes(CUSTOMER, 1_600_000_000_000_470_010, "hello")
        .await;
    let m2 = env
        .customer_writes(CUSTOMER, 1_600_000_000_000_470_011, "size")
        .await;
    let Handled::Deferred { until_ms, .. } = dispatcher.handle(&m1, deadline()).await.unwrap()
    else {
        panic!("the budget is spent");
    };
    dispatcher.handle(&m2, deadline()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(
        until_ms.saturating_sub(now_ms()) + 20,
    ))
    .await;

    let first = dispatcher.handle(&env.stored(&m1).await, deadline()).await;
    assert!(matches!(first, Ok(Handled::Replied { .. })), "{first:?}");
    let second = dispatcher.handle(&env.stored(&m2).await, deadline()).await;
    assert!(matches!(second, Ok(Handled::Replied { .. })), "{second:?}");
    assert_eq!(env.texts_to(CUSTOMER).len(), 2, "one reply each");
}

/// The recovery look-up has its own budget: once spent, an interrupted attempt does not send
/// blindly (a possible second reply), nor wait for the whole window: it is back after
/// `retry_defer` to read the receipts again, where the late echo decides.
#[tokio::test]
async fn a_spent_look_up_budget_puts_an_interrupted_attempt_off_briefly_then_the_echo_decides() {
    let env = env().await;
    let mut config = env.config(FlowSource::Fixed(env.flow.clone()));
    config.limits = SendLimits {
        lookups_per_account_window: Some(1),
        ..SendLimits::documented(ApiVersion::V1_1)
    };
    let dispatcher = env.dispatcher_with(config);
    let first = env
        .inbound_tried_at(
            &env.owner_key(&customer(0)),
            1_600_000_000_000_480_001,
            "hello",
            now_ms() - 60_000,
        )
        .await;
    let second = env
        .inbound_tried_at(
            &env.owner_key(&customer(1)),
            1_600_000_000_000_480_002,
            "hello",
            now_ms() - 60_000,
        )
        .await;

    // The first look-up reads one page (nothing there): the reply is sent.
    let handled = dispatcher.handle(&first, deadline()).await.unwrap();
    assert!(matches!(handled, Handled::Replied { .. }), "{handled:?}");
    let lists = env.event_list_calls();
    // The second finds the budget spent: put off for a few seconds, nothing sent or read.
    let before = now_ms();
    let handled = dispatcher.handle(&second, deadline()).await.unwrap();
    let Handled::Deferred { until_ms, reason } = handled else {
        panic!("{handled:?}");
    };
    assert!(reason.contains("look-up budget"), "{reason}");
    assert!(
        until_ms <= before + 16_000,
        "back soon, not at the reset: {until_ms}"
    );
    assert_eq!(env.event_list_calls(), lists, "no read beyond the budget");
    assert_eq!(env.fake.sent_messages().len(), 1);
}

/// Typing indicators and read receipts (v1.1) come out of their own budget, only once the
/// reply's slot is secured: without room they are skipped and the reply still goes.
#[tokio::test]
async fn cosmetic_calls_are_skipped_when_their_budget_is_spent_and_the_reply_still_goes() {
    let env = env().await;
    let mut config = env.config(FlowSource::Fixed(env.flow.clone()));
    config.limits = SendLimits {
        window_ms: 15 * 60 * 1000,
        cosmetic_per_account_window: Some(1),
        ..SendLimits::documented(ApiVersion::V1_1)
    };
    let dispatcher = env.dispatcher_with(config);
    within_one_window(15 * 60 * 1000, 60_000).await;
    for i in 0..2 {
        let key = env.owner_key(&customer(i));
        let m = env
            .inbound(&key, 1_600_000_000_000_490_001 + i, "hello")
            .await;
        let handled = dispatcher.handle(&m, deadline()).await.unwrap();
        assert!(matches!(handled, Handled::Replied { .. }), "{handled:?}");
    }
    let cosmetic =
        env.fake.requests_to("mark_read").len() + env.fake.requests_to("indicate_typing").len();
    assert_eq!(cosmetic, 1, "one cosmetic call fits the budget of 1");
    assert_eq!(env.fake.sent_messages().len(), 2, "both replies went");
}
