//! What runs on the other side of the Twitter client: Twitter itself (or what the base URLs
//! name) with the configured credentials, or the built-in simulator with its app's. Either way
//! the client comes from the configuration module's one builder
//! ([`TwitterAppCredentials::client`]).

use dmbot_shared::config::{Settings, TwitterAppCredentials};
use dmbot_shared::twitter::client::TwitterClient;
use dmbot_shared::twitter::oauth1::TokenCredentials;
use dmbot_simulator::{Simulator, SimulatorConfig};

use super::{ServeConfig, ServeError};

/// Everything the mode decides.
pub(crate) struct Mode {
    /// The simulator and its routes (simulator mode only).
    pub simulator: Option<(Simulator, axum::Router)>,
    pub credentials: TwitterAppCredentials,
    pub app_id: Option<String>,
    pub env_name: Option<String>,
    pub client: TwitterClient,
    /// The app owner's tokens: the account the bot answers for.
    pub owner: TokenCredentials,
}

impl Mode {
    /// With credentials, Twitter at the configured base URLs; without, the simulator answering
    /// at `base_url` (the stack's own address).
    pub fn from_config(config: &ServeConfig, base_url: &str) -> Result<Self, ServeError> {
        match &config.credentials {
            Some(credentials) => with_credentials(&config.settings, credentials.clone()),
            None => setup_simulator(config, base_url),
        }
    }

    pub fn is_simulator(&self) -> bool {
        self.simulator.is_some()
    }
}

fn with_credentials(
    settings: &Settings,
    credentials: TwitterAppCredentials,
) -> Result<Mode, ServeError> {
    let app_id = settings.require_app_id()?.to_string();
    let (client, owner) = credentials.client(settings)?;
    Ok(Mode {
        simulator: None,
        app_id: Some(app_id),
        env_name: settings.env_name.clone(),
        credentials,
        client,
        owner,
    })
}

/// The simulator answering at `base_url`, and its app's credentials for the client (API and
/// upload base both `base_url`).
fn setup_simulator(config: &ServeConfig, base_url: &str) -> Result<Mode, ServeError> {
    let mut sim_config = SimulatorConfig::new(base_url);
    sim_config.retry_delays = config.sim_retry.clone();
    let (sim, router) = Simulator::new(sim_config);
    let app = sim.api().app().clone();
    let owner = sim.api().owner().clone();
    let credentials = TwitterAppCredentials {
        consumer_key: app.consumer_key.clone(),
        consumer_secret: app.consumer_secret.clone(),
        access_token: owner.token.clone(),
        access_token_secret: owner.token_secret.clone(),
        bearer_token: None,
        token_encryption_key: config.token_encryption_key.clone(),
    };
    let settings = Settings {
        api_base_url: base_url.to_string(),
        upload_base_url: base_url.to_string(),
        bearer_token: None,
        ..config.settings.clone()
    };
    let (client, owner) = credentials.client(&settings)?;
    Ok(Mode {
        simulator: Some((sim, router)),
        credentials,
        app_id: Some(app.app_id.clone()),
        env_name: Some(app.env_name.clone()),
        client,
        owner,
    })
}
