//! `dmbot serve`: the whole system on one machine, as a library ([`LocalStack`]) that the
//! binary and the tests start alike.
//!
//! One HTTP listener (default `127.0.0.1:8080`) carries:
//! - `GET`/`POST /webhooks/twitter`: the webhook, through the same handlers as the Lambda
//!   functions ([`dmbot_shared::ingest`]), storing into an embedded redb file
//!   (`<data-dir>/dmbot.redb`, kept across restarts);
//! - `GET /healthz`;
//! - in **simulator mode** (no `TWITTER_*` credentials), the simulator
//!   ([`dmbot_simulator::Simulator`]): the Twitter API under its real paths (`/1.1/...`,
//!   `/oauth/...`, `/oauth2/...`), so the client's API and upload base URL are simply
//!   `http://127.0.0.1:<port>`; the chat page at `/` and its endpoints under `/sim/`.
//!
//! Messages stored by the webhook go through the dispatch [`lanes`] to the same dispatcher as
//! in AWS, with the flow given by `--flow`.
//!
//! With credentials (`TWITTER_CONSUMER_KEY`, `TWITTER_CONSUMER_SECRET`, `TWITTER_ACCESS_TOKEN`,
//! `TWITTER_ACCESS_TOKEN_SECRET`, from the environment or `.env`) the client talks to
//! `TWITTER_API_BASE_URL` / `TWITTER_UPLOAD_BASE_URL` (Twitter's by default) and nothing is
//! simulated: register the webhook URL with `dmbot webhook register` through a tunnel.
//!
//! [`LocalStack::build`] sets everything up (mode, simulator, store, flow sync, webhook
//! registration, account); [`LocalStack::run_until_stopped`] runs the dispatch lanes and the
//! sweeps until its shutdown future completes, then stops accepting connections, lets the
//! requests in flight finish, finishes the dispatch batch in hand and returns.

mod account;
mod args;
mod banner;
mod config;
mod error;
pub mod http;
pub mod lanes;
mod mode;
mod signal;
mod simulator;
mod workers;

use std::path::PathBuf;
use std::sync::Arc;

use dmbot_shared::config::ApiVersion;
use dmbot_shared::dispatch::{DispatchConfig, Dispatcher, FlowSource};
pub(crate) use dmbot_shared::domain::now_ms;
use dmbot_shared::flow::Flow;
use dmbot_shared::store::embedded::EmbeddedStore;
use dmbot_shared::tokens::TokenSealer;
use dmbot_simulator::Simulator;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use args::{LogFormat, ServeArgs, main, settings_help};
pub use config::ServeConfig;
pub use error::ServeError;
pub use signal::shutdown_signal;

use banner::Banner;
use mode::Mode;

/// The embedded store's file inside the data directory.
pub const DATA_FILE: &str = "dmbot.redb";

/// A local stack that is set up and serving HTTP; [`LocalStack::run_until_stopped`] starts the
/// dispatch and runs it until shutdown.
pub struct LocalStack {
    base_url: String,
    store: EmbeddedStore,
    dispatcher: Arc<Dispatcher<EmbeddedStore>>,
    simulator: Option<Simulator>,
    server: JoinHandle<std::io::Result<()>>,
    stop: watch::Sender<bool>,
    banner: Banner,
}

impl LocalStack {
    /// Loads the flow, opens the store, listens, picks the mode and, in simulator mode, syncs
    /// the flow and registers the webhook; then stores the account. The HTTP server runs from
    /// here on (the simulator's CRC and the client's calls to the simulator need it); it is
    /// stopped again if a later step fails.
    pub async fn build(config: ServeConfig) -> Result<Self, ServeError> {
        let mut flow = Flow::load(&config.flow).map_err(|e| ServeError::Flow {
            path: config.flow.display().to_string(),
            problems: e.to_string(),
        })?;
        let (store, store_path) = open_store(&config)?;
        if config.credentials.is_none() {
            check_simulator_host(&config)?;
        }
        let (listener, local) = http::listen(config.listen).await?;
        let base_url = http::shown_url(local);
        let mut mode = Mode::from_config(&config, &base_url)?;

        let (stop, stop_rx) = watch::channel(false);
        let simulator = mode.simulator.as_ref().map(|(sim, _)| sim.clone());
        let server = http::serve(listener, local, &mut mode, &store, stop_rx);
        let webhook_url = format!("{base_url}{}", http::WEBHOOK_PATH);
        let set_up = set_up(
            &config,
            &mode,
            simulator.as_ref(),
            &store,
            &mut flow,
            &webhook_url,
        );
        let (sync_note, sealer) = match set_up.await {
            Ok(done) => done,
            Err(e) => {
                let _ = stop.send(true);
                let _ = server.await;
                return Err(e);
            }
        };

        let banner = Banner {
            base_url: base_url.clone(),
            webhook_url,
            simulator: simulator.is_some(),
            api_base: mode.client.config().api_base.to_string(),
            flow_path: config.flow.display().to_string(),
            flow_id: flow.id().to_string(),
            flow_name: flow.name().map(str::to_string),
            flow_nodes: flow.nodes().count(),
            store_path: store_path.display().to_string(),
            dotenv: config.dotenv.as_ref().map(|p| p.display().to_string()),
            env_name: mode.env_name.clone(),
            sync_note,
            limits: banner::limits_line(&config.settings.limits),
        };
        let dispatcher = Arc::new(Dispatcher::new(
            store.clone(),
            mode.client,
            DispatchConfig {
                sealer,
                app_id: mode.app_id.clone(),
                api: config.settings.api,
                limits: config.settings.limits,
                prices: config.prices.clone(),
                daily_spend_cap: config.daily_spend_cap,
                ..DispatchConfig::new(mode.owner, FlowSource::Fixed(Arc::new(flow)))
            },
        ));
        Ok(Self {
            base_url,
            store,
            dispatcher,
            simulator,
            server,
            stop,
            banner,
        })
    }

    /// `http://<address>:<port>`, the port the listener got.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The stack's store (a handle onto the same file).
    pub fn store(&self) -> &EmbeddedStore {
        &self.store
    }

    /// The simulator, in simulator mode.
    pub fn simulator(&self) -> Option<&Simulator> {
        self.simulator.as_ref()
    }

    /// The start-up banner (see [`banner`]).
    pub fn banner(&self) -> String {
        self.banner.render()
    }

    /// Prints the banner on stdout, flushed.
    pub fn print_banner(&self) {
        print!("{}", self.banner());
        use std::io::Write;
        let _ = std::io::stdout().flush();
    }

    /// Runs the dispatch lanes, the sweep and the revoked-data removal until `shutdown`
    /// completes, then stops accepting connections, lets the requests in flight finish and
    /// each lane finish its batch in hand.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()>) {
        let workers = workers::spawn_workers(self.dispatcher, &self.store, &self.stop.subscribe());
        shutdown.await;
        tracing::info!(
            "shutting down: no new connections; finishing requests and dispatch in flight"
        );
        let _ = self.stop.send(true);
        if let Some(sim) = &self.simulator {
            sim.close_feeds();
        }
        match self.server.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "the HTTP server stopped with an error"),
            Err(e) => tracing::error!(error = %e, "the HTTP server task failed"),
        }
        workers.join().await;
        tracing::info!("stopped");
    }
}

/// The steps that need the HTTP server: in simulator mode the flow sync and the webhook
/// registration (returning the banner's note), then the account, stored with sealed tokens as
/// configured (returning the sealer for the dispatcher).
async fn set_up(
    config: &ServeConfig,
    mode: &Mode,
    simulator: Option<&Simulator>,
    store: &EmbeddedStore,
    flow: &mut Flow,
    webhook_url: &str,
) -> Result<(String, TokenSealer), ServeError> {
    let mut sync_note = String::new();
    if let Some(sim) = simulator {
        sync_note = match config.settings.api {
            ApiVersion::V1_1 => {
                simulator::register_with_simulator(
                    sim,
                    &mode.client,
                    &mode.owner,
                    flow,
                    webhook_url,
                )
                .await?
            }
            ApiVersion::V2 => {
                simulator::register_with_simulator_v2(sim, &mode.client, &mode.owner, webhook_url)
                    .await?
            }
        };
    }
    let sealer = TokenSealer::from_optional_key(mode.credentials.token_encryption_key.as_deref())?
        .requiring_sealed(config.settings.require_sealed_tokens)?;
    account::register_account(
        store,
        &mode.client,
        &mode.owner,
        &mode.credentials,
        &sealer,
        flow.id(),
    )
    .await?;
    Ok((sync_note, sealer))
}

/// Opens (creating the directory) `<data dir>/dmbot.redb`.
fn open_store(config: &ServeConfig) -> Result<(EmbeddedStore, PathBuf), ServeError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|e| ServeError::DataDir {
        path: config.data_dir.display().to_string(),
        reason: e.to_string(),
    })?;
    let path = config.data_dir.join(DATA_FILE);
    Ok((EmbeddedStore::open(&path)?, path))
}

/// The simulator only on loopback, unless `--allow-remote` (then loudly).
fn check_simulator_host(config: &ServeConfig) -> Result<(), ServeError> {
    let host = config.listen.ip();
    if host.is_loopback() {
        return Ok(());
    }
    if !config.allow_remote {
        return Err(ServeError::RemoteSimulator { host });
    }
    tracing::warn!(
        %host,
        "--allow-remote: the simulator is reachable from other machines; anyone who can \
         reach this port can read every conversation and write as the customer or the agent"
    );
    eprintln!(
        "WARNING: the simulator listens on {host} (--allow-remote): anyone who can reach this \
         port can read every conversation and write as the customer or the agent"
    );
    Ok(())
}
