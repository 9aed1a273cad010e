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
