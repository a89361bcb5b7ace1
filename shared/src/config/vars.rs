//! Every environment variable dmbot reads, each spelled once. The SAM template, the docs, the
//! `.env` examples and the CLI's `#[arg(env = ...)]` use these names.

// The app's credentials (locally; in AWS they come from the secret, see `secret.rs`).
pub const CONSUMER_KEY: &str = "TWITTER_CONSUMER_KEY";
pub const CONSUMER_SECRET: &str = "TWITTER_CONSUMER_SECRET";
pub const ACCESS_TOKEN: &str = "TWITTER_ACCESS_TOKEN";
pub const ACCESS_TOKEN_SECRET: &str = "TWITTER_ACCESS_TOKEN_SECRET";
/// A ready app-only bearer token (optional; fetched on first use when absent).
pub const BEARER_TOKEN: &str = "TWITTER_BEARER_TOKEN";
pub const TOKEN_ENCRYPTION_KEY: &str = "TWITTER_TOKEN_ENCRYPTION_KEY";
/// The Secrets Manager secret holding the credentials.
pub const SECRET_ARN: &str = "TWITTER_SECRET_ARN";

// Where Twitter is, and which app and environment we are.
/// Which X API to speak: `v1.1` (default) or `v2` (`config::ApiVersion`).
pub const API: &str = "TWITTER_API";
/// The API base URL (default `https://api.twitter.com`).
pub const API_BASE_URL: &str = "TWITTER_API_BASE_URL";
/// The media upload base URL (default `https://upload.twitter.com`).
pub const UPLOAD_BASE_URL: &str = "TWITTER_UPLOAD_BASE_URL";
pub const APP_ID: &str = "TWITTER_APP_ID";
/// The Account Activity environment's name (case-sensitive).
pub const ENV_NAME: &str = "TWITTER_ENV_NAME";
pub const REQUIRE_SEALED_TOKENS: &str = "TWITTER_REQUIRE_SEALED_TOKENS";

// The deployment.
pub const TABLE_NAME: &str = "TABLE_NAME";
/// The public URL of `/auth/callback` (registered as a callback URL in the app's settings).
pub const SIGNIN_CALLBACK_URL: &str = "SIGNIN_CALLBACK_URL";
/// The flow of accounts without their own `flow_id` (default `default`).
pub const DEFAULT_FLOW_ID: &str = "DEFAULT_FLOW_ID";
/// Our webhook's public URL (the watchdog finds it by this URL; `dmbot webhook register`).
pub const WEBHOOK_URL: &str = "WEBHOOK_URL";
/// No delivery for this many minutes while accounts are subscribed is reported as silence.
pub const WATCHDOG_SILENCE_MINUTES: &str = "WATCHDOG_SILENCE_MINUTES";

// Cost (`store::prices`).
/// Overrides of X's list prices: `dm_send=0.015,dm_event_read=0.010` (kinds by
/// `BillableKind::as_str`, US dollars per call); unset or blank: the list prices.
pub const X_PRICES_USD: &str = "X_PRICES_USD";
/// The most the app may spend on X per UTC day, in US dollars (a positive decimal); unset or
/// blank: no cap.
pub const DAILY_SPEND_CAP_USD: &str = "DAILY_SPEND_CAP_USD";

// Logs and the local stack.
/// The log filter (`tracing_subscriber::EnvFilter` syntax).
pub const RUST_LOG: &str = "RUST_LOG";
/// Set by Lambda's advanced logging controls; takes precedence over [`RUST_LOG`] in Lambda.
pub const AWS_LAMBDA_LOG_LEVEL: &str = "AWS_LAMBDA_LOG_LEVEL";
/// `dmbot serve --log-format` (`human` or `json`).
pub const LOG_FORMAT: &str = "DMBOT_LOG_FORMAT";
/// The local stack's data directory (`--data-dir`).
pub const DATA_DIR: &str = "DMBOT_DATA_DIR";

// X's rate limits, as the dispatcher's send budget counts them (`config::SendLimits`). Each
// limit is a whole number, or `none` for no such limit; unset means X's documented default for
// the configured API.
/// The short rate-limit window, in seconds (default 900: X's 15 minutes).
pub const SEND_WINDOW_SECS: &str = "X_SEND_WINDOW_SECS";
/// The long rate-limit window, in seconds (default 86400: X's 24 hours).
pub const DAY_WINDOW_SECS: &str = "X_DAY_WINDOW_SECS";
/// DM sends per account in the short window (v2: 15; v1.1: none).
pub const DM_SENDS_PER_WINDOW: &str = "X_DM_SENDS_PER_WINDOW";
/// DM sends per account in the long window (v2: 1,440; v1.1: 1,000).
pub const DM_SENDS_PER_DAY: &str = "X_DM_SENDS_PER_DAY";
/// DM sends for the whole app in the long window (v2: 1,440; v1.1: 15,000).
pub const APP_DM_SENDS_PER_DAY: &str = "X_APP_DM_SENDS_PER_DAY";
/// DM event look-ups (the recovery's reads) per account in the short window (15).
pub const DM_LOOKUPS_PER_WINDOW: &str = "X_DM_LOOKUPS_PER_WINDOW";
/// Typing indicators and read receipts (v1.1) per account in the short window (1,000 each).
pub const COSMETIC_CALLS_PER_WINDOW: &str = "X_COSMETIC_CALLS_PER_WINDOW";
