//! The accounts port.

use super::data::*;
use super::*;

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
