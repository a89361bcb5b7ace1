//! The account the bot answers for, stored with its tokens as `dmbot auth login` or Twitter
//! Sign-in would store it.

use dmbot_shared::config::TwitterAppCredentials;
use dmbot_shared::store::embedded::EmbeddedStore;
use dmbot_shared::store::{AccountRecord, AccountTokens, Accounts};
use dmbot_shared::tokens::TokenSealer;
use dmbot_shared::twitter::client::TwitterClient;
use dmbot_shared::twitter::oauth1::TokenCredentials;

use super::ServeError;

/// Asks Twitter who `owner` is and stores that account (sealed tokens, running `flow_id`).
/// Credentials Twitter does not confirm are only warned about: replies then use the owner's
/// tokens.
pub(crate) async fn register_account(
    store: &EmbeddedStore,
    client: &TwitterClient,
    owner: &TokenCredentials,
    credentials: &TwitterAppCredentials,
    sealer: &TokenSealer,
    flow_id: &str,
) -> Result<(), ServeError> {
    let user = match client.verify_credentials(owner).await {
        Ok(user) => user,
        Err(e) => {
            tracing::warn!(
                error = %e,
                "could not verify the account's credentials; replies use the owner's tokens"
            );
            return Ok(());
        }
    };
    let existing = store.get_account(&user.id).await?;
    let tokens = AccountTokens {
        token: credentials.access_token.clone(),
        token_secret: credentials.access_token_secret.clone(),
    };
    let record = AccountRecord {
        id: user.id.clone(),
        screen_name: Some(user.screen_name.clone()),
        tokens: Some(sealer.seal(&user.id, &tokens)?),
        flow_id: Some(flow_id.to_string()),
        created_ms: existing.map(|a| a.created_ms).unwrap_or_else(super::now_ms),
    };
    store.put_account(&record).await?;
    Ok(())
}
