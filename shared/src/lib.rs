//! `dmbot-shared`: everything the dmbot functions and the CLI have in common.
//!
//! The crate is split the way the architecture is, by role:
//!
//! **Domain** (pure, no wire formats, no AWS or HTTP types)
//! - [`domain`]: the project's own vocabulary (accounts, customers, inbound messages,
//!   conversations).
//! - [`flow`]: operator-written bot flows, their validation and the pure conversation engine.
//!
//! **Wire**
//! - [`twitter`]: Twitter's side of the wire: CRC and signatures, the Account Activity
//!   envelope, request types whose limits are enforced by construction, OAuth 1.0a, errors and
//!   retries, and (feature `client`) the API client.
//!
//! **Port and adapters**
//! - [`store`]: the storage port (small traits) and its adapters (feature `dynamodb`,
//!   feature `embedded`), plus an in-memory one for tests.
//!
//! **Use cases**
//! - [`ingest`]: the webhook front door (CRC answer, signed deliveries into the inbox), free of
//!   any HTTP framework.
//! - `dispatch` (feature `client`): from a stored inbound message to exactly one reply.
//! - `signin` (feature `client`): Twitter Sign-in for business accounts, framework-free too.
//! - `watchdog` (feature `client`): the scheduled check that keeps the webhook valid.
//! - [`webhook_status`]: the `dmbot webhook status` report.
//! - [`forget`]: removing a revoked account's data, off the webhook's request path.
//! - [`invite`]: the operator's invites Sign-in requires.
//!
//! **Infrastructure**
//! - [`config`]: where credentials and settings come from (environment, `.env`).
//! - `secrets` (feature `secretsmanager`): credentials from Secrets Manager.
//! - [`tokens`]: sealing stored account tokens (AES-256-GCM).
//! - [`telemetry`]: the log subscriber (JSON in Lambda, human in the CLI).
//! - `lambda` (feature `lambda`): adapts the handlers to API Gateway events.

// Domain.
pub mod domain;
pub mod flow;

// Wire.
pub mod twitter;

// Port and adapters.
pub mod store;

// Use cases.
#[cfg(feature = "client")]
pub mod dispatch;
pub mod forget;
pub mod ingest;
pub mod invite;
#[cfg(feature = "client")]
pub mod signin;
#[cfg(feature = "client")]
pub mod watchdog;
pub mod webhook_status;

// Infrastructure.
pub mod config;
#[cfg(feature = "lambda")]
pub mod lambda;
#[cfg(feature = "secretsmanager")]
pub mod secrets;
pub mod telemetry;
pub mod tokens;
