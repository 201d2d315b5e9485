//! TLS of the outbound clients, arranged so a cold start reads no root store it does not need.
//!
//! By default every `reqwest::Client` reads and parses the platform's root certificates when
//! it is built, and the AWS SDK's default client reads them again before its first request —
//! all before the function is ready, though the webhooks never open a TLS connection to
//! Planfix or a provider. Here the SDK trusts the Amazon Trust Services roots bundled in the
//! binary (every AWS endpoint chains to them), and reqwest loads the platform roots at its
//! first handshake, once per process.

use std::sync::{Arc, LazyLock, OnceLock};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// Amazon Root CA 1–4 and Starfield Services Root G2, from the Amazon Trust Services repository.
#[cfg(feature = "aws")]
const AMAZON_TRUST_SERVICES_ROOTS: &[u8] = include_bytes!("amazon-trust-services-roots.pem");

/// `loader` with the SDK's default HTTP client (rustls with aws-lc, proxy from the
/// environment), trusting the bundled Amazon roots — or the platform's when an
/// `AWS_ENDPOINT_URL*` variable points at an https endpoint that may not be AWS.
#[cfg(feature = "aws")]
pub(crate) fn with_sdk_http_client(loader: aws_config::ConfigLoader) -> aws_config::ConfigLoader {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
    use aws_smithy_http_client::{Builder, ConnectorBuilder};

    let custom_https = std::env::vars().any(|(k, v)| k.starts_with("AWS_ENDPOINT_URL") && v.starts_with("https://"));
    let trust = if custom_https {
        TrustStore::default()
    } else {
        TrustStore::empty().with_pem_certificate(AMAZON_TRUST_SERVICES_ROOTS)
    };
    let context = match TlsContext::builder().with_trust_store(trust).build() {
        Ok(context) => context,
        Err(e) => {
            tracing::warn!(error = %e, "TLS context for the AWS SDK; the SDK's default client applies");
            return loader;
        }
    };
    loader.http_client(Builder::new().build_with_connector_fn(move |settings, components| {
        let mut conn = ConnectorBuilder::default()
            .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
            .tls_context(context.clone());
        conn.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            conn.set_sleep_impl(components.sleep_impl());
        }
        conn.set_proxy_config(Some(ProxyConfig::from_env()));
        conn.build()
    }))
}

/// The HTTP client shared by the Planfix and provider clients: bounded by `timeout` (connects
/// within 5 s at most), platform roots loaded at the first TLS handshake.
pub fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5).min(timeout))
        .timeout(timeout)
        .tls_backend_preconfigured(lazy_roots_config())
        .build()
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "HTTP client with lazily loaded roots; falling back to reqwest's own");
            bridge_planfix::PlanfixRest::http_client(timeout)
        })
}

/// rustls with reqwest's default provider and a verifier that loads the platform roots lazily.
fn lazy_roots_config() -> rustls::ClientConfig {
    let provider = crypto_provider();
    let verifier = Arc::new(LazyPlatformVerifier { provider: provider.clone(), inner: OnceLock::new() });
    match rustls::ClientConfig::builder_with_provider(provider).with_safe_default_protocol_versions() {
        Ok(b) => b.dangerous().with_custom_certificate_verifier(verifier).with_no_client_auth(),
        // Only a provider without cipher suites fails here; rustls' process default then.
        Err(_) => {
            rustls::ClientConfig::builder().dangerous().with_custom_certificate_verifier(verifier).with_no_client_auth()
        }
    }
}

fn crypto_provider() -> Arc<CryptoProvider> {
    static PROVIDER: LazyLock<Arc<CryptoProvider>> = LazyLock::new(|| {
        CryptoProvider::get_default()
            .cloned()
            .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
    });
    PROVIDER.clone()
}

/// The platform verifier (reqwest's own choice), built at the first certificate to check.
#[derive(Debug)]
struct LazyPlatformVerifier {
    provider: Arc<CryptoProvider>,
    inner: OnceLock<Result<rustls_platform_verifier::Verifier, rustls::Error>>,
}

impl LazyPlatformVerifier {
    fn verifier(&self) -> Result<&rustls_platform_verifier::Verifier, rustls::Error> {
        self.inner
            .get_or_init(|| rustls_platform_verifier::Verifier::new(self.provider.clone()))
            .as_ref()
            .map_err(Clone::clone)
    }
}

impl ServerCertVerifier for LazyPlatformVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.verifier()?.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verifier()?.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verifier()?.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        // Asked before any certificate arrives: answer without loading the roots.
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}
