//! Failures of the store itself, as opposed to answers such as "not found".

use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// DynamoDB refused or failed the request; `retryable` when throttled
    /// or briefly unavailable.
    #[error("DynamoDB request failed: {message}")]
    Dynamo { message: String, retryable: bool },
    /// A write's condition did not hold: someone else changed the item
    /// first, or it already exists.
    #[error("a conditional write found the item changed")]
    ConditionFailed,
    /// Writers kept colliding on the same items past the retry budget.
    #[error("too many concurrent writes to the same items")]
    Contended,
    /// An item in the table does not have the shape this code expects.
    #[error("an item could not be read: {0}")]
    Corrupt(String),
}

impl StoreError {
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            StoreError::Dynamo {
                retryable: true,
                ..
            } | StoreError::Contended
        )
    }
}

impl<E, R> From<SdkError<E, R>> for StoreError
where
    E: std::error::Error + aws_sdk_dynamodb::error::ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    fn from(error: SdkError<E, R>) -> Self {
        if let SdkError::ServiceError(e) = &error
            && e.err().code() == Some("ConditionalCheckFailedException")
        {
            return StoreError::ConditionFailed;
        }
        let retryable = match &error {
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => true,
            SdkError::ServiceError(e) => matches!(
                e.err().code(),
                Some(
                    "ProvisionedThroughputExceededException"
                        | "ThrottlingException"
                        | "RequestLimitExceeded"
                        | "InternalServerError"
                        | "TransactionInProgressException"
                )
            ),
            _ => false,
        };
        StoreError::Dynamo {
            message: DisplayErrorContext(&error).to_string(),
            retryable,
        }
    }
}

impl From<serde_dynamo::Error> for StoreError {
    fn from(error: serde_dynamo::Error) -> Self {
        StoreError::Corrupt(error.to_string())
    }
}
