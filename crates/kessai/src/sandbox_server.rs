//! `kessai sandbox`: the provider sandboxes alone, on an address of their own, for trying a
//! connector against them from outside (another kessai, curl, a provider's own module).
//!
//! Plain HTTP always; with TLS, the same routes (one shared state) also over HTTPS with the
//! client-certificate layer of Paygent (P016, spec §2.3). The certificates for that are
//! made on first use in the TLS folder: a CA, a server certificate for `localhost` /
//! `127.0.0.1` / `::1`, and a client certificate with its key in one PEM, which is what the
//! operator uploads in クレジット決済設定 together with the CA. The CA's key is not kept:
//! to renew, delete the folder.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Where the sandboxes listen.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Plain HTTP address (port 0 picks a free port).
    pub listen: SocketAddr,
    /// HTTPS with client certificates, when asked for.
    pub tls: Option<SandboxTlsConfig>,
}

/// The HTTPS listener of the sandboxes.
#[derive(Clone, Debug)]
pub struct SandboxTlsConfig {
    /// HTTPS address (port 0 picks a free port).
    pub listen: SocketAddr,
    /// Folder of the generated certificates (created if missing).
    pub dir: PathBuf,
}

/// The sandbox certificate files in their folder.
#[derive(Clone, Debug)]
pub struct SandboxCertificates {
    /// The CA that signed both certificates: the CAファイル to upload.
    pub ca: PathBuf,
    /// The server certificate (for `localhost`, `127.0.0.1`, `::1`).
    pub server_cert: PathBuf,
    /// The server certificate's private key.
    pub server_key: PathBuf,
    /// The client certificate and its private key in one PEM: the クライアント証明書ファイル.
    pub client: PathBuf,
    /// Whether this call created them (first use, or an incomplete folder).
    pub generated: bool,
}

impl SandboxCertificates {
    /// The files in `dir`, generated when any of them is missing.
    pub fn ensure(dir: &Path) -> anyhow::Result<SandboxCertificates> {
        let mut files = SandboxCertificates {
            ca: dir.join("ca.pem"),
            server_cert: dir.join("server.pem"),
            server_key: dir.join("server-key.pem"),
            client: dir.join("client.pem"),
            generated: false,
        };
        let paths = [
            &files.ca,
            &files.server_cert,
            &files.server_key,
            &files.client,
        ];
        if paths.iter().all(|p| p.is_file()) {
            return Ok(files);
        }
        create_private_dir(dir)?;
        let generated = generate().context("generating the sandbox certificates failed")?;
        for (path, pem) in paths.into_iter().zip([
            &generated.ca,
            &generated.server_cert,
            &generated.server_key,
            &generated.client,
        ]) {
            write_private(path, pem)?;
        }
        files.generated = true;
        Ok(files)
    }
}

/// PEM texts of a fresh CA, server certificate and client certificate.
struct Generated {
    ca: String,
    server_cert: String,
    server_key: String,
    client: String,
}

fn generate() -> Result<Generated, rcgen::Error> {
    use rcgen::{
        BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose,
        IsCa, KeyPair, KeyUsagePurpose,
    };
    let named = |subject_alt_names: Vec<String>, common_name: &str| {
        CertificateParams::new(subject_alt_names).map(|mut params| {
            let mut name = DistinguishedName::new();
            name.push(DnType::OrganizationName, "kessai sandbox");
            name.push(DnType::CommonName, common_name);
            params.distinguished_name = name;
            params
        })
    };

    let ca_key = KeyPair::generate()?;
    let mut ca = named(Vec::new(), "kessai sandbox CA")?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = ca.self_signed(&ca_key)?;

    let server_key = KeyPair::generate()?;
    let hosts = ["localhost", "127.0.0.1", "::1"].map(String::from).to_vec();
    let mut server = named(hosts, "localhost")?;
    server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server = server.signed_by(&server_key, &ca, &ca_key)?;

    let client_key = KeyPair::generate()?;
    let mut client = named(Vec::new(), "kessai sandbox merchant")?;
    client.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    client.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let client = client.signed_by(&client_key, &ca, &ca_key)?;

    Ok(Generated {
        ca: ca.pem(),
        server_cert: server.pem(),
        server_key: server_key.serialize_pem(),
        client: format!("{}{}", client.pem(), client_key.serialize_pem()),
    })
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("cannot create the folder {}", dir.display()))
}

/// Writes a file readable by its owner only (it may hold a private key).
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    // An existing file keeps its mode on open; make sure it is private too.
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .with_context(|| format!("cannot restrict {}", path.display()))?;
    file.write_all(contents.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// The sandboxes, bound and ready to run.
pub struct SandboxServer {
    router: Router,
    http: TcpListener,
    https: Option<Https>,
}

struct Https {
    listener: TcpListener,
    config: Arc<rustls::ServerConfig>,
    certificates: SandboxCertificates,
}

impl SandboxServer {
    /// Binds the listeners and, with TLS, makes sure the certificates exist; prints which
    /// files to upload and the URL to use.
    pub async fn build(config: SandboxConfig) -> anyhow::Result<SandboxServer> {
        let router = Router::new().nest("/sandbox", sandbox::router());
        let http = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let https = match config.tls {
            Some(tls) => Some(Https::build(tls).await?),
            None => None,
        };
        let server = SandboxServer {
            router,
            http,
            https,
        };
        server.print_usage();
        Ok(server)
    }

    /// The plain HTTP address.
    pub fn address(&self) -> SocketAddr {
        self.http
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The HTTPS address, when serving TLS.
    pub fn tls_address(&self) -> Option<SocketAddr> {
        self.https.as_ref().map(|h| {
            h.listener
                .local_addr()
                .expect("a bound listener has an address")
        })
    }

    /// The certificate files, when serving TLS.
    pub fn certificates(&self) -> Option<&SandboxCertificates> {
        self.https.as_ref().map(|h| &h.certificates)
    }

    /// Base URL of the Paygent sandbox over HTTPS, named so the server certificate matches.
    pub fn paygent_tls_url(&self) -> Option<String> {
        self.tls_address().map(|address| {
            let host = if address.ip().is_unspecified() {
                format!("localhost:{}", address.port())
            } else {
                address.to_string()
            };
            format!("https://{host}/sandbox/paygent")
        })
    }

    fn print_usage(&self) {
        println!(
            "サンドボックス(HTTP): http://{}/sandbox/paygent",
            self.address()
        );
        let (Some(certificates), Some(url)) = (self.certificates(), self.paygent_tls_url()) else {
            return;
        };
        if certificates.generated {
            println!(
                "サンドボックス用の証明書を作成しました: {}",
                certificates.ca.parent().unwrap_or(Path::new(".")).display()
            );
        }
        println!("クレジット決済設定(ペイジェント)で次の2つのファイルをアップロードしてください:");
        println!(
            "  クライアント証明書ファイル: {}",
            certificates.client.display()
        );
        println!("  CAファイル: {}", certificates.ca.display());
        println!("接続先URL(クライアント証明書が必要): {url}");
    }

    /// Serves until `shutdown` completes, then stops accepting and finishes the requests in
    /// flight on both listeners.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let stopped = |mut rx: watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|stop| *stop).await;
        };
        tokio::spawn(async move {
            shutdown.await;
            tracing::info!("shutting down: finishing requests in flight");
            let _ = stop_tx.send(true);
        });
        let http = axum::serve(self.http, self.router.clone())
            .with_graceful_shutdown(stopped(stop_rx.clone()));
        let https = async {
            match self.https {
                Some(https) => {
                    sandbox::tls::serve(https.listener, self.router, https.config, stopped(stop_rx))
                        .await
                }
                None => Ok(()),
            }
        };
        let (http, https) = tokio::join!(http, https);
        http.context("sandbox HTTP server failed")?;
        https.context("sandbox HTTPS server failed")?;
        tracing::info!("stopped");
        Ok(())
    }
}

impl Https {
    async fn build(config: SandboxTlsConfig) -> anyhow::Result<Https> {
        let certificates = SandboxCertificates::ensure(&config.dir)?;
        let read = |path: &Path| {
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
        };
        let server_config = sandbox::tls::server_config(
            &read(&certificates.server_cert)?,
            &read(&certificates.server_key)?,
            &read(&certificates.ca)?,
        )
        .with_context(|| {
            format!(
                "the sandbox certificates in {} cannot be used (delete the folder to make new ones)",
                config.dir.display()
            )
        })?;
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        Ok(Https {
            listener,
            config: server_config,
            certificates,
        })
    }
}

/// The provider sandboxes as `kessai serve` mounts them under `/sandbox`, reading time from
/// the application clock so the test clock moves their deadlines and authorization expiry
/// too. Each pushes its notifications to kessai's own `/notify/<provider>`; under the test
/// clock they go out only when a test asks the sandbox to deliver them, so tests stay
/// deterministic.
pub fn mounted<S: Clone + Send + Sync + 'static>(
    public_url: &str,
    clock: &crate::clock::Clock,
) -> Router<S> {
    let auto_push = !clock.is_movable();
    let clock = clock.clone();
    let public = public_url.trim_end_matches('/');
    sandbox::router_with(sandbox::Options {
        clock: Arc::new(move || clock.now()),
        paygent: sandbox::paygent::Options {
            notify_url: Some(format!("{public}/notify/paygent")),
            auto_push,
        },
        // Remise posts both its result notification and its 収納情報通知 to the one
        // endpoint; kessai tells them apart by their fields.
        remise: sandbox::remise::Options {
            result_url: Some(format!("{public}/notify/remise")),
            receipt_url: Some(format!("{public}/notify/remise")),
            auto_resend: auto_push,
        },
        atone: sandbox::atone::Options {
            webhook_url: Some(format!("{public}/notify/atone")),
            auto_deliver: auto_push,
            ..Default::default()
        },
        // Kuroneko Web Collect posts nothing to the shop server to server; its fixed
        // trader is all the demo needs.
        yamato: sandbox::yamato::Options::default(),
    })
}
