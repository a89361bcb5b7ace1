//! The fake Twitter API used by the integration tests. It lives in the `dmbot-simulator` crate
//! (one fake Twitter for the tests and for `dmbot serve`); this module re-exports it so the tests
//! keep saying `dmbot_tests::fake_twitter::FakeTwitter`.

pub use dmbot_simulator::api::{
    AuthSeen, FakeAccount, FakeApp, FakeTwitter, FakeUpload, FakeWebhook, Fault, RecordedRequest,
    TIMESTAMP_TOLERANCE_SECS,
};

use dmbot_shared::twitter::client::{ClientConfig, TwitterClient};
use dmbot_shared::twitter::oauth1::{ConsumerCredentials, TokenCredentials};

/// A client configuration for `fake`: the app's consumer credentials, the fake's base URL.
pub fn client_config(fake: &FakeTwitter) -> ClientConfig {
    let app = fake.app();
    ClientConfig::new(ConsumerCredentials::new(
        &app.consumer_key,
        &app.consumer_secret,
    ))
    .with_base(fake.base_url())
    .expect("the fake's base URL is valid")
}

/// A client of `fake` with the app's consumer credentials.
pub fn client(fake: &FakeTwitter) -> TwitterClient {
    TwitterClient::new(client_config(fake)).expect("a client")
}

/// An account's OAuth user tokens.
pub fn tokens(account: &FakeAccount) -> TokenCredentials {
    TokenCredentials::new(&account.token, &account.token_secret)
}
