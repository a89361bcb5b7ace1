//! `dmbot serve`'s command line, and the subcommand itself: read the settings, build the
//! [`LocalStack`], print the banner, run until Ctrl-C or SIGTERM.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use dmbot_shared::config::{self, vars};

use super::config::settings_from_lookup;
use super::{LocalStack, ServeConfig, ServeError, signal};

/// Options of `dmbot serve`.
#[derive(clap::Args, Debug, Clone)]
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
    #[arg(long, env = vars::DATA_DIR, default_value = ".dmbot-data")]
    pub data_dir: PathBuf,
    /// Simulator mode: seconds between the simulator's webhook delivery retries
    /// (Twitter's are about 3, 27 and 242).
    #[arg(long, value_delimiter = ',', default_values_t = [3u64, 27, 242])]
    pub sim_retry_secs: Vec<u64>,
    /// Log lines for people (`human`) or one JSON object per line (`json`, the Lambda functions'
    /// format, for `jq` or a log shipper). `RUST_LOG` sets the level.
    #[arg(long, value_enum, env = vars::LOG_FORMAT, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
}

/// How `serve` writes its logs (on stderr).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

/// The settings `serve` reads from the environment (or `.env`) besides its flags, for the end
/// of `dmbot serve --help`.
pub fn settings_help() -> String {
    let rows = [
        (
            format!(
                "{}, {}, {}, {}",
                vars::CONSUMER_KEY,
                vars::CONSUMER_SECRET,
                vars::ACCESS_TOKEN,
                vars::ACCESS_TOKEN_SECRET
            ),
            "all four: talk to Twitter (or what the base URLs name); none: run the simulator",
        ),
        (
            vars::APP_ID.to_string(),
            "the app's numeric id (required with credentials)",
        ),
        (
            format!("{}, {}", vars::API_BASE_URL, vars::UPLOAD_BASE_URL),
            "where the API and uploads are (default: Twitter's)",
        ),
        (
            vars::ENV_NAME.to_string(),
            "the Account Activity environment",
        ),
        (
            vars::BEARER_TOKEN.to_string(),
            "an app-only bearer token (fetched when absent)",
        ),
        (
            format!(
                "{}, {}",
                vars::TOKEN_ENCRYPTION_KEY,
                vars::REQUIRE_SEALED_TOKENS
            ),
            "sealing of stored account tokens",
        ),
        (
            format!(
                "{}, {}, {}, ...",
                vars::DM_SENDS_PER_WINDOW,
                vars::DM_SENDS_PER_DAY,
                vars::APP_DM_SENDS_PER_DAY
            ),
            "X's limits the send budget keeps to (default: X's numbers for TWITTER_API)",
        ),
        (
            format!("{}, {}", vars::X_PRICES_USD, vars::DAILY_SPEND_CAP_USD),
            "prices of X's calls, and a daily spend cap that pauses sending",
        ),
        (vars::RUST_LOG.to_string(), "the log level (default info)"),
    ];
    let mut help = String::from(
        "Settings from the environment (or a .env file in this directory or a parent):",
    );
    for (names, what) in rows {
        help.push_str(&format!("\n  {names}\n      {what}"));
    }
    help
}

impl ServeArgs {
    /// The stack's configuration: these options, the settings `lookup` holds (the process
    /// environment for the binary, a map in tests), and the `.env` file read at start.
    pub fn config(
        &self,
        dotenv: Option<PathBuf>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<ServeConfig, ServeError> {
        let (settings, credentials) = settings_from_lookup(&lookup)?;
        Ok(ServeConfig {
            listen: std::net::SocketAddr::new(self.host, self.port),
            allow_remote: self.allow_remote,
            flow: self.flow.clone(),
            data_dir: self.data_dir.clone(),
            sim_retry: self
                .sim_retry_secs
                .iter()
                .map(|s| Duration::from_secs(*s))
                .collect(),
            settings,
            credentials,
            token_encryption_key: lookup(vars::TOKEN_ENCRYPTION_KEY),
            prices: config::prices_from_lookup(&lookup)?,
            daily_spend_cap: config::daily_spend_cap_from_lookup(&lookup)?,
            dotenv,
        })
    }
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
    match run(&args, dotenv).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dmbot serve: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(
    args: &ServeArgs,
    dotenv: Result<Option<PathBuf>, config::ConfigError>,
) -> Result<(), ServeError> {
    let config = args.config(dotenv?, config::process_env)?;
    let stack = LocalStack::build(config).await?;
    stack.print_banner();
    stack.run_until_stopped(signal::shutdown_signal()).await;
    Ok(())
}
