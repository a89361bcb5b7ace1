//! The accounts port: the connected business accounts and their tokens.

use std::future::Future;

use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::domain::AccountId;

/// OAuth 1.0a user tokens of a connected account. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountTokens {
    pub token: String,
    pub token_secret: String,
}

impl std::fmt::Debug for AccountTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountTokens")
            .field("token", &"<redacted>")
            .field("token_secret", &"<redacted>")
            .finish()
    }
}

/// A subscribed business account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRecord {
    pub id: AccountId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen_name: Option<String>,
    /// Tokens from Twitter Sign-in. Absent for the app owner, whose tokens live in the secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<AccountTokens>,
    /// The flow this account's conversations run (None: the default flow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_id: Option<String>,
    pub created_ms: u64,
}

/// Connected accounts.
pub trait Accounts: Send + Sync {
    fn put_account(
        &self,
        account: &AccountRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn get_account(
        &self,
        id: &AccountId,
    ) -> impl Future<Output = Result<Option<AccountRecord>, StoreError>> + Send;

    fn list_accounts(&self) -> impl Future<Output = Result<Vec<AccountRecord>, StoreError>> + Send;
}
