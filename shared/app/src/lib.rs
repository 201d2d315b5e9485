//! The composition root: typed configuration → adapters → [`bridge_core::Bridge`], once per
//! cold start. The only crate that knows every adapter; its features choose which are linked:
//! `aws` (DynamoDB, SQS, SSM — every function), `s3` (the file relay), `local` (the local run).

#[cfg(feature = "aws")]
pub mod aws;
pub mod bootstrap;
#[cfg(feature = "local")]
pub mod local;
#[cfg(feature = "local")]
pub mod local_config;
pub mod telemetry;
pub mod tls;
