//! What can make an operator command fail, and its JSON form for `--json`.

use dmbot_shared::config::ConfigError;
use dmbot_shared::flow::FlowErrors;
use dmbot_shared::flow::sync::SyncError;
use dmbot_shared::store::StoreError;
use dmbot_shared::twitter::errors::TwitterError;
use serde_json::{Value, json};

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

impl From<SyncError> for OpsError {
    /// Twitter's refusals keep their code; the operator's input is a usage error; a file that
    /// cannot be found or read is an I/O error.
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Twitter(e) => OpsError::Twitter(e),
            e if e.is_usage() => OpsError::Usage(e.to_string()),
            e => OpsError::Io(e.to_string()),
        }
    }
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

    /// `{"error": ..., "code": ...}`, plus `problems` for a flow file's.
    pub fn json(&self) -> Value {
        let mut v = json!({ "error": self.to_string(), "code": self.code() });
        if let OpsError::Flow(e) = self {
            v["problems"] = json!(e.problems);
        }
        v
    }
}
