//! The `PendingSignins` store contract, on every store.

use super::*;

fn pending(token: &str, expires_ms: u64) -> PendingSignin {
    PendingSignin {
        request_token: token.to_string(),
        request_token_secret: "request-secret".to_string(),
        state: "state-value".to_string(),
        expires_ms,
        invite: Some(InviteToken::generate().id()),
    }
}

async fn contract(store: &impl PendingSignins) {
    let p = pending("tok-1", NOW + 600_000);
    store.put_pending_signin(&p).await.expect("put");
    for _ in 0..2 {
        assert_eq!(
            store.get_pending_signin("tok-1", NOW).await.expect("get"),
            Some(p.clone()),
            "reading a pending sign-in leaves it in place"
        );
    }
    assert_eq!(
        store
            .get_pending_signin("tok-1", NOW + 600_000)
            .await
            .expect("get expired"),
        None,
        "an expired sign-in is not read"
    );
    assert_eq!(
        store
            .get_pending_signin("never-stored", NOW)
            .await
            .expect("get unknown"),
        None
    );
    assert_eq!(
        store.take_pending_signin("tok-1", NOW).await.expect("take"),
        Some(p)
    );
    assert_eq!(
        store
            .take_pending_signin("tok-1", NOW)
            .await
            .expect("take again"),
        None,
        "a pending sign-in is taken once"
    );
    assert_eq!(
        store
            .get_pending_signin("tok-1", NOW)
            .await
            .expect("get taken"),
        None,
        "a taken sign-in is gone"
    );
    store
        .put_pending_signin(&pending("tok-2", NOW + 1000))
        .await
        .expect("put");
    assert_eq!(
        store
            .take_pending_signin("tok-2", NOW + 1000)
            .await
            .expect("take expired"),
        None,
        "an expired sign-in is not handed out"
    );
    assert_eq!(
        store
            .take_pending_signin("never-stored", NOW)
            .await
            .expect("take unknown"),
        None
    );
}

#[tokio::test]
async fn memory_store_keeps_pending_sign_ins_once_and_until_they_expire() {
    contract(&MemoryStore::new()).await;
}

#[tokio::test]
async fn embedded_store_keeps_pending_sign_ins_once_and_until_they_expire() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = EmbeddedStore::open(dir.path().join("data.redb")).expect("open");
    contract(&store).await;
}

#[tokio::test]
async fn dynamo_store_keeps_pending_sign_ins_once_and_until_they_expire() {
    let store = Moto::shared().await.fresh_table().await;
    contract(&store).await;
}

#[test]
fn pending_sign_ins_never_show_their_secret_in_debug_output() {
    let shown = format!("{:?}", pending("tok", 1));
    assert!(!shown.contains("request-secret"));
    assert!(!shown.contains("state-value"));
}
