//! The flows port: the newest version is the active one.

use super::data::*;
use super::*;

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
