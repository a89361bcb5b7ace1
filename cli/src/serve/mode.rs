//! What runs on the other side of the Twitter client: Twitter itself (or what the base URLs
//! name) with the configured credentials, or the built-in simulator with its app's.

use dmbot_shared::config::TwitterAppCredentials;
use dmbot_shared::twitter::api_types::BearerToken;
use dmbot_shared::twitter::client::ClientConfig;
use dmbot_shared::twitter::oauth1::ConsumerCredentials;
use dmbot_simulator::{Simulator, SimulatorConfig};

use super::{ServeConfig, ServeError};

/// Everything the mode decides.
pub(crate) struct Mode {
    /// The simulator and its routes (simulator mode only).
    pub simulator: Option<(Simulator, axum::Router)>,
    pub credentials: TwitterAppCredentials,
    pub app_id: Option<String>,
    pub env_name: Option<String>,
    pub client_config: ClientConfig,
}

impl Mode {
    /// With credentials, Twitter at the configured base URLs; without, the simulator answering
    /// at `base_url` (the stack's own address).
    pub fn from_config(config: &ServeConfig, base_url: &str) -> Result<Self, ServeError> {
        match &config.credentials {
            Some(credentials) => with_credentials(config, credentials.clone()),
            None => setup_simulator(config, base_url),
        }
    }

    pub fn is_simulator(&self) -> bool {
        self.simulator.is_some()
    }
}

fn with_credentials(
    config: &ServeConfig,
    credentials: TwitterAppCredentials,
) -> Result<Mode, ServeError> {
    let settings = &config.settings;
    let consumer = ConsumerCredentials::new(
        credentials.consumer_key.clone(),
        credentials.consumer_secret.clone(),
    );
    let mut client_config = ClientConfig::new(consumer)
        .with_base(&settings.api_base_url)
        .map_err(|e| ServeError::Client(e.to_string()))?;
    client_config.upload_base = url::Url::parse(&settings.upload_base_url)
        .map_err(|e| ServeError::Client(e.to_string()))?;
    client_config.bearer_token = credentials.bearer_token.clone().map(BearerToken::new);
    Ok(Mode {
        simulator: None,
        app_id: Some(settings.require_app_id()?.to_string()),
        env_name: settings.env_name.clone(),
        credentials,
        client_config,
    })
}

/// The simulator answering at `base_url`, and its app's credentials for the client.
fn setup_simulator(config: &ServeConfig, base_url: &str) -> Result<Mode, ServeError> {
    let mut sim_config = SimulatorConfig::new(base_url);
    sim_config.retry_delays = config.sim_retry.clone();
    let (sim, router) = Simulator::new(sim_config);
    let app = sim.fake().app().clone();
    let owner = sim.fake().owner().clone();
    let credentials = TwitterAppCredentials {
        consumer_key: app.consumer_key.clone(),
        consumer_secret: app.consumer_secret.clone(),
        access_token: owner.token.clone(),
        access_token_secret: owner.token_secret.clone(),
        bearer_token: None,
        token_encryption_key: config.token_encryption_key.clone(),
    };
    let client_config = ClientConfig::new(ConsumerCredentials::new(
        app.consumer_key.clone(),
        app.consumer_secret.clone(),
    ))
    .with_base(base_url)
    .map_err(|e| ServeError::Client(e.to_string()))?;
    Ok(Mode {
        simulator: Some((sim, router)),
        credentials,
        app_id: Some(app.app_id.clone()),
        env_name: Some(app.env_name.clone()),
        client_config,
    })
}
