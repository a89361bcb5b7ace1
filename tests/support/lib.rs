//! Support code for the workspace integration tests.
//!
//! - [`moto`]: starts moto's server (DynamoDB, Secrets Manager) on a free port for a test run.
//! - [`iam`]: a second moto that enforces the IAM policies of `template.yaml` (tests/iam/).
//! - [`simulator`]: the simulator HTTP API that checks OAuth 1.0a signatures with its own
//!   implementation (independent of the signer under test), enforces Twitter's limits, and can
//!   be told to answer 429 or 5xx; with [`simulator::client`] and friends to talk to it.
//! - [`signin`]: sign-in's dependencies wired to the fake.

pub mod iam;
pub mod moto;
pub mod signin;
pub mod simulator;
