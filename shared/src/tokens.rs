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

use std::fmt;
use std::sync::Arc;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::domain::AccountId;
use crate::store::AccountTokens;

/// What a sealed value starts with.
const PREFIX: &str = "sealed:v1:";
const NONCE_LEN: usize = 12;

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

/// Opens `stored` (a sealed value, or one stored before sealing, returned as it is) with `aad`;
/// `None` when it does not open.
fn open_with(cipher: &Aes256Gcm, aad: &str, stored: &str) -> Option<String> {
    let Some(sealed) = stored.strip_prefix(PREFIX) else {
        return Some(stored.to_string());
    };
    let bytes = STANDARD.decode(sealed).ok()?;
    if bytes.len() < NONCE_LEN {
        return None;
    }
    let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
    let plain = cipher
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: aad.as_bytes(),
            },
        )
        .ok()?;
    String::from_utf8(plain).ok()
}

/// What a sealed request token secret is bound to: its request token.
fn request_secret_aad(request_token: &str) -> String {
    format!("dmbot-signin-request-secret:v1:{request_token}")
}

/// What a sealed value is bound to: the account and the field.
fn associated_data(account: &AccountId, field: &str) -> String {
    format!("dmbot-account-token:v1:{account}:{field}")
}

fn seal_field(
    cipher: &Aes256Gcm,
    account: &AccountId,
    field: &'static str,
    value: &str,
) -> Result<String, SealError> {
    seal_with(cipher, &associated_data(account, field), value).ok_or_else(|| {
        SealError::SealFailed {
            account: account.to_string(),
            field,
        }
    })
}

/// `sealed:v1:<base64 of nonce and ciphertext>` of `value`, bound to `aad`.
fn seal_with(cipher: &Aes256Gcm, aad: &str, value: &str) -> Option<String> {
    // A fresh random nonce per value: 96 bits from a CSPRNG, never reused in practice.
    let nonce: [u8; NONCE_LEN] = rand::random();
    let ciphertext = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: value.as_bytes(),
                aad: aad.as_bytes(),
            },
        )
        .ok()?;
    let mut bytes = Vec::with_capacity(NONCE_LEN + ciphertext.len());
    bytes.extend_from_slice(&nonce);
    bytes.extend_from_slice(&ciphertext);
    Some(format!("{PREFIX}{}", STANDARD.encode(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const OTHER_KEY: &str = "HxwdHhsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";

    fn account(id: &str) -> AccountId {
        AccountId::parse(id).expect("digits")
    }

    fn tokens() -> AccountTokens {
        AccountTokens {
            token: "4337869213-AbCdEfGhIjKlMnOp".into(),
            token_secret: "s3cr3t-token-secret".into(),
        }
    }

    #[test]
    fn sealed_tokens_hide_the_values_and_open_to_the_same_tokens() {
        let sealer = TokenSealer::from_base64_key(KEY).unwrap();
        let sealed = sealer.seal(&account("10"), &tokens()).unwrap();
        assert!(sealed.token.starts_with(PREFIX), "{}", sealed.token);
        assert!(sealed.token_secret.starts_with(PREFIX));
        assert!(!sealed.token.contains("AbCdEf") && !sealed.token_secret.contains("s3cr3t"));
        assert_eq!(sealer.open(&account("10"), &sealed).unwrap(), tokens());
    }

    #[test]
    fn when_sealed_tokens_are_required_plaintext_ones_are_refused() {
        let plain = tokens();
        // By default (migration) plaintext still opens.
        let lenient = TokenSealer::from_base64_key(KEY).unwrap();
        assert_eq!(lenient.open(&account("10"), &plain).unwrap(), plain);
        let strict = lenient.requiring_sealed(true).unwrap();
        let err = strict.open(&account("10"), &plain).unwrap_err();
        assert!(
            matches!(err, SealError::Unsealed { field: "token", .. }),
            "{err}"
        );
        assert!(!err.to_string().contains("AbCdEf"), "{err}");
        let sealed = strict.seal(&account("10"), &plain).unwrap();
        assert_eq!(strict.open(&account("10"), &sealed).unwrap(), plain);
        // Half sealed is not sealed.
        let half = AccountTokens {
            token: sealed.token.clone(),
            token_secret: plain.token_secret.clone(),
        };
        assert!(matches!(
            strict.open(&account("10"), &half),
            Err(SealError::Unsealed {
                field: "token_secret",
                ..
            })
        ));
        assert!(matches!(
            TokenSealer::plaintext().requiring_sealed(true),
            Err(SealError::RequiredWithoutKey)
        ));
    }

    #[test]
    fn request_secrets_are_sealed_to_their_request_token() {
        let sealer = TokenSealer::from_base64_key(KEY).unwrap();
        let sealed = sealer
            .seal_request_secret("req-1", "request-secret")
            .unwrap();
        assert!(sealed.starts_with(PREFIX) && !sealed.contains("request-secret"));
        assert_eq!(
            sealer.open_request_secret("req-1", &sealed).unwrap(),
            "request-secret"
        );
        assert_eq!(
            sealer.open_request_secret("req-2", &sealed),
            Err(SealError::PendingSignin)
        );
        assert_eq!(
            TokenSealer::plaintext().open_request_secret("req-1", &sealed),
            Err(SealError::PendingSignin)
        );
        // Without a key nothing is sealed, and an unsealed secret opens as it is.
        let plain = TokenSealer::plaintext();
        assert_eq!(
            plain
                .seal_request_secret("req-1", "request-secret")
                .unwrap(),
            "request-secret"
        );
        assert_eq!(
            sealer
                .open_request_secret("req-1", "request-secret")
                .unwrap(),
            "request-secret"
        );
    }

    #[test]
    fn sealing_twice_gives_different_values() {
        let sealer = TokenSealer::from_base64_key(KEY).unwrap();
        let a = sealer.seal(&account("10"), &tokens()).unwrap();
        let b = sealer.seal(&account("10"), &tokens()).unwrap();
        assert_ne!(a.token, b.token, "a fresh nonce each time");
    }

    #[test]
    fn tokens_sealed_for_one_account_do_not_open_for_another() {
        let sealer = TokenSealer::from_base64_key(KEY).unwrap();
        let sealed = sealer.seal(&account("10"), &tokens()).unwrap();
        assert_eq!(
            sealer.open(&account("11"), &sealed),
            Err(SealError::CannotOpen {
                account: "11".into(),
                field: "token"
            })
        );
        // Nor does the token open as the secret.
        let swapped = AccountTokens {
            token: sealed.token_secret.clone(),
            token_secret: sealed.token.clone(),
        };
        assert!(sealer.open(&account("10"), &swapped).is_err());
    }

    #[test]
    fn another_key_or_an_altered_value_does_not_open() {
        let sealer = TokenSealer::from_base64_key(KEY).unwrap();
        let sealed = sealer.seal(&account("10"), &tokens()).unwrap();
        let other = TokenSealer::from_base64_key(OTHER_KEY).unwrap();
        let err = other.open(&account("10"), &sealed).unwrap_err();
        assert!(matches!(err, SealError::CannotOpen { .. }), "{err}");

        let mut altered = sealed.clone();
        let last = altered.token.pop().unwrap();
        altered.token.push(if last == 'A' { 'B' } else { 'A' });
        assert!(sealer.open(&account("10"), &altered).is_err());
        let truncated = AccountTokens {
            token: format!("{PREFIX}AAAA"),
            token_secret: sealed.token_secret,
        };
        assert!(sealer.open(&account("10"), &truncated).is_err());
    }

    #[test]
    fn without_a_key_tokens_are_stored_as_they_are_and_sealed_ones_name_the_fix() {
        let plain = TokenSealer::plaintext();
        assert!(!plain.is_sealing());
        assert_eq!(plain.seal(&account("10"), &tokens()).unwrap(), tokens());
        let sealed = TokenSealer::from_base64_key(KEY)
            .unwrap()
            .seal(&account("10"), &tokens())
            .unwrap();
        let err = plain.open(&account("10"), &sealed).unwrap_err();
        assert!(err.to_string().contains("token_encryption_key"), "{err}");
    }

    #[test]
    fn tokens_stored_before_a_key_was_configured_still_open() {
        let sealer = TokenSealer::from_base64_key(KEY).unwrap();
        assert_eq!(sealer.open(&account("10"), &tokens()).unwrap(), tokens());
    }

    #[test]
    fn a_bad_key_is_refused_with_how_to_make_one_and_never_echoed() {
        for bad in ["not base64!", "AAAA", "c2hvcnQ="] {
            let err = TokenSealer::from_base64_key(bad).unwrap_err();
            let text = err.to_string();
            assert!(text.contains("openssl rand -base64 32"), "{text}");
            assert!(!text.contains(bad), "{text}");
        }
        assert!(
            !TokenSealer::from_optional_key(Some("  "))
                .unwrap()
                .is_sealing()
        );
        assert!(!TokenSealer::from_optional_key(None).unwrap().is_sealing());
        assert!(
            TokenSealer::from_optional_key(Some(KEY))
                .unwrap()
                .is_sealing()
        );
    }

    #[test]
    fn errors_and_debug_never_show_a_token() {
        let sealer = TokenSealer::from_base64_key(KEY).unwrap();
        assert_eq!(format!("{sealer:?}"), "TokenSealer { sealing: true }");
        let err = TokenSealer::from_base64_key(OTHER_KEY)
            .unwrap()
            .open(
                &account("10"),
                &sealer.seal(&account("10"), &tokens()).unwrap(),
            )
            .unwrap_err();
        assert!(!err.to_string().contains("s3cr3t"));
    }
}
