//! The dispatch role spends the send budget: takes, a reservation used in its window (with the
//! check whether X blocked it), and the daily spend cap's read of the app's usage. Part of
//! `tests/iam/` (one process: the unused-grant check needs every path).

use dmbot_shared::config::{ApiVersion, SendLimits};
use dmbot_shared::store::prices::DailySpendCap;

use crate::support::*;

/// One send per 3-second window: the second customer's message reserves the next window,
/// comes back in it and is answered with its reserved slot. A daily cap is set (and far away).
pub(crate) async fn the_dispatch_role_reserves_and_uses_a_send_slot_within_the_spend_cap() {
    let moto = IamMoto::shared().await;
    let admin = moto.admin_store().await;
    let fake = TwitterApi::start().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("chart.png"), b"\x89PNG\r\n\x1a\nchart").unwrap();
    let flow = Flow::from_toml_str(FLOW, dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let owner = fake.owner();
    let account = user(&owner.user_id);
    let mut config = DispatchConfig::new(
        TokenCredentials::new(&owner.token, &owner.token_secret),
        FlowSource::Fixed(std::sync::Arc::new(flow)),
    );
    config.limits = SendLimits {
        window_ms: 3_000,
        sends_per_account_window: Some(1),
        ..SendLimits::documented(ApiVersion::V1_1)
    };
    config.daily_spend_cap = DailySpendCap::new(1_000.0);
    let dispatcher = Dispatcher::new(moto.store_as(DISPATCH).await, client(&fake), config);

    // Early in a window, so that both first takes fall in it.
    let into = now_ms() % 3_000;
    if into > 1_000 {
        tokio::time::sleep(Duration::from_millis(3_000 - into + 10)).await;
    }
    let mut records = Vec::new();
    for (i, customer) in ["3301000071", "3301000072"].into_iter().enumerate() {
        let key = ConversationKey::new(account.clone(), user(customer));
        let mut record = inbound(&key, &format!("160000000000007100{i}"));
        record.received_ms = now_ms();
        admin.put_inbound(&record).await.unwrap();
        records.push(record);
    }
    let deadline = || Instant::now() + Duration::from_secs(20);
    let first = dispatcher.handle(&records[0], deadline()).await;
    let first = first.unwrap_or_else(|e| panic!("{e}; {}", denials(moto)));
    assert!(
        matches!(first, Handled::Replied { .. }),
        "{first:?}; {}",
        denials(moto)
    );
    let second = dispatcher.handle(&records[1], deadline()).await.unwrap();
    let Handled::Deferred { until_ms, .. } = second else {
        panic!("{second:?}; {}", denials(moto));
    };

    tokio::time::sleep(Duration::from_millis(
        until_ms.saturating_sub(now_ms()) + 10,
    ))
    .await;
    let back = admin
        .get_inbound(
            &records[1].message.conversation,
            &records[1].message.event_id,
        )
        .await
        .unwrap()
        .unwrap();
    assert!(back.attempt.slot_ms.is_some(), "{back:?}");
    let handled = dispatcher.handle(&back, deadline()).await.unwrap();
    assert!(
        matches!(handled, Handled::Replied { .. }),
        "{handled:?}; {}",
        denials(moto)
    );
}
