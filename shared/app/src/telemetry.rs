//! JSON logs via `tracing` (CloudWatch-friendly: one JSON object per line).

use tracing_subscriber::{fmt, EnvFilter};

/// Level from `RUST_LOG` (default `info`). Safe to call twice (the second call is a no-op).
pub fn init_json_logs() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = fmt().json().with_env_filter(filter).with_current_span(true).with_target(false).without_time().try_init();
}

/// Human-readable logs for the local run.
pub fn init_pretty_logs() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = fmt().with_env_filter(filter).with_target(false).try_init();
}
