//! A store that fails where a test says, for the store-failure cases.

use super::*;

/// A memory store whose `get_account` (or `put_account`) fails, everything else working.
pub struct Flaky {
    pub inner: MemoryStore,
    fail_get: bool,
    fail_put: bool,
}

impl Flaky {
    pub fn failing_get() -> Self {
        Self {
            inner: MemoryStore::new(),
            fail_get: true,
            fail_put: false,
        }
    }

    pub fn failing_put() -> Self {
        Self {
            inner: MemoryStore::new(),
            fail_get: false,
            fail_put: true,
        }
    }
}

fn throttled() -> StoreError {
    StoreError::Unavailable("throttled (test)".into())
}

impl Accounts for Flaky {
    async fn put_account(&self, account: &AccountRecord) -> Result<(), StoreError> {
        if self.fail_put {
            return Err(throttled());
        }
        self.inner.put_account(account).await
    }
    async fn get_account(&self, id: &AccountId) -> Result<Option<AccountRecord>, StoreError> {
        if self.fail_get {
            return Err(throttled());
        }
        self.inner.get_account(id).await
    }
    async fn list_accounts(&self) -> Result<Vec<AccountRecord>, StoreError> {
        self.inner.list_accounts().await
    }
}

impl PendingSignins for Flaky {
    async fn put_pending_signin(&self, p: &PendingSignin) -> Result<(), StoreError> {
        self.inner.put_pending_signin(p).await
    }
    async fn get_pending_signin(
        &self,
        t: &str,
        now: u64,
    ) -> Result<Option<PendingSignin>, StoreError> {
        self.inner.get_pending_signin(t, now).await
    }
    async fn take_pending_signin(
        &self,
        t: &str,
        now: u64,
    ) -> Result<Option<PendingSignin>, StoreError> {
        self.inner.take_pending_signin(t, now).await
    }
}

impl Invites for Flaky {
    async fn put_invite(&self, i: &InviteRecord) -> Result<(), StoreError> {
        self.inner.put_invite(i).await
    }
    async fn get_invite(
        &self,
        id: &dmbot_shared::invite::InviteId,
        now: u64,
    ) -> Result<Option<InviteRecord>, StoreError> {
        self.inner.get_invite(id, now).await
    }
    async fn take_invite(
        &self,
        id: &dmbot_shared::invite::InviteId,
        now: u64,
    ) -> Result<Option<InviteRecord>, StoreError> {
        self.inner.take_invite(id, now).await
    }
    async fn list_invites(&self, now: u64) -> Result<Vec<InviteRecord>, StoreError> {
        self.inner.list_invites(now).await
    }
    async fn revoke_invite(&self, id: &dmbot_shared::invite::InviteId) -> Result<bool, StoreError> {
        self.inner.revoke_invite(id).await
    }
}

pub fn with_store<S>(deps: SigninDeps<MemoryStore>, store: S) -> SigninDeps<S> {
    SigninDeps {
        store,
        client: deps.client,
        config: deps.config,
    }
}
