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
