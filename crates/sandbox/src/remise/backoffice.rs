//! The stand-in for ルミーズ加盟店バックヤードシステム and the sandbox's test tool:
//! * `GET /backoffice` — the transactions (請求番号, 金額, 支払方法, 処理日時, 集計区分 of
//!   card payments: 仮売上 / 売上 / 取消 / 返品 / エラー / 有効性チェック, marked 未確認 when
//!   the shop did not acknowledge the RET; of multi payments: 未入金 / 入金済 / 期限切れ),
//!   PayQuick cards, the notifications sent, the settings and the test cards (UTF-8);
//! * `POST /backoffice/settings` — `result_url` (結果通知URL) and `receipt_url`
//!   (収納情報通知URL); empty switches that notification off;
//! * `POST /backoffice/receipt` — `S_TORIHIKI_NO` or `JOB_ID` (optionally `SHOPCO`): the
//!   buyer paid an unpaid multi payment; it becomes 入金済 and its 収納情報通知 is sent at
//!   once. An expired or paid one is refused;
//! * `POST /backoffice/expire` — the same keys: an unpaid multi payment becomes 期限切れ
//!   now (no notification: the spec saw none for expiry);
//! * `POST /backoffice/notices/deliver` — see `notify.rs`.
//!
//! The receipt and expire forms answer JSON (`{"job_id","s_torihiki_no","state",
//! "delivered"}`, or `{"error"}` with 404/409) when the request accepts
//! `application/json`, else 303 back to the page with a message.

use axum::extract::{OriginalUri, Query, State};
use axum::http::header::{ACCEPT, LOCATION};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use chrono::{DateTime, Utc};
use minijinja::context;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde::Deserialize;
use serde_json::json;

use super::notify;
use super::pages;
use super::payment;
use super::store::{
    shown, CardState, MultiPayment, MultiState, Store, AUTH_HOLD_DAYS, DEFAULT_PAY_DAYS,
    RESEND_MINUTES,
};
use super::testcard;
use super::wire::is_web_url;
use super::Sandbox;
use crate::pages::{base_url, group_thousands};

/// `?message=…` of the page.
#[derive(Debug, Deserialize)]
pub struct Shown {
    #[serde(default)]
    message: Option<String>,
}

/// `GET /backoffice`.
pub async fn show(State(sandbox): State<Sandbox>, Query(query): Query<Shown>) -> Response {
    let now = (sandbox.clock)();
    let mut store = sandbox.lock();
    store.sweep(now);
    let context = page_context(&store, now, query.message);
    pages::utf8(StatusCode::OK, "remise/backoffice.html", context)
}

fn page_context(store: &Store, now: DateTime<Utc>, message: Option<String>) -> minijinja::Value {
    let cards: Vec<_> = store
        .cards
        .iter()
        .rev()
        .map(|c| {
            let mut state = c.state.label().to_owned();
            if let CardState::Declined(decline) = c.state {
                state = format!("{state}（{} {}）", decline.errcode, decline.meaning);
            }
            if c.state == CardState::Authorised && c.hold_expired(now) {
                state.push_str("（保持期限切れ）");
            }
            context! {
                s_torihiki_no => c.s_torihiki_no,
                tranid => c.tranid,
                shopco => c.shopco,
                hostid => c.hostid,
                name => c.card.name,
                card => format!("{} ****{} {}/{}", c.card.brand, c.card.last4, &c.card.expire[..2], &c.card.expire[2..]),
                total => group_thousands(c.total),
                tax => group_thousands(c.tax),
                method => c.method.label(),
                job => payment::job_name(c.job),
                at => shown(c.created),
                state,
                unconfirmed => c.unconfirmed,
                payquick_id => c.payquick_id.clone().unwrap_or_default(),
                member => c.autocharge_member.clone().unwrap_or_default(),
                history => c.history,
            }
        })
        .collect();
    let multis: Vec<_> = store
        .multis
        .iter()
        .rev()
        .map(|m| {
            context! {
                s_torihiki_no => m.s_torihiki_no,
                job_id => m.job_id,
                shopco => m.shopco,
                buyer => m.buyer,
                total => group_thousands(m.total),
                pay => format!("{}（{}）", m.pay_name, m.pay_csv),
                numbers => format!("{} / {}", m.pay_no1, m.pay_no2),
                at => shown(m.issued),
                paydate => m.paydate.format("%Y/%m/%d").to_string(),
                state => m.state.label(),
                unpaid => m.state == MultiState::Unpaid,
            }
        })
        .collect();
    let payquick: Vec<_> = store
        .payquick
        .iter()
        .map(|p| {
            context! {
                id => p.id,
                shopco => p.shopco,
                card => format!("{} ****{}", p.card.brand, p.card.last4),
                expire => format!("{}/{}", &p.card.expire[..2], &p.card.expire[2..]),
                name => p.card.name,
                at => shown(p.updated),
            }
        })
        .collect();
    let notices: Vec<_> = store
        .notices
        .iter()
        .rev()
        .map(|n| {
            context! {
                s_torihiki_no => n.s_torihiki_no,
                job_id => n.job_id,
                attempts => n.attempts,
                answer => n.last_answer,
                delivered => n.delivered.map(shown),
                next => n.delivered.is_none().then(|| shown(n.next_attempt)),
            }
        })
        .collect();
    let results: Vec<_> = store
        .results
        .iter()
        .rev()
        .map(|r| {
            context! {
                at => shown(r.at),
                kind => r.kind,
                s_torihiki_no => r.s_torihiki_no,
                answer => r.answer,
                acknowledged => r.acknowledged,
            }
        })
        .collect();
    let testcards = [
        (testcard::APPROVED_VISA, "VISA", "承認"),
        (testcard::APPROVED_MASTER, "MASTER", "承認"),
        (testcard::APPROVED_JCB, "JCB", "承認"),
        (testcard::APPROVED_AMEX, "AMEX", "承認"),
        (testcard::APPROVED_DINERS, "DINERS", "承認"),
        (
            testcard::DECLINED_G12,
            "VISA",
            "G12 お取り扱いできないカード",
        ),
        (testcard::DECLINED_G03, "VISA", "G03 限度額オーバー"),
        (testcard::DECLINED_G83, "VISA", "G83 有効期限エラー"),
        (testcard::DECLINED_G65, "VISA", "G65 カード番号エラー"),
    ]
    .map(|(number, brand, outcome)| context! { number, brand, outcome });
    context! {
        charset => "UTF-8",
        message,
        now => shown(now),
        result_url => store.settings.result_url.clone().unwrap_or_default(),
        receipt_url => store.settings.receipt_url.clone().unwrap_or_default(),
        cards,
        multis,
        payquick,
        notices,
        results,
        testcards => testcards.to_vec(),
        hold_days => AUTH_HOLD_DAYS,
        resend_minutes => RESEND_MINUTES,
        pay_days => DEFAULT_PAY_DAYS,
    }
}

/// How a back office form is answered: JSON when the request accepts it (the receipt and
/// expire forms), else 303 back to the page with a message.
struct Answer {
    /// Where the page is.
    page: String,
    /// The request accepts JSON.
    json: bool,
}

impl Answer {
    /// The answer to a request to the handler at `own_path` (below the mount point).
    fn new(headers: &HeaderMap, original: &Uri, own_path: &str) -> Self {
        let json = headers
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("application/json"));
        Self {
            page: format!("{}/backoffice", base_url(headers, original, own_path)),
            json,
        }
    }

    /// Back to the page with `message`.
    fn back(&self, message: &str) -> Response {
        let page = format!(
            "{}?message={}",
            self.page,
            utf8_percent_encode(message, NON_ALPHANUMERIC)
        );
        (StatusCode::SEE_OTHER, [(LOCATION, page)]).into_response()
    }

    /// The form was refused with `status` because of `error`.
    fn refused(&self, (status, error): (StatusCode, &str)) -> Response {
        if self.json {
            (status, Json(json!({ "error": error }))).into_response()
        } else {
            self.back(error)
        }
    }

    /// `multi` is now in `state`; `delivered` says whether its 収納情報通知 went through.
    fn moved(&self, multi: &MultiPayment, state: &str, delivered: bool, message: &str) -> Response {
        if !self.json {
            return self.back(message);
        }
        Json(json!({
            "job_id": multi.job_id,
            "s_torihiki_no": multi.s_torihiki_no,
            "state": state,
            "delivered": delivered,
        }))
        .into_response()
    }
}

/// The settings form.
#[derive(Debug, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    result_url: String,
    #[serde(default)]
    receipt_url: String,
}

/// `POST /backoffice/settings`.
pub async fn settings(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    OriginalUri(original): OriginalUri,
    Form(form): Form<SettingsForm>,
) -> Response {
    let answer = Answer::new(&headers, &original, "/backoffice/settings");
    let parse = |url: &str| -> Result<Option<String>, ()> {
        let url = url.trim();
        match url {
            "" => Ok(None),
            url if is_web_url(url) => Ok(Some(url.to_owned())),
            _ => Err(()),
        }
    };
    let (Ok(result_url), Ok(receipt_url)) = (parse(&form.result_url), parse(&form.receipt_url))
    else {
        return answer.back("URLは http:// または https:// で始めてください。");
    };
    {
        let mut store = sandbox.lock();
        store.settings.result_url = result_url;
        store.settings.receipt_url = receipt_url;
    }
    tracing::info!("remise sandbox settings updated");
    answer.back("設定を更新しました。")
}

/// The key of a multi payment in the test tool's forms.
#[derive(Debug, Deserialize)]
pub struct MultiKey {
    #[serde(rename = "S_TORIHIKI_NO", default)]
    s_torihiki_no: String,
    #[serde(rename = "JOB_ID", default)]
    job_id: String,
    #[serde(rename = "SHOPCO", default)]
    shopco: String,
}

impl MultiKey {
    fn index(&self, store: &Store) -> Option<usize> {
        let key = if self.job_id.is_empty() {
            &self.s_torihiki_no
        } else {
            &self.job_id
        };
        let shopco = Some(self.shopco.as_str()).filter(|s| !s.is_empty());
        (!key.is_empty())
            .then(|| store.multi_index(key, shopco))
            .flatten()
    }

    /// Apply `change` to the multi payment this key names, under the lock after the
    /// deadlines of `now` are judged: 404 when there is none, 409 when `change` refuses.
    fn change<T>(
        &self,
        sandbox: &Sandbox,
        now: DateTime<Utc>,
        change: impl FnOnce(&mut Store, usize) -> Result<T, &'static str>,
    ) -> Result<T, (StatusCode, &'static str)> {
        let mut store = sandbox.lock();
        store.sweep(now);
        let index = self
            .index(&store)
            .ok_or((StatusCode::NOT_FOUND, "取引が見つかりません"))?;
        change(&mut store, index).map_err(|error| (StatusCode::CONFLICT, error))
    }
}

/// `POST /backoffice/receipt`.
pub async fn receipt(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    OriginalUri(original): OriginalUri,
    Form(key): Form<MultiKey>,
) -> Response {
    let answer = Answer::new(&headers, &original, "/backoffice/receipt");
    let now = (sandbox.clock)();
    let received = key.change(&sandbox, now, |store, index| {
        let multi = store.multis[index].clone();
        store.receive(index, now).map(|id| (id, multi))
    });
    let (notice_id, multi) = match received {
        Ok(received) => received,
        Err(refusal) => return answer.refused(refusal),
    };
    tracing::info!(job_id = %multi.job_id, "remise sandbox multi payment received in the back office");
    notify::deliver_due(&sandbox).await;
    let delivered = sandbox
        .lock()
        .notices
        .iter()
        .any(|n| n.id == notice_id && n.delivered.is_some());
    let message = if delivered {
        "入金を登録し、収納情報通知を送信しました。"
    } else {
        "入金を登録しました。収納情報通知は届かなかったため再送します。"
    };
    answer.moved(&multi, MultiState::Paid(now).label(), delivered, message)
}

/// `POST /backoffice/expire`.
pub async fn expire(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    OriginalUri(original): OriginalUri,
    Form(key): Form<MultiKey>,
) -> Response {
    let answer = Answer::new(&headers, &original, "/backoffice/expire");
    let now = (sandbox.clock)();
    let expired = key.change(&sandbox, now, |store, index| {
        let multi = &mut store.multis[index];
        match multi.state {
            MultiState::Unpaid => {
                multi.state = MultiState::Expired(now);
                Ok(multi.clone())
            }
            MultiState::Paid(_) => Err("既に入金済みです"),
            MultiState::Expired(_) => Err("既に期限切れです"),
        }
    });
    let multi = match expired {
        Ok(multi) => multi,
        Err(refusal) => return answer.refused(refusal),
    };
    tracing::info!(job_id = %multi.job_id, "remise sandbox multi payment expired in the back office");
    answer.moved(&multi, multi.state.label(), false, "期限切れにしました。")
}
