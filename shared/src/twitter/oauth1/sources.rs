//! Where the signer gets `oauth_timestamp` and `oauth_nonce` from: injectable, so tests and
//! the simulator can pin them.

/// Where the signer gets `oauth_timestamp` from: seconds since the Unix epoch. Twitter refuses
/// a timestamp far from its own clock (error 32/135), which is why a skewed machine clock shows
/// up as an authentication error.
pub trait Clock: Send + Sync {
    fn unix_seconds(&self) -> u64;
}

/// Where the signer gets `oauth_nonce` from: a value never used before with the same timestamp
/// (Twitter refuses replays).
pub trait NonceSource: Send + Sync {
    fn nonce(&self) -> String;
}

/// The machine's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn unix_seconds(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }
}

/// 32 random alphanumeric characters from the thread's CSPRNG.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomNonce;

impl NonceSource for RandomNonce {
    fn nonce(&self) -> String {
        use rand::Rng;
        rand::rng()
            .sample_iter(rand::distr::Alphanumeric)
            .take(32)
            .map(char::from)
            .collect()
    }
}

/// Closures work as clocks (`|| 1318622958`) ...
impl<F: Fn() -> u64 + Send + Sync> Clock for F {
    fn unix_seconds(&self) -> u64 {
        self()
    }
}

/// ... and as nonce sources.
impl<F: Fn() -> String + Send + Sync> NonceSource for F {
    fn nonce(&self) -> String {
        self()
    }
}
