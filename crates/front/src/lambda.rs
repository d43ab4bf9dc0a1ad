//! What both Lambdas share: how they report a failure, and when an invocation must end.
//!
//! A failure carries an error name that the state machine can catch, as `Error` in Step
//! Functions. It also carries the error with its causes on one line.

use std::time::{Duration, SystemTime};

use lambda_runtime::Diagnostic;

use crate::telemetry::error_chain;

/// The failure a Lambda returns: `error_type` names what failed (e.g. `TrustedJobFailed`),
/// the message is the whole chain of causes. It is logged once, here.
pub fn failure(error_type: &str, err: &(dyn std::error::Error + 'static)) -> Diagnostic {
    let message = error_chain(err);
    tracing::error!(error_type, error = %message, "invocation failed");
    Diagnostic {
        error_type: error_type.to_string(),
        error_message: message,
    }
}

/// The invocation's deadline. Lambda sends milliseconds since the epoch. The local
/// emulator of `cargo lambda watch` (1.9) sends the timeout itself (600000). So a value
/// too small to be a date this century is the emulator's, and is read as a duration
/// from now.
pub fn invocation_deadline(deadline_ms: u64) -> SystemTime {
    const YEAR_2001_MS: u64 = 978_307_200_000;
    if deadline_ms < YEAR_2001_MS {
        SystemTime::now() + Duration::from_millis(deadline_ms)
    } else {
        SystemTime::UNIX_EPOCH + Duration::from_millis(deadline_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_as_dates_or_as_durations() {
        let real = invocation_deadline(1_795_859_400_000);
        assert_eq!(
            real,
            SystemTime::UNIX_EPOCH + Duration::from_millis(1_795_859_400_000)
        );
        let local = invocation_deadline(600_000);
        let left = local.duration_since(SystemTime::now()).unwrap();
        assert!(left > Duration::from_secs(590) && left <= Duration::from_secs(600));
    }

    #[derive(Debug, thiserror::Error)]
    #[error("refined failed")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn names_the_failure_and_keeps_the_causes() {
        let d = failure(
            "RefinedJobFailed",
            &Outer(std::io::Error::other("disk gone")),
        );
        assert_eq!(d.error_type, "RefinedJobFailed");
        assert_eq!(d.error_message, "refined failed: disk gone");
    }
}
