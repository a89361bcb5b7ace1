//! Runs one operator command: the group's handler, then its outcome as output (text, or one
//! JSON document with `--json`) and an exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use dmbot_shared::config::ConfigError;
use serde_json::Value;

use super::{
    Common, OpsCommand, OpsError, auth, conversation, failures, flow, media, profile, secrets,
    subscription, usage, webhook, welcome,
};

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
        OpsCommand::Usage(a) => &a.common,
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
        OpsCommand::Webhook(a) => webhook::run(&opts, a.cmd).await,
        OpsCommand::Subscription(a) => subscription::run(&opts, a.cmd).await,
        OpsCommand::Welcome(a) => welcome::run(&opts, a.cmd).await,
        OpsCommand::Profile(a) => profile::run(&opts, a.cmd).await,
        OpsCommand::Media(a) => media::run(&opts, a.cmd).await,
        OpsCommand::Flow(a) => flow::run(&opts, a.cmd).await,
        OpsCommand::Auth(a) => auth::run(&opts, a.cmd).await,
        OpsCommand::Secrets(a) => secrets::run(&opts, a.cmd).await,
        OpsCommand::Failures(a) => failures::run(&opts, a.cmd).await,
        OpsCommand::Conversation(a) => conversation::run(&opts, a.cmd).await,
        OpsCommand::Usage(a) => usage::run(&opts, a.days, a.app).await,
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
