//! The webhook watchdog against the simulator: re-validation, an invalid webhook that stays
//! invalid, a missing one, silence, the webhook endpoints' rate limit (15 per 15 minutes), and
//! the health record in every store (memory, embedded, DynamoDB on moto); the same on X API v2.

mod rate_limit;
mod status;
mod support;
mod v2;
mod validity;
