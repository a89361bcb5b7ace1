//! Structured logging. Lambda functions log JSON (one object per line, which CloudWatch Logs
//! Insights can query); the CLI logs human-readable lines. `RUST_LOG` overrides the level.

use tracing_subscriber::EnvFilter;

fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"))
}

/// JSON logs on stdout without ANSI colours or timestamps' local offsets: for Lambda.
pub fn init_json() {
    init_json_to(std::io::stdout);
}

/// The same JSON logs on stderr: for `dmbot serve --log-format json`, whose stdout is the banner.
pub fn init_json_stderr() {
    init_json_to(std::io::stderr);
}

fn init_json_to<W>(writer: W)
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter())
        .with_current_span(false)
        .with_ansi(false)
        .with_target(false)
        .with_writer(writer)
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
