//! Scenarios run against a real `dmbot serve` binary, measured from outside: this simulator
//! plays Twitter (X) toward it and counts what arrived. Written against X's behaviour, not the
//! bot's code: they know only the binary, its command line, its settings and its webhook.
//!
//! - [`crash`]: a burst of customers, `serve` killed with SIGKILL midway and restarted; lost
//!   and doubled replies ([`run_crash`]; `cli/tests/crash.rs`, the `dmbot-crash` bench).
//! - [`day`]: a compressed day on X API v2 with X's rate limits enforced, customers arriving
//!   above the send limit for a while and below it after; answers, order, waits against the
//!   ideal schedule, 429s, calls and spend per answered customer ([`run_day`];
//!   `cli/tests/day.rs`, the `dmbot-day` bench). `day_measure` holds its measurements and the
//!   ideal schedule, pure functions of what the simulator recorded.
//! - `serve`: what they share (starting, killing and stopping `serve`, the simulator on a port,
//!   operator commands).

pub mod crash;
pub mod day;
pub mod day_measure;
mod serve;

pub use crash::{CrashOptions, CrashReport, run_crash};
pub use day::{DayOptions, DayReport, run_day};
