//! Lambda: WhatsApp provider webhooks (messages and delivery statuses).
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    lambda_adapter::run(bridge_http::Surface::ProviderWebhooks).await
}
