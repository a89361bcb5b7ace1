//! Twitter's side of the wire. Everything named after Twitter's own objects lives here.

pub mod envelope;
pub mod limits;
pub mod webhook;
pub mod api_types;
pub mod errors;
pub mod oauth1;
pub mod retry;

#[cfg(feature = "client")]
pub mod client;
