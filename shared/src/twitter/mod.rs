//! Twitter's side of the wire. Everything named after Twitter's own objects lives here.

pub mod api_types;
pub mod envelope;
pub mod errors;
pub mod limits;
pub mod oauth1;
pub mod retry;
pub mod signature;
pub mod xaa;

#[cfg(feature = "client")]
pub mod client;
