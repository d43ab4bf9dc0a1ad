//! Sets up logging. Logs are human-readable on a terminal. In Lambda they are JSON
//! without colours or timestamps, because CloudWatch adds its own.

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
            .with_current_span(true)
            .try_init(),
    };
}

/// An error and its causes on one line (the lake's rule, shared by every message).
pub use cinelake_lake::error::chain as error_chain;

/// The exit of every cinelake binary: `error: <chain>` on stderr and status 1.
pub fn exit_with(
    result: Result<(), Box<dyn std::error::Error + Send + Sync>>,
) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::debug!(error = ?e, "failed");
            eprintln!("error: {}", error_chain(e.as_ref()));
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer: {0}")]
    struct Outer(#[source] std::io::Error);

    #[derive(Debug, thiserror::Error)]
    #[error("wrapper")]
    struct Wrapper(#[source] std::io::Error);

    #[test]
    fn causes_appear_once() {
        let quoted = Outer(std::io::Error::other("disk gone"));
        assert_eq!(error_chain(&quoted), "outer: disk gone");
        let wrapped = Wrapper(std::io::Error::other("disk gone"));
        assert_eq!(error_chain(&wrapped), "wrapper: disk gone");
    }
}
