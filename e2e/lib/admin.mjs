// The admin console as an operator uses it: log in, find things on its lists, press the
// 決済情報 buttons, create an API key.
import { admin } from './env.mjs';
import { accepting, navigating } from './browser.mjs';

/** Logs in through the login form and waits for the page behind it. */
export async function login(page, { login: name, password } = admin) {
  await page.goto('/admin/login');
  await page.getByLabel('ログインID').fill(name);
  await page.getByLabel('パスワード').fill(password);
  await page.getByRole('button', { name: 'ログイン', exact: true }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/admin/login'));
}

/** Opens a screen from the side menu (管理メニュー) by its name. */
export async function openMenu(page, name) {
  await page
    .getByRole('navigation', { name: '管理メニュー' })
    .getByRole('link', { name, exact: true })
    .click();
  await page.getByRole('heading', { level: 1, name, exact: true }).waitFor();
}

/** Creates an API key under APIキー and returns the key, which the page shows only once. */
export async function createApiKey(page, name) {
  await page.goto('/admin/api-keys');
  await page.getByLabel('名前', { exact: true }).fill(name);
  await page.getByRole('button', { name: '作成', exact: true }).click();
  return page.getByLabel('作成したAPIキー').inputValue();
}

/** The id of the payment method named `name` (支払方法). */
export async function paymentMethodId(page, name) {
  await page.goto('/admin/payment-methods');
  const row = page.locator('#method-list tbody tr').filter({
    has: page.getByRole('cell', { name, exact: true }),
  });
  return Number(await row.getAttribute('data-id'));
}

/** The id of the delivery method named `name` (配送設定). */
export async function deliveryMethodId(page, name) {
  await page.goto('/admin/delivery');
  const row = page.getByRole('row').filter({ has: page.getByRole('cell', { name, exact: true }) });
  const href = await row.getByRole('link', { name: '編集' }).getAttribute('href');
  return Number(href.split('/').pop());
}

/** Opens 受注データ of an order from 受注リスト by its 注文番号. */
export async function openOrder(page, orderNumber) {
  await page.goto('/admin/orders');
  await page.locator('#orders').getByRole('link', { name: orderNumber, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: '受注データ' }).waitFor();
}

/**
 * The rows of a list table as objects keyed by the table's column headings (the `th` of
 * its first row), so a test reads `row['入金状況']` whatever the column order.
 */
export async function rowsByHeading(table, rows = table.locator('tr').filter({ has: table.page().locator('td') })) {
  const headings = (await table.locator('tr').first().locator('th').allInnerTexts()).map((t) => t.trim());
  const found = [];
  for (const row of await rows.all()) {
    const cells = (await row.locator('td').allInnerTexts()).map((t) => t.trim());
    found.push(Object.fromEntries(headings.map((heading, i) => [heading, cells[i]])));
  }
  return found;
}

/** The row of `orderNumber` in the 受注リスト the page shows, keyed by column heading. */
export async function orderListRow(page, orderNumber) {
  const table = page.locator('#orders');
  const row = table.locator('tr').filter({ has: page.getByRole('link', { name: orderNumber, exact: true }) });
  const [found] = await rowsByHeading(table, row);
  if (!found) {
    throw new Error(`order ${orderNumber} is not in 受注リスト`);
  }
  return found;
}

/**
 * 受注リスト's 受注検索: types `keyword` and presses 検索開始. Answers the rows found, keyed
 * by column heading.
 */
export async function searchOrders(page, keyword) {
  await page.goto('/admin/orders');
  await page.getByLabel('受注検索').fill(keyword);
  await navigating(page, () => page.getByRole('button', { name: '検索開始', exact: true }).click());
  return rowsByHeading(page.locator('#orders'));
}

/** The message a page shows after a post (the green 「…しました。」 or a red error). */
export function flash(page, text) {
  return page.locator('.flash').filter({ hasText: text });
}

/**
 * システム設定: turns 決済直前ログより受注データ再作成 on (利用する) or off (利用しない) and
 * saves.
 */
export async function setPrepaymentLogRecovery(page, on) {
  await page.goto('/admin/system');
  const form = page.locator('#system-form');
  await form.getByLabel(on ? '利用する' : '利用しない', { exact: true }).check();
  await navigating(page, () => form.getByRole('button', { name: '設定を更新', exact: true }).click());
  await flash(page, 'システム設定を更新しました。').waitFor();
}

/**
 * On 受注データ編集: chooses 対応状況 by its label and presses 設定を更新; waits for
 * 「受注データを更新しました。」.
 */
export async function saveOrderStatus(page, status) {
  const form = page.locator('#order-form');
  await form.getByLabel('対応状況', { exact: true }).selectOption({ label: status });
  await navigating(page, () => form.locator('#order-save').click());
  await flash(page, '受注データを更新しました。').waitFor();
}

/** The chosen option of a select (its label), e.g. 対応状況 or 入金状況 on 受注データ編集. */
export async function selectedLabel(select) {
  return (await select.locator('option:checked').innerText()).trim();
}

/**
 * The open 受注データ's 入金状況 once it reads `label`, reloading while it does not: the
 * order follows its payment's status in a write of its own, so a reload may fall between
 * the two. Answers what it read last.
 */
export async function receiptStatus(page, label, { attempts = 20 } = {}) {
  const select = () => page.getByLabel('入金状況', { exact: true });
  for (let i = 1; i < attempts; i += 1) {
    if ((await selectedLabel(select())) === label) { return label; }
    await page.waitForTimeout(250);
    await page.reload();
  }
  return selectedLabel(select());
}

/** The 決済情報 block of the open 受注データ. */
export function paymentSection(page) {
  return page.getByRole('region', { name: '決済情報' });
}

/**
 * Presses one of the 決済情報 buttons (売上処理, キャンセル処理, …), accepts its
 * confirmation and waits for the page's answer. Returns the confirmation's text.
 */
export async function paymentOperation(page, label) {
  const button = paymentSection(page).getByRole('button', { name: label, exact: true });
  return navigating(page, () => accepting(page, () => button.click()));
}

/** Presses 状態更新 in 決済情報 (it asks no confirmation) and waits for the answer. */
export async function refreshPayment(page) {
  const button = paymentSection(page).getByRole('button', { name: '状態更新', exact: true });
  await navigating(page, () => button.click());
}

/** The operation 受注データ offers after an edit (キャンセル処理, 金額変更): `#payment-offer`. */
export function paymentOffer(page) {
  return page.locator('#payment-offer');
}

/** Presses the offered operation, accepts its confirmation; returns the confirmation's text. */
export async function acceptPaymentOffer(page) {
  const button = paymentOffer(page).getByRole('button');
  return navigating(page, () => accepting(page, () => button.click()));
}

/** The rows of the 決済情報 history as [処理日時, 決済ID, 処理区分, 金額, 処理結果], newest first. */
export async function paymentHistory(page) {
  const rows = page.locator('#payment-history tr').filter({ has: page.locator('td') });
  const texts = [];
  for (const row of await rows.all()) {
    const cells = (await row.locator('td').allInnerTexts()).map((t) => t.trim());
    texts.push(cells.slice(1));
  }
  return texts;
}

/** The admin banner that points to 決済エラーログ. */
export function paymentErrorBanner(page) {
  return page.getByRole('alert').filter({ hasText: '決済エラーが発生しました' });
}

/** Deletes every entry of 決済エラーログ (すべて削除) if there is any. */
export async function clearPaymentErrors(page) {
  await page.goto('/admin/payment-errors');
  const deleteAll = page.getByRole('button', { name: 'すべて削除', exact: true });
  if (await deleteAll.count()) {
    await navigating(page, () => accepting(page, () => deleteAll.click()));
  }
}

/**
 * Changes settings on a provider's tab of クレジット決済設定 and saves them. `values` maps
 * a setting's key (its row is `#row-<key>`) to the label of the radio button to choose or
 * the text to type. Throws with the page's messages when the save is refused.
 */
export async function saveProviderSettings(page, provider, values) {
  await page.goto(`/admin/settlement/${provider}`);
  const form = page.locator('#provider-settings');
  for (const [key, value] of Object.entries(values)) {
    const row = form.locator(`#row-${key}`);
    if (await row.getByRole('radio').count()) {
      // The choice's own label (the first radio is also labelled by the setting's name).
      await row.getByText(value, { exact: true }).check();
    } else {
      await row.locator(`#f-${key}`).fill(value);
    }
  }
  await navigating(page, () => form.locator('button[type=submit]').click());
  const refused = page.locator('ul.errors');
  if (await refused.count()) {
    throw new Error(`the ${provider} settings were refused: ${await refused.innerText()}`);
  }
  await page.getByRole('status').filter({ hasText: 'オプションを更新しました。' }).waitFor();
}
