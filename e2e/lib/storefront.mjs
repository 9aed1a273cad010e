// The storefront as a buyer uses it: 商品一覧, the product page, カート, お客様情報,
// 発送・支払方法, 内容確認 and 「上記内容で注文する」, which hands the buyer over to the card
// form; and the member pages: 新規会員登録, ログイン, マイページ.
import { randomUUID } from 'node:crypto';
import { navigating } from './browser.mjs';
import { BUYER, CARD_METHOD, DELIVERY_METHOD } from './shop.mjs';

/** The labels of the お客様情報 fields (also on 新規会員登録 and 会員情報編集), by field name. */
const CUSTOMER_LABELS = Object.freeze({
  email: 'メールアドレス',
  email_confirm: 'メールアドレス（確認用）',
  family_name: '姓',
  given_name: '名',
  family_kana: 'セイ（全角カタカナ）',
  given_kana: 'メイ（全角カタカナ）',
  postal_code: '郵便番号',
  prefecture: '都道府県',
  address1: '住所（市区町村・番地）',
  address2: '建物名（任意）',
  phone: '電話番号',
});

/** An e-mail address no other test (nor an earlier run on the same server) uses. */
export function uniqueEmail(who) {
  return `${who}-${Date.now().toString(36)}-${randomUUID().slice(0, 8)}@example.jp`;
}

/** お客様情報 as a buyer types it: `BUYER` with `email` (twice) and any field changed. */
export function customer(email, changes = {}) {
  return { ...BUYER, email, email_confirm: email, address2: '', ...changes };
}

/** The page's main heading (h1), e.g. to wait for the step a button leads to. */
export function heading(page, name) {
  return page.getByRole('heading', { level: 1, name, exact: true });
}

/** The green message a page shows after a post (「数量を更新しました。」…). */
export function notice(page, text) {
  return page.getByRole('status').filter({ hasText: text });
}

/** Presses a button that posts its form and waits for the page the post leads to. */
async function press(page, button) {
  await navigating(page, () => button.click());
}

/** Opens a product from 商品一覧 by its name and waits for its page. */
export async function openProduct(page, name) {
  await page.goto('/');
  await heading(page, '商品一覧').waitFor();
  await page.locator('#products').getByRole('link', { name, exact: true }).click();
  await heading(page, name).waitFor();
}

/** カートに入れる on the open product page; waits for カート. */
export async function addToCart(page, quantity = 1) {
  await page.getByLabel('数量', { exact: true }).fill(String(quantity));
  await press(page, page.getByRole('button', { name: 'カートに入れる' }));
  await heading(page, 'カート').waitFor();
}

/** The quantity field of a product's row in カート. */
export function cartQuantity(page, productName) {
  return page.getByLabel(`「${productName}」の数量`);
}

/** Changes a quantity in カート and presses 数量更新. */
export async function changeQuantity(page, productName, quantity) {
  await cartQuantity(page, productName).fill(String(quantity));
  await press(page, page.locator('#update-cart'));
  await notice(page, '数量を更新しました。').waitFor();
}

/** Presses 次へ and waits for the step `next` (a page heading). */
export async function next(page, nextHeading) {
  await press(page, page.getByRole('button', { name: '次へ', exact: true }));
  await heading(page, nextHeading).waitFor();
}

/**
 * Types `values` (field name → text, as `customer()` makes) into a form with the お客様情報
 * fields: `#customer-form`, `#register-form` or `#edit-form`.
 */
export async function fillCustomer(form, values) {
  for (const [field, value] of Object.entries(values)) {
    const label = CUSTOMER_LABELS[field];
    if (!label) continue;
    const input = form.getByLabel(label, { exact: true });
    if (field === 'prefecture') {
      await input.selectOption(value);
    } else {
      await input.fill(value);
    }
  }
}

/** The field of the お客様情報 form by its name (for what it kept after an error). */
export function customerField(form, field) {
  return form.getByLabel(CUSTOMER_LABELS[field], { exact: true });
}

/** The message under a field (`#error-<field>`), or '' when there is none. */
export async function fieldError(page, field) {
  const error = page.locator(`#error-${field}`);
  return (await error.count()) ? (await error.innerText()).trim() : '';
}

/**
 * On 発送・支払方法: chooses the delivery method, its first 配達希望日 and a 配達時間帯 when
 * the method offers them, and the payment method. Answers the date and time chosen as the
 * page shows them ('' when the method offers none).
 */
export async function chooseDelivery(
  page,
  { delivery = DELIVERY_METHOD, time = '午前中', payment = CARD_METHOD, note = '' } = {},
) {
  const form = page.locator('#delivery-form');
  await form.getByLabel(delivery, { exact: true }).check();
  const method = form.locator('fieldset').filter({ has: page.getByLabel(delivery, { exact: true }) });
  let date = '';
  const dates = method.getByLabel('配達希望日');
  if (await dates.count()) {
    // The first date offered (the first option is 指定しない).
    const first = dates.locator('option').nth(1);
    date = (await first.innerText()).trim();
    await dates.selectOption(await first.getAttribute('value'));
  }
  let chosenTime = '';
  const times = method.getByLabel('配達時間帯');
  if (time && (await times.count())) {
    await times.selectOption(time);
    chosenTime = time;
  }
  await form.getByLabel(payment, { exact: true }).check();
  await form.getByLabel('備考').fill(note);
  return { date, time: chosenTime };
}

/**
 * On 内容確認: presses 「上記内容で注文する」 and waits for the hand-off page it leads to, by
 * its heading: the card form, or the payment method's name (e.g. コンビニ決済(ペイジェント)).
 */
export async function placeOrder(page, handoffHeading = 'クレジットカード決済') {
  await press(page, page.locator('#order-form').getByRole('button', { name: '上記内容で注文する' }));
  await page.getByRole('heading', { name: handoffHeading }).waitFor();
}

/**
 * Puts one product in the cart and goes through お客様情報 (as `values` fill it; a member's
 * prefilled details when there are none) and 発送・支払方法 (paying with `payment`) up to
 * 内容確認, then orders: the page ends on the card form, or on the hand-off page of another
 * method (headed with the method's name).
 */
export async function orderOne(page, productName, values, { payment = CARD_METHOD } = {}) {
  await openProduct(page, productName);
  await addToCart(page);
  await next(page, 'お客様情報');
  if (values) {
    await fillCustomer(page.locator('#customer-form'), values);
  }
  await next(page, '発送・支払方法');
  await chooseDelivery(page, { payment });
  await next(page, '内容確認');
  await placeOrder(page, payment === CARD_METHOD ? 'クレジットカード決済' : payment);
}

/** A member's registration: お客様情報 plus a password. */
export function newMember(email, changes = {}) {
  return { ...customer(email, changes), password: `pw-${randomUUID().slice(0, 12)}` };
}

/** 新規会員登録: fills the form and registers; the member is logged in on マイページ. */
export async function registerMember(page, member) {
  await page.goto('/member/register');
  const form = page.locator('#register-form');
  await fillCustomer(form, member);
  await form.getByLabel('パスワード', { exact: true }).fill(member.password);
  await form.getByLabel('パスワード（確認用）').fill(member.password);
  await press(page, form.getByRole('button', { name: '会員登録する' }));
  await heading(page, 'マイページ').waitFor();
}

/** Logs a member in on ログイン; answers the page's error when the login is refused. */
export async function logInMember(page, email, password) {
  await page.goto('/member/login');
  const form = page.locator('#login-form');
  await form.getByLabel('メールアドレス').fill(email);
  await form.getByLabel('パスワード').fill(password);
  await press(page, form.getByRole('button', { name: 'ログイン' }));
  const refused = page.locator('#errors');
  await heading(page, 'マイページ').or(refused).waitFor();
  return (await refused.count()) ? { loggedIn: false, error: (await refused.innerText()).trim() } : { loggedIn: true };
}

/** 購入履歴 on マイページ as rows of [注文番号, 注文日, 支払方法, 総合計金額, 対応状況]. */
export async function orderHistory(page) {
  const rows = page.locator('#order-history tr').filter({ has: page.locator('td') });
  const history = [];
  for (const row of await rows.all()) {
    history.push((await row.locator('td').allInnerTexts()).map((t) => t.trim()));
  }
  return history;
}
