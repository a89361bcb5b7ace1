//! λ signin: Twitter Sign-in for business accounts, `GET /auth/start` and `GET /auth/callback`.
//!
//! Configuration: `TABLE_NAME` (the DynamoDB table: invites, pending sign-ins and accounts),
//! `TWITTER_SECRET_ARN` (or the `TWITTER_*` credentials locally), `TWITTER_ENV_NAME` (the
//! Account Activity environment new accounts are subscribed in) and `SIGNIN_CALLBACK_URL` (the
//! public URL of `/auth/callback`, registered as a callback URL in the app's settings).
//! Everything else is in `dmbot_shared::signin`.

use std::convert::Infallible;

use aws_config::BehaviorVersion;
use dmbot_shared::config::{ConfigError, Settings, process_env};
use dmbot_shared::domain::now_ms;
use dmbot_shared::signin::{CALLBACK_URL_VAR, SigninConfig, SigninDeps};
use dmbot_shared::store::dynamodb::DynamoStore;
use dmbot_shared::tokens::TokenSealer;
use dmbot_shared::twitter::api_types::EnvName;
use dmbot_shared::twitter::client::{ClientConfig, TwitterClient};
use dmbot_shared::twitter::oauth1::ConsumerCredentials;
use dmbot_shared::{secrets, telemetry};
use lambda_http::{Error, Request, service_fn};

fn callback_url() -> Result<url::Url, ConfigError> {
    let raw = process_env(CALLBACK_URL_VAR)
        .filter(|v| !v.trim().is_empty())
        .ok_or(ConfigError::Missing {
            var: CALLBACK_URL_VAR,
            hint: "set it to the public URL of /auth/callback (the API's URL + /auth/callback) and \
                   register that URL as a callback URL in the app's settings",
        })?;
    url::Url::parse(raw.trim()).map_err(|e| ConfigError::Invalid {
        var: CALLBACK_URL_VAR,
        reason: format!("not a URL ({e})"),
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init_json();
    let settings = Settings::from_env()?;
    let table = settings.require_table_name()?.to_string();
    let env_name = EnvName::new(settings.require_env_name()?)?;
    let sdk = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let creds = secrets::load_app_credentials(&settings, Some(&sdk)).await?;
    let config = SigninConfig {
        callback_url: callback_url()?,
        env_name,
        sealer: TokenSealer::from_optional_key(creds.token_encryption_key.as_deref())?,
    };
    let consumer =
        ConsumerCredentials::new(creds.consumer_key.clone(), creds.consumer_secret.clone());
    let client = TwitterClient::new(ClientConfig::from_lookup(consumer, process_env)?)?;
    let deps = SigninDeps {
        store: DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table),
        client,
        config,
    };
    let deps = &deps;
    lambda_http::run(service_fn(move |request: Request| async move {
        Ok::<_, Infallible>(dmbot_signin::handle(deps, request, now_ms()).await)
    }))
    .await
}
