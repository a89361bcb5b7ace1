//! Every billable call the dispatcher makes is counted for `dmbot usage`, by kind, per account
//! and day (`store::usage`).

use dmbot_shared::store::usage::{BillableKind, Usage, UsageDay};

use crate::support::*;

#[tokio::test]
async fn a_reply_counts_its_send_typing_indicator_and_read_receipt() {
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let record = env.inbound(&key, 1_600_000_000_000_300_001, "hello").await;

    let handled = env.dispatcher().handle(&record, deadline()).await.unwrap();

    assert!(matches!(handled, Handled::Replied { .. }), "{handled:?}");
    let today = UsageDay::from_ms(now_ms());
    let days = env
        .store
        .usage(Some(&key.account), &today, &today)
        .await
        .unwrap();
    assert_eq!(days.len(), 1, "{days:?}");
    let counts = &days[0].counts;
    assert_eq!(counts.get(&BillableKind::DmSend), Some(&1), "{counts:?}");
    assert_eq!(counts.get(&BillableKind::TypingIndicator), Some(&1));
    assert_eq!(counts.get(&BillableKind::ReadReceipt), Some(&1));
    assert_eq!(counts.get(&BillableKind::DmEventRead), None);
}
