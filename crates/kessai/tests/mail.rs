//! Mails: the サンキューメール and 受注メール an order queues once, delivered by their jobs as
//! `.eml` files or over SMTP (to a small SMTP server inside the test), retried and then
//! 送信失敗; the operator's 「サンキューメール送信」; メール送信履歴.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use common::{csrf_of, location, TestApp};
use kessai::jobs::Job as _;
use kessai::mail::{MailStatus, SendMail};
use kessai::payments::orders::OrderOrigin;
use kessai::store::{JobState, Mail};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// Pays a demo checkout by card through the hand-off page; returns the order id.
async fn paid_order(app: &TestApp) -> i64 {
    app.card_payment()
        .await
        .order_id
        .expect("the card payment made an order")
}

async fn mails_of(app: &TestApp, order_id: i64) -> Vec<Mail> {
    app.state.store.mails_of_order(order_id).await.unwrap()
}

async fn jobs_of_kind(app: &TestApp, state: JobState, kind: &str) -> usize {
    app.state
        .store
        .jobs_in_state(state, 500)
        .await
        .unwrap()
        .iter()
        .filter(|j| j.kind == kind)
        .count()
}

fn eml_path(app: &TestApp, mail_id: i64) -> std::path::PathBuf {
    app.db.dir.join("mail").join(format!("{mail_id}.eml"))
}

/// A message split into unfolded headers and its base64 body decoded (line ends as `\n`).
struct Parsed {
    headers: Vec<(String, String)>,
    body: String,
}

impl Parsed {
    fn new(raw: &str) -> Parsed {
        let (head, body) = raw.split_once("\r\n\r\n").expect("headers end");
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                headers.last_mut().unwrap().1.push_str(line);
            } else {
                let (name, value) = line.split_once(':').expect("a header");
                headers.push((name.to_owned(), value.trim().to_owned()));
            }
        }
        let b64: String = body.split_whitespace().collect();
        let body = String::from_utf8(B64.decode(b64).expect("a base64 body"))
            .expect("UTF-8")
            .replace("\r\n", "\n");
        Parsed { headers, body }
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
    }

    /// A header with its RFC 2047 encoded words decoded.
    fn decoded(&self, name: &str) -> String {
        // Adjacent encoded words join without the space between them (RFC 2047 §6.2).
        let mut out = String::new();
        for word in self.header(name).split_whitespace() {
            let encoded = word
                .strip_prefix("=?utf-8?b?")
                .and_then(|w| w.strip_suffix("?="));
            match encoded {
                Some(b64) => out.push_str(&String::from_utf8(B64.decode(b64).unwrap()).unwrap()),
                None => {
                    if !out.is_empty() {
                        out.push(' ');
                    }
                    out.push_str(word);
                }
            }
        }
        out
    }
}

/// One message as the in-test SMTP server received it.
#[derive(Clone, Debug)]
struct Received {
    from: String,
    to: Vec<String>,
    data: String,
}

/// A minimal SMTP server on a random local port. It accepts every message, or while
/// `refusing` answers each MAIL FROM with a temporary failure (451).
struct SmtpServer {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
    refusing: Arc<AtomicBool>,
}

async fn smtp_server(refusing: bool) -> SmtpServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    let received = Arc::new(Mutex::new(Vec::new()));
    let refusing = Arc::new(AtomicBool::new(refusing));
    let (inbox, refuse) = (received.clone(), refusing.clone());
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(smtp_session(socket, refuse.clone(), inbox.clone()));
        }
    });
    SmtpServer {
        url,
        received,
        refusing,
    }
}

async fn smtp_session(
    socket: tokio::net::TcpStream,
    refusing: Arc<AtomicBool>,
    inbox: Arc<Mutex<Vec<Received>>>,
) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut read = BufReader::new(read);
    write.write_all(b"220 test.invalid ESMTP\r\n").await?;
    let mut message = Received {
        from: String::new(),
        to: Vec::new(),
        data: String::new(),
    };
    loop {
        let mut line = String::new();
        if read.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        let reply = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            "250 test.invalid".to_owned()
        } else if let Some(from) = upper.strip_prefix("MAIL FROM:") {
            if refusing.load(Ordering::SeqCst) {
                "451 4.3.0 try again later".to_owned()
            } else {
                message.from = command[command.len() - from.len()..].to_owned();
                "250 OK".to_owned()
            }
        } else if let Some(to) = upper.strip_prefix("RCPT TO:") {
            message
                .to
                .push(command[command.len() - to.len()..].to_owned());
            "250 OK".to_owned()
        } else if upper == "DATA" {
            write.write_all(b"354 go ahead\r\n").await?;
            loop {
                let mut data_line = String::new();
                read.read_line(&mut data_line).await?;
                if data_line == ".\r\n" {
                    break;
                }
                let unstuffed = data_line.strip_prefix('.').unwrap_or(&data_line);
                message.data.push_str(unstuffed);
            }
            inbox.lock().unwrap().push(message.clone());
            "250 queued".to_owned()
        } else if upper == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else if upper == "RSET" || upper == "NOOP" {
            "250 OK".to_owned()
        } else {
            "502 not implemented".to_owned()
        };
        write.write_all(format!("{reply}\r\n").as_bytes()).await?;
    }
}

#[tokio::test]
async fn a_card_order_queues_one_thank_you_and_one_order_mail_written_as_eml_files() {
    let app = TestApp::demo().await;

    let order_id = paid_order(&app).await;
    assert_eq!(
        jobs_of_kind(&app, JobState::Queued, "order_mails").await,
        1,
        "the order's transaction enqueued its mails"
    );
    app.worker.run_until_idle().await.unwrap();

    let order = app.state.store.order(order_id).await.unwrap().unwrap();
    let mails = mails_of(&app, order_id).await;
    let kinds: Vec<(&str, &str, &str)> = mails
        .iter()
        .map(|m| (m.kind.as_str(), m.recipient.as_str(), m.status.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("thank_you", "buyer@example.jp", "written"),
            ("order_notice", "shop@example.com", "written")
        ]
    );
    let thank_you = &mails[0];
    assert_eq!(
        thank_you.subject,
        format!(
            "【kessai デモショップ】ご注文ありがとうございます（注文番号 {}）",
            order.order_number
        )
    );
    assert_eq!(
        thank_you.sender,
        "kessai デモショップ <noreply@example.com>"
    );
    assert!(thank_you
        .sent_at
        .is_some_and(|t| t >= thank_you.created_at && t <= app.state.clock.now()));

    let raw = std::fs::read_to_string(eml_path(&app, thank_you.id)).unwrap();
    let eml = Parsed::new(&raw);
    assert_eq!(eml.decoded("Subject"), thank_you.subject);
    assert!(eml.header("Subject").starts_with("=?utf-8?b?"), "encoded");
    assert_eq!(
        eml.decoded("From"),
        "kessai デモショップ <noreply@example.com>"
    );
    assert_eq!(eml.header("To"), "buyer@example.jp");
    assert_eq!(eml.header("MIME-Version"), "1.0");
    assert_eq!(eml.header("Content-Type"), "text/plain; charset=utf-8");
    assert_eq!(eml.header("Content-Transfer-Encoding"), "base64");
    assert_eq!(
        eml.header("Message-ID"),
        format!("<kessai-mail-{}@example.com>", thank_you.id)
    );
    assert!(!eml.header("Date").is_empty());
    assert_eq!(eml.body, thank_you.body);
    assert!(eml.body.starts_with("山田 太郎 様\n"), "{}", eml.body);
    for expected in [
        format!("注文番号：{}", order.order_number),
        "静岡産 深蒸し煎茶 100g（DEMO-TEA-01）\n  1,080円 × 1 ＝ 1,080円".to_owned(),
        "総合計金額：1,080円".to_owned(),
        format!("【配送方法】\n{}", order.delivery_name),
        format!("【お支払方法】\n{}", order.payment_method_name),
        "kessai デモショップ".to_owned(),
    ] {
        assert!(eml.body.contains(&expected), "{expected} in {}", eml.body);
    }

    let notice = Parsed::new(&std::fs::read_to_string(eml_path(&app, mails[1].id)).unwrap());
    assert_eq!(notice.header("To"), "shop@example.com");
    assert!(notice.body.contains("メールアドレス：buyer@example.jp"));
    assert!(notice.body.contains("総合計金額：1,080円"));
}

#[tokio::test]
async fn the_jobs_send_each_mail_once_even_when_they_run_twice() {
    let app = TestApp::demo().await;
    let order_id = paid_order(&app).await;
    app.worker.run_until_idle().await.unwrap();
    let mails = mails_of(&app, order_id).await;
    for m in &mails {
        std::fs::remove_file(eml_path(&app, m.id)).unwrap();
    }

    let (store, clock) = (&app.state.store, &app.state.clock);
    kessai::jobs::enqueue(
        store,
        clock,
        &kessai::mail::OrderMails { order_id },
        None,
        None,
    )
    .await
    .unwrap();
    for m in &mails {
        kessai::jobs::enqueue(store, clock, &SendMail { mail_id: m.id }, None, None)
            .await
            .unwrap();
    }
    clock.advance(chrono::Duration::minutes(5)).unwrap();
    assert_eq!(app.worker.run_until_idle().await.unwrap(), 3);

    let again = mails_of(&app, order_id).await;
    assert_eq!(again.len(), 2, "no second pair of mails");
    for (before, after) in mails.iter().zip(&again) {
        assert_eq!(after.sent_at, before.sent_at, "not delivered again");
        assert_eq!(after.attempts, 1);
        assert!(!eml_path(&app, after.id).exists(), "no file written again");
    }
}

#[tokio::test]
async fn two_confirmations_at_once_make_one_order_with_one_pair_of_mails() {
    let app = TestApp::demo().await;
    let started = app.start_checkout(None).await;
    let payments = &app.state.payments;

    let (a, b) = tokio::join!(
        kessai::payments::orders::confirm(payments, &started.link_key, OrderOrigin::Buyer),
        kessai::payments::orders::confirm(payments, &started.link_key, OrderOrigin::Recovered),
    );
    app.worker.run_until_idle().await.unwrap();

    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.order_id(), b.order_id());
    let kinds: Vec<String> = mails_of(&app, a.order_id())
        .await
        .into_iter()
        .map(|m| m.kind)
        .collect();
    assert_eq!(kinds, ["thank_you", "order_notice"]);
    assert_eq!(app.state.store.mail_count().await.unwrap(), 2);
}

#[tokio::test]
async fn with_an_smtp_url_the_mails_are_sent_to_the_smtp_server() {
    let smtp = smtp_server(false).await;
    let app = TestApp::spawn_with(common::Options {
        demo: true,
        smtp_url: Some(smtp.url.clone()),
        ..common::Options::default()
    })
    .await;

    let order_id = paid_order(&app).await;
    app.worker.run_until_idle().await.unwrap();

    let mails = mails_of(&app, order_id).await;
    assert!(
        mails.iter().all(|m| m.status == MailStatus::Sent.as_str()),
        "{mails:?}"
    );
    assert!(!app.db.dir.join("mail").exists(), "no files with SMTP");
    let received = smtp.received.lock().unwrap().clone();
    let envelopes: Vec<(&str, Vec<String>)> = received
        .iter()
        .map(|r| (r.from.as_str(), r.to.clone()))
        .collect();
    assert_eq!(
        envelopes,
        [
            (
                "<noreply@example.com>",
                vec!["<buyer@example.jp>".to_owned()]
            ),
            (
                "<noreply@example.com>",
                vec!["<shop@example.com>".to_owned()]
            ),
        ]
    );
    let message = Parsed::new(&received[0].data);
    assert_eq!(message.decoded("Subject"), mails[0].subject);
    assert_eq!(message.header("To"), "buyer@example.jp");
    assert_eq!(message.body, mails[0].body);
}

#[tokio::test]
async fn a_refusing_smtp_server_is_retried_then_the_mail_is_failed_until_its_job_is_rerun() {
    let smtp = smtp_server(true).await;
    let app = TestApp::spawn_with(common::Options {
        demo: true,
        smtp_url: Some(smtp.url.clone()),
        ..common::Options::default()
    })
    .await;
    let order_id = paid_order(&app).await;

    app.worker.run_until_idle().await.unwrap();
    let mail = &mails_of(&app, order_id).await[0];
    assert_eq!(mail.status, "queued", "retrying");
    assert_eq!(mail.attempts, 1);
    assert!(
        mail.last_error.as_deref().unwrap_or("").contains("451"),
        "{mail:?}"
    );
    for _ in 1..SendMail::MAX_ATTEMPTS {
        app.state.clock.advance(chrono::Duration::hours(1)).unwrap();
        app.worker.run_until_idle().await.unwrap();
    }

    let mails = mails_of(&app, order_id).await;
    assert!(
        mails.iter().all(
            |m| m.status == MailStatus::Failed.as_str() && m.attempts == SendMail::MAX_ATTEMPTS
        ),
        "{mails:?}"
    );
    assert_eq!(jobs_of_kind(&app, JobState::Dead, "send_mail").await, 2);
    assert!(smtp.received.lock().unwrap().is_empty());
    app.login().await;
    let (_, list) = app.page("/admin/mails").await;
    assert_eq!(list.matches("送信失敗").count(), 2, "{list}");
    let (_, jobs) = app.page("/admin/jobs").await;
    assert!(
        common::between(&jobs, "停止したジョブ", "実行中・待機中").contains("send_mail"),
        "{jobs}"
    );

    smtp.refusing.store(false, Ordering::SeqCst);
    let dead = app
        .state
        .store
        .jobs_in_state(JobState::Dead, 10)
        .await
        .unwrap();
    let thank_you_job = dead
        .iter()
        .find(|j| j.dedup_key.as_deref() == Some(&format!("send_mail:{}", mails[0].id)))
        .expect("the thank-you mail's job is dead");
    let r = app
        .post_form(
            &format!("/admin/jobs/{}/retry", thank_you_job.id),
            &[("csrf", &csrf_of(&jobs))],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    app.worker.run_until_idle().await.unwrap();
    let statuses: Vec<String> = mails_of(&app, order_id)
        .await
        .into_iter()
        .map(|m| m.status)
        .collect();
    assert_eq!(statuses, ["sent", "failed"]);
    assert_eq!(smtp.received.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn an_order_the_operator_registers_sends_no_mail_until_the_operator_sends_one() {
    let app = TestApp::demo().await;
    let started = app.start_checkout(None).await;
    let order_id = kessai::payments::orders::confirm(
        &app.state.payments,
        &started.link_key,
        OrderOrigin::Operator,
    )
    .await
    .unwrap()
    .order_id();
    app.worker.run_until_idle().await.unwrap();
    assert!(mails_of(&app, order_id).await.is_empty());
    app.login().await;
    let (_, page) = app.page(&format!("/admin/orders/{order_id}")).await;
    assert!(
        page.contains("この受注のメールはまだありません。"),
        "{page}"
    );

    let r = app
        .post_form(
            &format!("/admin/orders/{order_id}/thank-you-mail"),
            &[("csrf", &csrf_of(&page))],
        )
        .await;
    assert_eq!(location(&r), format!("/admin/orders/{order_id}"));
    let (_, flashed) = app.follow(r).await;
    assert!(
        flashed.contains("サンキューメールを送信します。"),
        "{flashed}"
    );
    app.worker.run_until_idle().await.unwrap();

    let mails = mails_of(&app, order_id).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(
        (mails[0].kind.as_str(), mails[0].recipient.as_str()),
        ("thank_you", "buyer@example.jp")
    );
    assert!(eml_path(&app, mails[0].id).exists());
    let (_, page) = app.page(&format!("/admin/orders/{order_id}")).await;
    let block = common::between(&page, "id=\"order-mails\"", "</section>");
    assert!(block.contains("サンキューメール"), "{block}");
    assert!(block.contains("書き出し済み"), "{block}");
    assert!(block.contains(&format!("href=\"/admin/mails/{}\"", mails[0].id)));
    let audit = app.state.store.audit_entries(5).await.unwrap();
    assert_eq!(audit[0].action, "サンキューメールを送信");
}

#[tokio::test]
async fn the_mail_history_lists_mails_page_by_page_and_shows_each_whole() {
    let app = TestApp::demo().await;
    let order_id = paid_order(&app).await;
    app.worker.run_until_idle().await.unwrap();
    app.login().await;

    let (status, list) = app.page("/admin/mails").await;
    assert_eq!(status, 200);
    assert!(list.contains("メール送信履歴"));
    let table = common::between(&list, "id=\"mails\"", "</table>");
    for expected in [
        "<th>日時</th><th>宛先</th><th>件名</th><th>種別</th><th>状態</th>",
        "buyer@example.jp",
        "shop@example.com",
        "サンキューメール",
        "受注メール",
        "書き出し済み",
    ] {
        assert!(table.contains(expected), "{expected} in {table}");
    }
    let mail = &mails_of(&app, order_id).await[0];
    let (status, detail) = app.page(&format!("/admin/mails/{}", mail.id)).await;
    assert_eq!(status, 200);
    assert!(detail.contains(&mail.subject));
    assert!(detail.contains("kessai デモショップ &lt;noreply@example.com&gt;"));
    let body = common::between(&detail, "id=\"mail-body\"", "</pre>");
    assert!(body.contains("山田 太郎 様"), "{body}");
    assert!(body.contains("総合計金額：1,080円"), "{body}");
    assert_eq!(app.page("/admin/mails/999999").await.0, 404);

    for _ in 0..50 {
        app.state.mailer.queue_thank_you(order_id).await.unwrap();
    }
    let rows = |html: &str| html.matches("<a href=\"/admin/mails/").count();
    let (_, first) = app.page("/admin/mails").await;
    assert!(first.contains("52件（1 / 2 ページ）"), "{first}");
    assert_eq!(rows(&first), 50);
    assert!(first.contains("href=\"/admin/mails?page=2\" rel=\"next\""));
    let (_, second) = app.page("/admin/mails?page=2").await;
    assert_eq!(rows(&second), 2);
    assert!(second.contains("href=\"/admin/mails?page=1\" rel=\"prev\""));
    let (status, odd) = app.page("/admin/mails?page=zzz").await;
    assert_eq!((status, rows(&odd)), (200, 50));
}

#[tokio::test]
async fn the_mail_pages_need_a_login_and_the_send_button_a_csrf_token() {
    let app = TestApp::demo().await;
    let started = app.start_checkout(None).await;
    let order_id = kessai::payments::orders::confirm(
        &app.state.payments,
        &started.link_key,
        OrderOrigin::Operator,
    )
    .await
    .unwrap()
    .order_id();
    let send = format!("/admin/orders/{order_id}/thank-you-mail");

    for path in ["/admin/mails", "/admin/mails/1"] {
        let r = app.get(path).await;
        assert_eq!(r.status().as_u16(), 303, "{path}");
        assert!(location(&r).starts_with("/admin/login"), "{path}");
    }
    let r = app.post_form(&send, &[]).await;
    assert!(location(&r).starts_with("/admin/login"));

    app.login().await;
    let r = app.post_form(&send, &[("csrf", "forged")]).await;
    assert_eq!(r.status().as_u16(), 403);
    let r = app.post_form(&send, &[]).await;
    assert_eq!(r.status().as_u16(), 403);

    app.worker.run_until_idle().await.unwrap();
    assert_eq!(app.state.store.mail_count().await.unwrap(), 0);
}

#[tokio::test]
async fn a_wrong_shop_mail_address_is_refused_naming_the_field() {
    let app = TestApp::demo().await;
    app.login().await;
    let csrf = app.csrf().await;

    let r = app
        .post_form(
            "/admin/shop",
            &[
                ("csrf", &csrf),
                ("shop_name", "kessai デモショップ"),
                ("company_name", "株式会社ケッサイデモ"),
                ("order_email", "shop@example.com"),
                ("sender_email", "noreply@@example.com"),
            ],
        )
        .await;

    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("送信元メールアドレスを正しく入力してください"),
        "{html}"
    );
    assert!(!html.contains("受注メールアドレスを正しく入力してください"));
    assert!(
        html.contains("value=\"noreply@@example.com\""),
        "input kept"
    );
    assert_eq!(
        app.state.settings.shop().await.unwrap().sender_email,
        "noreply@example.com",
        "nothing saved"
    );
}
