// Kuroneko Web Collect (クロネコWebコレクト) through kessai's storefront: after
// 「上記内容で注文する」 kessai shows its card dialog, whose script turns the card into a
// token with the sandbox's token JS (the card never reaches kessai), and A08 authorizes it
// (与信). An order shipped by 宅急便 (ticked as クロネコヤマト配送) stays 与信 until the
// operator registers its 送り状番号: with 配送会社名 クロネコヤマト, a valid slip and 対応状況
// 発送済み saved, 受注データ offers 売上確定 (a wrong check digit blocks it and says why).
// With 3Dセキュア on, a card that asks for a challenge goes through the sandbox's ACS page
// and back to 購入完了.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import {
  acceptPaymentOffer,
  flash,
  login,
  openOrder,
  orderListRow,
  paymentHistory,
  paymentOffer,
  paymentSection,
  saveProviderSettings,
} from '../lib/admin.mjs';
import { launch, navigating, screenshot } from '../lib/browser.mjs';
import { customer, uniqueEmail } from '../lib/storefront.mjs';
import { YAMATO_CARDS, YAMATO_METHOD, cardOutcome, fillYamatoCard, orderToYamato, submitYamatoCard } from '../lib/yamato.mjs';

const chrome = await launch();
after(() => chrome.close());

const CUP = '有田焼 湯呑み';
const TEA = '静岡産 深蒸し煎茶 100g';

/** A Yamato 送り状番号 whose last digit is the first eleven mod 7 (12345678901 % 7 = 3). */
const VALID_SLIP = '123456789013';
/** The same number with a wrong check digit. */
const WRONG_SLIP = '123456789012';

/** On 受注データ編集: sets 配送会社名, 送り状番号 and 対応状況 and presses 設定を更新. */
async function saveShipment(page, { carrier, slip, status }) {
  const form = page.locator('#order-form');
  await form.getByLabel('配送会社名', { exact: true }).selectOption({ label: carrier });
  await form.getByLabel('送り状番号', { exact: true }).fill(slip);
  await form.getByLabel('対応状況', { exact: true }).selectOption({ label: status });
  await navigating(page, () => form.locator('#order-save').click());
  await flash(page, '受注データを更新しました。').waitFor();
}

test(
  'a guest pays by card in the Web Collect dialog; the operator registers a 宅急便 送り状番号 (a wrong check digit is refused first) and confirms the offered 売上確定',
  chrome.withPage(async (page) => {
    // The buyer: 宅急便 and クロネコWebコレクト, then kessai's card dialog.
    await orderToYamato(page, CUP, customer(uniqueEmail('yamato-card')), {
      deliveryShot: 'yamato-shop-delivery',
    });
    assert.equal((await page.locator('.amount').innerText()).trim(), '3,300円');
    const dialog = await fillYamatoCard(page, YAMATO_CARDS.approved);
    // 支払回数 (一括払いのみ in the demo) and no card keeping for a guest.
    await dialog.getByLabel('支払回数').waitFor();
    assert.equal(await dialog.locator('#register-choice').count(), 0);
    await screenshot(page, 'yamato-card-dialog');
    const paid = await submitYamatoCard(page);

    assert.equal(paid.outcome, 'ordered', paid.message);
    await page.getByText('ご注文ありがとうございました。').waitFor();
    assert.equal((await page.locator('#order-total').innerText()).trim(), '3,300円');
    await screenshot(page, 'yamato-card-done');

    // The operator: 与信, as every クロネコヤマト配送 order is whatever 処理区分 says.
    await login(page);
    await page.goto('/admin/orders');
    assert.equal((await orderListRow(page, paid.orderNumber))['支払方法'], YAMATO_METHOD);
    await openOrder(page, paid.orderNumber);
    const payment = paymentSection(page);
    assert.equal(await payment.locator('#payment-status').innerText(), '与信');
    for (const label of ['売上確定', '利用額変更', '取消', '状態更新']) {
      await payment.getByRole('button', { name: label, exact: true }).waitFor();
    }
    assert.equal(await paymentOffer(page).count(), 0, 'nothing to offer before shipping');
    await screenshot(page, 'admin-order-yamato-auth');

    // 発送済み with a slip whose check digit is wrong: 売上確定 is offered but blocked.
    await saveShipment(page, { carrier: 'クロネコヤマト', slip: WRONG_SLIP, status: '発送済み' });
    const offer = paymentOffer(page);
    await offer.waitFor();
    assert.match(await offer.locator('p').first().innerText(), /売上確定/);
    const blocked = offer.locator('#payment-offer-blocked');
    assert.match(await blocked.innerText(), /送り状番号/);
    assert.equal(await offer.locator('#payment-offer-button').count(), 0, 'no button while blocked');
    assert.equal(await payment.locator('#payment-status').innerText(), '与信', 'saving called no one');
    await screenshot(page, 'admin-order-yamato-offer-blocked');

    // The right number: the offer's button, confirmed.
    await saveShipment(page, { carrier: 'クロネコヤマト', slip: VALID_SLIP, status: '発送済み' });
    assert.equal(await offer.locator('#payment-offer-blocked').count(), 0);
    const button = offer.locator('#payment-offer-button');
    assert.equal((await button.innerText()).trim(), '売上確定');
    await screenshot(page, 'admin-order-yamato-offer');
    const question = await acceptPaymentOffer(page);

    assert.equal(question, '売上確定を行います。よろしいですか？');
    await flash(page, '売上確定を行いました。').waitFor();
    assert.equal(await payment.locator('#payment-status').innerText(), '売上確定');
    assert.equal(await paymentOffer(page).count(), 0, 'nothing left to offer');
    assert.equal(await payment.getByRole('button', { name: '売上確定', exact: true }).count(), 0);
    const kinds = (await paymentHistory(page)).map(([, , kind]) => kind);
    // Newest first: the call (named after Web Collect's function) and the status it led to.
    assert.deepEqual(kinds.slice(0, 2).sort(), ['出荷情報登録', '売上確定'].sort(), JSON.stringify(kinds));
    assert.deepEqual(kinds.slice(-2).sort(), ['クレジット決済登録', '与信'].sort(), JSON.stringify(kinds));
    await screenshot(page, 'admin-order-yamato-sales');
  }),
);

// Last in this file: it changes the shared server's settings and restores them at the end
// (e2e/run runs one file at a time, and the tests of a file one after another).
test(
  'with 3Dセキュア on, a card that asks for a challenge passes on the sandbox\'s ACS page and reaches 購入完了',
  chrome.withPage(async (page) => {
    const operator = await chrome.newPage();
    try {
      await login(operator);
      await saveProviderSettings(operator, 'yamato', { three_d_secure: '利用する' });

      await orderToYamato(page, TEA, customer(uniqueEmail('yamato-3ds')));
      await fillYamatoCard(page, YAMATO_CARDS.threeDPass);
      const asked = await submitYamatoCard(page);

      assert.equal(asked.outcome, 'challenge', asked.message);
      assert.match(await page.getByRole('row', { name: /ご利用金額/ }).innerText(), /1,080円/);
      await page.getByRole('button', { name: 'キャンセル', exact: true }).waitFor();
      await screenshot(page, 'yamato-3ds-acs');
      await page.getByRole('button', { name: '認証する', exact: true }).click();
      const paid = await cardOutcome(page);

      assert.equal(paid.outcome, 'ordered', paid.message);
      assert.equal((await page.locator('#order-total').innerText()).trim(), '1,080円');
      await screenshot(page, 'yamato-3ds-done');

      await openOrder(operator, paid.orderNumber);
      assert.equal(await paymentSection(operator).locator('#payment-status').innerText(), '与信');
      // Oldest first: A08 answered the ACS page, the payment waited for 3-D Secure, then A09
      // authorized it.
      const kinds = (await paymentHistory(operator)).map(([, , kind]) => kind).reverse();
      assert.deepEqual(kinds.slice(0, 2), ['クレジット決済登録(3Dセキュア認証へ)', '3Dセキュア認証待ち'], JSON.stringify(kinds));
      assert.equal(kinds[kinds.length - 1], '与信', JSON.stringify(kinds));
      await screenshot(operator, 'admin-order-yamato-3ds');
    } finally {
      // The other test files expect the demo's settings.
      await saveProviderSettings(operator, 'yamato', { three_d_secure: '利用しない' });
      await operator.context().close();
    }
  }),
);
