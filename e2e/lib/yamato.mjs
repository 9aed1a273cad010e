// Kuroneko Web Collect (クロネコWebコレクト) as a buyer meets it in the demo storefront: the
// payment method, the sandbox's test cards, ordering up to kessai's card dialog, typing a
// card into it and where a submission leads.
import { screenshot } from './browser.mjs';
import { addToCart, chooseDelivery, fillCustomer, heading, next, openProduct, placeOrder } from './storefront.mjs';

/** The demo's payment method of kind yamato_card, named after the service. */
export const YAMATO_METHOD = 'クロネコWebコレクト';

/** The sandbox's test cards (crates/sandbox/src/yamato/testcard.rs). */
export const YAMATO_CARDS = Object.freeze({
  /** VISA, approved (with 3-D Secure: no challenge). */
  approved: '4111111111111111',
  /** Approved without 3-D Secure; with it, a challenge on the ACS page that passes. */
  threeDPass: '4000000000003220',
});

/**
 * Puts one product in the cart, fills お客様情報 with `values`, chooses 宅急便 (the demo's
 * クロネコヤマト配送) and クロネコWebコレクト on 発送・支払方法, and orders on 内容確認. The
 * page ends on kessai's card dialog (headed クレジットカード決済). `deliveryShot` names a
 * screenshot of 発送・支払方法 with both chosen.
 */
export async function orderToYamato(page, productName, values, { deliveryShot } = {}) {
  await openProduct(page, productName);
  await addToCart(page);
  await next(page, 'お客様情報');
  await fillCustomer(page.locator('#customer-form'), values);
  await next(page, '発送・支払方法');
  await chooseDelivery(page, { payment: YAMATO_METHOD });
  if (deliveryShot) {
    await screenshot(page, deliveryShot);
  }
  await next(page, '内容確認');
  await placeOrder(page, 'クレジットカード決済');
  await page.getByRole('dialog', { name: 'カード情報の入力' }).waitFor();
}

/**
 * Types a card into kessai's card dialog: December of the last year offered, a holder, the
 * security code (セキュアコード is on in the demo). 支払回数 stays 一括払い.
 */
export async function fillYamatoCard(page, number) {
  const dialog = page.getByRole('dialog', { name: 'カード情報の入力' });
  await dialog.getByLabel('カード番号', { exact: true }).fill(number);
  await dialog.getByLabel('有効期限(月)').selectOption('12');
  const year = dialog.getByLabel('有効期限(年)');
  const years = await year.locator('option').evaluateAll((os) => os.map((o) => o.value));
  await year.selectOption(years[years.length - 1]);
  await dialog.getByLabel('カード名義(ローマ字)').fill('TARO YAMADA');
  await dialog.getByLabel('セキュリティコード').fill('123');
  return dialog;
}

/**
 * Where the buyer ends after a card submission or the ACS: 購入完了 (`ordered`), the
 * sandbox's ACS page (`challenge`), or the card dialog again with its message (`refused`).
 */
export async function cardOutcome(page) {
  const done = heading(page, '購入完了');
  const challenge = heading(page, '本人認証');
  const refused = page.locator('#card-error:visible');
  await done.or(challenge).or(refused).first().waitFor();
  if (await done.isVisible()) {
    return { outcome: 'ordered', orderNumber: (await page.locator('#order-number').innerText()).trim() };
  }
  if (await challenge.isVisible()) {
    return { outcome: 'challenge' };
  }
  return { outcome: 'refused', message: (await refused.innerText()).trim() };
}

/** Presses the dialog's 「上記内容で注文する」 (#pay) and answers where it led. */
export async function submitYamatoCard(page) {
  await page.locator('#pay').click();
  return cardOutcome(page);
}
