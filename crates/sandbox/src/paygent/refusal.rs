//! Telegram-level refusals: the `response_code` / `response_detail` pairs of spec §11.1.
//!
//! Paygent answers every refused telegram with HTTP 200 and `result=1`. The spec quotes the
//! wording of P006, P015 and P016 (P015 is never triggered by the sandbox); the other Japanese
//! messages here are the sandbox's own phrasing of the meanings the spec lists. Card errors
//! 2001/2002/2003 carry the acquirer detail code (e.g. `1G12`) instead of a message.

/// A telegram refused with one of Paygent's response codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `response_code`, e.g. `P006` or `2004`.
    pub code: &'static str,
    /// `response_detail`: a message, or an acquirer detail code for card errors.
    pub detail: String,
    /// Payment id to report despite the refusal (020 with 2003, §5).
    pub payment_id: Option<u64>,
}

impl Refusal {
    fn new(code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            payment_id: None,
        }
    }

    /// Attach the payment id a refusal still reports.
    pub fn with_payment(mut self, payment_id: u64) -> Self {
        self.payment_id = Some(payment_id);
        self
    }

    /// P001: merchant_id, connect_id or connect_password not given.
    pub fn auth_missing() -> Self {
        Self::new("P001", "認証パラメータが設定されていません")
    }

    /// P002: the connect credentials do not match.
    pub fn auth_failed() -> Self {
        Self::new("P002", "認証に失敗しました")
    }

    /// P003: `telegram_version` is not the contracted `1.0`.
    pub fn version() -> Self {
        Self::new("P003", "電文バージョンが不正です")
    }

    /// P004: the telegram kind is not served at the URL it was posted to.
    pub fn wrong_url() -> Self {
        Self::new("P004", "このURLではご利用いただけない決済です")
    }

    /// P005: the item itself is absent from the telegram.
    pub fn absent(name: &str) -> Self {
        Self::new("P005", format!("\"{name}\" パラメータが存在しません"))
    }

    /// P006: the item is present with an empty value (wording from spec §11.1).
    pub fn empty(name: &str) -> Self {
        Self::new(
            "P006",
            format!("\"{name}\" パラメータの値が設定されていません"),
        )
    }

    /// P008: wrong character type or format.
    pub fn format(name: &str) -> Self {
        Self::new("P008", format!("\"{name}\" パラメータの型が不正です"))
    }

    /// P009: too long (in Shift_JIS bytes).
    pub fn length(name: &str) -> Self {
        Self::new("P009", format!("\"{name}\" パラメータの桁数が不正です"))
    }

    /// P010: a value outside the allowed set, or an inconsistent combination.
    pub fn invalid(name: &str) -> Self {
        Self::new("P010", format!("\"{name}\" パラメータの値が不正です"))
    }

    /// P011: the amount is above the payment method's limit.
    pub fn over_limit() -> Self {
        Self::new("P011", "金額が決済手段の上限を超えています")
    }

    /// P012: the payment limit date (days) of an ATM or konbini payment is out of range.
    pub fn limit_date() -> Self {
        Self::new("P012", "支払期限日が不正です")
    }

    /// P014: the amount must be greater than zero.
    pub fn zero_amount() -> Self {
        Self::new("P014", "金額には0より大きい値を設定してください")
    }

    /// P016: no client certificate was presented (wording from spec §2.3).
    pub fn client_certificate() -> Self {
        Self::new("P016", "クライアント証明書が不正です")
    }

    /// P018: a function the sandbox (or the merchant's contract) does not offer.
    pub fn unavailable() -> Self {
        Self::new("P018", "ご利用いただけない機能です")
    }

    /// P022: the stored card named in a payment does not exist.
    pub fn stored_card_not_found() -> Self {
        Self::new("P022", "お預りカード情報が存在しません")
    }

    /// P023: the customer already has ten stored cards.
    pub fn too_many_cards() -> Self {
        Self::new("P023", "お預りカード情報の登録件数が上限に達しています")
    }

    /// P025: nothing to delete for this customer / card.
    pub fn delete_not_found() -> Self {
        Self::new("P025", "削除対象のカード情報が存在しません")
    }

    /// P026: nothing to list for this customer / card.
    pub fn inquiry_not_found() -> Self {
        Self::new("P026", "照会対象のカード情報が存在しません")
    }

    /// E001: the sandbox itself failed (a page template, say).
    pub fn system() -> Self {
        Self::new("E001", "システムエラーが発生しました")
    }

    /// 2001 / 2002 / 2003: the card network refused; `detail` is the acquirer code.
    pub fn card(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(code, detail)
    }

    /// 2004: the operation is not allowed in the payment's current status.
    pub fn status() -> Self {
        Self::new("2004", "現在の決済ステータスでは処理できません")
    }

    /// 2005: the trading_id names several payments.
    pub fn ambiguous() -> Self {
        Self::new("2005", "取引IDに該当する決済が複数存在します")
    }

    /// 2006: no such payment for this merchant.
    pub fn not_found() -> Self {
        Self::new("2006", "該当する決済が存在しません")
    }

    /// 2007: the authorisation or the cancel period has expired.
    pub fn expired() -> Self {
        Self::new("2007", "有効期限が切れています")
    }

    /// 2008: timeout towards the card network; the telegram may be retried.
    pub fn timeout() -> Self {
        Self::new("2008", "カード会社との通信がタイムアウトしました")
    }

    /// 2009: `ref_trading_id` names no usable earlier payment.
    pub fn ref_trading_id() -> Self {
        Self::new("2009", "参照取引IDが利用できません")
    }

    /// 2010: re-authorisation created the new payment but could not cancel the old one.
    pub fn reauth_partial() -> Self {
        Self::new("2010", "補正オーソリ後の元決済の取消に失敗しました")
    }

    /// 2012: re-capture created the new payment but could not cancel the old one.
    pub fn recapture_partial() -> Self {
        Self::new("2012", "補正売上後の元決済の取消に失敗しました")
    }

    /// 2013: the new amount is zero or above the old one.
    pub fn amount_change() -> Self {
        Self::new("2013", "補正後の金額が不正です")
    }

    /// 2014: amount changes are not allowed for a 3-D Secure payment (§6.3).
    pub fn three_d_secure_payment() -> Self {
        Self::new("2014", "3Dセキュア決済は補正できません")
    }

    /// 2020: the token has passed its `valid_until`.
    pub fn token_expired() -> Self {
        Self::new("2020", "トークンの有効期限が切れています")
    }

    /// 2021: unknown token (or another merchant's).
    pub fn token_unknown() -> Self {
        Self::new("2021", "トークンが存在しません")
    }

    /// 2022: the token was already used by a successful telegram.
    pub fn token_used() -> Self {
        Self::new("2022", "トークンは使用済みです")
    }

    /// 2023: raw card data is not accepted from this merchant.
    pub fn raw_card() -> Self {
        Self::new("2023", "カード番号を直接指定することはできません")
    }

    /// 2024: a token mixed with another way of naming the card.
    pub fn token_mixed() -> Self {
        Self::new("2024", "トークンと他のカード指定方法は併用できません")
    }

    /// 2026: a full-card token where a CVC token is expected, or the reverse.
    pub fn token_type() -> Self {
        Self::new("2026", "トークンの種類が不正です")
    }

    /// 31007: 3-D Secure authentication failed.
    pub fn threeds_failed() -> Self {
        Self::new("31007", "3Dセキュア認証に失敗しました")
    }

    /// 31008: `3ds_auth_id` given without `3dsecure_use_type=2`.
    pub fn threeds_not_type2() -> Self {
        Self::new(
            "31008",
            "3Dセキュア利用タイプが2以外のとき3Dセキュア認証IDは指定できません",
        )
    }

    /// 31009: `3dsecure_use_type=2` without `3ds_auth_id`.
    pub fn threeds_id_missing() -> Self {
        Self::new("31009", "3Dセキュア認証IDが指定されていません")
    }

    /// 31010: the `3ds_auth_id` was already used by a payment.
    pub fn threeds_used() -> Self {
        Self::new("31010", "3Dセキュア認証IDは使用済みです")
    }

    /// 31011: no usable authentication with this `3ds_auth_id`.
    pub fn threeds_unknown() -> Self {
        Self::new("31011", "3Dセキュア認証IDに該当する認証結果が存在しません")
    }

    /// 31012: the acquirer does not support 3-D Secure for the card's brand.
    pub fn threeds_unsupported() -> Self {
        Self::new("31012", "このカードブランドは3Dセキュアに対応していません")
    }

    /// 31013: the buyer did not finish the challenge in time (wording from §6.4).
    pub fn threeds_timeout() -> Self {
        Self::new("31013", "認証タイムアウト")
    }

    /// 3002: the konbini vendor (Wellnet) refused the application.
    pub fn konbini_vendor() -> Self {
        Self::new(
            "3002",
            "コンビニ決済の申込でエラーが発生しました（ウェルネット）",
        )
    }

    /// 5008: the bank net trade is already paid.
    pub fn bank_paid() -> Self {
        Self::new("5008", "既に支払済みです")
    }

    /// 5009: the bank net ASP request has expired.
    pub fn bank_expired() -> Self {
        Self::new("5009", "支払期限を過ぎています")
    }

    /// 5010: a still-valid unpaid ASP request exists for this trading_id (its data is
    /// returned again).
    pub fn bank_duplicate() -> Self {
        Self::new("5010", "有効な申込が既に存在します")
    }

    /// 5011: the buyer chose a bank too many times.
    pub fn bank_selections() -> Self {
        Self::new("5011", "銀行選択回数の上限を超えました")
    }

    /// 24001: no such Paidy payment.
    pub fn paidy_not_found() -> Self {
        Self::new("24001", "該当するPaidy決済が存在しません")
    }

    /// 24002: the trading_id names several Paidy payments.
    pub fn paidy_ambiguous() -> Self {
        Self::new("24002", "取引IDに該当するPaidy決済が複数存在します")
    }

    /// 24003: the Paidy payment's status does not allow the operation.
    pub fn paidy_status() -> Self {
        Self::new("24003", "現在の決済ステータスでは処理できません")
    }

    /// 24006: the payment expired at Paidy.
    pub fn paidy_expired() -> Self {
        Self::new("24006", "Paidyで決済の有効期限が切れています")
    }

    /// 24007: the refund exceeds the payment's amount.
    pub fn paidy_refund_amount() -> Self {
        Self::new("24007", "返金額が決済金額を超えています")
    }

    /// 13001: 094 found no payment.
    pub fn inquiry_none() -> Self {
        Self::new("13001", "該当する決済情報が存在しません")
    }

    /// 13002: 094's trading_id names several payments.
    pub fn inquiry_ambiguous() -> Self {
        Self::new("13002", "取引IDに該当する決済情報が複数存在します")
    }
}
