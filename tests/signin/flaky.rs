//! A store that fails where a test says, for the store-failure cases.

use super::*;
use dmbot_shared::store::faulty::{Faulty, StoreCall};

/// A memory store whose `get_account` (or `put_account`) fails, everything else working.
pub struct Flaky;

impl Flaky {
    pub fn failing_get() -> Faulty<MemoryStore> {
        failing("get_account")
    }

    pub fn failing_put() -> Faulty<MemoryStore> {
        failing("put_account")
    }
}

fn failing(method: &'static str) -> Faulty<MemoryStore> {
    Faulty::new(MemoryStore::new(), move |call| {
        matches!(call, StoreCall::Other(m) if *m == method)
            .then(|| StoreError::Unavailable("throttled (test)".into()))
    })
}

pub fn with_store<S>(deps: SigninDeps<MemoryStore>, store: S) -> SigninDeps<S> {
    SigninDeps {
        store,
        client: deps.client,
        config: deps.config,
    }
}
