//! The atone widget checkout (spec §7): after 「上記内容で注文する」 the hand-off page opens
//! atone's widget in the page with the payment object and its checksum; the widget's
//! callbacks post the result to `/checkout/{key}/result`, and kessai reads the transaction
//! back from atone (取引参照) before the order is made: the amount, the shop transaction
//! number and the authorization result must be its own.

use serde::Deserialize;

use super::map::{error_message, ng_reason, status_of};
use super::wire::{Customer, DestCustomer, Item, Payment};
use super::Config;
use crate::providers::interface::{
    Checkout, Confirmation, Decline, Fields, FormError, Next, Page, ProviderError, Resumed,
};

/// The page templates of atone's hand-off.
pub const TEMPLATES: &[(&str, &str)] = &[(
    "atone/checkout_widget.html",
    include_str!("templates/checkout_widget.html"),
)];

/// The widget page's script, served at `/checkout/assets/atone_widget.js`.
pub const ASSETS: &[(&str, &str, &str)] = &[(
    "atone_widget.js",
    "text/javascript; charset=utf-8",
    include_str!("assets/widget.js"),
)];

/// What the widget's callbacks brought back, as the page posts it (or a headless shop as
/// `{"atone": {"step": "result", …}}`).
#[derive(Debug, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case", deny_unknown_fields)]
pub enum Submission {
    /// The widget ended: `succeeded`, `failed`, `cancelled` or `error`.
    Result(WidgetResult),
}

/// The widget's result.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WidgetResult {
    pub outcome: String,
    /// The transaction id (`tr_…`).
    pub transaction_id: String,
    /// The buyer's 決済認証トークン (`authenticated`).
    pub authentication_token: String,
    /// `authorization_result_ng_reason` of an NG.
    pub ng_reason: String,
    /// The first EATN code of a widget error.
    pub error_code: String,
    pub error_message: String,
}

/// What kessai keeps between the widget and 取引修正: the buyer's token and who they are.
#[derive(Debug, Default, serde::Serialize, Deserialize)]
pub struct Kept {
    pub authentication_token: String,
    pub customer: Customer,
    pub dest_customers: Vec<DestCustomer>,
}

impl Config {
    /// The widget page (with the buyer's message after a refusal).
    pub fn handoff(&self, c: &Checkout, error: Option<&str>) -> Page {
        let payment = self.payment(c).signed(self.secret_key.expose());
        Page::Template {
            template: "atone/checkout_widget.html",
            title: "atone".to_owned(),
            context: serde_json::json!({
                "action": c.urls.step("result"),
                "amount": c.payment.amount,
                "payment_method_name": c.method_name,
                "widget": {
                    "script_url": self.widget_url,
                    "public_key": self.public_key,
                    "payment_json": serde_json::to_string(&payment).expect("a payment serializes"),
                },
                "error": error,
            }),
        }
    }

    /// The payment object of a checkout: its items, the shipping fee and whatever else the
    /// total holds (fees, discounts) as lines whose sum is the amount (EATN1102 otherwise).
    pub fn payment(&self, c: &Checkout) -> Payment {
        let mut items: Vec<Item> = c
            .items
            .iter()
            .map(|l| Item {
                shop_item_id: ascii_id(&l.code),
                item_name: cut(&l.name, 100),
                item_price: l.unit_price,
                item_count: l.quantity,
            })
            .collect();
        if c.shipping_fee != 0 {
            items.push(line("shipping", "送料", c.shipping_fee));
        }
        let listed: i64 = items.iter().map(|i| i.item_price * i.item_count).sum();
        if listed != c.payment.amount {
            items.push(line(
                "adjustment",
                "手数料・値引き",
                c.payment.amount - listed,
            ));
        }
        let (customer, dest) = people(c);
        Payment {
            amount: c.payment.amount,
            shop_transaction_no: c.payment.trading_id.clone(),
            sales_settled: self.capture_at_once,
            description_trans: String::new(),
            customer,
            dest_customers: vec![dest],
            items,
            checksum: None,
            authentication_token: None,
            updated_transactions: Vec::new(),
        }
    }

    /// Reads the widget page's post.
    pub fn form_submission(&self, step: &str, fields: &Fields) -> Result<Submission, FormError> {
        if step != "result" {
            return Err(FormError::UnknownStep);
        }
        let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
        Ok(Submission::Result(WidgetResult {
            outcome: get("outcome"),
            transaction_id: get("transaction_id"),
            authentication_token: get("authentication_token"),
            ng_reason: get("ng_reason"),
            error_code: get("error_code"),
            error_message: get("error_message"),
        }))
    }

    /// The widget's result: an approval is read back from atone before the order is made.
    pub async fn resume(&self, c: &Checkout, submission: Submission) -> Resumed {
        let Submission::Result(r) = submission;
        match r.outcome.as_str() {
            "succeeded" => {}
            "failed" if !r.transaction_id.is_empty() => {
                let (word, message) = ng_reason(r.ng_reason.parse().ok());
                return Resumed::to(Next::Declined(Decline::logged(
                    message,
                    word,
                    &format!("{} authorization_result=2 ng_reason={}", r.transaction_id, r.ng_reason),
                )));
            }
            "failed" | "error" => {
                return Resumed::to(Next::Declined(Decline::logged(
                    error_message(&r.error_code),
                    &r.error_code,
                    &r.error_message,
                )))
            }
            _ => {
                return Resumed::to(Next::Declined(Decline::retry(
                    "atoneでのお支払いが完了していません。お支払いを続ける場合は「atoneで支払う」を押してください。",
                )))
            }
        }
        let next = match self.client().transaction(&r.transaction_id).await {
            Ok(t) => match check(&t, &c.payment.trading_id, c.payment.amount) {
                Ok(()) => Next::Confirmed(Confirmation::of(status_of(&t).report(&t.id, t.amount))),
                Err(why) => Next::Declined(Decline::logged(
                    "お支払いの内容を確認できませんでした。ショップにお問い合わせください。",
                    "取引参照",
                    &why,
                )),
            },
            Err(ProviderError::Unknown(_)) => Next::Unknown,
            Err(e) => Next::Declined(Decline::logged(
                "お支払いの内容を確認できませんでした。もう一度お試しください。",
                e.code(),
                &e.to_string(),
            )),
        };
        let (customer, dest) = people(c);
        let kept = Kept {
            authentication_token: r.authentication_token,
            customer,
            dest_customers: vec![dest],
        };
        Resumed {
            next,
            keep: Some(serde_json::to_string(&kept).expect("kept data serializes")),
        }
    }
}

/// Checks a transaction read from atone against the checkout it should pay.
pub fn check(t: &super::wire::Transaction, trading_id: &str, amount: i64) -> Result<(), String> {
    if t.shop_transaction_no != trading_id {
        return Err(format!(
            "加盟店取引番号が一致しません(atone: {}、ご注文: {trading_id})",
            t.shop_transaction_no
        ));
    }
    if t.amount != amount {
        return Err(format!(
            "金額が一致しません(atone: {}円、ご注文: {amount}円)",
            t.amount
        ));
    }
    if t.authorization_result != 1 {
        return Err(format!(
            "与信結果がOKではありません(authorization_result={})",
            t.authorization_result
        ));
    }
    Ok(())
}

/// The buyer as atone's customer and destination.
fn people(c: &Checkout) -> (Customer, DestCustomer) {
    let b = &c.buyer;
    let name = format!("{} {}", b.family_name, b.given_name);
    let kana = hiragana(&format!("{} {}", b.family_kana, b.given_kana));
    let address = format!("{}{}{}", b.prefecture, b.address1, b.address2);
    let tel = b.phone_digits();
    let customer = Customer {
        customer_name: cut(&name, 100),
        customer_family_name: cut(&b.family_name, 50),
        customer_given_name: cut(&b.given_name, 50),
        customer_name_kana: cut(&kana, 128),
        customer_family_name_kana: cut(&hiragana(&b.family_kana), 64),
        customer_given_name_kana: cut(&hiragana(&b.given_kana), 64),
        zip_code: b.postal_code.clone(),
        address: cut(&address, 255),
        tel: tel.clone(),
        email: b.email.clone(),
    };
    let dest = DestCustomer {
        dest_customer_name: customer.customer_name.clone(),
        dest_customer_name_kana: customer.customer_name_kana.clone(),
        dest_zip_code: b.postal_code.clone(),
        dest_address: customer.address.clone(),
        dest_tel: tel,
    };
    (customer, dest)
}

fn line(id: &str, name: &str, price: i64) -> Item {
    Item {
        shop_item_id: id.to_owned(),
        item_name: name.to_owned(),
        item_price: price,
        item_count: 1,
    }
}

/// `shop_item_id` takes half-width characters only.
fn ascii_id(code: &str) -> String {
    let id: String = code
        .chars()
        .filter(char::is_ascii_graphic)
        .take(100)
        .collect();
    if id.is_empty() {
        "item".to_owned()
    } else {
        id
    }
}

fn cut(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}

/// Katakana as hiragana (atone's kana fields are hiragana).
fn hiragana(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'ァ'..='ヶ' => char::from_u32(u32::from(c) - 0x60).unwrap_or(c),
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kana_become_hiragana() {
        assert_eq!(hiragana("ヤマダ タロウ"), "やまだ たろう");
    }

    #[test]
    fn a_transaction_of_another_checkout_or_amount_is_refused() {
        let t = super::super::wire::Transaction {
            id: "tr_1".into(),
            shop_transaction_no: "KEY".into(),
            amount: 1080,
            authorization_result: 1,
            authorization_result_ng_reason: None,
            sales_settled_datetime: None,
            amount_refund_total: None,
            authentication_token: None,
        };
        assert!(check(&t, "KEY", 1080).is_ok());
        assert!(check(&t, "OTHER", 1080)
            .unwrap_err()
            .contains("加盟店取引番号"));
        assert!(check(&t, "KEY", 1).unwrap_err().contains("金額"));
    }
}
