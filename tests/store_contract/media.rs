//! The media port: ids cached per account and content.

use super::data::*;
use super::*;

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
