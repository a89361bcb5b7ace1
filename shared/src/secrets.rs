//! The app's credentials from AWS Secrets Manager (feature `secretsmanager`).
//!
//! `TWITTER_SECRET_ARN` names a secret whose string is a JSON object with `consumer_key`,
//! `consumer_secret`, `access_token`, `access_token_secret` and optionally `bearer_token` and
//! `token_encryption_key` (see [`crate::tokens`]).
//! It is fetched **once per container** and kept in memory: a Lambda container serves many
//! requests, and a Secrets Manager call on each would add tens of milliseconds to every CRC
//! (whose deadline is 3 s, cold start included) and cost money per call. Rotating the secret
//! therefore takes effect as containers are replaced (or after a deploy).
//!
//! Without `TWITTER_SECRET_ARN` the same functions read the `TWITTER_*` environment variables, so
//! one `main.rs` works in AWS and locally.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_secretsmanager::error::DisplayErrorContext;
use tokio::sync::OnceCell;

use crate::config::{ConfigError, ConsumerSecret, SecretDocument, Settings, TwitterAppCredentials};

/// The one secret this container uses, with the id it was fetched under.
static CACHE: OnceCell<(String, SecretDocument)> = OnceCell::const_new();

/// Fetches and parses the secret, without caching.
pub async fn fetch_secret_document(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<SecretDocument, ConfigError> {
    let output = client
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| ConfigError::SecretFetch {
            secret_id: secret_id.to_string(),
            reason: DisplayErrorContext(&e).to_string(),
        })?;
    let Some(json) = output.secret_string() else {
        return Err(ConfigError::SecretNotJson {
            secret_id: secret_id.to_string(),
            reason: "the secret has no string value (a binary secret?)".to_string(),
        });
    };
    SecretDocument::parse(secret_id, json)
}

/// The secret, fetched on the first call and then served from memory. A container uses one
/// secret; asking for another id fetches it without caching.
pub async fn cached_secret_document(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<SecretDocument, ConfigError> {
    let (cached_id, document) = CACHE
        .get_or_try_init(|| async {
            let document = fetch_secret_document(client, secret_id).await?;
            Ok::<_, ConfigError>((secret_id.to_string(), document))
        })
        .await?;
    if cached_id == secret_id {
        Ok(document.clone())
    } else {
        tracing::warn!(
            secret = secret_id,
            "a second secret id in one container; fetching it uncached"
        );
        fetch_secret_document(client, secret_id).await
    }
}

async fn client(sdk: Option<&SdkConfig>) -> aws_sdk_secretsmanager::Client {
    match sdk {
        Some(config) => aws_sdk_secretsmanager::Client::new(config),
        None => aws_sdk_secretsmanager::Client::new(
            &aws_config::load_defaults(BehaviorVersion::latest()).await,
        ),
    }
}

/// The consumer secret: from Secrets Manager when `settings.secret_arn` is set, otherwise from
/// `TWITTER_CONSUMER_SECRET`. `sdk` is reused when given (a function that also talks to
/// DynamoDB), otherwise the AWS configuration is loaded only if Secrets Manager is needed.
pub async fn load_consumer_secret(
    settings: &Settings,
    sdk: Option<&SdkConfig>,
) -> Result<ConsumerSecret, ConfigError> {
    match &settings.secret_arn {
        Some(arn) => cached_secret_document(&client(sdk).await, arn)
            .await?
            .consumer_secret(arn),
        None => ConsumerSecret::from_env(),
    }
}

/// All the app's credentials, from Secrets Manager or the environment (see
/// [`load_consumer_secret`]).
pub async fn load_app_credentials(
    settings: &Settings,
    sdk: Option<&SdkConfig>,
) -> Result<TwitterAppCredentials, ConfigError> {
    match &settings.secret_arn {
        Some(arn) => cached_secret_document(&client(sdk).await, arn)
            .await?
            .credentials(arn),
        None => TwitterAppCredentials::from_env(),
    }
}
