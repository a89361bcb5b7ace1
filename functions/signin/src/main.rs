//! λ signin: Twitter Sign-in for business accounts, `GET /auth/start` and `GET /auth/callback`.
//!
//! Configuration ([`SigninFnConfig`]): `TABLE_NAME` (invites, pending sign-ins and accounts),
//! `TWITTER_SECRET_ARN` (or the `TWITTER_*` credentials locally), `TWITTER_ENV_NAME` (the
//! Account Activity environment new accounts are subscribed in) and `SIGNIN_CALLBACK_URL` (the
//! public URL of `/auth/callback`, registered as a callback URL in the app's settings).
//! Everything else is in `dmbot_shared::signin`.

use std::convert::Infallible;

use dmbot_shared::config::{SigninFnConfig, aws};
use dmbot_shared::domain::now_ms;
use dmbot_shared::signin::{SigninConfig, SigninDeps};
use dmbot_shared::tokens::TokenSealer;
use dmbot_shared::{secrets, telemetry};
use lambda_http::{Error, Request, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init_json();
    let config = SigninFnConfig::from_env()?;
    let sdk = aws::sdk_config().await;
    let creds = secrets::load_app_credentials(&config.settings, Some(&sdk)).await?;
    let (client, _owner) = creds.client(&config.settings)?;
    let deps = &SigninDeps {
        store: aws::dynamo_store(&sdk, config.table_name),
        client,
        config: SigninConfig {
            callback_url: config.callback_url,
            env_name: config.env_name,
            sealer: TokenSealer::from_optional_key(creds.token_encryption_key.as_deref())?,
            api: config.settings.api,
        },
    };
    lambda_http::run(service_fn(move |request: Request| async move {
        Ok::<_, Infallible>(dmbot_signin::handle(deps, request, now_ms()).await)
    }))
    .await
}
