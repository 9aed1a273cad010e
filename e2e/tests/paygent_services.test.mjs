// Paygent's convenience store payment (module type): the buyer chooses a store on the
// hand-off page and gets the payment number on 購入完了; the tester plays the buyer's
// payment at the store in the sandbox's test tool (試験環境ツール); Paygent's 差分通知 then
// makes the order 入金済み in the admin.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  flash,
  login,
  openOrder,
  orderListRow,
  paymentHistory,
  paymentOperation,
  paymentSection,
  receiptStatus,
  refreshPayment,
  selectedLabel,
} from '../lib/admin.mjs';
import { launch, navigating, reloadUntil, screenshot } from '../lib/browser.mjs';
import { deliverNotices, findInTestTool, moveInTestTool } from '../lib/sandbox.mjs';
import { ATM_METHOD, BUYER, KONBINI_METHOD, NETBANK_METHOD, PAIDY_METHOD, headlessShop } from '../lib/shop.mjs';
import { customer, heading, orderOne, uniqueEmail } from '../lib/storefront.mjs';

const chrome = await launch();
after(() => chrome.close());
let shop;
before(async () => {
  shop = await headlessShop(chrome, 'e2e ペイジェント各種決済');
});

const CUP = '有田焼 湯呑み';
const STORE = 'ローソン/ミニストップ/デイリーヤマザキ';
const TEA = [{ product_code: 'DEMO-TEA-01', quantity: 1 }];

/** The お支払いについて table of 購入完了, label → value. */
async function paymentDetails(page) {
  const details = {};
  for (const row of await page.locator('#payment-details tr').all()) {
    details[(await row.locator('th').innerText()).trim()] = (await row.locator('td').innerText()).trim();
  }
  return details;
}

test(
  'a buyer pays at a convenience store with the number from 購入完了, the test tool records the payment, and the order becomes 入金済み',
  chrome.withPage(async (page) => {
    // The buyer: the storefront up to the hand-off page, a store, 購入完了.
    await orderOne(page, CUP, customer(uniqueEmail('konbini')), { payment: KONBINI_METHOD });
    assert.equal((await page.locator('.amount').innerText()).trim(), '3,300円');
    assert.match(await page.locator('#deadline-notice').innerText(), /お支払いの有効期限はご注文日から\d+日間/);
    await page.getByLabel(STORE, { exact: true }).check();
    await screenshot(page, 'checkout-konbini-store');
    await navigating(page, () => page.getByRole('button', { name: '上記内容で注文する' }).click());
    await heading(page, '購入完了').waitFor();
    const orderNumber = (await page.locator('#order-number').innerText()).trim();
    const details = await paymentDetails(page);
    assert.equal(details['お支払い先'], STORE);
    assert.match(details['お客様番号'], /^\d+$/, 'Lawson gives the buyer a お客様番号');
    assert.match(details['お支払い期限'], /\d/);
    await screenshot(page, 'shop-done-konbini');

    // The operator: 未入金 with Paygent's 申込済.
    await login(page);
    await page.goto('/admin/orders');
    const listed = await orderListRow(page, orderNumber);
    assert.equal(listed['支払方法'], KONBINI_METHOD);
    assert.equal(listed['入金状況'], '未入金');
    assert.match(listed['決済ID'], /申込済/);
    await openOrder(page, orderNumber);
    const payment = paymentSection(page);
    assert.equal(await payment.locator('#payment-status').innerText(), '申込済');
    const paymentId = (await payment.innerText()).match(/決済ID (\d+)/)[1];
    assert.equal(await selectedLabel(page.getByLabel('入金状況', { exact: true })), '未入金');

    // The test tool: the payment as Paygent has it, then paid at the store (消込済).
    const tool = await chrome.newPage();
    try {
      assert.equal(await findInTestTool(tool, paymentId), '10 申込済');
      await screenshot(tool, 'sandbox-testtool');
      const answer = await moveInTestTool(tool, '消込済', { store: 'ローソン' });
      assert.equal(answer, '決済ステータスを「消込済」に更新しました。');
      assert.equal((await tool.locator('#found-status').innerText()).trim(), '40 消込済');
      await screenshot(tool, 'sandbox-testtool-updated');
    } finally {
      await tool.context().close();
    }

    // Paygent's 差分通知 reaches kessai; its job records the payment.
    await deliverNotices();
    await reloadUntil(page, payment.locator('#payment-status', { hasText: '消込済' }), {
      what: 'the payment at the store (消込済)',
    });
    assert.equal(await receiptStatus(page, '入金済み'), '入金済み');
    assert.deepEqual(
      (await paymentHistory(page)).map(([, , kind]) => kind),
      ['消込済', '申込済', 'コンビニ決済申込'],
    );
    await screenshot(page, 'admin-order-konbini-paid');
    await page.goto('/admin/orders');
    assert.equal((await orderListRow(page, orderNumber))['入金状況'], '入金済み');
  }),
);

test(
  'a buyer pays at an ATM (Pay-easy) with the numbers from 購入完了, and the test tool payment makes the order 入金済み',
  chrome.withPage(async (page) => {
    const checkout = await shop.startCheckout(TEA, BUYER, ATM_METHOD);
    await page.goto(checkout.payment_url);
    await heading(page, ATM_METHOD).waitFor();
    assert.match(await page.locator('#deadline-notice').innerText(), /お支払いの有効期限はご注文日から30日間/);
    await navigating(page, () => page.getByRole('button', { name: '上記内容で注文する' }).click());
    await heading(page, '購入完了').waitFor();
    const orderNumber = (await page.locator('#order-number').innerText()).trim();
    const details = await paymentDetails(page);
    assert.deepEqual(Object.keys(details), ['収納機関番号', 'お客様番号', '確認番号', 'お支払い期限']);
    assert.match(details['お客様番号'], /^\d{20}$/);
    assert.match(details['確認番号'], /^\d{6}$/);
    await screenshot(page, 'checkout-done-atm');

    await login(page);
    await openOrder(page, orderNumber);
    const payment = paymentSection(page);
    assert.equal(await payment.locator('#payment-status').innerText(), '申込済');
    const paymentId = (await payment.innerText()).match(/決済ID (\d+)/)[1];
    const tool = await chrome.newPage();
    try {
      assert.equal(await findInTestTool(tool, paymentId), '10 申込済');
      const answer = await moveInTestTool(tool, '消込済', { bank: 'ゆうちょ銀行' });
      assert.equal(answer, '決済ステータスを「消込済」に更新しました。');
    } finally {
      await tool.context().close();
    }
    await deliverNotices();

    await reloadUntil(page, payment.locator('#payment-status', { hasText: '消込済' }), {
      what: 'the payment at the ATM (消込済)',
    });
    assert.equal(await receiptStatus(page, '入金済み'), '入金済み');
    assert.deepEqual(
      (await paymentHistory(page)).map(([, , kind]) => kind),
      ['消込済', '申込済', 'ATM決済申込'],
    );
  }),
);

test(
  'a buyer chooses a bank on Paygent\'s page for net banking, the operator\'s 状態更新 shows it applied, and the test tool payment makes the order 入金済み',
  chrome.withPage(async (page) => {
    const checkout = await shop.startCheckout(TEA, BUYER, NETBANK_METHOD);
    await page.goto(checkout.payment_url);
    await heading(page, NETBANK_METHOD).waitFor();
    await navigating(page, () => page.getByRole('button', { name: '上記内容で注文する' }).click());

    // Paygent's bank choice page, then the bank's (the sandbox stops before the bank).
    await page.getByRole('heading', { name: 'お支払いに使う銀行を選択してください' }).waitFor();
    await page.getByLabel('りそな銀行（0010）').check();
    await screenshot(page, 'sandbox-bank-choice');
    await navigating(page, () => page.getByRole('button', { name: '選択した銀行で支払う' }).click());
    await page.getByRole('heading', { name: 'りそな銀行でのお支払い' }).waitFor();
    const paymentId = (await page.locator('#bank-payment-id').innerText()).trim();
    await navigating(page, () => page.getByRole('link', { name: '購入したサイトへ戻る' }).click());
    await heading(page, '購入完了').waitFor();
    const orderNumber = (await page.locator('#order-number').innerText()).trim();

    await login(page);
    await openOrder(page, orderNumber);
    const payment = paymentSection(page);
    assert.equal(await selectedLabel(page.getByLabel('入金状況', { exact: true })), '未入金');
    await refreshPayment(page);
    assert.equal(await payment.locator('#payment-status').innerText(), '申込済');
    assert.match(await payment.innerText(), new RegExp(`決済ID ${paymentId}`));
    const tool = await chrome.newPage();
    try {
      assert.equal(await findInTestTool(tool, paymentId), '10 申込済');
      assert.equal(await moveInTestTool(tool, '消込済'), '決済ステータスを「消込済」に更新しました。');
    } finally {
      await tool.context().close();
    }
    await deliverNotices();

    await reloadUntil(page, payment.locator('#payment-status', { hasText: '消込済' }), {
      what: 'the payment at the bank (消込済)',
    });
    assert.equal(await receiptStatus(page, '入金済み'), '入金済み');
    assert.equal((await paymentHistory(page))[0][2], '消込済');
  }),
);

/** Opens the Paidy hand-off page's checkout (Paidyで支払う) and pays as `email`. */
async function payWithPaidy(page, email) {
  await page.getByRole('button', { name: 'Paidyで支払う' }).click();
  const paidy = page.getByRole('dialog', { name: 'Paidy' });
  await paidy.getByLabel('メールアドレス').fill(email);
  await paidy.getByLabel('携帯電話番号').fill('09012345678');
  await navigating(page, () => paidy.getByRole('button', { name: '支払う' }).click());
}

test(
  'Paidy refuses a buyer, who then pays in Paidy\'s checkout; the operator captures and refunds part of it',
  chrome.withPage(async (page) => {
    const checkout = await shop.startCheckout(TEA, BUYER, PAIDY_METHOD);
    await page.goto(checkout.payment_url);
    await heading(page, 'Paidy').waitFor();

    await payWithPaidy(page, 'rejected@example.jp');
    assert.equal(
      (await page.locator('#paidy-error').innerText()).trim(),
      'Paidyでのお支払いがご利用いただけませんでした。別の支払方法をご利用ください。',
    );
    assert.equal((await shop.checkout(checkout.link_key)).order_id, null);
    await payWithPaidy(page, BUYER.email);
    await heading(page, '購入完了').waitFor();
    const orderNumber = (await page.locator('#order-number').innerText()).trim();

    await login(page);
    await openOrder(page, orderNumber);
    const payment = paymentSection(page);
    assert.equal(await payment.locator('#payment-status').innerText(), 'オーソリOK');
    await payment.getByRole('button', { name: 'オーソリキャンセル処理', exact: true }).waitFor();
    await paymentOperation(page, '売上処理');
    await flash(page, '売上処理を行いました。決済状況: 消込済').waitFor();

    await payment.getByLabel('決済金額').fill('300');
    const question = await paymentOperation(page, '返金処理');

    assert.equal(question, '返金処理を行います。よろしいですか？');
    await flash(page, '返金処理を行いました。決済状況: 消込済').waitFor();
    assert.equal(await payment.getByLabel('決済金額').inputValue(), '780', '1,080円 less 300円');
    assert.deepEqual(
      (await paymentHistory(page)).slice(0, 2).map(([, , kind, amount]) => [kind, amount]),
      [
        ['消込済', '780円'],
        ['Paidy返金', '300円'],
      ],
    );
    await screenshot(page, 'admin-order-paidy-refund');
  }),
);

test(
  'the operator cancels a Paidy authorisation with オーソリキャンセル処理',
  chrome.withPage(async (page) => {
    const checkout = await shop.startCheckout(TEA, BUYER, PAIDY_METHOD);
    await page.goto(checkout.payment_url);
    await payWithPaidy(page, BUYER.email);
    await heading(page, '購入完了').waitFor();
    const orderNumber = (await page.locator('#order-number').innerText()).trim();
    await login(page);
    await openOrder(page, orderNumber);

    const question = await paymentOperation(page, 'オーソリキャンセル処理');

    assert.equal(question, 'オーソリキャンセル処理を行います。よろしいですか？');
    await flash(page, 'オーソリキャンセル処理を行いました。決済状況: オーソリ取消済').waitFor();
    assert.equal(await paymentSection(page).locator('#payment-status').innerText(), 'オーソリ取消済');
  }),
);
