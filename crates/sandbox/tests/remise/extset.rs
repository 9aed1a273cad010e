//! 拡張セット (§7.2): SALES / VOID / RETURN / CHANGE of card payments and their codes.

use chrono::Duration;
use sandbox::remise::testcard;

use crate::support::{card_request, new_card, Page, Remise, EXTSET_HOSTID, SHOPCO};

const EXTSET: &str = "/rpgw2/extset/card.aspx";

/// An approved payment of 1,000 yen with `job`; answers its X-TRANID.
async fn authorised(remise: &Remise, number: &str, job: &str) -> String {
    let page = remise
        .post(
            "/rpgw2/pc/card/paycard.aspx",
            &card_request(number, &[("JOB", job)]),
        )
        .await;
    let back = remise
        .post(
            "/rpgw2/pc/card/pay",
            &new_card(&page.field("KEY"), testcard::APPROVED_VISA, "12", "30"),
        )
        .await;
    back.field("X-TRANID")
}

async fn extset(
    remise: &Remise,
    number: &str,
    job: &str,
    tranid: &str,
    extra: &[(&str, &str)],
) -> Page {
    let mut fields = vec![
        ("SHOPCO", SHOPCO),
        ("HOSTID", EXTSET_HOSTID),
        ("S_TORIHIKI_NO", number),
        ("JOB", job),
        ("TRANID", tranid),
        ("RETURL", "http://dummy"),
    ];
    fields.extend_from_slice(extra);
    remise.post(EXTSET, &fields).await
}

/// `(X-R_CODE, X-ERRCODE, X-ERRINFO, X-ERRLEVEL)`.
fn codes(page: &Page) -> (String, String, String, String) {
    (
        page.field("X-R_CODE"),
        page.field("X-ERRCODE"),
        page.field("X-ERRINFO"),
        page.field("X-ERRLEVEL"),
    )
}

fn ok() -> (String, String, String, String) {
    (
        "0:0000".into(),
        "   ".into(),
        "000000000".into(),
        "0".into(),
    )
}

fn h97(errinfo: &str) -> (String, String, String, String) {
    ("0:0000".into(), "H97".into(), errinfo.into(), "1".into())
}

fn refused(code: &str) -> (String, String, String, String) {
    (code.into(), "   ".into(), "000000000".into(), "1".into())
}

#[tokio::test]
async fn sales_then_void_on_the_same_day_and_their_repeats() {
    let remise = Remise::start().await;
    let tranid = authorised(&remise, "6000000001", "AUTH").await;

    let sold = extset(
        &remise,
        "6000000001",
        "SALES",
        &tranid,
        &[("TOTAL", "1000"), ("TAX", "0")],
    )
    .await;

    assert_eq!(sold.content_type, "text/html; charset=Shift_JIS");
    assert!(sold
        .text
        .contains(r#"<input type="hidden" name="X-R_CODE" value="0:0000">"#));
    assert!(sold
        .text
        .contains(r#"<input type="hidden" name="X-ERRCODE" value="   ">"#));
    assert!(sold.text.contains(&format!(
        r#"<input type="hidden" name="X-TRANID" value="{tranid}">"#
    )));
    let names: Vec<_> = sold.hidden().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "X-ERRCODE",
            "X-ERRINFO",
            "X-ERRLEVEL",
            "X-TRANID",
            "X-R_CODE"
        ]
    );
    assert_eq!(codes(&sold), ok());
    let ret = remise.shop.posts("/result").pop().unwrap();
    assert_eq!(ret.get("REC_TYPE"), "RET");
    assert_eq!(ret.get("X-TRANID"), tranid);
    assert!(!ret.fields.contains_key("X-PARTOFCARD"));

    let again = extset(&remise, "6000000001", "SALES", &tranid, &[]).await;
    assert_eq!(codes(&again), h97("421010000"));

    let voided = extset(&remise, "6000000001", "VOID", &tranid, &[]).await;
    assert_eq!(codes(&voided), ok());
    let twice = extset(&remise, "6000000001", "VOID", &tranid, &[]).await;
    assert_eq!(codes(&twice), h97("450040000"));
    let office = remise.get("/backoffice").await;
    assert!(office.text.contains("<td>取消</td>") || office.text.contains(">取消<"));
}

#[tokio::test]
async fn void_is_refused_after_the_day_and_return_refunds_a_sale() {
    let remise = Remise::start().await;
    let tranid = authorised(&remise, "6000000002", "CAPTURE").await;
    remise.advance(Duration::hours(14));

    let late = extset(&remise, "6000000002", "VOID", &tranid, &[]).await;
    assert_eq!(codes(&late), refused("8:5823"));

    let partial = extset(
        &remise,
        "6000000002",
        "RETURN",
        &tranid,
        &[("TOTAL", "500")],
    )
    .await;
    assert_eq!(codes(&partial), refused("8:3009"));
    let returned = extset(
        &remise,
        "6000000002",
        "RETURN",
        &tranid,
        &[("TOTAL", "1000")],
    )
    .await;
    assert_eq!(codes(&returned), ok());
    let again = extset(&remise, "6000000002", "RETURN", &tranid, &[]).await;
    assert_eq!(codes(&again), h97("450040000"));
}

#[tokio::test]
async fn an_authorisation_expires_after_sixty_days() {
    let remise = Remise::start().await;
    let tranid = authorised(&remise, "6000000003", "AUTH").await;
    remise.advance(Duration::days(61));

    let late = extset(&remise, "6000000003", "SALES", &tranid, &[]).await;

    assert_eq!(codes(&late), refused("8:5822"));
}

#[tokio::test]
async fn unknown_transactions_and_declined_ones_are_not_found() {
    let remise = Remise::start().await;
    let unknown = "2026051010000012345600000099";

    assert_eq!(
        codes(&extset(&remise, "6000000004", "SALES", unknown, &[]).await),
        refused("8:5810")
    );
    assert_eq!(
        codes(&extset(&remise, "6000000004", "VOID", unknown, &[]).await),
        refused("8:5812")
    );
    let tranid = authorised(&remise, "6000000004", "AUTH").await;
    assert_eq!(
        codes(&extset(&remise, "6000000005", "SALES", &tranid, &[]).await),
        refused("8:5810"),
        "another number"
    );
    assert_eq!(
        codes(&extset(&remise, "6000000004", "SALES", "123", &[]).await),
        refused("8:2040")
    );
    assert_eq!(
        codes(&extset(&remise, "6000000004", "CANCEL", &tranid, &[]).await),
        refused("8:3004")
    );

    let page = remise
        .post(
            "/rpgw2/pc/card/paycard.aspx",
            &card_request("6000000006", &[]),
        )
        .await;
    let back = remise
        .post(
            "/rpgw2/pc/card/pay",
            &new_card(&page.field("KEY"), testcard::DECLINED_G03, "12", "30"),
        )
        .await;
    let declined = back.field("X-TRANID");
    assert_eq!(
        codes(&extset(&remise, "6000000006", "VOID", &declined, &[]).await),
        h97("450030000")
    );
}

#[tokio::test]
async fn change_lowers_an_authorisation_which_then_sells_at_the_new_total() {
    let remise = Remise::start().await;
    let tranid = authorised(&remise, "6000000007", "AUTH").await;

    let up = extset(
        &remise,
        "6000000007",
        "CHANGE",
        &tranid,
        &[("TOTAL", "1200"), ("TAX", "0")],
    )
    .await;
    assert_eq!(codes(&up), refused("8:3009"));
    let missing = extset(&remise, "6000000007", "CHANGE", &tranid, &[]).await;
    assert_eq!(codes(&missing), refused("8:1009"));
    let down = extset(
        &remise,
        "6000000007",
        "CHANGE",
        &tranid,
        &[("TOTAL", "800"), ("TAX", "80")],
    )
    .await;
    assert_eq!(codes(&down), ok());
    let ret = remise.shop.posts("/result").pop().unwrap();
    assert_eq!(ret.get("X-TOTAL"), "800");
    assert_eq!(ret.get("X-AMOUNT"), "720");
    assert_eq!(ret.get("X-TAX"), "80");

    let stale = extset(
        &remise,
        "6000000007",
        "SALES",
        &tranid,
        &[("TOTAL", "1000")],
    )
    .await;
    assert_eq!(codes(&stale), refused("8:3009"));
    let sold = extset(&remise, "6000000007", "SALES", &tranid, &[("TOTAL", "800")]).await;
    assert_eq!(codes(&sold), ok());
    let changed = extset(
        &remise,
        "6000000007",
        "CHANGE",
        &tranid,
        &[("TOTAL", "600")],
    )
    .await;
    assert_eq!(codes(&changed), ok());
    let office = remise.get("/backoffice").await;
    assert!(office.text.contains("金額変更 800円 → 600円"));
}
