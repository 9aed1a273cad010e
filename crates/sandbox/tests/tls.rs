//! The Paygent sandbox's client-certificate layer (P016, specs/paygent.md §2.3): requests are
//! marked the way `sandbox::tls::serve` marks them, and unmarked requests are plain HTTP.
//! The handshake itself is exercised end to end by kessai's `paygent_tls` tests.

use axum::body::{to_bytes, Body};
use axum::http::Request;
use encoding_rs::SHIFT_JIS;
use sandbox::tls::ClientCertificate;
use tower::ServiceExt;

/// A 094 with a wrong password, so that any answer other than P002 comes from an earlier
/// check.
const WRONG_PASSWORD_094: &str = "merchant_id=123456789&connect_id=sandboxconnect\
    &connect_password=wrong&telegram_kind=094&telegram_version=1.0&trading_id=&payment_id=1";

async fn post(path: &str, body: &str, certificate: Option<ClientCertificate>) -> String {
    let mut request = Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body.to_owned()))
        .unwrap();
    if let Some(certificate) = certificate {
        request.extensions_mut().insert(certificate);
    }
    let response = sandbox::router::<()>().oneshot(request).await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let bytes = to_bytes(response.into_body(), 1 << 20).await.unwrap();
    SHIFT_JIS.decode(&bytes).0.into_owned()
}

#[tokio::test]
async fn a_telegram_over_tls_without_a_client_certificate_is_refused_with_p016_before_anything_else(
) {
    let no_certificate = Some(ClientCertificate { presented: false });

    let answer = post(
        "/paygent/n/ref/paymentref",
        WRONG_PASSWORD_094,
        no_certificate,
    )
    .await;

    assert!(answer.contains("result=1\r\n"), "{answer}");
    assert!(answer.contains("response_code=P016\r\n"), "{answer}");
    assert!(
        answer.contains("response_detail=クライアント証明書が不正です"),
        "{answer}"
    );
}

#[tokio::test]
async fn a_telegram_with_a_client_certificate_or_over_plain_http_goes_on_to_the_usual_checks() {
    let with_certificate = Some(ClientCertificate { presented: true });

    let over_tls = post(
        "/paygent/n/ref/paymentref",
        WRONG_PASSWORD_094,
        with_certificate,
    )
    .await;
    let over_http = post("/paygent/n/ref/paymentref", WRONG_PASSWORD_094, None).await;

    assert!(over_tls.contains("response_code=P002\r\n"), "{over_tls}");
    assert!(over_http.contains("response_code=P002\r\n"), "{over_http}");
}

#[tokio::test]
async fn the_token_api_needs_no_client_certificate() {
    let no_certificate = Some(ClientCertificate { presented: false });
    let body = "merchant_id=123456789&token_generate_key=sandboxtokenkey\
        &card_number=4900000000000000&card_expire_year=30&card_expire_month=12\
        &card_cvc=123&card_name=TARO%20YAMADA";

    let answer = post("/paygent/n/token/request", body, no_certificate).await;

    assert!(answer.contains("\"result\":\"0000\""), "{answer}");
}

#[test]
fn a_server_configuration_names_the_input_it_cannot_use() {
    let err = sandbox::tls::server_config(b"", b"", b"").unwrap_err();

    assert!(err.to_string().starts_with("server certificate"), "{err}");
}
