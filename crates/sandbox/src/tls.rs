//! HTTPS for the sandboxes, so the client-certificate layer of a provider (Paygent's P016,
//! spec §2.3) can be exercised as in production.
//!
//! [`serve`] runs a router over TLS on a listener of its own. The server asks every client
//! for a certificate issued by the given CA but lets clients without one through (browsers
//! loading the token script have none); a certificate that is presented must verify, or the
//! handshake fails. Each request carries a [`ClientCertificate`] extension saying whether
//! its connection presented one, and each provider decides what that means for its routes.
//! Requests served over plain HTTP (the sandboxes nested inside kessai) carry no extension.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt as _;

/// Whether the TLS connection a request came over presented a verified client certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientCertificate {
    /// A certificate issued by the configured CA was presented and verified.
    pub presented: bool,
}

/// Why the server TLS configuration cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM input holds nothing usable.
    #[error("{what}: {message}")]
    Pem { what: &'static str, message: String },
    /// rustls refused the certificates or the key.
    #[error("TLS configuration: {0}")]
    Config(String),
}

/// How long a client may take to complete the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A server configuration with the server's certificate chain and key, requesting (not
/// requiring) client certificates issued by a CA of `client_ca_pem`.
pub fn server_config(
    server_cert_pem: &[u8],
    server_key_pem: &[u8],
    client_ca_pem: &[u8],
) -> Result<Arc<ServerConfig>, TlsError> {
    let chain = certificates("server certificate", server_cert_pem)?;
    let key = PrivateKeyDer::from_pem_slice(server_key_pem).map_err(|e| TlsError::Pem {
        what: "server key",
        message: e.to_string(),
    })?;
    let mut roots = RootCertStore::empty();
    for ca in certificates("client CA", client_ca_pem)? {
        roots.add(ca).map_err(|e| TlsError::Config(e.to_string()))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .allow_unauthenticated()
        .build()
        .map_err(|e| TlsError::Config(e.to_string()))?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    // No ALPN: the listener speaks HTTP/1.x only, and a client that offers `http/1.0`
    // (Paygent's own module), nothing, or only protocols it does not speak (`h2`) must still
    // be served; announcing `http/1.1` alone would end those handshakes with
    // `no_application_protocol`.
    config.alpn_protocols = Vec::new();
    Ok(Arc::new(config))
}

fn certificates(what: &'static str, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Pem {
            what,
            message: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::Pem {
            what,
            message: "no CERTIFICATE section".into(),
        });
    }
    Ok(certs)
}

/// Serves `router` over HTTPS (HTTP/1.1) on `listener` until `shutdown` completes, then
/// stops accepting and waits for the connections in flight to finish their requests.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    config: Arc<ServerConfig>,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    let acceptor = TlsAcceptor::from(config);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: let the condition pass.
                    tracing::warn!(error = %e, "sandbox TLS listener cannot accept");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let acceptor = acceptor.clone();
        let router = router.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => {
                    tracing::info!(%peer, error = %e, "sandbox TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::info!(%peer, "sandbox TLS handshake timed out");
                    return;
                }
            };
            let certificate = ClientCertificate {
                presented: tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .is_some_and(|c| !c.is_empty()),
            };
            let service = router.map_request(move |mut request: Request<Incoming>| {
                request.extensions_mut().insert(certificate);
                request
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .serve_connection(TokioIo::new(tls), TowerToHyperService::new(service));
            if let Err(e) = watcher.watch(connection).await {
                tracing::debug!(%peer, error = %e, "sandbox TLS connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
