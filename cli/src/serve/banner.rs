//! The start-up banner on stdout. Its first line, `dmbot serve listening on <url>`, is stable:
//! scripts and tests read the URL from it.

/// What the banner shows.
pub(crate) struct Banner {
    pub base_url: String,
    pub webhook_url: String,
    pub simulator: bool,
    pub api_base: String,
    pub flow_path: String,
    pub flow_id: String,
    pub flow_name: Option<String>,
    pub flow_nodes: usize,
    pub store_path: String,
    pub dotenv: Option<String>,
    pub env_name: Option<String>,
    pub sync_note: String,
    /// The send limits the budget enforces, as one line (`limits_line`).
    pub limits: String,
}

/// `15 per 900 s and 1440 per 86400 s per account, 1440 per 86400 s per app`: what the send
/// budget allows, for the banner.
pub fn limits_line(l: &dmbot_shared::config::SendLimits) -> String {
    let per = |limit: Option<u32>, ms: u64| limit.map(|n| format!("{n} per {} s", ms / 1000));
    let account: Vec<String> = [
        per(l.sends_per_account_window, l.window_ms),
        per(l.sends_per_account_day, l.day_ms),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut parts = Vec::new();
    if !account.is_empty() {
        parts.push(format!("{} per account", account.join(" and ")));
    }
    if let Some(app) = per(l.sends_per_app_day, l.day_ms) {
        parts.push(format!("{app} per app"));
    }
    if parts.is_empty() {
        "no limit".to_string()
    } else {
        parts.join(", ")
    }
}

impl Banner {
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!("dmbot serve listening on {}\n", self.base_url));
        if self.simulator {
            out.push_str(
                "  mode      simulator (no TWITTER_* credentials): Twitter is simulated locally\n",
            );
            out.push_str(&format!("  chat page {}/\n", self.base_url));
            out.push_str(&format!(
                "  sim API   {} (client API and upload base)\n",
                self.base_url
            ));
            if !self.sync_note.is_empty() {
                out.push_str(&format!("  flow sync {}\n", self.sync_note));
            }
        } else {
            out.push_str(&format!(
                "  mode      Twitter at {}\n",
                self.api_base.trim_end_matches('/')
            ));
            out.push_str("  webhook   register it with `dmbot webhook register <public https URL>/webhooks/twitter`\n");
        }
        out.push_str(&format!("  webhook   {}\n", self.webhook_url));
        out.push_str(&format!("  health    {}/healthz\n", self.base_url));
        out.push_str(&format!(
            "  flow      {} ({}{}, {} nodes)\n",
            self.flow_path,
            self.flow_id,
            self.flow_name
                .as_deref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default(),
            self.flow_nodes
        ));
        out.push_str(&format!("  data      {}\n", self.store_path));
        out.push_str(&format!("  sends     {} (X's limits)\n", self.limits));
        if let Some(env) = &self.env_name {
            out.push_str(&format!("  env       {env}\n"));
        }
        match &self.dotenv {
            Some(p) => out.push_str(&format!("  config    environment + {p}\n")),
            None => out.push_str("  config    environment (no .env file)\n"),
        }
        out.push_str("  Ctrl-C to stop\n");
        out
    }
}
