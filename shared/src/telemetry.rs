//! Structured logging. Lambda functions log JSON (one object per line, which CloudWatch Logs
//! Insights can query); the CLI logs human-readable lines. `RUST_LOG` overrides the level.

use tracing_subscriber::EnvFilter;

fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"))
}

/// JSON logs without ANSI colours or timestamps' local offsets: for Lambda.
pub fn init_json() {
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter())
        .with_current_span(false)
        .with_ansi(false)
        .with_target(false)
        .try_init();
}

/// Compact human-readable logs on stderr: for the CLI and `dmbot serve`.
pub fn init_human() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
