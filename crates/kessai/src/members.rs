//! Members (会員) as buyers see them: 新規会員登録, login, 会員情報編集 and 退会.
//!
//! A member's details are validated like a buyer's お客様情報 ([`Buyer::parse`]), so
//! what a member stores can be sent to a provider as it is. E-mail addresses are kept in
//! lower case, so a member logs in however they type theirs. Passwords are Argon2id. Failed
//! logins count in the same table as the admin's, under names of their own, so a buyer's
//! failures never lock the admin out.

use chrono::Duration;
use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::domain::buyer::Buyer;
use crate::domain::input::Invalid;
use crate::payments::{Payments, PaymentsError};
use crate::secrets::{hash_password, verify_password, DUMMY_PASSWORD_HASH};
use crate::store::{Member, NewMember, Store, StoreError};

/// Failed logins allowed within [`LOCKOUT_MINUTES`] per e-mail address or client.
const MAX_FAILED_LOGINS: i64 = 5;
/// How long failed logins count: a refused login may be tried again within this time.
pub const LOCKOUT_MINUTES: i64 = 15;
/// Shortest and longest password.
const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 8..=128;

/// The member form: お客様情報 plus the e-mail address again and the password twice.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MemberForm {
    #[serde(flatten)]
    pub customer: Buyer,
    pub email_confirm: String,
    /// Never shown again on a re-rendered form.
    #[serde(skip_serializing)]
    pub password: String,
    #[serde(skip_serializing)]
    pub password_confirm: String,
}

impl MemberForm {
    /// The form filled with a member's details (passwords empty).
    pub fn of(m: &Member) -> Self {
        Self {
            customer: m.buyer.clone(),
            email_confirm: m.buyer.email.clone(),
            ..Self::default()
        }
    }
}

/// Why a member form was refused.
#[derive(Debug, thiserror::Error)]
pub enum MemberError {
    /// Input errors, each naming its field.
    #[error("入力内容に誤りがあります")]
    Invalid(Vec<Invalid>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a login was refused.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("メールアドレスまたはパスワードが正しくありません。")]
    Wrong,
    #[error("ログインの試行回数が多すぎます。しばらく時間をおいてから再度お試しください。")]
    TooManyAttempts,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a withdrawal (退会) did not happen.
#[derive(Debug, thiserror::Error)]
pub enum WithdrawError {
    /// The member may not withdraw now; the message says why.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks the form; `password_required` is false on 会員情報編集, where an empty password
/// keeps the current one. Returns the details (e-mail in lower case) and the new password.
fn parse(
    form: &MemberForm,
    password_required: bool,
) -> Result<(Buyer, Option<String>), Vec<Invalid>> {
    let mut errors = Vec::new();
    let customer = form.customer.parse("").map_err(|e| errors.extend(e)).ok();
    if form.email_confirm.trim() != form.customer.email.trim() {
        errors.push(Invalid::new(
            "email_confirm",
            "メールアドレス（確認用）がメールアドレスと一致しません",
        ));
    }
    let password = if form.password.is_empty() && !password_required {
        None
    } else {
        let chars = form.password.chars().count();
        if !PASSWORD_CHARS.contains(&chars) || form.password.chars().any(char::is_control) {
            errors.push(Invalid::new(
                "password",
                format!(
                    "パスワードは{}文字以上{}文字以内で入力してください",
                    PASSWORD_CHARS.start(),
                    PASSWORD_CHARS.end()
                ),
            ));
        } else if form.password_confirm != form.password {
            errors.push(Invalid::new(
                "password_confirm",
                "パスワード（確認用）がパスワードと一致しません",
            ));
        }
        Some(form.password.clone())
    };
    match customer {
        Some(mut c) if errors.is_empty() => {
            c.email = c.email.to_lowercase();
            Ok((c, password))
        }
        _ => Err(errors),
    }
}

fn new_member(buyer: Buyer, password_hash: String) -> NewMember {
    NewMember {
        buyer,
        password_hash,
    }
}

fn email_taken() -> MemberError {
    MemberError::Invalid(vec![Invalid::new(
        "email",
        "このメールアドレスは既に登録されています",
    )])
}

fn hash(password: &str) -> Result<String, StoreError> {
    hash_password(password).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// 新規会員登録: validates the form and registers the member; returns the new member id.
pub async fn register(store: &Store, clock: &Clock, form: &MemberForm) -> Result<i64, MemberError> {
    let (customer, password) = parse(form, true).map_err(MemberError::Invalid)?;
    if store.member_by_email(&customer.email).await?.is_some() {
        return Err(email_taken());
    }
    let password_hash = hash(&password.unwrap_or_default())?;
    store
        .create_member(&new_member(customer, password_hash), clock.now())
        .await?
        .ok_or_else(email_taken)
}

/// 会員情報編集: validates the form and replaces the member's details (the password only
/// when a new one was entered).
pub async fn update(store: &Store, member: &Member, form: &MemberForm) -> Result<(), MemberError> {
    let (customer, password) = parse(form, false).map_err(MemberError::Invalid)?;
    let password_hash = match password {
        Some(p) => hash(&p)?,
        None => member.password_hash.clone(),
    };
    if store
        .update_own_profile(member.id, &new_member(customer, password_hash))
        .await?
    {
        Ok(())
    } else {
        Err(email_taken())
    }
}

/// Logs a member in by e-mail address and password; a withdrawn member cannot. `client`
/// (the buyer's address) counts failures together with the e-mail address.
pub async fn authenticate(
    store: &Store,
    clock: &Clock,
    email: &str,
    password: &str,
    client: &str,
) -> Result<Member, LoginError> {
    let now = clock.now();
    let email = email.trim().to_lowercase();
    let (login_key, client_key) = (format!("member:{email}"), format!("member:{client}"));
    let recent = store
        .failed_logins_since(
            &login_key,
            &client_key,
            now - Duration::minutes(LOCKOUT_MINUTES),
        )
        .await?;
    if recent >= MAX_FAILED_LOGINS {
        tracing::warn!(client, "member login refused: too many failed attempts");
        return Err(LoginError::TooManyAttempts);
    }
    let member = store
        .member_by_email(&email)
        .await?
        .filter(|m| m.withdrawn_at.is_none());
    let verified = verify_password(
        password,
        member
            .as_ref()
            .map_or(DUMMY_PASSWORD_HASH, |m| &m.password_hash),
    );
    match member {
        Some(m) if verified => {
            store.clear_failed_logins(&login_key).await?;
            Ok(m)
        }
        _ => {
            store
                .record_failed_login(&login_key, &client_key, now)
                .await?;
            tracing::info!(client, "failed member login");
            Err(LoginError::Wrong)
        }
    }
}

/// Why a member may not withdraw now, in words for them; `None` when nothing stands in the
/// way. As in Welcart, a member whose recurring contract (継続課金) or subscription (定期購入)
/// is still 継続中 must not withdraw, since the next charge needs the member and the stored
/// card. Those contracts live in the `recurring_contracts` table of recurring billing; until
/// that table exists no member has one, so no member is refused.
pub async fn withdrawal_refusal(
    _store: &Store,
    _member_id: i64,
) -> Result<Option<String>, StoreError> {
    Ok(None)
}

/// 退会: unless refused, deletes the member's stored cards at the provider, marks the
/// member withdrawn and ends their sessions. Their orders stay.
pub async fn withdraw(payments: &Payments, member_id: i64) -> Result<(), WithdrawError> {
    let store = payments.store();
    if let Some(reason) = withdrawal_refusal(store, member_id).await? {
        return Err(WithdrawError::Refused(reason));
    }
    let actor = format!("会員{member_id}");
    for card in store.member_cards(member_id).await? {
        match payments.remove_stored_card(card.id, &actor).await {
            Ok(()) => {}
            Err(PaymentsError::Store(e)) => return Err(e.into()),
            Err(e) => {
                tracing::warn!(member_id, error = %e, "stored card not removed at withdrawal");
                return Err(WithdrawError::Refused(format!(
                    "登録済みのクレジットカードを削除できなかったため、退会できませんでした。時間をおいて再度お試しください。（{e}）"
                )));
            }
        }
    }
    store
        .withdraw_member(member_id, payments.clock().now())
        .await?;
    Ok(())
}
