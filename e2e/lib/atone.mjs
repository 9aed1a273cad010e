// atone (翌月後払い) through kessai's storefront: after 「上記内容で注文する」 kessai's page
// 「atone 翌月後払い」 opens atone's widget at once. In the demo, atone.js is the sandbox's
// stand-in: a full-screen overlay with an iframe (`#atone-sandbox-frame`) showing the
// amount, the items and the sandbox's test members; the buyer logs in as one of them and
// presses 「お支払いを確定する」, and kessai's page posts the widget's result back to kessai.
// Also 受注データ編集's 商品 quantities, which 取引修正 follows.
import { flash } from './admin.mjs';
import { navigating } from './browser.mjs';
import { addToCart, chooseDelivery, fillCustomer, heading, next, openProduct, placeOrder } from './storefront.mjs';

/** The demo shop's atone payment method, by its name. */
export const ATONE_METHOD = 'atone';

/** kessai's atone page, by its heading. */
export const ATONE_PAGE = 'atone 翌月後払い';

/**
 * The sandbox's test members (テスト会員) by their id, as the widget names them: `standard`
 * may spend up to 50,000円, `high_limit` up to 300,000円, and every payment of `declined`
 * is NG.
 */
export const ATONE_MEMBERS = Object.freeze({
  standard: '後払 花子',
  high_limit: '後払 大介',
  declined: '後払 否子',
});

/**
 * Puts `quantity` of one product in the cart, fills お客様情報 with `values`, chooses 宅急便
 * and atone on 発送・支払方法, and orders on 内容確認. The page ends on kessai's atone page,
 * whose widget opens by itself.
 */
export async function orderToAtone(page, productName, values, { quantity = 1 } = {}) {
  await openProduct(page, productName);
  await addToCart(page, quantity);
  await next(page, 'お客様情報');
  await fillCustomer(page.locator('#customer-form'), values);
  await next(page, '発送・支払方法');
  await chooseDelivery(page, { payment: ATONE_METHOD });
  await next(page, '内容確認');
  await placeOrder(page, ATONE_PAGE);
}

/** The widget's page inside atone's overlay. */
export function atoneWidget(page) {
  return page.frameLocator('#atone-sandbox-frame');
}

/**
 * Waits until the widget shows the payment, and answers what it shows: the amount, the
 * items as [商品名, 単価, 数量] and the 加盟店取引番号.
 */
export async function widgetPayment(page) {
  const widget = atoneWidget(page);
  await widget.locator('#pay').waitFor();
  const items = [];
  for (const row of await widget.locator('#items tr').filter({ has: widget.locator('td') }).all()) {
    items.push((await row.locator('td').allInnerTexts()).map((t) => t.trim()));
  }
  return {
    amount: (await widget.locator('#amount').innerText()).trim(),
    items,
    number: (await widget.locator('#number').innerText()).trim(),
  };
}

/** Logs in as the test member `member` (an id of `ATONE_MEMBERS`) on the widget. */
export async function chooseMember(page, member) {
  const widget = atoneWidget(page);
  await widget.getByRole('group', { name: 'テスト会員でログイン' }).getByLabel(ATONE_MEMBERS[member]).check();
}

/**
 * Presses 「お支払いを確定する」 on the widget; kessai's page posts the result. Answers
 * `{ outcome: 'ordered', orderNumber }` (購入完了) or `{ outcome: 'refused', message }`
 * (kessai's atone page again with its message).
 */
export async function confirmInWidget(page) {
  const button = atoneWidget(page).getByRole('button', { name: 'お支払いを確定する', exact: true });
  await navigating(page, () => button.click());
  const done = heading(page, '購入完了');
  const refused = page.locator('#atone-error:visible');
  await done.or(refused).first().waitFor();
  if (await done.isVisible()) {
    return { outcome: 'ordered', orderNumber: (await page.locator('#order-number').innerText()).trim() };
  }
  return { outcome: 'refused', message: (await refused.innerText()).trim() };
}

/** Logs in as `member` on the open widget and confirms the payment; answers as `confirmInWidget`. */
export async function payInWidget(page, member) {
  await widgetPayment(page);
  await chooseMember(page, member);
  return confirmInWidget(page);
}

/**
 * Presses 閉じる on the widget: the overlay goes, and kessai's page (no navigation) shows
 * its message. Answers the message.
 */
export async function closeWidget(page) {
  await atoneWidget(page).getByRole('button', { name: '閉じる', exact: true }).click();
  await page.locator('#atone-sandbox').waitFor({ state: 'detached' });
  const message = page.locator('#atone-error:visible');
  await message.waitFor();
  return (await message.innerText()).trim();
}

/** Presses 「atoneで支払う」 on kessai's atone page; the widget opens again. */
export async function reopenWidget(page) {
  await page.getByRole('button', { name: 'atoneで支払う', exact: true }).click();
  await widgetPayment(page);
}

/**
 * On 受注データ編集: changes the 数量 of the 商品 row of `productName` and presses
 * 設定を更新; waits for 「受注データを更新しました。」.
 */
export async function saveOrderQuantity(page, productName, quantity) {
  const form = page.locator('#order-form');
  const row = form.locator('#order-items tr').filter({
    has: page.locator(`input[aria-label="商品名"][value="${productName}"]`),
  });
  await row.getByLabel('数量', { exact: true }).fill(String(quantity));
  await navigating(page, () => form.locator('#order-save').click());
  await flash(page, '受注データを更新しました。').waitFor();
}

/** The 決済ID the 決済情報 block shows beside the status (`(決済ID tr_…)`). */
export async function shownPaymentId(page) {
  const line = page.locator('#payment p').filter({ has: page.locator('#payment-status') });
  const match = /決済ID\s+(\S+?)\)/.exec(await line.innerText());
  return match ? match[1] : '';
}
