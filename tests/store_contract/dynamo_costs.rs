//! The DynamoDB layout of the send budget and usage items: the keys the IAM `LeadingKeys`
//! grants (`BUDGET#*`, `USAGE#*`) rely on, and the TTL that makes old items go.

use aws_sdk_dynamodb::types::AttributeValue;
use dmbot_shared::store::budget::{BudgetKey, BudgetScope, SendBudget, WindowSpec};
use dmbot_shared::store::dynamodb::ItemView;
use dmbot_shared::store::usage::{BillableKind, Usage, UsageDay};
use std::collections::HashMap;

use super::*;

async fn item(store: &DynamoStore, pk: &str, sk: &str) -> HashMap<String, AttributeValue> {
    store
        .client()
        .get_item()
        .table_name(store.table_name())
        .key("pk", AttributeValue::S(pk.into()))
        .key("sk", AttributeValue::S(sk.into()))
        .consistent_read(true)
        .send()
        .await
        .expect("GetItem")
        .item
        .unwrap_or_else(|| panic!("no item {pk}/{sk}"))
}

#[tokio::test]
async fn budget_and_usage_items_have_their_family_keys_and_a_ttl() {
    let fixture = dynamo().await;
    let store = &fixture.store;
    let (start, length) = (1_795_946_400_000u64, WindowSpec::QUARTER_HOUR.length_ms);
    let key = BudgetKey::new(
        BudgetScope::Account(UserId::parse("10").unwrap()),
        WindowSpec::QUARTER_HOUR,
    );
    store.try_take(&key, 15, start + 5).await.unwrap();
    store
        .observe(&key, 15, 0, Some(start + length + 60_000), start + 6)
        .await
        .unwrap();
    let current = item(store, "BUDGET#10", &format!("15m#{start:020}")).await;
    assert_eq!(current.string_attr("kind"), Some("budget"));
    assert_eq!(current.number_attr("used"), Some("15"));
    let end = start + length;
    assert_eq!(
        current.number_attr("window_end_ms"),
        Some(end.to_string().as_str())
    );
    let ttl = ((end + length) / 1000 + 1).to_string();
    assert_eq!(current.number_attr("expires_at"), Some(ttl.as_str()));
    assert!(
        !current.contains_key("account_id"),
        "kept out of the by_account index"
    );
    let next = item(store, "BUDGET#10", &format!("15m#{end:020}")).await;
    let until = (end + 60_000).to_string();
    assert_eq!(next.number_attr("blocked_until_ms"), Some(until.as_str()));

    let app = BudgetKey::new(BudgetScope::App, WindowSpec::DAY);
    store.try_take(&app, 1, start).await.unwrap();
    let day_start = start - start % WindowSpec::DAY.length_ms;
    item(store, "BUDGET#APP", &format!("24h#{day_start:020}")).await;

    let day = UsageDay::from_ms(start);
    store
        .record(None, &day, BillableKind::DmReceivedDelivery, 2)
        .await
        .unwrap();
    let usage = item(store, "USAGE#APP", "2026-11-29").await;
    assert_eq!(usage.string_attr("kind"), Some("usage"));
    assert_eq!(usage.number_attr("dm_received_delivery"), Some("2"));
    assert!(usage.number_attr("expires_at").is_some());
    assert!(!usage.contains_key("account_id"));
}
