//! Sealing of connected accounts' OAuth tokens before they are stored.
//!
//! A connected account's access token and secret let whoever holds them send Direct Messages as
//! that business. The table encrypts them at rest (DynamoDB server-side encryption), but anyone
//! who may read the table (a console user, a backup, a point-in-time restore, `dmbot` with
//! `--data-dir`) would still read them. With a *token encryption key* configured
//! (`token_encryption_key` in the app's secret, `TWITTER_TOKEN_ENCRYPTION_KEY` locally: 32 random
//! bytes in base64), each token is sealed with AES-256-GCM before it is written, bound to its
//! account and field, so a sealed value copied onto another account's record does not open.
//!
//! A sealed value reads `sealed:v1:<base64 of nonce and ciphertext>`. Values without that prefix
//! are taken as they are (tokens stored before a key was configured): they are sealed the next
//! time the account signs in. Without a key nothing is sealed, and a sealed value cannot be
//! opened: the error says which key to configure.
//!
//! The sealed value format and what each value is bound to are in `sealed.rs`.

mod sealed;
#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::Arc;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::KeyInit;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::domain::AccountId;
use crate::store::AccountTokens;

use sealed::{PREFIX, associated_data, open_with, request_secret_aad, seal_field, seal_with};

/// Why tokens could not be sealed or opened. No variant carries a token or the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error(
        "the token encryption key is invalid: {0}; it must be 32 random bytes in base64 (make one \
         with `openssl rand -base64 32`)"
    )]
    BadKey(String),
    #[error(
        "account {account}'s stored tokens are sealed but no token encryption key is configured: set \
         token_encryption_key in the app's secret (TWITTER_TOKEN_ENCRYPTION_KEY locally) to the key \
         they were sealed with"
    )]
    NoKey { account: String },
    #[error(
        "account {account}'s stored {field} cannot be opened with the configured token encryption \
         key (another key, or the record was altered): configure the key it was sealed with, or \
         connect the account again"
    )]
    CannotOpen {
        account: String,
        field: &'static str,
    },
    #[error(
        "account {account}'s stored {field} is not sealed, and sealed tokens are required \
         (TWITTER_REQUIRE_SEALED_TOKENS): plaintext tokens were written into the store, or the \
         account was connected before sealing was turned on; connect the account again, or turn \
         the setting off until every account is sealed"
    )]
    Unsealed {
        account: String,
        field: &'static str,
    },
    #[error(
        "TWITTER_REQUIRE_SEALED_TOKENS is on but no token encryption key is configured: set \
         token_encryption_key in the app's secret (TWITTER_TOKEN_ENCRYPTION_KEY locally)"
    )]
    RequiredWithoutKey,
    #[error("sealing account {account}'s {field} failed")]
    SealFailed {
        account: String,
        field: &'static str,
    },
    #[error(
        "a pending sign-in's request token secret cannot be opened with the configured token \
         encryption key (it changed during the sign-in?): the person should start again"
    )]
    PendingSignin,
}

/// Seals tokens before they are stored and opens them after they are read. Cheap to clone.
#[derive(Clone, Default)]
pub struct TokenSealer {
    cipher: Option<Arc<Aes256Gcm>>,
    /// Refuse stored tokens that are not sealed (once every account is sealed: then whoever can
    /// write to the table cannot substitute tokens of their own).
    require_sealed: bool,
}

impl fmt::Debug for TokenSealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSealer")
            .field("sealing", &self.is_sealing())
            .finish()
    }
}

impl TokenSealer {
    /// No key: tokens are stored as they are, and only unsealed ones can be read.
    pub fn plaintext() -> Self {
        Self::default()
    }

    /// A sealer with the key given in base64 (32 bytes).
    pub fn from_base64_key(key: &str) -> Result<Self, SealError> {
        let bytes = STANDARD
            .decode(key.trim())
            .map_err(|_| SealError::BadKey("it is not base64".into()))?;
        if bytes.len() != 32 {
            return Err(SealError::BadKey(format!(
                "it is {} bytes long, not 32",
                bytes.len()
            )));
        }
        let cipher = Aes256Gcm::new_from_slice(&bytes)
            .map_err(|_| SealError::BadKey("it is not an AES-256 key".into()))?;
        Ok(Self {
            cipher: Some(Arc::new(cipher)),
            require_sealed: false,
        })
    }

    /// With `on`, stored tokens that are not sealed are refused ([`SealError::Unsealed`]) instead
    /// of used: plaintext is accepted by default only so that accounts connected before sealing
    /// keep working while they are migrated. Needs a key.
    pub fn requiring_sealed(mut self, on: bool) -> Result<Self, SealError> {
        if on && self.cipher.is_none() {
            return Err(SealError::RequiredWithoutKey);
        }
        self.require_sealed = on;
        Ok(self)
    }

    /// The sealer for an optional key (`None` or blank: [`Self::plaintext`]).
    pub fn from_optional_key(key: Option<&str>) -> Result<Self, SealError> {
        match key.filter(|k| !k.trim().is_empty()) {
            Some(key) => Self::from_base64_key(key),
            None => Ok(Self::plaintext()),
        }
    }

    /// Whether tokens written through this sealer are sealed.
    pub fn is_sealing(&self) -> bool {
        self.cipher.is_some()
    }

    /// The tokens as they should be stored for `account`: sealed when a key is configured.
    pub fn seal(
        &self,
        account: &AccountId,
        tokens: &AccountTokens,
    ) -> Result<AccountTokens, SealError> {
        let Some(cipher) = &self.cipher else {
            return Ok(tokens.clone());
        };
        Ok(AccountTokens {
            token: seal_field(cipher, account, "token", &tokens.token)?,
            token_secret: seal_field(cipher, account, "token_secret", &tokens.token_secret)?,
        })
    }

    /// The usable tokens of `account` from what was stored (sealed or not).
    pub fn open(
        &self,
        account: &AccountId,
        stored: &AccountTokens,
    ) -> Result<AccountTokens, SealError> {
        Ok(AccountTokens {
            token: self.open_field(account, "token", &stored.token)?,
            token_secret: self.open_field(account, "token_secret", &stored.token_secret)?,
        })
    }

    fn open_field(
        &self,
        account: &AccountId,
        field: &'static str,
        stored: &str,
    ) -> Result<String, SealError> {
        if self.require_sealed && !stored.starts_with(PREFIX) {
            return Err(SealError::Unsealed {
                account: account.to_string(),
                field,
            });
        }
        let Some(cipher) = &self.cipher else {
            if stored.starts_with(PREFIX) {
                return Err(SealError::NoKey {
                    account: account.to_string(),
                });
            }
            return Ok(stored.to_string());
        };
        open_with(cipher, &associated_data(account, field), stored).ok_or_else(|| {
            SealError::CannotOpen {
                account: account.to_string(),
                field,
            }
        })
    }

    /// A pending sign-in's request token secret as it should be stored: sealed (bound to its
    /// request token) when a key is configured. It lives 10 minutes, but with the verifier from
    /// the callback URL it would finish someone's sign-in, so it is sealed like the tokens.
    pub fn seal_request_secret(
        &self,
        request_token: &str,
        secret: &str,
    ) -> Result<String, SealError> {
        let Some(cipher) = &self.cipher else {
            return Ok(secret.to_string());
        };
        seal_with(cipher, &request_secret_aad(request_token), secret).ok_or(SealError::SealFailed {
            account: "(pending sign-in)".into(),
            field: "request_token_secret",
        })
    }

    /// The request token secret of a pending sign-in from what was stored (sealed or not).
    pub fn open_request_secret(
        &self,
        request_token: &str,
        stored: &str,
    ) -> Result<String, SealError> {
        match &self.cipher {
            None if stored.starts_with(PREFIX) => Err(SealError::PendingSignin),
            None => Ok(stored.to_string()),
            Some(cipher) => open_with(cipher, &request_secret_aad(request_token), stored)
                .ok_or(SealError::PendingSignin),
        }
    }
}
