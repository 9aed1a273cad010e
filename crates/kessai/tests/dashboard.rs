//! ダッシュボード: the figures an operator opens the admin for, from the orders as they are.

mod common;

use common::TestApp;

#[tokio::test]
async fn the_dashboard_shows_todays_and_this_months_sales_and_what_waits() {
    let app = TestApp::demo().await;
    let first = app.card_payment().await;
    app.card_payment().await;
    // A convenience-store payment waits for the money.
    let conv = app.start_checkout_paid_by("paygent_conv").await;
    let r = app
        .post_form(
            &format!("/checkout/{}/apply", conv.link_key),
            &[("cvs_company_id", "00C001")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    let total = app
        .state
        .store
        .order(first.order_id.unwrap())
        .await
        .unwrap()
        .unwrap()
        .total;
    app.login().await;

    let (status, html) = app.page("/admin").await;

    assert_eq!(status, 200);
    let figure =
        |id: &str| common::between(&html, &format!("id=\"{id}\""), "</div></div>").to_owned();
    assert!(
        figure("sales-today").contains("3件"),
        "{}",
        figure("sales-today")
    );
    assert!(figure("sales-month").contains("3件"));
    let conv_total = app.payment(conv.payment_id).await.amount;
    let amount = kessai::domain::money::group_thousands(total * 2 + conv_total);
    assert!(
        figure("sales-today").contains(&format!("{amount}円")),
        "{amount} in {}",
        figure("sales-today")
    );
    assert!(
        figure("waiting-new").contains("3件"),
        "{}",
        figure("waiting-new")
    );
    assert!(
        figure("waiting-unpaid").contains("1件"),
        "{}",
        figure("waiting-unpaid")
    );
    assert!(
        figure("waiting-ship").contains("2件"),
        "{}",
        figure("waiting-ship")
    );
    assert!(figure("long-authorized").contains("0件"));
    let chart = common::between(&html, "id=\"sales-chart\"", "</svg>");
    assert_eq!(chart.matches("<rect").count(), 14, "{chart}");
    let recent = common::between(&html, "id=\"recent-orders\"", "</table>");
    assert_eq!(recent.matches("<tr><td>").count(), 3, "{recent}");

    // 30 days later the two card payments are still only authorized.
    app.state.clock.advance(chrono::Duration::days(31)).unwrap();
    app.login().await;
    let (_, later) = app.page("/admin").await;
    let long = common::between(&later, "id=\"long-authorized\"", "</div></div>");
    assert!(long.contains("2件"), "{long}");
}
