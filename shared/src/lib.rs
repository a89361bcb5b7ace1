//! `dmbot-shared`: everything the dmbot functions and the CLI have in common.
//!
//! The crate is split the way the architecture is:
//! - [`domain`]: the project's own vocabulary (accounts, customers, inbound messages,
//!   conversations). No wire formats, no AWS or HTTP types.
//! - [`twitter`]: Twitter's side of the wire: webhook security (CRC, signatures), the Account
//!   Activity envelope, request types whose limits are enforced by construction, OAuth 1.0a and
//!   (feature `client`) the API client.
//! - [`flow`]: operator-written bot flows, their validation and the pure conversation engine.
//! - [`store`]: the storage port (small traits) and its adapters (feature `dynamodb`,
//!   feature `embedded`), plus an in-memory one for tests.
//! - [`config`]: where credentials and settings come from (environment, `.env`, Secrets Manager).
//! - [`ingest`]: the webhook front door (CRC answer, signed deliveries into the inbox), free of
//!   any HTTP framework; `lambda` (feature `lambda`) adapts it to API Gateway events.
//! - [`dispatch`] (feature `client`): from a stored inbound message to exactly one reply.
//! - [`forget`]: removing a revoked account's data, off the webhook's request path.
//! - `signin` (feature `client`): Twitter Sign-in for business accounts, framework-free too;
//!   [`invite`]: the operator's invites it requires.

pub mod config;
#[cfg(feature = "client")]
pub mod dispatch;
pub mod domain;
pub mod flow;
pub mod forget;
pub mod health;
pub mod ingest;
pub mod invite;
#[cfg(feature = "lambda")]
pub mod lambda;
#[cfg(feature = "secretsmanager")]
pub mod secrets;
#[cfg(feature = "client")]
pub mod signin;
pub mod store;
pub mod telemetry;
pub mod tokens;
pub mod twitter;
#[cfg(feature = "client")]
pub mod watchdog;
