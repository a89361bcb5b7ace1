//! How the dispatcher behaves and where its flows come from.

use std::sync::Arc;
use std::time::Duration;

use crate::flow::Flow;
use crate::twitter::oauth1::TokenCredentials;
use crate::twitter::retry::RetryPolicy;
/// Environment variable naming the flow used by accounts without their own `flow_id`.
pub const DEFAULT_FLOW_ID_VAR: &str = crate::config::vars::DEFAULT_FLOW_ID;
/// The default flow id when [`DEFAULT_FLOW_ID_VAR`] is unset.
pub const DEFAULT_FLOW_ID: &str = "default";

/// Where the dispatcher's flows come from.
#[derive(Debug, Clone)]
pub enum FlowSource {
    /// One flow for every account (`dmbot serve --flow file.toml`).
    Fixed(Arc<Flow>),
    /// The store's [`crate::store::Flows`]: the account's `flow_id`, else `default_flow_id`.
    /// Loaded flows are cached per process for [`DispatchConfig::flow_cache_ttl`].
    Store { default_flow_id: String },
}

impl FlowSource {
    /// The store source with the default flow id from [`DEFAULT_FLOW_ID_VAR`] (via `lookup`),
    /// else [`DEFAULT_FLOW_ID`].
    pub fn store_from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let default_flow_id = lookup(DEFAULT_FLOW_ID_VAR)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| DEFAULT_FLOW_ID.to_string());
        Self::Store { default_flow_id }
    }
}

/// How the dispatcher behaves. [`DispatchConfig::new`] gives the defaults.
#[derive(Debug, Clone)]
pub struct DispatchConfig {
    /// The app owner's tokens (the app credentials' access token): they answer for the owner
    /// account, which has no [`crate::store::AccountRecord`] with tokens.
    pub owner_tokens: TokenCredentials,
    pub flows: FlowSource,
    /// How long a flow loaded from the store is reused before it is read again.
    pub flow_cache_ttl: Duration,
    /// Time kept free before the caller's deadline: no retry wait runs into it, so the batch
    /// response (and the writes after a send) still fit.
    pub deadline_margin: Duration,
    /// Added to the time left when taking the lease: the lease outlives this invocation by this
    /// much, then a redelivery may claim the message again.
    pub lease_margin: Duration,
    /// How long to wait between claim attempts while another dispatcher holds the lease.
    pub busy_poll: Duration,
    /// How long after an earlier attempt began sending (or after this dispatcher started, if
    /// later) its echo is waited for before Twitter's own list is asked (`docs/DISPATCH.md`).
    pub echo_grace: Duration,
    /// Our app's id (`TWITTER_APP_ID`): a message found on Twitter's list with another
    /// `source_app_id` is a person's, never adopted as the bot's.
    pub app_id: Option<String>,
    /// Retries of Twitter calls.
    pub retry: RetryPolicy,
    /// A message that fails in a way that may pass (Twitter or the store unavailable) is put
    /// off this long, doubled with each deferral up to `max_retry_defer`.
    pub retry_defer: Duration,
    pub max_retry_defer: Duration,
    /// A message another dispatcher holds is put off this long (its lease must have ended
    /// by then, should that dispatcher have died).
    pub busy_defer: Duration,
    /// Attempts at saving the conversation when its version changed underneath.
    pub save_attempts: u32,
    /// Opens connected accounts' stored tokens (sealed when a token encryption key is set).
    pub sealer: crate::tokens::TokenSealer,
    /// Which X API answers (`TWITTER_API`): v1.1 sends the plan as it is; v2 writes it out as
    /// text (`dispatch/x_api.rs`).
    pub api: crate::config::ApiVersion,
    /// X's limits the send budget enforces (`send_budget.rs`); set it with `api`
    /// ([`crate::config::Settings::limits`]).
    pub limits: crate::config::SendLimits,
    /// What X's calls cost (`X_PRICES_USD` over the list prices): the metrics' spend and the
    /// daily cap.
    pub prices: crate::store::prices::PriceTable,
    /// `DAILY_SPEND_CAP_USD`: once the app's estimated spend of the UTC day reaches it, sending
    /// pauses until the next day (`spend_cap.rs`).
    pub daily_spend_cap: Option<crate::store::prices::DailySpendCap>,
    /// Publish CloudWatch metrics (EMF lines on stdout) for every message handled: on in
    /// Lambda, off in `dmbot serve` (its terminal is for people).
    pub emf: bool,
}

impl DispatchConfig {
    pub fn new(owner_tokens: TokenCredentials, flows: FlowSource) -> Self {
        Self {
            owner_tokens,
            flows,
            flow_cache_ttl: Duration::from_secs(60),
            deadline_margin: Duration::from_secs(2),
            lease_margin: Duration::from_secs(5),
            busy_poll: Duration::from_millis(500),
            echo_grace: Duration::from_secs(10),
            app_id: None,
            retry: RetryPolicy::default(),
            retry_defer: Duration::from_secs(15),
            max_retry_defer: Duration::from_secs(15 * 60),
            busy_defer: Duration::from_secs(90),
            save_attempts: 5,
            sealer: crate::tokens::TokenSealer::plaintext(),
            api: crate::config::ApiVersion::V1_1,
            limits: crate::config::SendLimits::documented(crate::config::ApiVersion::V1_1),
            prices: crate::store::prices::PriceTable::list(),
            daily_spend_cap: None,
            emf: false,
        }
    }
}
