//! Structured logging. Lambda functions log JSON (one object per line, which CloudWatch Logs
//! Insights can query), with the current span's fields on every line; the CLI logs
//! human-readable lines. `RUST_LOG` overrides the level; in Lambda, the log level of Lambda's
//! advanced logging controls (`AWS_LAMBDA_LOG_LEVEL`, the console's "application log level")
//! takes precedence over it, as `lambda_runtime`'s own subscriber does.
//!
//! Why not `lambda_runtime::tracing::init_default_subscriber`: it writes JSON only when
//! `AWS_LAMBDA_LOG_FORMAT` says so, shows no span fields, and does not cap the crates below.
//!
//! Whatever `RUST_LOG` says, the HTTP and AWS SDK internals log at most `info`: at `debug` and
//! `trace` they print request bodies (`aws-smithy-runtime` logs every request it transmits, and
//! an in-memory body's `Debug` is its bytes), which hold every credential `dmbot secrets put`
//! writes and the tokens of a `PutItem`. Secrets must not reach a log line at any level.
//!
//! Metrics: [`emf`], CloudWatch Embedded Metric Format lines (namespace `dmbot`).

pub mod emf;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::Directive;

use crate::config::{self, vars};

/// Crates that log request or response contents below `info`: capped at `info` on top of the
/// user's filter. A later directive for the same target replaces an earlier one, so a
/// `RUST_LOG=aws_smithy_runtime=trace` cannot lift the cap.
pub const CAPPED_AT_INFO: &[&str] = &[
    "aws_smithy_runtime",
    "aws_smithy_runtime_api",
    "aws_smithy_http_client",
    "aws_smithy_types",
    "aws_smithy_http",
    "aws_sigv4",
    "aws_runtime",
    "aws_config",
    "aws_sdk_dynamodb",
    "aws_sdk_secretsmanager",
    "aws_sdk_sts",
    "aws_sdk_sso",
    "aws_sdk_ssooidc",
    "hyper",
    "hyper_util",
    "h2",
    "reqwest",
    "rustls",
    "lambda_runtime",
    "lambda_runtime_api_client",
    "lambda_http",
];

/// The user's `RUST_LOG` (default `info`) with [`CAPPED_AT_INFO`] added last.
pub fn filter_from(user: Option<&str>) -> EnvFilter {
    filter_with_default(user, "info")
}

fn filter_with_default(user: Option<&str>, default: &str) -> EnvFilter {
    let mut filter = user
        .and_then(|spec| EnvFilter::try_new(spec).ok())
        .unwrap_or_else(|| EnvFilter::new(default));
    for target in CAPPED_AT_INFO {
        if let Ok(directive) = format!("{target}=info").parse::<Directive>() {
            filter = filter.add_directive(directive);
        }
    }
    filter
}

fn rust_log() -> Option<String> {
    config::process_env(vars::RUST_LOG)
}

fn filter() -> EnvFilter {
    filter_from(rust_log().as_deref())
}

/// The filter spec in Lambda: `AWS_LAMBDA_LOG_LEVEL` (a level: `TRACE` ... `ERROR`, or `FATAL`,
/// which tracing calls `error`) when set and valid, else `RUST_LOG`.
pub fn lambda_filter_spec(aws_level: Option<&str>, rust_log: Option<&str>) -> Option<String> {
    let level = aws_level.map(|l| l.trim().to_ascii_lowercase());
    match level.as_deref() {
        Some("fatal") => Some("error".to_string()),
        Some(l @ ("trace" | "debug" | "info" | "warn" | "error")) => Some(l.to_string()),
        _ => rust_log.map(str::to_string),
    }
}

/// JSON logs on stdout without ANSI colours or timestamps' local offsets: for Lambda.
pub fn init_json() {
    let spec = lambda_filter_spec(
        config::process_env(vars::AWS_LAMBDA_LOG_LEVEL).as_deref(),
        rust_log().as_deref(),
    );
    init_json_with(filter_from(spec.as_deref()), std::io::stdout);
}

/// The same JSON logs on stderr: for `dmbot serve --log-format json`, whose stdout is the banner.
pub fn init_json_stderr() {
    init_json_with(filter(), std::io::stderr);
}

fn init_json_with<W>(filter: EnvFilter, writer: W)
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_ansi(false)
        .with_target(false)
        .with_writer(writer)
        .try_init();
}

/// Compact human-readable logs on stderr: for `dmbot serve`.
pub fn init_human() {
    init_human_with(filter());
}

/// The operator commands' logs: warnings and errors only unless `RUST_LOG` says otherwise (their
/// results go to stdout; a log line is something the operator should read).
pub fn init_cli() {
    init_human_with(filter_with_default(rust_log().as_deref(), "warn"));
}

fn init_human_with(filter: EnvFilter) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;
    use tracing_subscriber::layer::SubscriberExt;

    fn enabled_under(spec: &str, check: impl FnOnce() -> bool) -> bool {
        let subscriber = tracing_subscriber::registry().with(filter_from(Some(spec)));
        tracing::subscriber::with_default(subscriber, check)
    }

    #[test]
    fn trace_everywhere_still_keeps_the_sdk_and_http_internals_at_info() {
        assert!(enabled_under("trace", || tracing::enabled!(Level::TRACE)));
        // A target under the cap, as the SDK's own events name it.
        assert!(!enabled_under("trace", || {
            tracing::enabled!(target: "aws_smithy_runtime::client::orchestrator", Level::TRACE)
        }));
        assert!(!enabled_under(
            "aws_smithy_runtime=trace,hyper=debug",
            || {
                tracing::enabled!(target: "aws_smithy_runtime", Level::DEBUG)
                    || tracing::enabled!(target: "hyper::proto", Level::DEBUG)
            }
        ));
        assert!(enabled_under("trace", || {
            tracing::enabled!(target: "aws_smithy_runtime", Level::INFO)
        }));
    }

    #[test]
    fn in_lambda_the_consoles_log_level_wins_over_rust_log_and_keeps_the_caps() {
        assert_eq!(
            lambda_filter_spec(Some("DEBUG"), Some("warn")).as_deref(),
            Some("debug")
        );
        assert_eq!(
            lambda_filter_spec(Some("FATAL"), None).as_deref(),
            Some("error")
        );
        assert_eq!(
            lambda_filter_spec(None, Some("warn")).as_deref(),
            Some("warn")
        );
        assert_eq!(
            lambda_filter_spec(Some("nonsense"), Some("warn")).as_deref(),
            Some("warn")
        );
        assert_eq!(lambda_filter_spec(None, None), None);
        let spec = lambda_filter_spec(Some("TRACE"), None).unwrap();
        assert!(enabled_under(&spec, || tracing::enabled!(Level::TRACE)));
        assert!(!enabled_under(&spec, || {
            tracing::enabled!(target: "aws_smithy_runtime", Level::DEBUG)
        }));
    }

    #[test]
    fn a_bad_rust_log_falls_back_to_info() {
        assert!(!enabled_under("not a [valid filter", || tracing::enabled!(
            Level::DEBUG
        )));
        assert!(enabled_under("not a [valid filter", || tracing::enabled!(
            Level::INFO
        )));
    }
}
