//! Logging set-up: human-readable on a terminal, JSON without colours or timestamps
//! in Lambda (CloudWatch adds its own).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Human,
    Json,
}

impl LogFormat {
    /// JSON inside AWS Lambda, human elsewhere.
    pub fn detect() -> Self {
        if std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some() {
            LogFormat::Json
        } else {
            LogFormat::Human
        }
    }
}

/// Installs the global subscriber (`RUST_LOG` filters; default `info`). Logs go to stderr
/// so that stdout stays for results.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Human => builder
            .with_ansi(std::io::stderr().is_terminal())
            .with_target(false)
            .try_init(),
        LogFormat::Json => builder
            .json()
            .with_ansi(false)
            .without_time()
            .with_current_span(false)
            .try_init(),
    };
}
