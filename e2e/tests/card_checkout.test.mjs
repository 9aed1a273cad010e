// A guest checkout started by a headless shop through the JSON API, paid by card on
// kessai's hand-off page, then run from 受注データ's 決済情報 by the operator.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { login, openOrder, orderListRow, paymentHistory, paymentOperation, paymentSection } from '../lib/admin.mjs';
import { launch, screenshot } from '../lib/browser.mjs';
import { CARDS, fillCard, openCardForm, payByCard, submitCard } from '../lib/card.mjs';
import { headlessShop } from '../lib/shop.mjs';

const chrome = await launch();
after(() => chrome.close());
let shop;
before(async () => {
  shop = await headlessShop(chrome, 'e2e カード決済');
});

test(
  'a guest pays by card on the hand-off page and reaches 購入完了',
  chrome.withPage(async (page) => {
    const checkout = await shop.startCheckout([{ product_code: 'DEMO-TEA-01', quantity: 2 }]);
    assert.equal(checkout.amount, 2160);

    await openCardForm(page, checkout.payment_url);
    assert.equal((await page.locator('.amount').innerText()).trim(), '2,160円');
    await fillCard(page, CARDS.approved);
    await screenshot(page, 'checkout-card-form');
    const paid = await submitCard(page);

    assert.equal(paid.outcome, 'ordered', paid.message);
    await page.getByText('ご注文ありがとうございました。').waitFor();
    await screenshot(page, 'checkout-done');
    const state = await shop.checkout(checkout.link_key);
    assert.equal(state.payment_state, 'authorized');
    assert.equal(state.provider_status_label, 'オーソリOK');
    const order = await shop.order(state.order_id);
    assert.equal(order.order_number, paid.orderNumber);
    assert.equal(order.totals.total, 2160);
  }),
);

test(
  'the operator captures the payment in 決済情報, then cancels it',
  chrome.withPage(async (page) => {
    const checkout = await shop.startCheckout([{ product_code: 'DEMO-CUP-01', quantity: 1 }]);
    await openCardForm(page, checkout.payment_url);
    const { orderNumber } = await payByCard(page, CARDS.approved);
    await login(page);

    await page.goto('/admin/orders');
    assert.match((await orderListRow(page, orderNumber))['決済ID'], /オーソリOK/);
    await screenshot(page, 'admin-orders');
    await openOrder(page, orderNumber);
    const payment = paymentSection(page);
    assert.equal(await payment.locator('#payment-status').innerText(), 'オーソリOK');
    await screenshot(page, 'admin-order-payment');

    const question = await paymentOperation(page, '売上処理');

    assert.equal(question, '売上処理を行います。よろしいですか？');
    await page.getByRole('status').filter({ hasText: '売上処理を行いました。' }).waitFor();
    assert.equal(await payment.locator('#payment-status').innerText(), '消込済');
    // Newest first: the telegram the operator sent (処理区分 = its name), then the status
    // it led to, above the authorisation of the checkout.
    const captured = await paymentHistory(page);
    assert.deepEqual(
      captured.map(([, , kind, amount]) => [kind, amount]),
      [
        ['消込済', '3,300円'],
        ['カード決済売上', '3,300円'],
        ['オーソリOK', '3,300円'],
        ['カード決済オーソリ', '3,300円'],
      ],
    );
    await screenshot(page, 'admin-order-payment-captured');

    await paymentOperation(page, 'キャンセル処理');

    await page.getByRole('status').filter({ hasText: 'キャンセル処理を行いました。' }).waitFor();
    assert.equal(await payment.locator('#payment-status').innerText(), '売上取消済');
    const cancelled = await paymentHistory(page);
    assert.deepEqual(
      cancelled.map(([, , kind]) => kind),
      ['売上取消済', 'カード決済売上キャンセル', '消込済', 'カード決済売上', 'オーソリOK', 'カード決済オーソリ'],
    );
    assert.equal(
      await payment.getByRole('button', { name: '売上処理', exact: true }).count(),
      0,
      'a cancelled payment offers no capture',
    );
  }),
);
