//! How both Lambdas report a failure: an error name that the state machine can catch
//! (`Error` in Step Functions) and the error with its causes on one line.

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

#[cfg(test)]
mod tests {
    use super::*;

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
