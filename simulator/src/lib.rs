//! `dmbot-simulator`: Twitter (X) on one machine, for tests and for `dmbot serve`.
//!
//! - [`api`]: the v1.1 endpoints the bot calls (DMs, typing, read receipts, media upload, welcome
//!   messages, custom profiles, webhooks and subscriptions, sign-in), with OAuth 1.0a checked by
//!   its own implementation, Twitter's limits checked independently of `dmbot_shared::twitter::limits`, a fault queue
//!   and a request log; and the X API v2 a self-serve business buys (v2 DMs and media, v2
//!   webhooks, X Activity API and Account Activity v2 subscriptions, X's rate limits, billable
//!   counts). The integration tests use it as `TwitterApi`.
//! - [`live`]: what makes it behave like Twitter toward a webhook: the CRC, signed POSTs with
//!   retries (in each webhook's subscription format: Account Activity or X Activity API), the echo of every message the account sends, a customer and a human agent, and
//!   the chat page with its event feed.
//! - [`scenario`]: scenarios run against a real `dmbot serve` binary: the crash scenario
//!   (killed with SIGKILL mid-burst, restarted; lost and doubled replies) and the simulated day
//!   on X API v2 (X's rate limits on a compressed clock; answers, order, waits, 429s, spend).

pub mod api;
pub mod live;
pub mod scenario;

pub use api::{Fault, SimAccount, SimApp, TwitterApi, V2Config, V2Usage};
pub use live::{Simulator, SimulatorConfig};
