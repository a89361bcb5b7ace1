//! Operator commands: everything an operator does to a deployment from a terminal. This file
//! holds the clap tree; each group has its own file (its subcommands and their handlers), and
//! [`run`] turns a command's outcome into output and an exit code.
//!
//! Each group (`webhook`, `subscription`, `welcome`, `profile`, `media`, `flow`, `auth`,
//! `secrets`, `failures`, `conversation`) is a clap subcommand with its own `--help` and
//! examples. Every command prints a short human summary, or with `--json` one JSON document on
//! stdout for scripts. A failure prints what happened and what to do next (Twitter's error codes
//! are translated by `TwitterError`'s `Display`) and exits non-zero; with `--json` it prints
//! `{"error": "...", "code": ...}` instead.
//!
//! Configuration is the same as `dmbot serve`: the `TWITTER_*` variables (or a `.env` file) for
//! Twitter, `TABLE_NAME` (DynamoDB, through the AWS SDK's usual environment, profiles and
//! `AWS_ENDPOINT_URL`) or `--data-dir` (the embedded store of a local `dmbot serve`) for the
//! store. See `docs/OPERATIONS.md`.

mod auth;
mod context;
mod conversation;
mod error;
mod failures;
mod flow;
mod invites;
mod media;
mod profile;
mod run;
mod secrets;
mod subscription;
mod subscription_v2;
mod usage;
mod webhook;
mod webhook_v2;
mod welcome;

use clap::{Args, Subcommand};

pub use auth::AuthCmd;
pub use conversation::ConversationCmd;
pub use error::OpsError;
pub use failures::FailuresCmd;
pub use flow::FlowCmd;
pub use media::MediaCmd;
pub use profile::ProfileCmd;
pub use run::{Output, main};
pub use secrets::SecretsCmd;
pub use subscription::SubscriptionCmd;
pub use webhook::WebhookCmd;
pub use welcome::WelcomeCmd;

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
        after_help = "Examples:\n  dmbot flow check flows/support.toml\n  dmbot flow check flows/support.toml --api v2\n  dmbot flow sync flows/support.toml\n  dmbot flow sync flows/support.toml --data-dir .dmbot"
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
    /// The billable X calls made for an account, per day and kind, and what they cost.
    #[command(
        after_help = "Examples:\n  dmbot usage\n  dmbot usage --days 30 --account 4337869213 --json"
    )]
    Usage(usage::UsageArgs),
}
