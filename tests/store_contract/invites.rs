//! The invites port: kept until used, revoked or expired; taken once.

use super::*;

fn invite(expires_ms: u64, note: Option<&str>) -> InviteRecord {
    InviteRecord {
        id: InviteToken::generate().id(),
        created_ms: 1_700_000_000_000,
        expires_ms,
        note: note.map(str::to_string),
    }
}

pub async fn invites_are_kept_until_used_revoked_or_expired<S: Store + Invites>(store: &S) {
    let now = 1_700_000_000_000;
    let soon = invite(now + 1_000, None);
    let later = invite(now + 60_000, Some("Acme Outdoor — ünïcode"));
    let revoked = invite(now + 60_000, None);
    for i in [&later, &soon, &revoked] {
        store.put_invite(i).await.unwrap();
    }
    assert_eq!(
        store.get_invite(&soon.id, now).await.unwrap(),
        Some(soon.clone())
    );
    assert_eq!(
        store.get_invite(&soon.id, now).await.unwrap(),
        Some(soon.clone()),
        "reading an invite leaves it in place"
    );
    let (first, second) = if later.id < revoked.id {
        (&later, &revoked)
    } else {
        (&revoked, &later)
    };
    assert_eq!(
        store.list_invites(now).await.unwrap(),
        vec![soon.clone(), first.clone(), second.clone()],
        "the valid invites, those expiring first first (then by id)"
    );

    // Expired: neither read, listed nor taken.
    let expired_at = now + 1_000;
    assert_eq!(store.get_invite(&soon.id, expired_at).await.unwrap(), None);
    assert_eq!(store.take_invite(&soon.id, expired_at).await.unwrap(), None);
    assert!(
        !store
            .list_invites(expired_at)
            .await
            .unwrap()
            .iter()
            .any(|i| i.id == soon.id)
    );

    // Used: taken once.
    assert_eq!(
        store.take_invite(&later.id, now).await.unwrap(),
        Some(later.clone())
    );
    assert_eq!(store.take_invite(&later.id, now).await.unwrap(), None);
    assert_eq!(store.get_invite(&later.id, now).await.unwrap(), None);

    // Revoked.
    assert!(store.revoke_invite(&revoked.id).await.unwrap());
    assert!(!store.revoke_invite(&revoked.id).await.unwrap());
    assert_eq!(store.get_invite(&revoked.id, now).await.unwrap(), None);
    assert_eq!(
        store
            .get_invite(&InviteToken::generate().id(), now)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.list_invites(now).await.unwrap(),
        vec![soon],
        "only the unused, unrevoked one is left"
    );
}

pub async fn of_concurrent_takes_of_an_invite_exactly_one_wins<S: Store + Invites>(store: &S) {
    let now = 1_700_000_000_000;
    let i = invite(now + 60_000, None);
    store.put_invite(&i).await.unwrap();
    let (a, b, c) = tokio::join!(
        store.take_invite(&i.id, now),
        store.take_invite(&i.id, now),
        store.take_invite(&i.id, now)
    );
    let won = [a.unwrap(), b.unwrap(), c.unwrap()]
        .into_iter()
        .flatten()
        .count();
    assert_eq!(won, 1);
}
