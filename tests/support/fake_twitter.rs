//! The fake Twitter API used by the integration tests. It lives in the `dmbot-simulator` crate
//! (one fake Twitter for the tests and for `dmbot serve`); this module re-exports it so the tests
//! keep saying `dmbot_tests::fake_twitter::FakeTwitter`.

pub use dmbot_simulator::api::{
    AuthSeen, FakeAccount, FakeApp, FakeTwitter, FakeUpload, FakeWebhook, Fault, RecordedRequest,
    TIMESTAMP_TOLERANCE_SECS,
};
