//! Baseline: what a function's configuration costs at the least — aws-config loaded, one SSM
//! `GetParametersByPath` under `BRIDGE_SSM_PREFIX` (as the functions read their accounts), then
//! the `lambda_runtime` loop answering with the parameter count.
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let ssm = aws_sdk_ssm::Client::new(&aws);
    let prefix = std::env::var("BRIDGE_SSM_PREFIX").map_err(|_| "BRIDGE_SSM_PREFIX is not set")?;
    let page = ssm
        .get_parameters_by_path()
        .path(format!("{}/accounts/", prefix.trim_end_matches('/')))
        .recursive(true)
        .with_decryption(true)
        .send()
        .await?;
    let parameters = page.parameters().len();
    lambda_runtime::run(service_fn(move |_: LambdaEvent<serde_json::Value>| async move {
        Ok::<_, Error>(serde_json::json!({ "parameters": parameters }))
    }))
    .await
}
