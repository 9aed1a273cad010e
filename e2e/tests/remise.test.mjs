// Remise (ルミーズ) through kessai's storefront: the hand-off page posts a Shift_JIS form
// to the sandbox's Remise pages (the link type), where the buyer types the card or chooses
// where to pay a マルチ決済, and Remise's page posts the result back to kessai. The operator
// then captures the card's 仮売上 with 拡張セット's 売上処理 in 受注データ's 決済情報; a
// multi payment is marked paid in the sandbox's back office, whose 収納情報通知 makes the
// order 入金済み.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import {
  login,
  openOrder,
  orderListRow,
  paymentHistory,
  paymentOperation,
  paymentSection,
  receiptStatus,
  selectedLabel,
} from '../lib/admin.mjs';
import { launch, reloadUntil, screenshot } from '../lib/browser.mjs';
import {
  REMISE_CARDS,
  REMISE_CARD_METHOD,
  REMISE_MULTI_METHOD,
  chooseDestination,
  fillRemiseCard,
  multiRow,
  orderToRemise,
  paymentDetails,
  receiveInBackOffice,
  submitRemiseCard,
} from '../lib/remise.mjs';
import { customer, heading, uniqueEmail } from '../lib/storefront.mjs';

const chrome = await launch();
after(() => chrome.close());

const TEA = '静岡産 深蒸し煎茶 100g';
const CUP = '有田焼 湯呑み';

test(
  'a guest pays by card on Remise\'s card page, reaches 購入完了, and the operator turns the 仮売上 into 売上 with 売上処理',
  chrome.withPage(async (page) => {
    await orderToRemise(page, CUP, customer(uniqueEmail('remise-card')), REMISE_CARD_METHOD);

    // Remise's card page: the amount the shop sent, a one-off (guest) payment.
    assert.equal((await page.locator('#total').innerText()).trim(), '3,300円');
    await fillRemiseCard(page, REMISE_CARDS.approved);
    await screenshot(page, 'remise-card-page');
    const paid = await submitRemiseCard(page);

    assert.equal(paid.outcome, 'ordered', paid.message);
    await page.getByText('ご注文ありがとうございました。').waitFor();
    assert.equal((await page.locator('#order-total').innerText()).trim(), '3,300円');
    await screenshot(page, 'remise-card-done');

    // The operator: 仮売上, offering 拡張セット's 売上処理 and 取消処理(即日取消).
    await login(page);
    await page.goto('/admin/orders');
    const listed = await orderListRow(page, paid.orderNumber);
    assert.equal(listed['支払方法'], REMISE_CARD_METHOD);
    await openOrder(page, paid.orderNumber);
    const payment = paymentSection(page);
    assert.equal(await payment.locator('#payment-status').innerText(), '仮売上');
    for (const label of ['売上処理', '取消処理(即日取消)']) {
      await payment.getByRole('button', { name: label, exact: true }).waitFor();
    }
    assert.equal(await payment.getByRole('button', { name: '返品処理', exact: true }).count(), 0);
    await screenshot(page, 'admin-order-remise-auth');

    const question = await paymentOperation(page, '売上処理');

    assert.equal(question, '売上処理を行います。よろしいですか？');
    await page.getByRole('status').filter({ hasText: '売上処理を行いました。' }).waitFor();
    assert.equal(await payment.locator('#payment-status').innerText(), '売上');
    // A sale may still be voided the same day or returned; it is not captured twice.
    for (const label of ['取消処理(即日取消)', '返品処理']) {
      await payment.getByRole('button', { name: label, exact: true }).waitFor();
    }
    assert.equal(await payment.getByRole('button', { name: '売上処理', exact: true }).count(), 0);
    // Newest first: the status it led to, the 拡張セット job the operator sent, the
    // authorisation of the checkout.
    assert.deepEqual(
      (await paymentHistory(page)).map(([, , kind, amount]) => [kind, amount]),
      [
        ['売上', '3,300円'],
        ['拡張セット 売上処理(SALES)', '3,300円'],
        ['仮売上', '3,300円'],
      ],
    );
    await screenshot(page, 'admin-order-remise-sales');
  }),
);

test(
  'a card Remise declines brings the buyer back to kessai with the reason and a way back to Remise\'s page, where another card pays',
  chrome.withPage(async (page) => {
    await orderToRemise(page, TEA, customer(uniqueEmail('remise-declined')), REMISE_CARD_METHOD);
    await fillRemiseCard(page, REMISE_CARDS.declined);
    const refused = await submitRemiseCard(page);

    assert.equal(refused.outcome, 'refused');
    assert.match(refused.message, /^このカードはお取り扱いできません/);
    await heading(page, REMISE_CARD_METHOD).waitFor();
    assert.equal((await page.locator('.amount').innerText()).trim(), '1,080円');
    await screenshot(page, 'remise-card-declined');

    // The same checkout, paid with a card Remise approves.
    await page.getByRole('button', { name: 'ルミーズの決済ページへ進む' }).click();
    await page.getByRole('heading', { name: 'クレジットカード決済' }).waitFor();
    await fillRemiseCard(page, REMISE_CARDS.approved);
    const paid = await submitRemiseCard(page);
    assert.equal(paid.outcome, 'ordered', paid.message);
    assert.equal((await page.locator('#order-total').innerText()).trim(), '1,080円');
  }),
);

test(
  'a guest chooses ローソン for a マルチ決済 on Remise\'s page, gets the numbers on 購入完了, and the back office\'s 入金通知 makes the order 入金済み',
  chrome.withPage(async (page) => {
    await orderToRemise(page, TEA, customer(uniqueEmail('remise-multi')), REMISE_MULTI_METHOD);

    // Remise's destination page.
    assert.equal((await page.locator('#total').innerText()).trim(), '1,080円');
    await page.getByLabel('ローソン', { exact: true }).check();
    await screenshot(page, 'remise-multi-destination');
    const issued = await chooseDestination(page, 'ローソン');

    assert.equal(issued.outcome, 'ordered', issued.message);
    const details = await paymentDetails(page);
    assert.equal(details['お支払い先'], 'ローソン');
    assert.match(details['受付番号'], /^\d{8}$/);
    assert.match(details['確認番号'], /^\d{4}$/);
    assert.match(details['お支払い方法のご案内'], /^https?:\/\//);
    assert.match(details['お支払い期限'], /\d/);
    await screenshot(page, 'remise-multi-done');

    // The operator: 未入金.
    await login(page);
    await openOrder(page, issued.orderNumber);
    const payment = paymentSection(page);
    assert.equal(await payment.locator('#payment-status').innerText(), '未入金');
    assert.equal(await selectedLabel(page.getByLabel('入金状況', { exact: true })), '未入金');
    assert.equal((await page.locator('#payment-method').innerText()).trim(), `${REMISE_MULTI_METHOD} (ローソン)`);
    const tradingId = (await payment.locator('#payment-trading-id').innerText()).trim();
    await screenshot(page, 'admin-order-remise-multi-unpaid');

    // The back office: the buyer paid at the store; the 収納情報通知 goes to kessai.
    const office = await chrome.newPage();
    try {
      const message = await receiveInBackOffice(office, tradingId);
      assert.equal(message, '入金を登録し、収納情報通知を送信しました。');
      const row = multiRow(office, tradingId);
      await row.getByRole('cell', { name: /^入金済/ }).waitFor();
      await screenshot(office, 'remise-backoffice-received');
    } finally {
      await office.context().close();
    }

    await reloadUntil(page, payment.locator('#payment-status', { hasText: '入金済み' }), {
      what: 'the 収納情報通知 (入金済み)',
    });
    assert.equal(await receiptStatus(page, '入金済み'), '入金済み');
    // The notification names the store the buyer paid at: 入金済み(ローソン).
    const kinds = (await paymentHistory(page)).map(([, , kind]) => kind);
    assert.equal(kinds.length, 2, JSON.stringify(kinds));
    assert.match(kinds[0], /^入金済み/);
    assert.equal(kinds[1], '未入金');
    await screenshot(page, 'admin-order-remise-multi-paid');
    await page.goto('/admin/orders');
    assert.equal((await orderListRow(page, issued.orderNumber))['入金状況'], '入金済み');
  }),
);
