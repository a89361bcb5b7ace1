//! The pending sign-ins port: read without taking, taken once, void once expired.

use super::*;
use dmbot_shared::store::signin::{PendingSignin, PendingSignins};

const NOW: u64 = 1_700_000_000_000;

fn pending(token: &str, expires_ms: u64) -> PendingSignin {
    PendingSignin {
        request_token: token.to_string(),
        request_token_secret: "request-secret".to_string(),
        state: "state-value".to_string(),
        expires_ms,
        invite: Some(InviteToken::generate().id()),
    }
}

pub async fn a_pending_sign_in_is_read_until_taken_once_and_void_when_expired<S: PendingSignins>(
    store: &S,
) {
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

pub async fn a_second_put_of_a_request_token_replaces_the_first<S: PendingSignins>(store: &S) {
    let first = pending("tok-1", NOW + 600_000);
    let mut second = pending("tok-1", NOW + 900_000);
    second.state = "another-state".to_string();
    store.put_pending_signin(&first).await.expect("put");
    store.put_pending_signin(&second).await.expect("put again");
    assert_eq!(
        store.take_pending_signin("tok-1", NOW).await.expect("take"),
        Some(second)
    );
}

pub async fn of_concurrent_takes_of_a_sign_in_exactly_one_wins<
    S: PendingSignins + Clone + 'static,
>(
    store: &S,
) {
    store
        .put_pending_signin(&pending("tok-1", NOW + 600_000))
        .await
        .expect("put");
    let takes: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.take_pending_signin("tok-1", NOW).await })
        })
        .collect();
    let mut won = 0;
    for take in takes {
        if take.await.expect("task").expect("take").is_some() {
            won += 1;
        }
    }
    assert_eq!(won, 1, "one callback finishes the sign-in");
}
