//! What the local stack is started with: the command line's options and the environment's
//! settings, read once ([`super::ServeArgs::config`]) so tests can start a stack in process
//! without touching the process environment.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use dmbot_shared::config::{CREDENTIAL_VARS, Settings, TwitterAppCredentials};

use super::ServeError;

/// Everything [`super::LocalStack::build`] needs.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Where to listen (port 0 picks a free one).
    pub listen: SocketAddr,
    /// Simulator mode: allow a non-loopback address.
    pub allow_remote: bool,
    /// The flow file to run.
    pub flow: PathBuf,
    /// Where the embedded store keeps its file.
    pub data_dir: PathBuf,
    /// Simulator mode: the waits between the simulator's webhook delivery retries.
    pub sim_retry: Vec<Duration>,
    /// The settings other than the credentials (`TWITTER_API_BASE_URL`, `TWITTER_APP_ID`, ...).
    pub settings: Settings,
    /// The app's credentials; `None` runs the simulator.
    pub credentials: Option<TwitterAppCredentials>,
    /// The key that seals connected accounts' tokens (`TWITTER_TOKEN_ENCRYPTION_KEY`).
    pub token_encryption_key: Option<String>,
    /// What X's calls cost (`X_PRICES_USD`) and the daily spend cap (`DAILY_SPEND_CAP_USD`).
    pub prices: dmbot_shared::store::prices::PriceTable,
    pub daily_spend_cap: Option<dmbot_shared::store::prices::DailySpendCap>,
    /// The `.env` file read at start, for the banner.
    pub dotenv: Option<PathBuf>,
}

/// The settings `lookup` holds: [`Settings`], then the credentials (`None` when none of the four
/// is set; an error naming the missing ones when only some are).
pub fn settings_from_lookup(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<(Settings, Option<TwitterAppCredentials>), ServeError> {
    let settings = Settings::from_lookup(&lookup)?;
    let set: Vec<&str> = CREDENTIAL_VARS
        .iter()
        .copied()
        .filter(|v| lookup(v).is_some_and(|x| !x.trim().is_empty()))
        .collect();
    if set.is_empty() {
        return Ok((settings, None));
    }
    if set.len() < CREDENTIAL_VARS.len() {
        let missing = CREDENTIAL_VARS
            .iter()
            .filter(|v| !set.contains(v))
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        return Err(ServeError::PartialCredentials { missing });
    }
    Ok((settings, Some(TwitterAppCredentials::from_lookup(&lookup)?)))
}
