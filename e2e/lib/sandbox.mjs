// The Paygent sandbox's own pages, as a tester uses them beside the shop: 加盟店設定 (the
// 差分通知URL), the test tool (試験環境ツール) that plays the buyer's payment at an ATM, a
// convenience store or a bank, and Paygent's hosted payment page of the link type.
import { baseUrl } from './env.mjs';
import { navigating } from './browser.mjs';

/** Where kessai mounts the Paygent sandbox. */
const SANDBOX = '/sandbox/paygent';

/** The demo shop's Paygent merchant and the connection the test tool asks for. */
export const MERCHANT = Object.freeze({
  id: '123456789',
  connectId: 'sandboxconnect',
  connectPassword: 'sandboxpassword',
});

/**
 * Registers `url` as the merchant's 差分通知URL on 加盟店設定 ('' stops the pushes: Paygent
 * then keeps its records for the inquiry only). Answers the URL registered before.
 */
export async function setNotifyUrl(page, url) {
  await page.goto(`${SANDBOX}/merchant?merchant_id=${MERCHANT.id}`);
  const field = page.getByLabel(/^差分通知URL/);
  const before = await field.inputValue();
  await field.fill(url);
  await navigating(page, () => page.getByRole('button', { name: '登録', exact: true }).click());
  await page.getByText('差分通知URLを登録しました。').waitFor();
  return before;
}

/**
 * On the test tool: looks the payment up by its 決済ID and answers the 決済ステータス it
 * shows (e.g. `10 申込済`).
 */
export async function findInTestTool(page, paymentId) {
  await page.goto(`${SANDBOX}/testtool?merchant_id=${MERCHANT.id}`);
  await page.getByLabel('決済ID', { exact: true }).fill(paymentId);
  await navigating(page, () => page.getByRole('button', { name: '検索', exact: true }).click());
  return (await page.locator('#found-status').innerText()).trim();
}

/** Chooses the option of `select` whose label starts with `start`. */
async function chooseStartingWith(select, start) {
  const labels = await select.locator('option').allInnerTexts();
  const label = labels.find((l) => l.startsWith(start));
  if (!label) {
    throw new Error(`no option starts with ${start}: ${labels.join(', ')}`);
  }
  await select.selectOption({ label });
}

/**
 * On the test tool page of a payment found with `findInTestTool`: moves it to `status` (the
 * label, e.g. 消込済), at the convenience store or the ATM's bank whose name starts with
 * `store` or `bank`, and answers the tool's message.
 */
export async function moveInTestTool(page, status, { store, bank } = {}) {
  await page.getByLabel('接続ID', { exact: true }).fill(MERCHANT.connectId);
  await page.getByLabel('接続パスワード', { exact: true }).fill(MERCHANT.connectPassword);
  await page.getByLabel('更新後の決済ステータス').selectOption({ label: status });
  if (store) {
    await chooseStartingWith(page.getByLabel('コンビニ企業CD'), store);
  }
  if (bank) {
    await chooseStartingWith(page.getByLabel('金融機関コード'), bank);
  }
  await navigating(page, () => page.getByRole('button', { name: '実行', exact: true }).click());
  const answer = page.locator('.notice, .error').first();
  await answer.waitFor();
  return (await answer.innerText()).trim();
}

/**
 * Has the sandbox push every waiting 差分通知 now (it also does so by itself about once a
 * second); kessai's jobs then process them in the background.
 */
export async function deliverNotices() {
  const response = await fetch(`${baseUrl}${SANDBOX}/testtool/notices/deliver`, { method: 'POST' });
  if (!response.ok) {
    throw new Error(`notices/deliver answered ${response.status}: ${await response.text()}`);
  }
  return response.json();
}

/**
 * On Paygent's link-type payment page (お支払い手続き): pays by card and waits for
 * 「お支払いが完了しました」. Answers the 決済ID the page shows.
 */
export async function payOnLinkPage(page, number, holder = 'TARO YAMADA') {
  await page.getByRole('heading', { name: 'お支払い手続き' }).waitFor();
  await page.getByLabel('カード番号（ハイフンなし）').fill(number);
  const years = await page.getByLabel('有効期限（年）').locator('option').evaluateAll((os) => os.map((o) => o.value));
  await page.getByLabel('有効期限（年）').selectOption(years[years.length - 1]);
  const cvc = page.getByLabel('セキュリティコード');
  if (await cvc.count()) {
    await cvc.fill('123');
  }
  await page.getByLabel('カード名義（半角英字）').fill(holder);
  await navigating(page, () => page.getByRole('button', { name: '支払う', exact: true }).click());
  await page.getByRole('heading', { name: 'お支払いが完了しました' }).waitFor();
  const note = await page.getByText(/^決済ID: /).innerText();
  return note.replace('決済ID:', '').trim();
}
