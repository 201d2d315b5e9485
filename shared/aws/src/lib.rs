//! AWS adapters of the bridge's ports, each behind the feature of its SDK client so a function
//! links only the clients it uses: `dynamodb` ([`DynamoStore`]), `s3` ([`S3BlobStore`]), `sqs`
//! ([`SqsWorkQueue`], [`SqsFileJobQueue`]), `ssm` (account configuration).

#[cfg(feature = "dynamodb")]
pub mod dynamo_store;
#[cfg(feature = "s3")]
pub mod s3_blob;
#[cfg(feature = "sqs")]
pub mod sqs_queue;
#[cfg(feature = "ssm")]
pub mod ssm;

#[cfg(feature = "dynamodb")]
pub use dynamo_store::DynamoStore;
#[cfg(feature = "s3")]
pub use s3_blob::{s3_client, S3BlobStore};
#[cfg(feature = "sqs")]
pub use sqs_queue::{SqsFileJobQueue, SqsWorkQueue};
#[cfg(feature = "ssm")]
pub use ssm::{load_accounts_from_ssm, SsmAccounts, SsmError};

// The SDK clients, for the composition root to build them from one `SdkConfig`.
#[cfg(feature = "dynamodb")]
pub use aws_sdk_dynamodb;
#[cfg(feature = "s3")]
pub use aws_sdk_s3;
#[cfg(feature = "sqs")]
pub use aws_sdk_sqs;
#[cfg(feature = "ssm")]
pub use aws_sdk_ssm;
