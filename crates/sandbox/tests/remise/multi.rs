//! Multi payment (§3): the choice page, the END fields of each destination family, the
//! 収納情報通知 with resends, deadlines on the sandbox clock, carriers paid at once.

use chrono::Duration;

use crate::support::{multi_request, Page, Remise, SHOPCO};

const MULTI_PAGE: &str = "/rpgw2/pc/cvs/paycvs.aspx";
const CHOOSE: &str = "/rpgw2/pc/cvs/pay";

/// Open the multi page for `fields` and choose `code`.
async fn issue(remise: &Remise, fields: &[(&str, &str)], code: &str) -> Page {
    let page = remise.post(MULTI_PAGE, fields).await;
    let key = page.field("KEY");
    remise
        .post(CHOOSE, &[("KEY", key.as_str()), ("PAY_CSV", code)])
        .await
}

/// A destination code, its PAY_WAY, a check of X-PAY_NO1 and the page X-PAY_NO2 opens
/// (`None`: a number, not a URL).
type Case = (
    &'static str,
    &'static str,
    fn(&str) -> bool,
    Option<&'static str>,
);

fn digits(text: &str, len: usize) -> bool {
    text.len() == len && text.chars().all(|c| c.is_ascii_digit())
}

#[tokio::test]
async fn every_destination_family_returns_its_numbers_with_end() {
    let remise = Remise::start().await;
    let page_url = |path: &str| format!("{}/rpgw2/pc/cvs/{path}?JOB_ID=", remise.base);
    let cases: [Case; 15] = [
        ("D001", "002", |n| digits(n, 13), Some("slip")),
        ("D002", "003", |n| digits(n, 12), Some("guide")),
        ("D005", "004", |n| digits(n, 12), Some("guide")),
        ("D015", "004", |n| digits(n, 6), Some("guide")),
        ("D030", "006", |n| n == "10035", None),
        ("D010", "004", |n| digits(n, 11), Some("guide")),
        ("D011", "004", |n| digits(n, 11), Some("guide")),
        (
            "D405",
            "400",
            |n| {
                n.split_once('-')
                    .is_some_and(|(a, b)| digits(a, 12) && digits(b, 6))
            },
            Some("guide"),
        ),
        ("D401", "400", |n| digits(n, 10), Some("cp.exec")),
        ("D451", "400", |n| digits(n, 10), Some("cp.exec")),
        ("D452", "400", |n| digits(n, 10), Some("cp.exec")),
        ("M601", "600", |n| digits(n, 10), Some("cp.exec")),
        ("M611", "600", |n| digits(n, 10), Some("cp.exec")),
        ("M621", "600", |n| digits(n, 10), Some("cp.exec")),
        ("E201", "200", |n| digits(n, 10), Some("cp.exec")),
    ];

    for (i, (code, pay_way, no1_ok, page)) in cases.into_iter().enumerate() {
        let number = format!("50000000{i:02}");
        let back = issue(&remise, &multi_request(&number, &[]), code).await;

        assert_eq!(back.content_type, "text/html; charset=Shift_JIS");
        assert_eq!(
            back.action(),
            "http://shop.example/cvs?acting_return=1",
            "{code}"
        );
        let names: Vec<_> = back.hidden().into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "X-JOB_ID",
                "X-R_CODE",
                "X-S_TORIHIKI_NO",
                "X-TOTAL",
                "X-PAYDATE",
                "X-PAY_CSV",
                "X-PAY_WAY",
                "X-PAY_NO1",
                "X-PAY_NO2",
                "OPT",
                "REC_TYPE"
            ]
        );
        assert!(digits(&back.field("X-JOB_ID"), 20));
        assert_eq!(back.field("X-R_CODE"), "0:0000");
        assert_eq!(back.field("X-S_TORIHIKI_NO"), number);
        assert_eq!(back.field("X-TOTAL"), "3000");
        assert_eq!(back.field("X-PAY_CSV"), code);
        assert_eq!(back.field("X-PAY_WAY"), pay_way, "{code}");
        assert_eq!(back.field("REC_TYPE"), "END");
        assert_eq!(back.field("OPT"), "1");
        let no1 = back.field("X-PAY_NO1");
        assert!(no1_ok(&no1), "{code}: {no1}");
        let no2 = back.field("X-PAY_NO2");
        match page {
            Some(path) => assert_eq!(no2, format!("{}{}", page_url(path), back.field("X-JOB_ID"))),
            None => assert!(digits(&no2, 12), "{code}: {no2}"),
        }
        let expected_date = if code == "D451" {
            "20260511"
        } else {
            "20260520"
        };
        assert_eq!(back.field("X-PAYDATE"), expected_date, "{code}");
    }
}

#[tokio::test]
async fn the_page_offers_only_destinations_whose_limit_takes_the_total() {
    let remise = Remise::start().await;
    let fields = multi_request(
        "5100000001",
        &[
            ("TOTAL", "60000"),
            ("MSUM_01", "60000"),
            ("PAY_CSV", "D002"),
        ],
    );

    let page = remise.post(MULTI_PAGE, &fields).await;

    assert_eq!(page.content_type, "text/html; charset=Shift_JIS");
    assert!(page.text.contains("60,000円"));
    assert!(page.text.contains("セブン-イレブン"));
    assert!(page.text.contains("PayPayオンライン決済"));
    assert!(page.text.contains(r#"value="D002" checked"#));
    assert!(!page.text.contains("楽天Ｅｄｙ"));
    assert!(!page.text.contains("auかんたん決済"));
    let key = page.field("KEY");
    let refused = remise
        .post(CHOOSE, &[("KEY", key.as_str()), ("PAY_CSV", "D401")])
        .await;
    assert!(refused.text.contains("お支払先を選択してください"));
}

#[tokio::test]
async fn a_blank_deadline_is_fourteen_days_and_bad_fields_get_their_codes() {
    let remise = Remise::start().await;

    let back = issue(
        &remise,
        &multi_request("5200000001", &[("S_PAYDATE", "")]),
        "D001",
    )
    .await;
    assert_eq!(back.field("X-PAYDATE"), "20260524");

    let cases: [(&[(&str, &str)], &str); 6] = [
        (&[("KANA1", "yamada")], "8:3103"),
        (&[("YUBIN1", "1500")], "8:2105"),
        (&[("TEL", "")], "8:1111"),
        (&[("S_PAYDATE", "20260509")], "8:3112"),
        (&[("MSUM_01", "2999")], "8:3116"),
        (&[("MNAME_01", "商品 代金")], "8:3115"),
    ];
    for (overrides, code) in cases {
        let page = remise
            .post(MULTI_PAGE, &multi_request("5200000002", overrides))
            .await;
        assert!(
            page.text
                .contains(&format!(r#"<span id="r-code">{code}</span>"#)),
            "{overrides:?}"
        );
        assert_eq!(page.field("X-R_CODE"), code);
        assert_eq!(page.action(), "http://shop.example/cvs?acting_return=0");
    }

    let with_tax = multi_request("5200000003", &[("TOTAL", "3300"), ("TAX", "300")]);
    let page = remise.post(MULTI_PAGE, &with_tax).await;
    assert!(
        page.text.contains("3,300円"),
        "MSUM + TAX = TOTAL is accepted"
    );

    let again = remise
        .post(MULTI_PAGE, &multi_request("5200000001", &[]))
        .await;
    assert!(again.text.contains(r#"<span id="r-code">8:5820</span>"#));
}

#[tokio::test]
async fn a_receipt_in_the_back_office_sends_the_notice_and_resends_it_until_acknowledged() {
    let remise = Remise::start().await;
    let back = issue(&remise, &multi_request("5300000001", &[]), "D001").await;
    let job_id = back.field("X-JOB_ID");
    assert!(
        remise.shop.posts("/receipt").is_empty(),
        "unpaid until the buyer pays"
    );

    let (status, answer) = remise
        .back_office("/backoffice/receipt", &[("S_TORIHIKI_NO", "5300000001")])
        .await;

    assert_eq!(status, 200);
    assert_eq!(answer["delivered"], true);
    assert_eq!(answer["job_id"], job_id.as_str());
    assert_eq!(answer["state"], "入金済");
    let notice = &remise.shop.posts("/receipt")[0];
    assert_eq!(
        notice.names(),
        [
            "SHOPCO",
            "HOSTID",
            "S_TORIHIKI_NO",
            "JOB_ID",
            "TOTAL",
            "REC_FLG",
            "RECDATE",
            "CENDATE",
            "REC_CVSCODE",
            "REC_CVSNAME",
            "REC_SCODE"
        ]
    );
    assert_eq!(notice.get("SHOPCO"), SHOPCO);
    assert_eq!(notice.get("S_TORIHIKI_NO"), "5300000001");
    assert_eq!(notice.get("JOB_ID"), job_id);
    assert_eq!(notice.get("TOTAL"), "3000");
    assert_eq!(notice.get("REC_FLG"), "1");
    assert_eq!(notice.get("RECDATE"), "20260510100000");
    assert_eq!(notice.get("REC_CVSCODE"), "D001");
    assert_eq!(notice.get("REC_CVSNAME"), "セブン-イレブン");
    let body = String::from_utf8(notice.body.clone()).unwrap();
    assert!(
        body.contains("REC_CVSNAME=%83Z%83u%83%93-%83C%83%8C%83u%83%93&"),
        "{body}"
    );

    let (status, answer) = remise
        .back_office("/backoffice/receipt", &[("JOB_ID", job_id.as_str())])
        .await;
    assert_eq!(status, 409);
    assert_eq!(answer["error"], "既に入金済みです");

    remise.shop.answer("/receipt", "error1");
    issue(&remise, &multi_request("5300000002", &[]), "D002").await;
    let (_, answer) = remise
        .back_office("/backoffice/receipt", &[("S_TORIHIKI_NO", "5300000002")])
        .await;
    assert_eq!(answer["delivered"], false);
    assert_eq!(
        remise.deliver().await,
        serde_json::json!({"delivered": 0, "failed": 0}),
        "not due yet"
    );
    remise.advance(Duration::minutes(5));
    assert_eq!(
        remise.deliver().await,
        serde_json::json!({"delivered": 0, "failed": 1})
    );
    remise
        .shop
        .answer("/receipt", "<SDBKDATA>STATUS=800</SDBKDATA>");
    remise.advance(Duration::minutes(5));
    assert_eq!(
        remise.deliver().await,
        serde_json::json!({"delivered": 1, "failed": 0})
    );
    let posts = remise.shop.posts("/receipt");
    assert_eq!(posts.len(), 4);
    assert!(posts[1..]
        .iter()
        .all(|p| p.get("S_TORIHIKI_NO") == "5300000002"));
    assert_eq!(
        remise.deliver().await,
        serde_json::json!({"delivered": 0, "failed": 0})
    );
    let office = remise.get("/backoffice").await;
    assert!(office.text.contains("通知済"));
}

#[tokio::test]
async fn an_unpaid_slip_expires_after_its_day_on_the_sandbox_clock() {
    let remise = Remise::start().await;
    issue(
        &remise,
        &multi_request("5400000001", &[("S_PAYDATE", "20260510")]),
        "D030",
    )
    .await;
    remise.advance(Duration::hours(13) + Duration::minutes(59));

    let office = remise.get("/backoffice").await;
    assert!(
        office.text.contains("<td>未入金</td>"),
        "still 23:59 in Japan"
    );

    remise.advance(Duration::minutes(1));
    let (status, answer) = remise
        .back_office("/backoffice/receipt", &[("S_TORIHIKI_NO", "5400000001")])
        .await;
    assert_eq!(status, 409);
    assert_eq!(answer["error"], "支払期限を過ぎています");
    let office = remise.get("/backoffice").await;
    assert!(office.text.contains("<td>期限切れ</td>"));
    assert!(remise.shop.posts("/receipt").is_empty());
}

#[tokio::test]
async fn the_back_office_can_expire_a_slip_and_the_slip_page_can_pay_one() {
    let remise = Remise::start().await;
    issue(&remise, &multi_request("5500000001", &[]), "D405").await;
    let (status, answer) = remise
        .back_office("/backoffice/expire", &[("S_TORIHIKI_NO", "5500000001")])
        .await;
    assert_eq!(status, 200);
    assert_eq!(answer["state"], "期限切れ");
    let (status, _) = remise
        .back_office("/backoffice/receipt", &[("S_TORIHIKI_NO", "5500000001")])
        .await;
    assert_eq!(status, 409);
    assert!(remise.shop.posts("/receipt").is_empty());

    let back = issue(&remise, &multi_request("5500000002", &[]), "D451").await;
    let slip = back.field("X-PAY_NO2");
    let path = slip.strip_prefix(&remise.base).unwrap();
    let page = remise.get(path).await;
    assert!(page.text.contains("ウェブマネー"));
    assert!(page.text.contains("支払う（サンドボックス）"));
    let paid = remise
        .post(
            "/rpgw2/pc/cvs/receive",
            &[("JOB_ID", back.field("X-JOB_ID").as_str())],
        )
        .await;
    assert_eq!(paid.status, 303);
    assert_eq!(
        paid.location,
        format!("cp.exec?JOB_ID={}", back.field("X-JOB_ID"))
    );
    assert_eq!(remise.shop.posts("/receipt")[0].get("REC_CVSCODE"), "D451");
    let page = remise.get(path).await;
    assert!(page.text.contains("入金済"));
}

#[tokio::test]
async fn a_carrier_payment_counts_as_received_and_is_notified_right_after_end() {
    let remise = Remise::start().await;

    let back = issue(&remise, &multi_request("5600000001", &[]), "M601").await;
    assert_eq!(back.field("X-R_CODE"), "0:0000");
    remise.deliver().await;

    let notices = remise.shop.posts("/receipt");
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].get("REC_CVSCODE"), "M601");
    assert_eq!(notices[0].get("JOB_ID"), back.field("X-JOB_ID"));
    let office = remise.get("/backoffice").await;
    assert!(office.text.contains("<td>入金済</td>"));
}

#[tokio::test]
async fn notices_wait_without_a_receipt_url_and_go_once_one_is_set() {
    let remise = Remise::start().await;
    let response = remise
        .http
        .post(format!("{}/backoffice/settings", remise.base))
        .form(&[
            ("result_url", format!("{}/result", remise.shop_url)),
            ("receipt_url", String::new()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    issue(&remise, &multi_request("5700000001", &[]), "D002").await;
    let (_, answer) = remise
        .back_office("/backoffice/receipt", &[("S_TORIHIKI_NO", "5700000001")])
        .await;
    assert_eq!(answer["delivered"], false);

    remise
        .http
        .post(format!("{}/backoffice/settings", remise.base))
        .form(&[
            ("result_url", String::new()),
            ("receipt_url", format!("{}/receipt", remise.shop_url)),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(
        remise.deliver().await,
        serde_json::json!({"delivered": 1, "failed": 0})
    );
    let office = remise.get("/backoffice").await;
    assert!(office
        .text
        .contains(&format!(r#"value="{}/receipt""#, remise.shop_url)));
}
