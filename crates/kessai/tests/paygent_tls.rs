//! The Paygent client over TLS against the sandbox's HTTPS listener: the client certificate
//! layer (P016, specs/paygent.md §2.3), the CA file deciding which server is trusted, and
//! the certificates `kessai sandbox --tls` makes for itself.

use std::path::PathBuf;
use std::time::Duration;

use kessai::providers::paygent::client::{Client, Credentials, PaygentError};
use kessai::providers::paygent::tls::Tls;
use kessai::providers::paygent::wire::Authorize;
use kessai::sandbox_server::{SandboxConfig, SandboxServer, SandboxTlsConfig};
use kessai::secrets::Secret;
use rcgen::{
    BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};

const TIMEOUT: Duration = Duration::from_secs(10);

/// A CA with a server certificate for 127.0.0.1 and a client certificate, as PEM.
struct Pki {
    ca: String,
    server_cert: String,
    server_key: String,
    /// The client certificate followed by its key: the file an operator uploads.
    client: String,
}

impl Pki {
    fn new() -> Pki {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign];
        let ca = ca.self_signed(&ca_key).unwrap();

        let server_key = KeyPair::generate().unwrap();
        let mut server = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server = server.signed_by(&server_key, &ca, &ca_key).unwrap();

        let client_key = KeyPair::generate().unwrap();
        let mut client = CertificateParams::new(Vec::<String>::new()).unwrap();
        client.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let client = client.signed_by(&client_key, &ca, &ca_key).unwrap();

        Pki {
            ca: ca.pem(),
            server_cert: server.pem(),
            server_key: server_key.serialize_pem(),
            client: format!("{}{}", client.pem(), client_key.serialize_pem()),
        }
    }
}

/// The sandbox routes served over HTTPS on a free port, until the test ends.
struct TlsSandbox {
    base_url: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl TlsSandbox {
    async fn start(pki: &Pki) -> TlsSandbox {
        let config = sandbox::tls::server_config(
            pki.server_cert.as_bytes(),
            pki.server_key.as_bytes(),
            pki.ca.as_bytes(),
        )
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(sandbox::tls::serve(
            listener,
            sandbox::router(),
            config,
            async {
                let _ = stopped.await;
            },
        ));
        TlsSandbox {
            base_url: format!("https://{address}/paygent"),
            _stop: stop,
        }
    }
}

fn credentials() -> Credentials {
    Credentials {
        merchant_id: "123456789".into(),
        connect_id: "sandboxconnect".into(),
        connect_password: Secret::new("sandboxpassword"),
    }
}

/// Tokenizes a test card over HTTPS the way PaygentToken.js does in the buyer's browser
/// (a browser has no client certificate, and the token API does not ask for one).
async fn token(base_url: &str, ca_pem: &str) -> String {
    let browser = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let response = browser
        .post(format!("{base_url}/n/token/request"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            serde_urlencoded::to_string([
                ("merchant_id", "123456789"),
                ("token_generate_key", "sandboxtokenkey"),
                ("card_number", "4111111111110000"),
                ("card_expire_year", "30"),
                ("card_expire_month", "12"),
                ("card_cvc", "123"),
                ("card_name", "TARO YAMADA"),
            ])
            .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["result"], "0000", "{body}");
    body["tokenizedCardObject"]["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn authorize<'a>(token: &'a str, trading_id: &'a str) -> Authorize<'a> {
    Authorize {
        trading_id,
        amount: 1200,
        card_token: token,
        payment_class: "10",
        split_count: None,
        capture: false,
        skip_3ds: true,
        three_ds_auth_id: None,
        security_code_use: false,
        stored_card: None,
    }
}

/// A folder of its own under the system's temporary folder, removed afterwards.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "kessai_tls_{}_{}",
            std::process::id(),
            kessai::secrets::random_token(6).replace(['-', '_'], "x")
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn a_client_with_the_merchant_certificate_and_the_ca_file_gets_an_authorization() {
    let pki = Pki::new();
    let sandbox = TlsSandbox::start(&pki).await;
    let tls = Tls::from_pem(pki.client.as_bytes(), Some(pki.ca.as_bytes())).unwrap();
    let paygent = Client::new(&sandbox.base_url, credentials(), TIMEOUT, Some(&tls)).unwrap();
    let tok = token(&sandbox.base_url, &pki.ca).await;

    let auth = paygent.authorize(&authorize(&tok, "TLS_1001")).await;

    let auth = auth.unwrap();
    assert!(!auth.payment_id.is_empty());
    assert_eq!(
        paygent
            .inquiry(&auth.payment_id, "", "")
            .await
            .unwrap()
            .status_code,
        "20",
        "オーソリOK"
    );
}

#[tokio::test]
async fn a_telegram_without_a_client_certificate_is_refused_with_p016() {
    let pki = Pki::new();
    let sandbox = TlsSandbox::start(&pki).await;
    let tls = Tls::ca_only(pki.ca.as_bytes()).unwrap();
    let paygent = Client::new(&sandbox.base_url, credentials(), TIMEOUT, Some(&tls)).unwrap();
    let tok = token(&sandbox.base_url, &pki.ca).await;

    let err = paygent
        .authorize(&authorize(&tok, "TLS_1002"))
        .await
        .unwrap_err();

    assert!(
        matches!(err, PaygentError::Rejected { ref code, .. } if code == "P016"),
        "{err:?}"
    );
    assert!(!err.outcome_unknown(), "Paygent answered: nothing happened");
}

#[tokio::test]
async fn a_ca_file_that_did_not_sign_the_server_certificate_fails_the_connection() {
    let pki = Pki::new();
    let other = Pki::new();
    let sandbox = TlsSandbox::start(&pki).await;
    let tls = Tls::from_pem(pki.client.as_bytes(), Some(other.ca.as_bytes())).unwrap();
    let paygent = Client::new(&sandbox.base_url, credentials(), TIMEOUT, Some(&tls)).unwrap();

    let err = paygent.inquiry("1", "", "").await.unwrap_err();

    assert!(matches!(err, PaygentError::Transport(_)), "{err:?}");
}

#[tokio::test]
async fn a_client_certificate_from_another_ca_is_refused_at_the_handshake() {
    let pki = Pki::new();
    let other = Pki::new();
    let sandbox = TlsSandbox::start(&pki).await;
    let tls = Tls::from_pem(other.client.as_bytes(), Some(pki.ca.as_bytes())).unwrap();
    let paygent = Client::new(&sandbox.base_url, credentials(), TIMEOUT, Some(&tls)).unwrap();

    let err = paygent.inquiry("1", "", "").await.unwrap_err();

    assert!(matches!(err, PaygentError::Transport(_)), "{err:?}");
}

#[test]
fn an_encrypted_or_key_less_client_certificate_file_is_refused_with_a_clear_message() {
    let pki = Pki::new();
    let certificate_only = pki
        .client
        .split("-----BEGIN PRIVATE KEY-----")
        .next()
        .unwrap();
    let encrypted = format!(
        "{certificate_only}-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n"
    );

    let without_key = Tls::from_pem(certificate_only.as_bytes(), Some(pki.ca.as_bytes()));
    let with_passphrase = Tls::from_pem(encrypted.as_bytes(), Some(pki.ca.as_bytes()));

    let message = |result: Result<Tls, _>| match result {
        Err(err) => PaygentError::Certificate(err).to_string(),
        other => panic!("expected a certificate error, got {other:?}"),
    };
    assert_eq!(
        message(without_key),
        "クライアント証明書ファイルに秘密鍵が含まれていません。\
         証明書と秘密鍵を1つにまとめたPEMファイルをアップロードしてください"
    );
    let message = message(with_passphrase);
    assert!(
        message.contains("パスフレーズで暗号化されています"),
        "{message}"
    );
    assert!(message.contains("docs/CONFIGURATION.md"), "{message}");
}

#[tokio::test]
async fn kessai_sandbox_with_tls_makes_its_certificates_on_first_start_and_keeps_them() {
    let dir = TempDir::new();
    let tls_dir = dir.0.join("sandbox-tls");
    let config = SandboxConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        tls: Some(SandboxTlsConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            dir: tls_dir.clone(),
        }),
    };

    let first = SandboxServer::build(config.clone()).await.unwrap();
    let files = first.certificates().unwrap().clone();
    let url = first.paygent_tls_url().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(first.run(async {
        let _ = stopped.await;
    }));

    assert!(files.generated);
    for path in [
        &files.ca,
        &files.server_cert,
        &files.server_key,
        &files.client,
    ] {
        assert!(path.starts_with(&tls_dir), "{}", path.display());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", path.display());
        }
    }
    // The two files the operator uploads are enough to talk to the HTTPS sandbox.
    let tls = Tls::from_files(&files.client, Some(&files.ca)).unwrap();
    let paygent = Client::new(&url, credentials(), TIMEOUT, Some(&tls)).unwrap();
    let ca = std::fs::read_to_string(&files.ca).unwrap();
    let tok = token(&url, &ca).await;
    let auth = paygent
        .authorize(&authorize(&tok, "TLS_2001"))
        .await
        .unwrap();
    assert!(!auth.payment_id.is_empty());
    stop.send(()).unwrap();
    running.await.unwrap().unwrap();

    let second = SandboxServer::build(config).await.unwrap();
    let again = second.certificates().unwrap();
    assert!(
        !again.generated,
        "the certificates of the first start are kept"
    );
    assert_eq!(std::fs::read_to_string(&again.ca).unwrap(), ca);
}

/// Sends one HTTP/1.0 request over TLS offering `alpn` (none when empty), as an HTTP/1.0
/// module client does; answers the raw response.
fn http10_over_tls(base_url: &str, pki: &Pki, alpn: &[&[u8]], path: &str, body: &str) -> String {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
    use std::io::{Read, Write};

    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(pki.ca.as_bytes()).unwrap())
        .unwrap();
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pki.client.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(pki.client.as_bytes()).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .unwrap();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let address = base_url
        .trim_start_matches("https://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let connection = rustls::ClientConnection::new(
        std::sync::Arc::new(config),
        ServerName::try_from("127.0.0.1").unwrap(),
    )
    .unwrap();
    let tcp = std::net::TcpStream::connect(&address).unwrap();
    tcp.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut tls = rustls::StreamOwned::new(connection, tcp);
    let request = format!(
        "POST {path} HTTP/1.0\r\nHost: {address}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    tls.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    match tls.read_to_end(&mut answer) {
        Ok(_) => {}
        // The server closes after an HTTP/1.0 answer, sometimes without close_notify.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {}
        Err(e) => panic!("{e}"),
    }
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_1_0_module_client_gets_an_answer_whatever_alpn_it_offers() {
    // Arrange: Paygent's own module speaks HTTP/1.0.
    let pki = Pki::new();
    let server = TlsSandbox::start(&pki).await;
    let body = "merchant_id=123456789&connect_id=sandboxconnect&connect_password=wrong\
        &telegram_kind=094&telegram_version=1.0&trading_id=&payment_id=1";

    const OFFERS: [&[&[u8]]; 3] = [&[b"http/1.0"], &[], &[b"h2"]];
    for alpn in OFFERS {
        // Act
        let base = server.base_url.clone();
        let client_pki = Pki {
            ca: pki.ca.clone(),
            server_cert: String::new(),
            server_key: String::new(),
            client: pki.client.clone(),
        };
        let answer = tokio::task::spawn_blocking(move || {
            http10_over_tls(&base, &client_pki, alpn, "/paygent/n/ref/paymentref", body)
        })
        .await
        .unwrap();

        // Assert: past the handshake and the certificate check, to the password check.
        assert!(answer.starts_with("HTTP/1."), "{alpn:?}: {answer}");
        assert!(answer.contains("response_code=P002"), "{alpn:?}: {answer}");
    }
}
