//! An older or newer data file: indexes built on upgrade, a newer schema refused.

use super::*;

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
