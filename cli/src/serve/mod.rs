//! `dmbot serve`: the whole system on one machine.
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
//! Messages stored by the webhook are dispatched in-process ([`dispatch`]) by the same
//! dispatcher as in AWS, with the flow given by `--flow`.
//!
//! With credentials (`TWITTER_CONSUMER_KEY`, `TWITTER_CONSUMER_SECRET`, `TWITTER_ACCESS_TOKEN`,
//! `TWITTER_ACCESS_TOKEN_SECRET`, from the environment or `.env`) the client talks to
//! `TWITTER_API_BASE_URL` / `TWITTER_UPLOAD_BASE_URL` (Twitter's by default) and nothing is
//! simulated: register the webhook URL with `dmbot webhook register` through a tunnel.
//!
//! Ctrl-C or SIGTERM stops accepting connections, lets the requests in flight finish, finishes
//! the dispatch batch in hand and exits 0.

mod dispatch;
mod http;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use dmbot_shared::config::{self, Settings, TwitterAppCredentials, vars};
use dmbot_shared::dispatch::{DispatchConfig, Dispatcher, FlowSource};
use dmbot_shared::flow::Flow;
use dmbot_shared::forget;
use dmbot_shared::ingest::WebhookDeps;
use dmbot_shared::store::embedded::EmbeddedStore;
use dmbot_shared::store::{AccountRecord, AccountTokens, Accounts};
use dmbot_shared::tokens::TokenSealer;
use dmbot_shared::twitter::api_types::{EnvName, WebhookUrl};
use dmbot_shared::twitter::client::{ClientConfig, TwitterClient};
use dmbot_shared::twitter::oauth1::{ConsumerCredentials, TokenCredentials};
use dmbot_shared::twitter::signature::WebhookSecret;
use dmbot_simulator::{Simulator, SimulatorConfig};
use tokio::sync::watch;

/// Options of `dmbot serve`.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Port to listen on (0 picks a free one; the banner says which).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on. In simulator mode only a loopback address unless --allow-remote:
    /// the simulator's pages let anyone who reaches them read every conversation and write as the
    /// customer or the agent.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    /// Simulator mode: allow a non-loopback --host. Anyone who can reach the port can then read
    /// and inject messages; use it only on a network you trust.
    #[arg(long)]
    pub allow_remote: bool,
    /// The flow to run.
    #[arg(long, default_value = "flows/support.toml")]
    pub flow: PathBuf,
    /// Where the embedded store keeps its file (created if missing; survives restarts).
    #[arg(long, default_value = ".dmbot-data")]
    pub data_dir: PathBuf,
    /// Simulator mode: seconds between the simulator's webhook delivery retries
    /// (Twitter's are about 3, 27 and 242).
    #[arg(long, value_delimiter = ',', default_values_t = [3u64, 27, 242])]
    pub sim_retry_secs: Vec<u64>,
    /// Log lines for people (`human`) or one JSON object per line (`json`, the Lambda functions'
    /// format, for `jq` or a log shipper). `RUST_LOG` sets the level.
    #[arg(long, value_enum, env = "DMBOT_LOG_FORMAT", default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
}

/// How `serve` writes its logs (on stderr).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

/// Why `dmbot serve` could not start.
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
    #[error("Twitter client: {0}")]
    Client(String),
    #[error("setting up the simulator: {0}")]
    Sync(String),
    #[error(transparent)]
    Seal(#[from] dmbot_shared::tokens::SealError),
}

pub(crate) fn now_ms() -> u64 {
    dmbot_shared::domain::now_ms()
}

/// Runs `dmbot serve` until Ctrl-C or SIGTERM. `dotenv` is the outcome of loading `.env`, which
/// `main` does before the runtime starts.
pub async fn main(
    args: ServeArgs,
    dotenv: Result<Option<PathBuf>, config::ConfigError>,
) -> ExitCode {
    match args.log_format {
        LogFormat::Human => dmbot_shared::telemetry::init_human(),
        LogFormat::Json => dmbot_shared::telemetry::init_json_stderr(),
    }
    match run(args, dotenv).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dmbot serve: {e}");
            ExitCode::FAILURE
        }
    }
}

const CREDENTIAL_VARS: [&str; 4] = [
    vars::CONSUMER_KEY,
    vars::CONSUMER_SECRET,
    vars::ACCESS_TOKEN,
    vars::ACCESS_TOKEN_SECRET,
];

/// The credentials from the environment, `None` when none of them is set (simulator mode).
fn credentials() -> Result<Option<TwitterAppCredentials>, ServeError> {
    let set: Vec<&str> = CREDENTIAL_VARS
        .iter()
        .copied()
        .filter(|v| config::process_env(v).is_some_and(|x| !x.trim().is_empty()))
        .collect();
    if set.is_empty() {
        return Ok(None);
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
    Ok(Some(TwitterAppCredentials::from_env()?))
}

/// Everything the mode decides.
struct Mode {
    simulator: Option<(Simulator, axum::Router)>,
    credentials: TwitterAppCredentials,
    app_id: Option<String>,
    env_name: Option<String>,
    client_config: ClientConfig,
}

async fn run(
    args: ServeArgs,
    dotenv: Result<Option<PathBuf>, config::ConfigError>,
) -> Result<(), ServeError> {
    let dotenv = dotenv?;
    let settings = Settings::from_env()?;
    let creds = credentials()?;

    let mut flow = Flow::load(&args.flow).map_err(|e| ServeError::Flow {
        path: args.flow.display().to_string(),
        problems: e.to_string(),
    })?;

    std::fs::create_dir_all(&args.data_dir).map_err(|e| ServeError::DataDir {
        path: args.data_dir.display().to_string(),
        reason: e.to_string(),
    })?;
    let store_path = args.data_dir.join("dmbot.redb");
    let store = EmbeddedStore::open(&store_path)?;

    let simulator_mode = creds.is_none();
    if simulator_mode && !args.host.is_loopback() {
        if !args.allow_remote {
            return Err(ServeError::RemoteSimulator { host: args.host });
        }
        tracing::warn!(
            host = %args.host,
            "--allow-remote: the simulator is reachable from other machines; anyone who can \
             reach this port can read every conversation and write as the customer or the agent"
        );
        eprintln!(
            "WARNING: the simulator listens on {} (--allow-remote): anyone who can reach this \
             port can read every conversation and write as the customer or the agent",
            args.host
        );
    }

    let addr = SocketAddr::new(args.host, args.port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| ServeError::Listen {
            addr,
            reason: e.to_string(),
        })?;
    let local = listener.local_addr().map_err(|e| ServeError::Listen {
        addr,
        reason: e.to_string(),
    })?;
    let shown_ip = if local.ip().is_unspecified() {
        std::net::IpAddr::from([127, 0, 0, 1])
    } else {
        local.ip()
    };
    // `SocketAddr` puts an IPv6 address in brackets, as a URL needs.
    let base_url = format!("http://{}", SocketAddr::new(shown_ip, local.port()));

    let mode = match creds {
        Some(credentials) => {
            let consumer = ConsumerCredentials::new(
                credentials.consumer_key.clone(),
                credentials.consumer_secret.clone(),
            );
            let mut client_config = ClientConfig::from_lookup(consumer, config::process_env)
                .map_err(|e| ServeError::Client(e.to_string()))?;
            // Settings validated the same variables; keep one source of truth for the URLs.
            client_config = client_config
                .with_base(&settings.api_base_url)
                .map_err(|e| ServeError::Client(e.to_string()))?;
            client_config.upload_base = url::Url::parse(&settings.upload_base_url)
                .map_err(|e| ServeError::Client(e.to_string()))?;
            Mode {
                simulator: None,
                credentials,
                app_id: Some(settings.require_app_id()?.to_string()),
                env_name: settings.env_name.clone(),
                client_config,
            }
        }
        None => {
            let mut sim_config = SimulatorConfig::new(base_url.clone());
            sim_config.retry_delays = args
                .sim_retry_secs
                .iter()
                .map(|s| std::time::Duration::from_secs(*s))
                .collect();
            let (sim, router) = Simulator::new(sim_config);
            let app = sim.fake().app().clone();
            let owner = sim.fake().owner().clone();
            let credentials = TwitterAppCredentials {
                consumer_key: app.consumer_key.clone(),
                consumer_secret: app.consumer_secret.clone(),
                access_token: owner.token.clone(),
                access_token_secret: owner.token_secret.clone(),
                bearer_token: None,
                token_encryption_key: dmbot_shared::config::process_env(
                    dmbot_shared::config::vars::TOKEN_ENCRYPTION_KEY,
                ),
            };
            let client_config = ClientConfig::new(ConsumerCredentials::new(
                app.consumer_key.clone(),
                app.consumer_secret.clone(),
            ))
            .with_base(&base_url)
            .map_err(|e| ServeError::Client(e.to_string()))?;
            Mode {
                simulator: Some((sim, router)),
                credentials,
                app_id: Some(app.app_id.clone()),
                env_name: Some(app.env_name.clone()),
                client_config,
            }
        }
    };

    let client = TwitterClient::new(mode.client_config.clone())
        .map_err(|e| ServeError::Client(e.to_string()))?;
    let owner_tokens = TokenCredentials::new(
        mode.credentials.access_token.clone(),
        mode.credentials.access_token_secret.clone(),
    );

    // The HTTP server first: the simulator's CRC and the client's calls to the simulator need it.
    let deps = Arc::new(WebhookDeps {
        store: store.clone(),
        secret: WebhookSecret::new(&mode.credentials.consumer_secret),
        app_id: mode.app_id.clone(),
    });
    let mut router = http::router(deps);
    let simulator = mode.simulator.as_ref().map(|(sim, _)| sim.clone());
    if let Some((_, sim_router)) = mode.simulator {
        router = router.fallback_service(sim_router);
    }
    let hosts = if simulator_mode && local.ip().is_loopback() {
        http::AllowedHosts::loopback(local.port())
    } else {
        http::AllowedHosts::Any
    };
    let router = http::guarded(router, hosts);
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut server_stop = stop_rx.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = server_stop.wait_for(|stop| *stop).await;
            })
            .await
    });

    let webhook_url = format!("{base_url}{}", http::WEBHOOK_PATH);
    let mut sync_note = String::new();
    if let Some(sim) = &simulator {
        // What `dmbot flow sync` does against Twitter, here against the simulator: every call
        // signed and checked, the ids recorded in `flow.synced`.
        crate::ops::flow_cmd::sync_to_twitter(
            &client,
            &owner_tokens,
            &mut flow,
            None,
            now_ms(),
            true,
        )
        .await
        .map_err(|e| ServeError::Sync(format!("flow sync: {e}")))?;
        let synced = &flow.synced;
        sync_note = format!(
            "{} media, {} custom profiles, {} welcome messages registered in the simulator",
            synced.media.len(),
            synced.custom_profiles.len(),
            synced.welcome_messages.len()
        );
        // As an operator would: register the webhook (the simulator runs the CRC against it)
        // and subscribe the account.
        sim.fake().set_crc_check(true);
        let env = EnvName::new(sim.fake().app().env_name.clone())
            .map_err(|e| ServeError::Sync(e.to_string()))?;
        let url = WebhookUrl::new_allowing_http(&webhook_url)
            .map_err(|e| ServeError::Sync(e.to_string()))?;
        client
            .register_webhook(&owner_tokens, &env, &url)
            .await
            .map_err(|e| ServeError::Sync(format!("webhook registration (CRC): {e}")))?;
        client
            .subscribe(&owner_tokens, &env)
            .await
            .map_err(|e| ServeError::Sync(format!("subscription: {e}")))?;
    }

    // The account the bot answers for, with its tokens, as `dmbot` sign-in would store it.
    let sealer = TokenSealer::from_optional_key(mode.credentials.token_encryption_key.as_deref())?
        .requiring_sealed(settings.require_sealed_tokens)?;
    match client.verify_credentials(&owner_tokens).await {
        Ok(user) => {
            let existing = store.get_account(&user.id).await?;
            let tokens = AccountTokens {
                token: mode.credentials.access_token.clone(),
                token_secret: mode.credentials.access_token_secret.clone(),
            };
            let record = AccountRecord {
                id: user.id.clone(),
                screen_name: Some(user.screen_name.clone()),
                tokens: Some(sealer.seal(&user.id, &tokens)?),
                flow_id: Some(flow.id().to_string()),
                created_ms: existing.map(|a| a.created_ms).unwrap_or_else(now_ms),
            };
            store.put_account(&record).await?;
        }
        Err(e) => tracing::warn!(
            error = %e,
            "could not verify the account's credentials; replies use the owner's tokens"
        ),
    }

    let flow = Arc::new(flow);
    let dispatcher = Arc::new(Dispatcher::new(
        store.clone(),
        client.clone(),
        DispatchConfig {
            sealer,
            app_id: mode.app_id.clone(),
            ..DispatchConfig::new(owner_tokens, FlowSource::Fixed(flow.clone()))
        },
    ));
    let sweep_task = tokio::spawn(sweep(store.clone(), stop_rx.clone()));
    let forget_task = tokio::spawn(forget_revoked(store.clone(), stop_rx.clone()));
    let dispatch_task = tokio::spawn(dispatch::run(dispatcher, store.clone(), stop_rx));

    print_banner(&Banner {
        base_url: &base_url,
        webhook_url: &webhook_url,
        simulator: simulator.is_some(),
        api_base: mode.client_config.api_base.as_str(),
        flow_path: &args.flow.display().to_string(),
        flow: &flow,
        store_path: &store_path.display().to_string(),
        dotenv: dotenv.as_ref().map(|p| p.display().to_string()),
        env_name: mode.env_name.as_deref(),
        sync_note: &sync_note,
    });

    shutdown_signal().await;
    tracing::info!("shutting down: no new connections; finishing requests and dispatch in flight");
    let _ = stop_tx.send(true);
    if let Some(sim) = &simulator {
        sim.close_feeds();
    }
    match server.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "the HTTP server stopped with an error"),
        Err(e) => tracing::error!(error = %e, "the HTTP server task failed"),
    }
    if let Err(e) = dispatch_task.await {
        tracing::error!(error = %e, "the dispatch task failed");
    }
    if let Err(e) = sweep_task.await {
        tracing::error!(error = %e, "the sweep task failed");
    }
    if let Err(e) = forget_task.await {
        tracing::error!(error = %e, "the revoked-data removal task failed");
    }
    tracing::info!("stopped");
    Ok(())
}

/// How often `serve` removes expired data from its store (and once at start).
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes what has expired (old messages and markers, media ids, abandoned sign-ins; see
/// [`EmbeddedStore::sweep_expired`]) at start and then every [`SWEEP_EVERY`], until `stop`.
async fn sweep(store: EmbeddedStore, mut stop: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
        match store.sweep_expired(now_ms()).await {
            Ok(0) => tracing::debug!("sweep: nothing has expired"),
            Ok(removed) => tracing::info!(
                removed,
                "sweep: removed expired messages, sent markers, media ids and sign-ins"
            ),
            Err(e) => tracing::warn!(
                error = %e,
                "sweep: removing expired data failed; it is tried again within the hour"
            ),
        }
    }
}

/// How often `serve` removes the data of revoked accounts (and once at start), as the
/// watchdog does in AWS: the webhook only deletes the tokens and queues the rest.
const FORGET_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs [`forget::run_pending`] at start and then every [`FORGET_EVERY`], until `stop`.
async fn forget_revoked(store: EmbeddedStore, mut stop: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(FORGET_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
        let deadline = std::time::Instant::now() + FORGET_EVERY;
        match forget::run_pending(&store, deadline).await {
            Ok(report) if report == forget::ForgetReport::default() => {}
            Ok(report) => tracing::info!(?report, "removed revoked accounts' data"),
            Err(e) => tracing::warn!(
                error = %e,
                "removing revoked accounts' data failed; it is tried again shortly"
            ),
        }
    }
}

struct Banner<'a> {
    base_url: &'a str,
    webhook_url: &'a str,
    simulator: bool,
    api_base: &'a str,
    flow_path: &'a str,
    flow: &'a Flow,
    store_path: &'a str,
    dotenv: Option<String>,
    env_name: Option<&'a str>,
    sync_note: &'a str,
}

/// The start-up banner on stdout. Its first line, `dmbot serve listening on <url>`, is stable:
/// scripts and tests read the URL from it.
fn print_banner(b: &Banner<'_>) {
    let mut out = String::new();
    out.push_str(&format!("dmbot serve listening on {}\n", b.base_url));
    if b.simulator {
        out.push_str(
            "  mode      simulator (no TWITTER_* credentials): Twitter is simulated locally\n",
        );
        out.push_str(&format!("  chat page {}/\n", b.base_url));
        out.push_str(&format!(
            "  sim API   {} (client API and upload base)\n",
            b.base_url
        ));
        if !b.sync_note.is_empty() {
            out.push_str(&format!("  flow sync {}\n", b.sync_note));
        }
    } else {
        out.push_str(&format!(
            "  mode      Twitter at {}\n",
            b.api_base.trim_end_matches('/')
        ));
        out.push_str("  webhook   register it with `dmbot webhook register <public https URL>/webhooks/twitter`\n");
    }
    out.push_str(&format!("  webhook   {}\n", b.webhook_url));
    out.push_str(&format!("  health    {}/healthz\n", b.base_url));
    out.push_str(&format!(
        "  flow      {} ({}{}, {} nodes)\n",
        b.flow_path,
        b.flow.id(),
        b.flow.name().map(|n| format!(": {n}")).unwrap_or_default(),
        b.flow.nodes().count()
    ));
    out.push_str(&format!("  data      {}\n", b.store_path));
    if let Some(env) = b.env_name {
        out.push_str(&format!("  env       {env}\n"));
    }
    match &b.dotenv {
        Some(p) => out.push_str(&format!("  config    environment + {p}\n")),
        None => out.push_str("  config    environment (no .env file)\n"),
    }
    out.push_str("  Ctrl-C to stop\n");
    print!("{out}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
}

/// Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
