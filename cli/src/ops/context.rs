//! Where the operator commands get their Twitter client, credentials and store.

use std::path::Path;

use dmbot_shared::config::{ApiVersion, ConfigError, Settings, aws, process_env, vars};
use dmbot_shared::domain::{AccountId, UserId};
use dmbot_shared::store::dynamodb::DynamoStore;
use dmbot_shared::store::embedded::EmbeddedStore;
use dmbot_shared::store::{Accounts, StoreError};
use dmbot_shared::tokens::TokenSealer;
use dmbot_shared::twitter::api_types::EnvName;
use dmbot_shared::twitter::client::TwitterClient;
use dmbot_shared::twitter::oauth1::{ConsumerCredentials, TokenCredentials};

use super::{Common, OpsError};
use crate::serve::DATA_FILE;

const CREDENTIALS_HINT: &str = "set it in the environment or in .env; the values are in the \
     Twitter developer portal under the app's \"Keys and tokens\"";

fn required(var: &'static str) -> Result<String, OpsError> {
    process_env(var)
        .filter(|v| !v.trim().is_empty())
        .ok_or(OpsError::Config(ConfigError::Missing {
            var,
            hint: CREDENTIALS_HINT,
        }))
}

/// The app's consumer key and secret (`TWITTER_CONSUMER_KEY`, `TWITTER_CONSUMER_SECRET`).
pub fn consumer() -> Result<ConsumerCredentials, OpsError> {
    Ok(ConsumerCredentials::new(
        required(vars::CONSUMER_KEY)?,
        required(vars::CONSUMER_SECRET)?,
    ))
}

/// The app owner's tokens (`TWITTER_ACCESS_TOKEN`, `TWITTER_ACCESS_TOKEN_SECRET`).
pub fn owner_tokens() -> Result<TokenCredentials, OpsError> {
    Ok(TokenCredentials::new(
        required(vars::ACCESS_TOKEN)?,
        required(vars::ACCESS_TOKEN_SECRET)?,
    ))
}

/// Seals and opens connected accounts' stored tokens with `TWITTER_TOKEN_ENCRYPTION_KEY` (the
/// `token_encryption_key` of the deployment's secret), or stores them unsealed without it.
pub fn sealer() -> Result<TokenSealer, OpsError> {
    let settings = Settings::from_env()?;
    Ok(
        TokenSealer::from_optional_key(process_env(vars::TOKEN_ENCRYPTION_KEY).as_deref())?
            .requiring_sealed(settings.require_sealed_tokens)?,
    )
}

/// A client for the configured API (`TWITTER_API_BASE_URL`, `TWITTER_UPLOAD_BASE_URL`). The
/// commands choose their calls by [`api`]; those with no v2 equivalent call [`v1_only`] first.
pub fn client() -> Result<TwitterClient, OpsError> {
    let settings = Settings::from_env()?;
    let config = settings.client_config(consumer()?)?;
    Ok(TwitterClient::new(config)?)
}

/// The API the deployment speaks (`TWITTER_API`: v1.1 or v2).
pub fn api() -> Result<ApiVersion, OpsError> {
    Ok(Settings::from_env()?.api)
}

/// Refuses, before any call, a command that has no X API v2 equivalent when `TWITTER_API=v2`:
/// `why` says what is missing on v2 and what to do instead.
pub fn v1_only(why: &str) -> Result<(), OpsError> {
    if api()? == ApiVersion::V2 {
        return Err(OpsError::Usage(format!(
            "TWITTER_API=v2: {why} (docs/X-API-V2.md; with TWITTER_API=v1.1 the command speaks \
             the v1.1 API)"
        )));
    }
    Ok(())
}

/// The Account Activity environment (`TWITTER_ENV_NAME`).
pub fn env_name() -> Result<EnvName, OpsError> {
    let settings = Settings::from_env()?;
    let name = settings.require_env_name()?;
    EnvName::new(name).map_err(|e| {
        OpsError::Config(ConfigError::Invalid {
            var: vars::ENV_NAME,
            reason: e.to_string(),
        })
    })
}

/// The store the commands read and write.
pub enum AnyStore {
    Dynamo(DynamoStore),
    Embedded(EmbeddedStore),
}

/// Runs `$body` with `$s` bound to the concrete store (the store traits are not object-safe).
macro_rules! with_store {
    ($store:expr, $s:ident => $body:expr) => {
        match $store {
            $crate::ops::context::AnyStore::Dynamo($s) => $body,
            $crate::ops::context::AnyStore::Embedded($s) => $body,
        }
    };
}
pub(crate) use with_store;

/// `--data-dir` → the embedded store; otherwise `TABLE_NAME` → DynamoDB.
pub async fn store(opts: &Common) -> Result<AnyStore, OpsError> {
    if let Some(dir) = &opts.data_dir {
        return open_embedded(dir);
    }
    let settings = Settings::from_env()?;
    let table = settings.table_name.clone().ok_or(ConfigError::Missing {
        var: vars::TABLE_NAME,
        hint: "name the stack's DynamoDB table (the SAM output), or pass --data-dir for a local \
               `dmbot serve`",
    })?;
    let sdk = aws::sdk_config().await;
    Ok(AnyStore::Dynamo(aws::dynamo_store(&sdk, table)))
}

fn open_embedded(dir: &Path) -> Result<AnyStore, OpsError> {
    match EmbeddedStore::open(dir.join(DATA_FILE)) {
        Ok(s) => Ok(AnyStore::Embedded(s)),
        Err(e @ StoreError::InUse { .. }) => Err(OpsError::Usage(format!(
            "{e}. The embedded store can be used by one process at a time: stop `dmbot \
             serve`, run this command, then start it again"
        ))),
        Err(e) => Err(e.into()),
    }
}

/// Who a command acts as: tokens and (when known) the account's user id.
pub struct Acting {
    pub tokens: TokenCredentials,
    pub user_id: Option<AccountId>,
}

/// `--account` → that stored account's tokens; otherwise the app owner's.
pub async fn acting(opts: &Common) -> Result<Acting, OpsError> {
    let Some(id) = &opts.account else {
        return Ok(Acting {
            tokens: owner_tokens()?,
            user_id: None,
        });
    };
    let id = parse_user(id)?;
    let store = store(opts).await?;
    let record = with_store!(&store, s => s.get_account(&id).await)?;
    let record = record.ok_or_else(|| {
        OpsError::Usage(format!(
            "account {id} is not connected: connect it with `dmbot auth login` (or Twitter \
             Sign-in) first"
        ))
    })?;
    let stored = record.tokens.ok_or_else(|| {
        OpsError::Usage(format!(
            "account {id} has no stored tokens (it is the app owner?): leave out --account to use \
             TWITTER_ACCESS_TOKEN"
        ))
    })?;
    let tokens = sealer()?.open(&id, &stored)?;
    Ok(Acting {
        tokens: TokenCredentials::new(tokens.token, tokens.token_secret),
        user_id: Some(id),
    })
}

/// The acting account's user id, asking Twitter (`verify_credentials`) when not known.
pub async fn acting_user_id(client: &TwitterClient, acting: &Acting) -> Result<UserId, OpsError> {
    if let Some(id) = &acting.user_id {
        return Ok(id.clone());
    }
    let user = client.verify_credentials(&acting.tokens).await?;
    Ok(user.id)
}

/// The acting account's user id without a call when the access token says it: Twitter's
/// OAuth 1.0a access tokens are `<user id>-<random>`. Otherwise as [`acting_user_id`].
pub async fn acting_user_id_cheaply(
    client: &TwitterClient,
    acting: &Acting,
) -> Result<UserId, OpsError> {
    if acting.user_id.is_none()
        && let Some((prefix, _)) = acting.tokens.token().split_once('-')
        && let Ok(id) = UserId::parse(prefix)
    {
        return Ok(id);
    }
    acting_user_id(client, acting).await
}

pub fn parse_user(s: &str) -> Result<UserId, OpsError> {
    UserId::parse(s.trim())
        .map_err(|e| OpsError::Usage(format!("{s:?} is not a Twitter user id: {e}")))
}

/// Parses an id with the API type's constructor, turning its complaint into a usage error.
pub fn parse_id<T, E: std::fmt::Display>(
    what: &str,
    s: &str,
    f: impl FnOnce(String) -> Result<T, E>,
) -> Result<T, OpsError> {
    f(s.trim().to_string()).map_err(|e| OpsError::Usage(format!("{what} {s:?}: {e}")))
}
