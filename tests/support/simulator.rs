//! The simulator's API half (`dmbot_simulator::api::TwitterApi`), as the integration tests use
//! it: one simulator for the tests and for `dmbot serve`. Re-exported here with the client
//! helpers the suites share.

pub use dmbot_simulator::api::{
    AuthSeen, Fault, RecordedRequest, SimAccount, SimApp, SimUpload, SimWebhook,
    TIMESTAMP_TOLERANCE_SECS, TwitterApi,
};

use dmbot_shared::twitter::client::{ClientConfig, TwitterClient};
use dmbot_shared::twitter::oauth1::{ConsumerCredentials, TokenCredentials};

/// A client configuration for `fake`: the app's consumer credentials, the fake's base URL.
pub fn client_config(fake: &TwitterApi) -> ClientConfig {
    let app = fake.app();
    ClientConfig::new(ConsumerCredentials::new(
        &app.consumer_key,
        &app.consumer_secret,
    ))
    .with_base(fake.base_url())
    .expect("the fake's base URL is valid")
}

/// A client of `fake` with the app's consumer credentials.
pub fn client(fake: &TwitterApi) -> TwitterClient {
    TwitterClient::new(client_config(fake)).expect("a client")
}

/// An account's OAuth user tokens.
pub fn tokens(account: &SimAccount) -> TokenCredentials {
    TokenCredentials::new(&account.token, &account.token_secret)
}
