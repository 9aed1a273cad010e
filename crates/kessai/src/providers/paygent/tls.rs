//! The TLS side of the Paygent module connection (spec §2.2, §2.3, §16): the merchant's
//! client certificate issued by Paygent and the CA file that decides which server to trust.
//!
//! The operator uploads the client certificate as one PEM file holding the certificate
//! chain and the private key. Paygent's kits ship that key encrypted with a passphrase;
//! kessai does not keep passphrases, so an encrypted key is refused with the way to remove
//! it (docs/CONFIGURATION.md). Everything is checked here, when the files are read, so that
//! a bad file is reported as a settings problem and never as an unknown payment outcome.

use std::path::Path;

use base64::Engine as _;
use rustls::pki_types::pem::{PemObject, SectionKind};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// What is wrong with the client certificate file or the CA file.
#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    /// The private key is protected by a passphrase (PKCS#8 `ENCRYPTED PRIVATE KEY` or a
    /// traditional key with `Proc-Type: 4,ENCRYPTED`).
    #[error(
        "クライアント証明書ファイルの秘密鍵がパスフレーズで暗号化されています。\
         パスフレーズを外したPEMファイルを作成してアップロードし直してください\
         (opensslでの手順は docs/CONFIGURATION.md の「クライアント証明書」にあります)"
    )]
    EncryptedKey,
    /// No private key in the client certificate file.
    #[error(
        "クライアント証明書ファイルに秘密鍵が含まれていません。\
         証明書と秘密鍵を1つにまとめたPEMファイルをアップロードしてください"
    )]
    MissingKey,
    /// More than one private key: which one belongs to the certificate is ambiguous.
    #[error(
        "クライアント証明書ファイルに秘密鍵が複数含まれています。\
         クライアント証明書の秘密鍵だけを残してください"
    )]
    SeveralKeys,
    /// No certificate in the client certificate file.
    #[error(
        "クライアント証明書ファイルに証明書(BEGIN CERTIFICATE)が含まれていません。\
         証明書と秘密鍵を1つにまとめたPEMファイルをアップロードしてください"
    )]
    MissingCertificate,
    /// The key cannot be used, or does not belong to the first certificate.
    #[error(
        "クライアント証明書ファイルの秘密鍵を使用できません\
         (先頭の証明書と対になる秘密鍵ではないか、対応していない形式です): {0}"
    )]
    UnusableKey(String),
    /// The client certificate file is not readable PEM.
    #[error("クライアント証明書ファイルをPEM形式として読み取れません: {0}")]
    ClientNotPem(String),
    /// The CA file is not readable PEM.
    #[error("CAファイルをPEM形式として読み取れません: {0}")]
    CaNotPem(String),
    /// The CA file holds no certificate.
    #[error("CAファイルに証明書(BEGIN CERTIFICATE)が含まれていません")]
    CaEmpty,
    /// A certificate of the CA file cannot serve as a trust anchor.
    #[error("CAファイルの証明書を信頼するCAとして登録できません: {0}")]
    CaInvalid(String),
    /// A file could not be read.
    #[error("{what}を読み込めません({path}): {source}")]
    Read {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
}

/// TLS settings of the Paygent connection, checked and ready for the HTTP client.
#[derive(Clone)]
pub struct Tls {
    /// The client certificate chain and key (absent: no client certificate is offered,
    /// like the official module's `not_use_client_cert`).
    identity: Option<reqwest::Identity>,
    /// The CA file's certificates, trusted instead of the built-in roots (absent: the
    /// built-in webpki roots).
    roots: Option<Vec<reqwest::Certificate>>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The identity holds the private key: show only what is configured.
        f.debug_struct("Tls")
            .field("client_certificate", &self.identity.is_some())
            .field("ca_certificates", &self.roots.as_ref().map(Vec::len))
            .finish()
    }
}

impl Tls {
    /// The client certificate file (chain and unencrypted private key in one PEM) and,
    /// optionally, the CA file to trust instead of the built-in roots.
    pub fn from_pem(
        client_cert_pem: &[u8],
        ca_pem: Option<&[u8]>,
    ) -> Result<Tls, CertificateError> {
        let identity = identity_pem(client_cert_pem)?;
        let identity = reqwest::Identity::from_pem(identity.as_bytes())
            .map_err(|e| CertificateError::UnusableKey(e.to_string()))?;
        Ok(Tls {
            identity: Some(identity),
            roots: ca_pem.map(roots).transpose()?,
        })
    }

    /// Like [`Tls::from_pem`], reading the two files.
    pub fn from_files(client_cert: &Path, ca: Option<&Path>) -> Result<Tls, CertificateError> {
        let client_pem = read("クライアント証明書ファイル", client_cert)?;
        let ca_pem = ca.map(|path| read("CAファイル", path)).transpose()?;
        Self::from_pem(&client_pem, ca_pem.as_deref())
    }

    /// Trusts only the CA file and offers no client certificate (for connections that
    /// verify Paygent's server but are not authenticated by certificate).
    pub fn ca_only(ca_pem: &[u8]) -> Result<Tls, CertificateError> {
        Ok(Tls {
            identity: None,
            roots: Some(roots(ca_pem)?),
        })
    }

    /// Applies these settings to an HTTP client being built.
    pub(crate) fn configure(&self, builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        let mut builder = builder;
        if let Some(identity) = &self.identity {
            builder = builder.identity(identity.clone());
        }
        if let Some(roots) = &self.roots {
            builder = builder.tls_built_in_root_certs(false);
            for root in roots {
                builder = builder.add_root_certificate(root.clone());
            }
        }
        builder
    }
}

fn read(what: &'static str, path: &Path) -> Result<Vec<u8>, CertificateError> {
    std::fs::read(path).map_err(|source| CertificateError::Read {
        what,
        path: path.display().to_string(),
        source,
    })
}

/// Checks the client certificate file and returns it re-encoded as plain PEM: the
/// certificates in file order, then the one key. Text around the sections (openssl's
/// `Bag Attributes`, comments) is dropped.
fn identity_pem(pem: &[u8]) -> Result<String, CertificateError> {
    if is_encrypted(pem) {
        return Err(CertificateError::EncryptedKey);
    }
    let mut certs: Vec<CertificateDer<'static>> = Vec::new();
    let mut keys: Vec<PrivateKeyDer<'static>> = Vec::new();
    for section in <(SectionKind, Vec<u8>)>::pem_slice_iter(pem) {
        let (kind, der) = section.map_err(|e| CertificateError::ClientNotPem(e.to_string()))?;
        match kind {
            SectionKind::Certificate => certs.push(der.into()),
            SectionKind::PrivateKey => keys.push(PrivateKeyDer::Pkcs8(der.into())),
            SectionKind::RsaPrivateKey => keys.push(PrivateKeyDer::Pkcs1(der.into())),
            SectionKind::EcPrivateKey => keys.push(PrivateKeyDer::Sec1(der.into())),
            _ => {}
        }
    }
    if certs.is_empty() {
        return Err(CertificateError::MissingCertificate);
    }
    let key = match keys.len() {
        0 => return Err(CertificateError::MissingKey),
        1 => keys.remove(0),
        _ => return Err(CertificateError::SeveralKeys),
    };
    let label = match &key {
        PrivateKeyDer::Pkcs1(_) => "RSA PRIVATE KEY",
        PrivateKeyDer::Sec1(_) => "EC PRIVATE KEY",
        _ => "PRIVATE KEY",
    };
    let mut out = String::new();
    for cert in &certs {
        push_pem(&mut out, "CERTIFICATE", cert.as_ref());
    }
    push_pem(&mut out, label, key.secret_der());
    // The same check rustls makes when it offers the certificate, done now so the operator
    // learns of a mismatched or unsupported key when saving the settings.
    let provider = rustls::crypto::ring::default_provider();
    rustls::sign::CertifiedKey::from_der(certs, key, &provider)
        .map_err(|e| CertificateError::UnusableKey(e.to_string()))?;
    Ok(out)
}

/// Whether the file holds a passphrase-protected key, in either PEM convention.
fn is_encrypted(pem: &[u8]) -> bool {
    let contains = |needle: &[u8]| pem.windows(needle.len()).any(|w| w == needle);
    contains(b"-----BEGIN ENCRYPTED PRIVATE KEY-----") || contains(b"Proc-Type: 4,ENCRYPTED")
}

fn push_pem(out: &mut String, label: &str, der: &[u8]) {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    out.push_str(&format!("-----BEGIN {label}-----\n"));
    for line in b64.as_bytes().chunks(64) {
        // Base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
}

/// The CA file's certificates, each checked to be usable as a trust anchor.
fn roots(ca_pem: &[u8]) -> Result<Vec<reqwest::Certificate>, CertificateError> {
    let mut store = rustls::RootCertStore::empty();
    let mut roots = Vec::new();
    for cert in CertificateDer::pem_slice_iter(ca_pem) {
        let cert = cert.map_err(|e| CertificateError::CaNotPem(e.to_string()))?;
        store
            .add(cert.clone())
            .map_err(|e| CertificateError::CaInvalid(e.to_string()))?;
        roots.push(
            reqwest::Certificate::from_der(cert.as_ref())
                .map_err(|e| CertificateError::CaInvalid(e.to_string()))?,
        );
    }
    if roots.is_empty() {
        return Err(CertificateError::CaEmpty);
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Issued {
        ca_pem: String,
        cert_pem: String,
        key_pem: String,
    }

    /// A CA and a client certificate it signed, with the client's PKCS#8 key.
    fn issue() -> Issued {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca.self_signed(&ca_key).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(Vec::<String>::new())
            .unwrap()
            .signed_by(&key, &ca, &ca_key)
            .unwrap();
        Issued {
            ca_pem: ca.pem(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    fn certificate_error(result: Result<Tls, CertificateError>) -> String {
        match result {
            Err(e) => e.to_string(),
            other => panic!("expected a certificate error, got {other:?}"),
        }
    }

    #[test]
    fn a_key_and_its_certificate_in_either_order_make_an_identity() {
        let issued = issue();

        let key_first = format!("{}{}", issued.key_pem, issued.cert_pem);
        let cert_first = format!("Bag Attributes\n{}{}", issued.cert_pem, issued.key_pem);

        assert!(Tls::from_pem(key_first.as_bytes(), None).is_ok());
        assert!(Tls::from_pem(cert_first.as_bytes(), Some(issued.ca_pem.as_bytes())).is_ok());
    }

    #[test]
    fn the_re_encoded_identity_keeps_the_chain_and_labels_the_key_by_its_format() {
        let issued = issue();
        let chain = format!("{}{}{}", issued.key_pem, issued.cert_pem, issued.ca_pem);

        let pem = identity_pem(chain.as_bytes()).unwrap();

        assert_eq!(pem.matches("BEGIN CERTIFICATE").count(), 2);
        assert!(pem.trim_end().ends_with("-----END PRIVATE KEY-----"));
        assert!(pem.starts_with(issued.cert_pem.trim_end()), "leaf first");
    }

    #[test]
    fn pkcs1_and_sec1_keys_are_accepted_like_pkcs8() {
        let rsa = include_bytes!("testdata/rsa_pkcs1.pem");
        let ec = include_bytes!("testdata/ec_sec1.pem");

        let rsa_pem = identity_pem(rsa).unwrap();
        let ec_pem = identity_pem(ec).unwrap();

        assert!(rsa_pem.contains("-----BEGIN RSA PRIVATE KEY-----"));
        assert!(ec_pem.contains("-----BEGIN EC PRIVATE KEY-----"));
        assert!(Tls::from_pem(rsa, None).is_ok());
        assert!(Tls::from_pem(ec, None).is_ok());
    }

    #[test]
    fn an_encrypted_key_is_refused_with_the_way_to_remove_the_passphrase() {
        let traditional = include_bytes!("testdata/encrypted_traditional.pem").as_slice();
        let pkcs8 = include_bytes!("testdata/encrypted_pkcs8.pem").as_slice();

        for pem in [traditional, pkcs8] {
            let message = certificate_error(Tls::from_pem(pem, None));
            assert!(message.contains("パスフレーズ"), "{message}");
            assert!(message.contains("docs/CONFIGURATION.md"), "{message}");
        }
    }

    #[test]
    fn a_file_without_a_key_or_without_a_certificate_is_refused_by_name() {
        let issued = issue();

        let no_key = certificate_error(Tls::from_pem(issued.cert_pem.as_bytes(), None));
        let no_cert = certificate_error(Tls::from_pem(issued.key_pem.as_bytes(), None));
        let nothing = certificate_error(Tls::from_pem(b"not a pem file", None));

        assert!(no_key.contains("秘密鍵が含まれていません"), "{no_key}");
        assert!(no_cert.contains("証明書(BEGIN CERTIFICATE)"), "{no_cert}");
        assert!(nothing.contains("証明書(BEGIN CERTIFICATE)"), "{nothing}");
    }

    #[test]
    fn a_key_of_another_certificate_or_two_keys_are_refused() {
        let issued = issue();
        let other = issue();

        let mismatched = format!("{}{}", issued.cert_pem, other.key_pem);
        let two_keys = format!("{}{}{}", issued.cert_pem, issued.key_pem, other.key_pem);

        let mismatched = certificate_error(Tls::from_pem(mismatched.as_bytes(), None));
        let two_keys = certificate_error(Tls::from_pem(two_keys.as_bytes(), None));
        assert!(mismatched.contains("使用できません"), "{mismatched}");
        assert!(two_keys.contains("複数"), "{two_keys}");
    }

    #[test]
    fn a_ca_file_must_hold_a_usable_certificate() {
        let issued = issue();
        let client = format!("{}{}", issued.cert_pem, issued.key_pem);

        let empty = certificate_error(Tls::from_pem(client.as_bytes(), Some(b"")));
        let broken = certificate_error(Tls::from_pem(
            client.as_bytes(),
            Some(b"-----BEGIN CERTIFICATE-----\nMIIB\n"),
        ));
        let garbage = certificate_error(Tls::ca_only(
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        ));

        assert!(empty.contains("CAファイルに証明書"), "{empty}");
        assert!(broken.contains("CAファイルをPEM形式"), "{broken}");
        assert!(garbage.contains("CAファイルの証明書"), "{garbage}");
        assert!(Tls::ca_only(issued.ca_pem.as_bytes()).is_ok());
    }

    #[test]
    fn a_missing_file_is_named_in_the_error() {
        let message = certificate_error(Tls::from_files(
            Path::new("/nonexistent/kessai/client.pem"),
            None,
        ));

        assert!(message.contains("クライアント証明書ファイルを読み込めません"));
        assert!(message.contains("/nonexistent/kessai/client.pem"));
    }

    #[test]
    fn the_debug_form_never_shows_the_key() {
        let issued = issue();
        let client = format!("{}{}", issued.cert_pem, issued.key_pem);

        let tls = Tls::from_pem(client.as_bytes(), None).unwrap();

        assert_eq!(
            format!("{tls:?}"),
            "Tls { client_certificate: true, ca_certificates: None }"
        );
    }
}
