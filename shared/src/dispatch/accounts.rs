//! Which account answers, with which tokens and which flow.
//!
//! Twitter's `for_user_id` (our [`ConversationKey::account`]) names the subscribed account a
//! message was sent to. Accounts connected through Twitter Sign-in have an
//! [`crate::store::AccountRecord`] with their tokens and, optionally, a `flow_id`. The app
//! owner is different: its tokens are the app credentials' access token (from Secrets Manager
//! or the environment), and it may have no record at all. We recognise it by its user id,
//! which Twitter puts at the start of every user access token: `"<user id>-<random>"`
//! (`docs/TWITTER-API.md` §6, OAuth 1.0a). So no extra `verify_credentials` call is needed at
//! start.

use std::sync::Arc;
use std::time::Instant;

use super::{Dispatcher, Failure, FlowSource, Store};
use crate::domain::{AccountId, UserId};
use crate::flow::Flow;
use crate::twitter::oauth1::TokenCredentials;

/// The account a message is answered as.
#[derive(Debug, Clone)]
pub struct ResolvedAccount {
    pub id: AccountId,
    pub tokens: TokenCredentials,
    /// The account's own flow id, if it has one.
    pub flow_id: Option<String>,
}

/// The user id an OAuth 1.0a user access token belongs to: the digits before the first `-`.
/// `None` when the token does not have that shape (then the owner cannot be recognised).
pub fn owner_id_from_access_token(token: &str) -> Option<UserId> {
    let (id, rest) = token.split_once('-')?;
    if rest.is_empty() {
        return None;
    }
    UserId::parse(id).ok()
}

impl<S: Store + Clone + Send + Sync + 'static> Dispatcher<S> {
    pub(super) async fn resolve_account(
        &self,
        account: &AccountId,
        budget: Instant,
    ) -> Result<ResolvedAccount, Failure> {
        let record = self
            .store_retry(budget, || self.store.get_account(account))
            .await?;
        let flow_id = record.as_ref().and_then(|r| r.flow_id.clone());
        if let Some(stored) = record.and_then(|r| r.tokens) {
            let tokens = self
                .config
                .sealer
                .open(account, &stored)
                .map_err(|e| Failure::Permanent(format!("{e}; then redrive the message")))?;
            return Ok(ResolvedAccount {
                id: account.clone(),
                tokens: TokenCredentials::new(tokens.token, tokens.token_secret),
                flow_id,
            });
        }
        let is_owner = match &self.owner_id {
            Some(owner) => owner == account,
            // Unrecognisable owner token: a single-account setup is assumed.
            None => true,
        };
        if !is_owner {
            return Err(Failure::Permanent(format!(
                "account {account} has no stored tokens and is not the app owner ({}): connect \
                 it with Twitter Sign-in, then redrive the message",
                self.owner_id
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            )));
        }
        Ok(ResolvedAccount {
            id: account.clone(),
            tokens: self.config.owner_tokens.clone(),
            flow_id,
        })
    }

    /// The flow for the account: the fixed one, or the account's (else the default) from the
    /// store, cached for [`super::DispatchConfig::flow_cache_ttl`].
    pub(super) async fn flow_for(
        &self,
        account: &ResolvedAccount,
        budget: Instant,
    ) -> Result<Arc<Flow>, Failure> {
        let default_flow_id = match &self.config.flows {
            FlowSource::Fixed(flow) => return Ok(flow.clone()),
            FlowSource::Store { default_flow_id } => default_flow_id,
        };
        let flow_id = account.flow_id.as_deref().unwrap_or(default_flow_id);
        if let Some(flow) = self.cached_flow(flow_id) {
            return Ok(flow);
        }
        let record = self
            .store_retry(budget, || self.store.get_flow(flow_id))
            .await?
            .ok_or_else(|| {
                Failure::Permanent(format!(
                    "flow {flow_id:?} (for account {}) is not in the store: run `dmbot flow sync`, \
                     then redrive the message",
                    account.id
                ))
            })?;
        let flow: Flow = serde_json::from_str(&record.document).map_err(|e| {
            Failure::Permanent(format!(
                "stored flow {flow_id:?} version {} is not a valid flow: {e}; sync it again",
                record.version
            ))
        })?;
        let flow = Arc::new(flow);
        if let Ok(mut cache) = self.flow_cache.lock() {
            cache.insert(flow_id.to_string(), (Instant::now(), flow.clone()));
        }
        Ok(flow)
    }

    fn cached_flow(&self, flow_id: &str) -> Option<Arc<Flow>> {
        let cache = self.flow_cache.lock().ok()?;
        let (at, flow) = cache.get(flow_id)?;
        (at.elapsed() < self.config.flow_cache_ttl).then(|| flow.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_id_is_the_digits_before_the_dash_of_the_access_token() {
        let id = owner_id_from_access_token("4337869213-AbCdEf");
        assert_eq!(id, Some(UserId::parse("4337869213").unwrap()));
    }

    #[test]
    fn tokens_without_a_user_id_prefix_do_not_name_an_owner() {
        assert_eq!(owner_id_from_access_token("abc-def"), None);
        assert_eq!(owner_id_from_access_token("123456"), None);
        assert_eq!(owner_id_from_access_token("123456-"), None);
        assert_eq!(owner_id_from_access_token(""), None);
    }
}
