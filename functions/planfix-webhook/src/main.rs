//! Lambda: Planfix scenario requests ("comment added") that send replies to WhatsApp.
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    lambda_adapter::run(bridge_http::Surface::PlanfixWebhooks).await
}
