// Remise (ルミーズ) as a buyer and a tester see it: the storefront up to Remise's link-type
// pages (kessai's hand-off page posts a Shift_JIS form to them at once), Remise's card page
// and its multi payment destination page, the way back to 購入完了, and the sandbox's
// stand-in for Remise's back office (加盟店バックヤードシステム), where a multi payment is
// marked paid and its 収納情報通知 sent to kessai.
import { navigating } from './browser.mjs';
import { addToCart, chooseDelivery, fillCustomer, heading, next, openProduct, placeOrder } from './storefront.mjs';

/** The demo shop's Remise payment methods, by their names. */
export const REMISE_CARD_METHOD = 'カード決済(ルミーズ)';
export const REMISE_MULTI_METHOD = 'マルチ決済(ルミーズ)';

/** The Remise sandbox's test cards (its back office lists them). */
export const REMISE_CARDS = Object.freeze({
  /** VISA, approved. */
  approved: '4111111111111111',
  /** VISA, refused by the card network with G12 (お取り扱いできないカード). */
  declined: '4000000000000002',
});

/** Where kessai mounts the Remise sandbox. */
const SANDBOX = '/sandbox/remise';
/** Remise's card page and its multi payment destination page (where the hand-off posts). */
export const CARD_PAGE = `${SANDBOX}/rpgw2/pc/card/paycard.aspx`;
export const MULTI_PAGE = `${SANDBOX}/rpgw2/pc/cvs/paycvs.aspx`;

/**
 * Puts one product in the cart, fills お客様情報 with `values`, chooses 宅急便 and the
 * Remise method `payment` on 発送・支払方法, and orders on 内容確認. kessai's hand-off page
 * posts on to Remise at once: the page ends on Remise's card page or its destination page.
 */
export async function orderToRemise(page, productName, values, payment) {
  await openProduct(page, productName);
  await addToCart(page);
  await next(page, 'お客様情報');
  await fillCustomer(page.locator('#customer-form'), values);
  await next(page, '発送・支払方法');
  await chooseDelivery(page, { payment });
  await next(page, '内容確認');
  const multi = payment === REMISE_MULTI_METHOD;
  await placeOrder(page, multi ? 'お支払先の選択' : 'クレジットカード決済');
  await page.waitForURL((url) => url.pathname === (multi ? MULTI_PAGE : CARD_PAGE));
}

/**
 * On Remise's card page: types the card number, December of the last year offered, the
 * holder, and chooses the first 支払方法 when the page offers a choice.
 */
export async function fillRemiseCard(page, number, { holder = 'TARO YAMADA' } = {}) {
  await page.getByLabel('カード番号（半角数字・ハイフンなし）').fill(number);
  await page.getByLabel('有効期限（月 / 年）').selectOption('12');
  const year = page.getByLabel('有効期限（年）', { exact: true });
  const years = await year.locator('option').evaluateAll((os) => os.map((o) => o.value));
  await year.selectOption(years[years.length - 1]);
  await page.getByLabel('カード名義人（半角ローマ字）').fill(holder);
  const methods = page.locator('input[name=METHOD]');
  if (await methods.count()) {
    await methods.first().check();
  }
}

/**
 * Waits for where the buyer lands back at kessai: 購入完了 (`ordered`, with the order
 * number) or the hand-off page again with kessai's message (`refused`).
 */
async function backAtKessai(page) {
  const done = heading(page, '購入完了');
  const again = page.getByRole('button', { name: 'ルミーズの決済ページへ進む' });
  await done.or(again).first().waitFor();
  if (await done.isVisible()) {
    return { outcome: 'ordered', orderNumber: (await page.locator('#order-number').innerText()).trim() };
  }
  return { outcome: 'refused', message: (await page.getByRole('alert').innerText()).trim() };
}

/**
 * Presses 決済する on Remise's card page; Remise's page posts the result back to kessai.
 * Answers `{ outcome: 'ordered', orderNumber }` or `{ outcome: 'refused', message }`.
 */
export async function submitRemiseCard(page) {
  await page.getByRole('button', { name: '決済する', exact: true }).click();
  return backAtKessai(page);
}

/**
 * On Remise's destination page: chooses `destination` (as the page names it, e.g. ローソン)
 * and presses お支払先を決定する; Remise's page posts back to kessai. Answers as
 * `submitRemiseCard`.
 */
export async function chooseDestination(page, destination) {
  await page.getByRole('group', { name: 'お支払先' }).getByLabel(destination, { exact: true }).check();
  await page.getByRole('button', { name: 'お支払先を決定する', exact: true }).click();
  return backAtKessai(page);
}

/** The お支払いについて table of 購入完了, label → value. */
export async function paymentDetails(page) {
  const details = {};
  for (const row of await page.locator('#payment-details tr').all()) {
    details[(await row.locator('th').innerText()).trim()] = (await row.locator('td').innerText()).trim();
  }
  return details;
}

/** Opens the sandbox's back office (加盟店バックヤードシステム). */
export async function openBackOffice(page) {
  await page.goto(`${SANDBOX}/backoffice`);
  await page.getByRole('heading', { name: 'マルチ決済', exact: true }).waitFor();
}

/**
 * The row of the multi payment with 請求番号 `tradingId` on the back office page, keyed by
 * the column headings of the マルチ決済 table.
 */
export function multiRow(page, tradingId) {
  return page
    .locator('table')
    .filter({ has: page.locator('th', { hasText: '支払先' }) })
    .locator('tr')
    .filter({ has: page.getByRole('cell', { name: tradingId }) });
}

/**
 * In the back office: presses 入金通知 on the multi payment with 請求番号 `tradingId` (the
 * buyer paid at the store) and answers the page's message; the sandbox sends the
 * 収納情報通知 to kessai at once.
 */
export async function receiveInBackOffice(page, tradingId) {
  await openBackOffice(page);
  const row = multiRow(page, tradingId);
  await navigating(page, () => row.getByRole('button', { name: '入金通知', exact: true }).click());
  const message = page.locator('.notice');
  await message.waitFor();
  return (await message.innerText()).trim();
}
