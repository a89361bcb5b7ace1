//! Operator commands: everything an operator does to a deployment from a terminal.
//!
//! Each group (`webhook`, `subscription`, `welcome`, `profile`, `media`, `flow`, `auth`,
//! `secrets`, `failures`, `conversation`) is a clap subcommand with its own `--help` and
//! examples. Every command prints a short human summary, or with `--json` one JSON document on
//! stdout for scripts. A failure prints what happened and what to do next (Twitter's error codes
//! are translated by [`TwitterError`]'s `Display`) and exits non-zero; with `--json` it prints
//! `{"error": "...", "code": ...}` instead.
//!
//! Configuration is the same as `dmbot serve`: the `TWITTER_*` variables (or a `.env` file) for
//! Twitter, `TABLE_NAME` (DynamoDB, through the AWS SDK's usual environment, profiles and
//! `AWS_ENDPOINT_URL`) or `--data-dir` (the embedded store of a local `dmbot serve`) for the
//! store. See `docs/OPERATIONS.md`.

mod admin;
mod context;
pub(crate) mod flow_cmd;
mod invites;
mod twitter_cmds;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use dmbot_shared::config::ConfigError;
use dmbot_shared::flow::FlowErrors;
use dmbot_shared::store::StoreError;
use dmbot_shared::twitter::errors::TwitterError;
use serde_json::{Value, json};

pub use admin::{AuthCmd, ConversationCmd, FailuresCmd, SecretsCmd};
pub use flow_cmd::FlowCmd;
pub use twitter_cmds::{MediaCmd, ProfileCmd, SubscriptionCmd, WebhookCmd, WelcomeCmd};

/// Options every operator command takes.
#[derive(Args, Debug, Clone, Default)]
pub struct Common {
    /// Print one JSON document on stdout (errors too: `{"error": ..., "code": ...}`).
    #[arg(long, global = true)]
    pub json: bool,
    /// Use the embedded store of a local `dmbot serve` in this directory instead of DynamoDB
    /// (`TABLE_NAME`). Only while that `dmbot serve` is stopped: the data file can be opened by
    /// one process at a time.
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<std::path::PathBuf>,
    /// Act as this connected account (a user id stored by `dmbot auth login` or Twitter
    /// Sign-in) instead of the app owner (`TWITTER_ACCESS_TOKEN`).
    #[arg(long, global = true, value_name = "USER_ID")]
    pub account: Option<String>,
}

macro_rules! group {
    ($name:ident, $cmd:ty) => {
        #[derive(Args, Debug)]
        pub struct $name {
            #[command(flatten)]
            pub common: Common,
            #[command(subcommand)]
            pub cmd: $cmd,
        }
    };
}

group!(WebhookArgs, WebhookCmd);
group!(SubscriptionArgs, SubscriptionCmd);
group!(WelcomeArgs, WelcomeCmd);
group!(ProfileArgs, ProfileCmd);
group!(MediaArgs, MediaCmd);
group!(FlowArgs, FlowCmd);
group!(AuthArgs, AuthCmd);
group!(SecretsArgs, SecretsCmd);
group!(FailuresArgs, FailuresCmd);
group!(ConversationArgs, ConversationCmd);

/// The operator command groups.
#[derive(Subcommand, Debug)]
pub enum OpsCommand {
    /// Register, list, re-validate (CRC) and delete the Account Activity webhook.
    #[command(
        after_help = "Examples:\n  dmbot webhook register https://abc.execute-api.eu-west-1.amazonaws.com/webhooks/twitter\n  dmbot webhook list --json\n  dmbot webhook validate\n  dmbot webhook delete 1234567890"
    )]
    Webhook(WebhookArgs),
    /// Subscribe accounts to the webhook, check, list, count and remove subscriptions.
    #[command(
        after_help = "Examples:\n  dmbot subscription add\n  dmbot subscription add --account 4337869213\n  dmbot subscription list\n  dmbot subscription count\n  dmbot subscription remove 4337869213"
    )]
    Subscription(SubscriptionArgs),
    /// Manage welcome messages and the default welcome rule; print deep links.
    #[command(
        after_help = "Examples:\n  dmbot welcome create --name support --text 'Hi! How can we help?'\n  dmbot welcome list\n  dmbot welcome set-default 1234567890\n  dmbot welcome link 1234567890"
    )]
    Welcome(WelcomeArgs),
    /// Manage custom profiles (another name and avatar to send messages as).
    #[command(
        after_help = "Examples:\n  dmbot profile create --name 'Support Bot' --avatar avatar.png\n  dmbot profile list\n  dmbot profile delete 1234567890"
    )]
    Profile(ProfileArgs),
    /// Upload media for Direct Messages (chunked, with a progress bar).
    #[command(
        after_help = "Examples:\n  dmbot media upload banner.png\n  dmbot media upload demo.mp4 --json"
    )]
    Media(MediaArgs),
    /// Check a flow file, or sync it to Twitter and the store.
    #[command(
        after_help = "Examples:\n  dmbot flow check flows/support.toml\n  dmbot flow sync flows/support.toml\n  dmbot flow sync flows/support.toml --data-dir .dmbot"
    )]
    Flow(FlowArgs),
    /// Connect an account from a terminal (the PIN flow), or invite one to Twitter Sign-in.
    #[command(
        after_help = "Examples:\n  dmbot auth login        # open the printed URL, approve, type the PIN\n  dmbot auth invite --note 'Acme Outdoor' --ttl 3d\n  dmbot auth invites\n  dmbot auth revoke-invite 3f9a1c0e7b2d"
    )]
    Auth(AuthArgs),
    /// Write the app's credentials to Secrets Manager for the functions.
    #[command(
        after_help = "Example:\n  dmbot secrets put --secret-id dmbot/twitter   # and dmbot/twitter-webhook"
    )]
    Secrets(SecretsArgs),
    /// List inbound messages that failed, and send them back to the dispatcher.
    #[command(
        after_help = "Examples:\n  dmbot failures list\n  dmbot failures redrive --all\n  dmbot failures redrive 4337869213/9876543210/1500000000000000001"
    )]
    Failures(FailuresArgs),
    /// Show a conversation's state, or resume the bot after a hand-over.
    #[command(
        after_help = "Examples:\n  dmbot conversation show 4337869213 9876543210\n  dmbot conversation resume 4337869213 9876543210"
    )]
    Conversation(ConversationArgs),
}

/// What a command produced: a JSON value for `--json`, and text for people.
pub struct Output {
    pub json: Value,
    pub text: String,
}

impl Output {
    pub fn new(json: Value, text: impl Into<String>) -> Self {
        Self {
            json,
            text: text.into(),
        }
    }
}

/// Everything that can make an operator command fail. The messages say what to do next.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error("{0}")]
    Twitter(#[from] TwitterError),
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Flow(#[from] FlowErrors),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Io(String),
    #[error("{0}")]
    Aws(String),
    #[error("{0}")]
    Tokens(#[from] dmbot_shared::tokens::SealError),
}

impl OpsError {
    /// The `code` of the JSON error: Twitter's error code when there is one, else the kind.
    fn code(&self) -> Value {
        match self {
            OpsError::Twitter(e) => e.code().map_or_else(|| json!("twitter"), |c| json!(c)),
            OpsError::Config(_) => json!("config"),
            OpsError::Store(_) => json!("store"),
            OpsError::Flow(_) => json!("flow"),
            OpsError::Usage(_) => json!("usage"),
            OpsError::Io(_) => json!("io"),
            OpsError::Aws(_) => json!("aws"),
            OpsError::Tokens(_) => json!("tokens"),
        }
    }

    fn json(&self) -> Value {
        let mut v = json!({ "error": self.to_string(), "code": self.code() });
        if let OpsError::Flow(e) = self {
            v["problems"] = json!(e.problems);
        }
        v
    }
}

fn common(cmd: &OpsCommand) -> &Common {
    match cmd {
        OpsCommand::Webhook(a) => &a.common,
        OpsCommand::Subscription(a) => &a.common,
        OpsCommand::Welcome(a) => &a.common,
        OpsCommand::Profile(a) => &a.common,
        OpsCommand::Media(a) => &a.common,
        OpsCommand::Flow(a) => &a.common,
        OpsCommand::Auth(a) => &a.common,
        OpsCommand::Secrets(a) => &a.common,
        OpsCommand::Failures(a) => &a.common,
        OpsCommand::Conversation(a) => &a.common,
    }
}

/// Runs one operator command and turns its outcome into output and an exit code.
/// `dotenv` is the outcome of loading `.env`, which `main` does before the runtime starts.
pub async fn main(cmd: OpsCommand, dotenv: Result<Option<PathBuf>, ConfigError>) -> ExitCode {
    dmbot_shared::telemetry::init_cli();
    let opts = common(&cmd).clone();
    match dotenv {
        Ok(path) => tracing::debug!(dotenv = ?path, "configuration read"),
        Err(e) => return report(&opts, Err(e.into())),
    }
    let result = match cmd {
        OpsCommand::Webhook(a) => twitter_cmds::webhook(&opts, a.cmd).await,
        OpsCommand::Subscription(a) => twitter_cmds::subscription(&opts, a.cmd).await,
        OpsCommand::Welcome(a) => twitter_cmds::welcome(&opts, a.cmd).await,
        OpsCommand::Profile(a) => twitter_cmds::profile(&opts, a.cmd).await,
        OpsCommand::Media(a) => twitter_cmds::media(&opts, a.cmd).await,
        OpsCommand::Flow(a) => flow_cmd::run(&opts, a.cmd).await,
        OpsCommand::Auth(a) => admin::auth(&opts, a.cmd).await,
        OpsCommand::Secrets(a) => admin::secrets(&opts, a.cmd).await,
        OpsCommand::Failures(a) => admin::failures(&opts, a.cmd).await,
        OpsCommand::Conversation(a) => admin::conversation(&opts, a.cmd).await,
    };
    report(&opts, result)
}

fn report(opts: &Common, result: Result<Output, OpsError>) -> ExitCode {
    match result {
        Ok(out) => {
            if opts.json {
                println!("{}", out.json);
            } else if !out.text.is_empty() {
                println!("{}", out.text.trim_end());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            if opts.json {
                println!("{}", e.json());
            } else {
                eprintln!("error: {e}");
            }
            ExitCode::FAILURE
        }
    }
}
