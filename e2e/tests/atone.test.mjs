// atone (翌月後払い) through kessai's storefront: kessai's page opens atone's widget (the
// sandbox's atone.js stand-in, an overlay with an iframe), where the buyer logs in as a
// test member and confirms; the result comes back to kessai, which reads the transaction
// from atone before the order is made. With 仮売上機能 set to 仮売上, the operator follows a
// changed order with 取引修正 (a new transaction replaces the old one) and settles it with
// 売上計上 in 受注データ's 決済情報. A payment over the member's limit is refused with
// kessai's message, and the buyer pays again from the same page.
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
  paymentOperation,
  paymentSection,
  saveProviderSettings,
} from '../lib/admin.mjs';
import {
  ATONE_METHOD,
  ATONE_PAGE,
  chooseMember,
  closeWidget,
  confirmInWidget,
  orderToAtone,
  payInWidget,
  reopenWidget,
  saveOrderQuantity,
  shownPaymentId,
  widgetPayment,
} from '../lib/atone.mjs';
import { launch, screenshot } from '../lib/browser.mjs';
import { customer, heading, uniqueEmail } from '../lib/storefront.mjs';

const chrome = await launch();
after(() => chrome.close());

const CUP = '有田焼 湯呑み';

/** The 決済情報 history as [処理区分, 金額, 決済ID], newest first. */
async function historyRows(page) {
  return (await paymentHistory(page)).map(([, id, kind, amount]) => [kind, amount, id]);
}

/** The names of the buttons the 決済情報 block offers now. */
async function paymentButtons(page) {
  const buttons = paymentSection(page).locator('#payment-form').getByRole('button');
  return (await buttons.allInnerTexts()).map((t) => t.trim());
}

test(
  'in 仮売上 mode a guest pays with atone in its widget; the operator follows a raised quantity with 取引修正 and settles with 売上計上',
  chrome.withPage(async (page) => {
    const operator = await chrome.newPage();
    try {
      await login(operator);
      await saveProviderSettings(operator, 'atone', { sale_mode: '仮売上' });

      // The buyer: the storefront up to kessai's atone page, whose widget opens at once.
      await orderToAtone(page, CUP, customer(uniqueEmail('atone')));
      const shown = await widgetPayment(page);
      assert.equal(shown.amount, '3,300円');
      assert.deepEqual(shown.items, [[CUP, '3,300円', '1']]);
      assert.notEqual(shown.number, '');
      await chooseMember(page, 'standard');
      await screenshot(page, 'atone-widget');
      const paid = await confirmInWidget(page);

      assert.equal(paid.outcome, 'ordered', paid.message);
      await page.getByText('ご注文ありがとうございました。').waitFor();
      assert.equal((await page.locator('#order-total').innerText()).trim(), '3,300円');
      await screenshot(page, 'atone-done');

      // The operator: 仮売上, with the manual's buttons and the note on 取消.
      await operator.goto('/admin/orders');
      assert.equal((await orderListRow(operator, paid.orderNumber))['支払方法'], ATONE_METHOD);
      await openOrder(operator, paid.orderNumber);
      const payment = paymentSection(operator);
      assert.equal(await payment.locator('#payment-status').innerText(), '仮売上');
      assert.deepEqual(await paymentButtons(operator), ['売上計上', '取引修正', '取消', '取引参照']);
      assert.match(
        await payment.locator('#payment-operations-note').innerText(),
        /^atoneの「取消」と受注の「キャンセル」は連動しません/,
      );
      const firstId = await shownPaymentId(operator);
      assert.match(firstId, /^tr_/);
      assert.equal(await paymentOffer(operator).count(), 0, 'nothing to offer yet');
      await screenshot(operator, 'admin-order-atone-auth');

      // Two cups instead of one: saving changes the order only, and 取引修正 is offered.
      await saveOrderQuantity(operator, CUP, 2);
      assert.equal((await operator.locator('#order-total').innerText()).trim(), '6,600円');
      assert.equal(await payment.locator('#payment-status').innerText(), '仮売上', 'saving called no one');
      const offer = paymentOffer(operator);
      assert.equal(
        (await offer.locator('p').innerText()).trim(),
        '総合計金額（6,600円）と決済金額（3,300円）が一致しません。受注の金額を変更しても決済金額は自動では変わらないため、決済金額を6,600円に変更する場合は[取引修正]を押してください。',
      );
      await offer.getByRole('button', { name: '取引修正', exact: true }).waitFor();
      await screenshot(operator, 'admin-order-atone-offer');
      const question = await acceptPaymentOffer(operator);

      assert.equal(question, '取引修正を行います。よろしいですか？');
      await flash(operator, '取引修正を行いました。決済状況: 仮売上').waitFor();
      assert.equal(await payment.locator('#payment-status').innerText(), '仮売上');
      const secondId = await shownPaymentId(operator);
      assert.match(secondId, /^tr_/);
      assert.notEqual(secondId, firstId, 'a new transaction replaced the old one');
      assert.equal(await payment.locator('#payment-amount').inputValue(), '6600');
      assert.equal(await paymentOffer(operator).count(), 0, 'nothing left to offer');
      // Newest first: the new transaction's status, the operation that registered it, the
      // old transaction ended by it, and the checkout's authorisation.
      assert.deepEqual(await historyRows(operator), [
        ['仮売上', '6,600円', secondId],
        ['取引修正', '6,600円', secondId],
        ['取引修正済み', '3,300円', firstId],
        ['仮売上', '3,300円', firstId],
      ]);
      await screenshot(operator, 'admin-order-atone-changed');

      // 売上計上 of the new transaction.
      assert.equal(await paymentOperation(operator, '売上計上'), '売上計上を行います。よろしいですか？');
      await flash(operator, '売上計上を行いました。決済状況: 売上計上').waitFor();
      assert.equal(await payment.locator('#payment-status').innerText(), '売上計上');
      assert.equal(await shownPaymentId(operator), secondId);
      assert.deepEqual(await paymentButtons(operator), ['取消', '取引参照']);
      // The status it led to, then the call (atone's settle).
      assert.deepEqual((await historyRows(operator)).slice(0, 3), [
        ['売上計上', '6,600円', secondId],
        ['売上確定(settle)', '6,600円', secondId],
        ['仮売上', '6,600円', secondId],
      ]);
      await screenshot(operator, 'admin-order-atone-sales');
    } finally {
      await saveProviderSettings(operator, 'atone', { sale_mode: '即時売上確定' });
      await operator.context().close();
    }
  }),
);

test(
  'atone refuses an order over the standard member\'s limit with kessai\'s message, and the buyer pays from the same page as a member with a higher limit',
  chrome.withPage(async (page) => {
    // 16 cups: 52,800円, over the standard test member's 50,000円.
    await orderToAtone(page, CUP, customer(uniqueEmail('atone-over')), { quantity: 16 });
    assert.equal((await widgetPayment(page)).amount, '52,800円');
    const refused = await payInWidget(page, 'standard');

    assert.equal(refused.outcome, 'refused');
    assert.equal(
      refused.message,
      'atoneのご利用可能金額を超えているため、お支払いいただけませんでした。別の支払方法をご利用ください。',
    );
    await heading(page, ATONE_PAGE).waitFor();
    assert.equal((await page.locator('.amount').innerText()).trim(), '52,800円');
    assert.equal(await page.locator('#atone-sandbox').count(), 0, 'the widget stays closed');
    await page.getByRole('button', { name: 'atoneで支払う', exact: true }).waitFor();
    await screenshot(page, 'atone-refused');

    // The widget opened again and closed: nothing paid, the page says how to go on.
    await reopenWidget(page);
    assert.equal(
      await closeWidget(page),
      'atoneでのお支払いが完了していません。お支払いを続ける場合は「atoneで支払う」を押してください。',
    );
    await screenshot(page, 'atone-widget-closed');

    // Opened once more, paid by the member with the higher limit.
    await reopenWidget(page);
    const paid = await payInWidget(page, 'high_limit');
    assert.equal(paid.outcome, 'ordered', paid.message);
    assert.equal((await page.locator('#order-total').innerText()).trim(), '52,800円');

    // 即時売上確定 (the demo's setting): the order is settled at once.
    await login(page);
    await openOrder(page, paid.orderNumber);
    assert.equal(await paymentSection(page).locator('#payment-status').innerText(), '売上計上');
  }),
);
