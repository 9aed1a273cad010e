// Paygent's convenience store payment (module type): the buyer chooses a store on the
// hand-off page and gets the payment number on 購入完了; the tester plays the buyer's
// payment at the store in the sandbox's test tool (試験環境ツール); Paygent's 差分通知 then
// makes the order 入金済み in the admin.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import {
  login,
  openOrder,
  orderListRow,
  paymentHistory,
  paymentSection,
  selectedLabel,
} from '../lib/admin.mjs';
import { launch, navigating, reloadUntil, screenshot } from '../lib/browser.mjs';
import { deliverNotices, findInTestTool, moveInTestTool } from '../lib/sandbox.mjs';
import { KONBINI_METHOD } from '../lib/shop.mjs';
import { customer, heading, orderOne, uniqueEmail } from '../lib/storefront.mjs';

const chrome = await launch();
after(() => chrome.close());

const CUP = '有田焼 湯呑み';
const STORE = 'ローソン/ミニストップ/デイリーヤマザキ';

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
    const details = {};
    for (const row of await page.locator('#payment-details tr').all()) {
      details[(await row.locator('th').innerText()).trim()] = (await row.locator('td').innerText()).trim();
    }
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
    assert.equal(await selectedLabel(page.getByLabel('入金状況', { exact: true })), '入金済み');
    assert.deepEqual(
      (await paymentHistory(page)).map(([, , kind]) => kind),
      ['消込済', '申込済', 'コンビニ決済申込'],
    );
    await screenshot(page, 'admin-order-konbini-paid');
    await page.goto('/admin/orders');
    assert.equal((await orderListRow(page, orderNumber))['入金状況'], '入金済み');
  }),
);
