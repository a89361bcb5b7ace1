//! The embedded store keeps only a budget's recent windows: each take removes those that ended
//! a window length or more before.

use dmbot_shared::store::budget::{BudgetKey, BudgetScope, SendBudget, Taken, WindowSpec};

use super::*;

fn budget_rows(path: &std::path::Path) -> usize {
    use redb::{ReadableDatabase, ReadableTableMetadata};
    let db = redb::Database::create(path).unwrap();
    let txn = db.begin_read().unwrap();
    let def: redb::TableDefinition<(&str, &str, u64), &str> = redb::TableDefinition::new("budget");
    txn.open_table(def).unwrap().len().unwrap() as usize
}

#[tokio::test]
async fn a_budget_keeps_only_its_current_and_previous_window() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dmbot.redb");
    let store = EmbeddedStore::open(&path).unwrap();
    let key = BudgetKey::new(
        BudgetScope::Account(UserId::parse("10").unwrap()),
        WindowSpec::QUARTER_HOUR,
    );
    let length = WindowSpec::QUARTER_HOUR.length_ms;
    for window in 0..10 {
        let taken = store.try_take(&key, 15, window * length).await.unwrap();
        assert!(matches!(taken, Taken::Granted { used: 1, .. }));
    }
    drop(store);
    assert_eq!(budget_rows(&path), 2);
}

#[tokio::test]
async fn a_slot_reserved_windows_ahead_does_not_forget_the_present_window() {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path().join("dmbot.redb")).unwrap();
    let key = BudgetKey::new(
        BudgetScope::Account(UserId::parse("10").unwrap()),
        WindowSpec::QUARTER_HOUR,
    );
    let length = WindowSpec::QUARTER_HOUR.length_ms;
    // Reservations are made at the present: the store keeps what the present counts in.
    let now = dmbot_shared::domain::now_ms();
    let taken = store.try_take(&key, 1, now).await.unwrap();
    assert!(matches!(taken, Taken::Granted { used: 1, .. }));
    let ahead = store.try_take(&key, 1, now + 3 * length).await.unwrap();
    assert!(matches!(ahead, Taken::Granted { used: 1, .. }));
    let again = store.try_take(&key, 1, now).await.unwrap();
    assert!(
        matches!(again, Taken::Spent { .. }),
        "the present window is still spent: {again:?}"
    );
}
