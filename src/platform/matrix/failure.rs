//! Why handling a Matrix event failed, in words a room's moderators may read (`/stats`), and
//! whether trying again can help. The full error goes to the operator's log only.

use crate::store::StoreError;

/// The homeserver's status for the failure, if it answered one.
fn status(error: &anyhow::Error) -> Option<u16> {
    error.chain().find_map(|cause| {
        if let Some(error) = cause.downcast_ref::<matrix_sdk::Error>() {
            return error.as_client_api_error().map(|e| e.status_code.as_u16());
        }
        cause
            .downcast_ref::<matrix_sdk::HttpError>()
            .and_then(|error| error.as_client_api_error())
            .map(|e| e.status_code.as_u16())
    })
}

/// Whether the same attempt is bound to fail again: the homeserver refused it for what it is
/// (forbidden, too large, malformed), not for how busy it was.
pub fn is_permanent(error: &anyhow::Error) -> bool {
    matches!(status(error), Some(400 | 403 | 404 | 413))
}

/// A short reason for moderators; nothing about the bot's internals.
pub fn reason(error: &anyhow::Error) -> &'static str {
    match status(error) {
        Some(403) => "the room does not let the bot post",
        Some(413) => "the reply was too large for the homeserver",
        Some(429) => "the homeserver kept asking the bot to slow down",
        Some(400 | 404) => "the homeserver refused the bot's reply",
        Some(_) => "the homeserver kept failing",
        None if error.chain().any(|c| c.is::<StoreError>()) => "the bot's database kept failing",
        None if error
            .chain()
            .any(|c| c.is::<matrix_sdk::Error>() || c.is::<matrix_sdk::HttpError>()) =>
        {
            "the homeserver could not be reached"
        }
        None => "handling it failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_failure_is_worth_retrying_and_named_without_details() {
        let error = anyhow::Error::new(StoreError::Closed).context("recording a message");
        assert!(!is_permanent(&error));
        assert_eq!(reason(&error), "the bot's database kept failing");
        let other = anyhow::anyhow!("connection reset by peer 10.0.0.3:8448");
        assert_eq!(reason(&other), "handling it failed");
    }
}
