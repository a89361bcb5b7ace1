//! Twitter's side of the wire. Everything named after Twitter's own objects lives here.

pub mod envelope;
pub mod limits;
pub mod webhook;
