//! The SDK's errors as the port's: one map that says what to do (deploy the stack, check the
//! IAM role, retry), and the `.sdk(store, "Operation")` shorthand every request uses.

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use super::DynamoStore;
use crate::store::StoreError;

impl DynamoStore {
    /// Maps an SDK failure to the port's error, saying what to do next.
    pub(crate) fn sdk_error<E>(&self, op: &str, err: SdkError<E>) -> StoreError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let table = self.table_name();
        match &err {
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => {
                StoreError::Unavailable(format!(
                    "DynamoDB {op} on table {table} did not get through: {}",
                    DisplayErrorContext(&err)
                ))
            }
            SdkError::ResponseError(_) => StoreError::Unavailable(format!(
                "DynamoDB {op} on table {table} got an unreadable response: {}",
                DisplayErrorContext(&err)
            )),
            SdkError::ConstructionFailure(_) => StoreError::Rejected(format!(
                "DynamoDB {op} request on table {table} could not be built (a bug): {}",
                DisplayErrorContext(&err)
            )),
            SdkError::ServiceError(ctx) => {
                let code = ctx.err().code().unwrap_or("unknown");
                let message = ctx.err().message().unwrap_or("");
                let status = ctx.raw().status().as_u16();
                match code {
                    "ResourceNotFoundException" => StoreError::Rejected(format!(
                        "table {table} does not exist ({op}): deploy the stack or set TABLE_NAME to the stack's table"
                    )),
                    "ValidationException" | "SerializationException" => {
                        StoreError::Rejected(format!(
                            "DynamoDB refused {op} on table {table} as invalid (a bug): {code}: {message}"
                        ))
                    }
                    "AccessDeniedException"
                    | "UnrecognizedClientException"
                    | "MissingAuthenticationTokenException"
                    | "InvalidSignatureException" => StoreError::Rejected(format!(
                        "DynamoDB denied {op} on table {table}: {code}: {message}; check the function's IAM role and the AWS credentials"
                    )),
                    "ProvisionedThroughputExceededException"
                    | "ThrottlingException"
                    | "RequestLimitExceeded"
                    | "InternalServerError"
                    | "ServiceUnavailable"
                    | "TransactionConflictException"
                    | "TransactionInProgressException"
                    | "LimitExceededException" => StoreError::Unavailable(format!(
                        "DynamoDB {op} on table {table}: {code}: {message}"
                    )),
                    _ if status >= 500 || status == 429 => StoreError::Unavailable(format!(
                        "DynamoDB {op} on table {table}: HTTP {status} {code}: {message}"
                    )),
                    _ => StoreError::Rejected(format!(
                        "DynamoDB refused {op} on table {table}: HTTP {status} {code}: {message}"
                    )),
                }
            }
            _ => StoreError::Unavailable(format!(
                "DynamoDB {op} on table {table} failed: {}",
                DisplayErrorContext(&err)
            )),
        }
    }
}

/// `.sdk(store, "PutItem")`: an SDK result as the port's, naming the operation and the table.
pub(super) trait SdkResult<T> {
    fn sdk(self, store: &DynamoStore, op: &'static str) -> Result<T, StoreError>;
}

impl<T, E> SdkResult<T> for Result<T, SdkError<E>>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    fn sdk(self, store: &DynamoStore, op: &'static str) -> Result<T, StoreError> {
        self.map_err(|e| store.sdk_error(op, e))
    }
}

pub(crate) fn is_conditional_failure<E: ProvideErrorMetadata>(err: &SdkError<E>) -> bool {
    err.as_service_error()
        .is_some_and(|e| e.code() == Some("ConditionalCheckFailedException"))
}
