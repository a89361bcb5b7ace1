//! Twitter's limits on what can be sent, as types.
