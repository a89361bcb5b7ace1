//! X API v2 (facts from X's OpenAPI and docs at docs.x.com): what a
//! self-serve (Pay Per Use) business can buy, checked with the fake's own rules.
//!
//! - `dm`: `POST /2/dm_conversations/with/:participant_id/messages` (OAuth 1.0a user only; the
//!   body as X's OpenAPI has it: `text` and/or one attachment, nothing else; own, unexpired
//!   media; only to someone who wrote to the account first; 15 per 15 min and 1,440 per 24 h per
//!   user, 1,440 per 24 h per app, with `x-rate-limit-*` headers) and
//!   `GET /2/dm_conversations/with/:participant_id/dm_events` (paged, `dm_event.fields`).
//!   Messages are the same stored events as v1.1's, so both APIs and the chat page see one
//!   conversation.
//! - `media`: `POST /2/media/upload/initialize`, `/:id/append` (multipart or JSON base64),
//!   `/:id/finalize`, `GET /2/media/upload?command=STATUS&media_id=`; uploads are the shared
//!   ones, with their uploader and expiry.
//! - `webhooks`: `/2/webhooks` (create after the CRC when on, list, re-validate, delete).
//! - `activity`: X Activity API subscriptions (`/2/activity/subscriptions`);
//!   `account_activity`: Account Activity v2 subscriptions (`/2/account_activity/...`).
//! - `deliveries`: what each webhook gets for a DM event, by the subscriptions that match: the
//!   Account Activity envelope for v1.1 webhooks and AAA v2 subscriptions, one X Activity API
//!   event per POST (`dm.received`, `dm.sent`) for XAA subscriptions.
//! - `problem`: v2's error shape, rate-limit windows, ISO times; `state`: the configuration
//!   ([`V2Config`]), subscriptions and billable counts ([`V2Usage`], [`PRICES_USD`]);
//!   `knobs`: the test API on [`super::TwitterApi`].

pub(crate) mod account_activity;
pub(crate) mod activity;
mod deliveries;
pub(crate) mod dm;
mod knobs;
pub(crate) mod media;
mod problem;
mod state;
pub(crate) mod webhooks;

pub use deliveries::Delivery;
pub(crate) use problem::{auth_refusal, fault_problem, now};
pub(crate) use state::V2State;
pub use state::{Billable, PRICES_USD, V2Config, V2Usage, XaaSubscription};
