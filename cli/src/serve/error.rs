//! Why the local stack could not start.

use std::net::SocketAddr;

use dmbot_shared::config;

/// Why `dmbot serve` (or [`super::LocalStack::build`]) could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("configuration: {0}")]
    Config(#[from] config::ConfigError),
    #[error(
        "some Twitter credentials are set and others are not ({missing} missing): set all four of TWITTER_CONSUMER_KEY, TWITTER_CONSUMER_SECRET, TWITTER_ACCESS_TOKEN and TWITTER_ACCESS_TOKEN_SECRET, or none to use the simulator"
    )]
    PartialCredentials { missing: String },
    #[error("flow {path}: {problems}")]
    Flow { path: String, problems: String },
    #[error("data directory {path}: {reason}")]
    DataDir { path: String, reason: String },
    #[error("store: {0}")]
    Store(#[from] dmbot_shared::store::StoreError),
    #[error(
        "refusing to serve the simulator on {host}: anyone who can reach it could read every \
         conversation and write as the customer or the agent. Use --host 127.0.0.1 (the default), \
         or add --allow-remote on a network you trust"
    )]
    RemoteSimulator { host: std::net::IpAddr },
    #[error("cannot listen on {addr}: {reason} (is another dmbot serve running? try --port)")]
    Listen { addr: SocketAddr, reason: String },
    #[error("setting up the simulator: {0}")]
    Sync(String),
    #[error(transparent)]
    Seal(#[from] dmbot_shared::tokens::SealError),
}
