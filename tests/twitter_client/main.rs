//! The Twitter client against the simulator: every endpoint, every error mapping, the retry
//! helper, the bearer token cache, chunked media upload and the sign-in round trip. The fake
//! verifies every OAuth signature with its own implementation, so a passing call here is also a
//! correctly signed call.

mod activity;
mod bearer;
mod direct_messages;
mod errors;
mod fake;
mod media;
mod profiles;
mod retry;
mod signin;
mod support;
mod v2_dm;
mod v2_errors;
mod v2_media;
mod v2_subscriptions;
mod v2_support;
mod v2_webhooks;
mod welcome;
