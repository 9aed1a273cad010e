// A declined card: the buyer is told why and may try again; the operator sees the
// payment error banner on every admin page until 決済エラーログ is emptied.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { clearPaymentErrors, login, openOrder, paymentErrorBanner, paymentSection } from '../lib/admin.mjs';
import { accepting, launch, navigating, reloadUntil, screenshot } from '../lib/browser.mjs';
import { CARDS, fillCard, openCardForm, submitCard } from '../lib/card.mjs';
import { headlessShop } from '../lib/shop.mjs';

const chrome = await launch();
after(() => chrome.close());
let shop;
before(async () => {
  shop = await headlessShop(chrome, 'e2e 決済エラー');
});

const BANNER = /^決済エラーが発生しました（未確認 \d+件）。決済エラーログを確認してください。$/;

/** Runs `action` (a click that downloads a file) and answers the file's name and text. */
async function downloaded(page, action) {
  const [download] = await Promise.all([page.waitForEvent('download'), action()]);
  return { name: download.suggestedFilename(), text: await readFile(await download.path(), 'utf8') };
}

test(
  'a declined card is explained to the buyer and flagged to the operator until the error log is cleared',
  chrome.withPage(async (page) => {
    await login(page);
    await clearPaymentErrors(page);
    await page.goto('/admin');
    assert.equal(await paymentErrorBanner(page).count(), 0, 'no banner while the log is empty');
    const checkout = await shop.startCheckout([{ product_code: 'DEMO-TOWEL-01', quantity: 1 }]);
    await openCardForm(page, checkout.payment_url);
    await fillCard(page, CARDS.declined);

    const declined = await submitCard(page);

    assert.equal(declined.outcome, 'refused');
    assert.equal(declined.message, 'カードの承認が得られませんでした。別のカードをご利用ください。');
    assert.equal(await page.getByLabel('カード番号').inputValue(), '', 'the card number is never sent back');
    await screenshot(page, 'checkout-card-declined');
    assert.equal((await shop.checkout(checkout.link_key)).order_id, null);

    await page.goto('/admin');
    const banner = paymentErrorBanner(page);
    assert.match((await banner.innerText()).trim(), BANNER);
    await screenshot(page, 'admin-payment-error-banner');
    await banner.getByRole('link', { name: '決済エラーログ' }).click();
    await page.getByRole('heading', { level: 1, name: '決済エラーログ' }).waitFor();
    const entry = page.locator('#payment-errors tr').filter({ hasText: checkout.link_key });
    assert.match(await entry.innerText(), /カード決済\(ペイジェント\)/);
    assert.match(await entry.innerText(), /2001/);
    await screenshot(page, 'admin-payment-errors');

    // 詳細ログ出力 of the ticked entry: a text file for a support request, with no card number.
    await entry.getByRole('checkbox').check();
    const exported = await downloaded(page, () => page.getByRole('button', { name: '詳細ログ出力（選択）' }).click());
    assert.match(exported.name, /^payment_errors_\d{8}\.txt$/);
    assert.ok(exported.text.includes(`リンクキー: ${checkout.link_key}`), exported.text);
    assert.match(exported.text, /ステータス: 2001/);
    assert.ok(!exported.text.includes(CARDS.declined), 'no card number in the log');

    // 決済エラーログ詳細, then 削除 of that entry.
    await entry.getByRole('link', { name: '詳細', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: '決済エラーログ詳細' }).waitFor();
    assert.match(await page.locator('#payment-error-link').innerText(), new RegExp(checkout.link_key));
    assert.ok(!(await page.locator('#payment-error-detail').innerText()).includes(CARDS.declined));
    await screenshot(page, 'admin-payment-error');
    const question = await navigating(page, () =>
      accepting(page, () => page.getByRole('button', { name: '削除', exact: true }).click()),
    );
    assert.equal(question, 'この決済エラーログを削除します。よろしいですか？');
    await page.getByRole('status').filter({ hasText: '決済エラーログを1件削除しました。' }).waitFor();
    assert.equal(await page.locator('#payment-errors tr').filter({ hasText: checkout.link_key }).count(), 0);

    // Whatever else the attempt logged goes with すべて削除.
    await clearPaymentErrors(page);
    await page.getByText('決済エラーはありません。').waitFor();
    assert.equal(await paymentErrorBanner(page).count(), 0);
    await page.goto('/admin/orders');
    assert.equal(await paymentErrorBanner(page).count(), 0);
  }),
);

test(
  'after a declined card the buyer pays with another card, and the late notice of the declined attempt leaves the payment authorized',
  chrome.withPage(async (page) => {
    const checkout = await shop.startCheckout([{ product_code: 'DEMO-BOOK-01', quantity: 1 }]);
    await openCardForm(page, checkout.payment_url);
    await fillCard(page, CARDS.declined);
    assert.equal((await submitCard(page)).outcome, 'refused');
    await fillCard(page, CARDS.approved);

    const paid = await submitCard(page);

    assert.equal(paid.outcome, 'ordered', paid.message);
    await login(page);
    await openOrder(page, paid.orderNumber);
    // The sandbox pushes a notice for each attempt; wait until the one of the declined
    // attempt has been processed (its status row shows in the history).
    const history = page.locator('#payment-history');
    await reloadUntil(page, history.getByRole('cell', { name: 'オーソリNG', exact: true }), {
      what: "the declined attempt's status row",
    });
    const payment = paymentSection(page);
    assert.equal(await payment.locator('#payment-status').innerText(), 'オーソリOK');
    await payment.getByRole('button', { name: '売上処理', exact: true }).waitFor();
    const state = await shop.checkout(checkout.link_key);
    assert.equal(state.payment_state, 'authorized');
  }),
);
