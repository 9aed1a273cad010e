// EMV 3-D Secure on the hand-off page: the operator turns it on in クレジット決済設定, and
// the sandbox's card company asks the buyer for a password (it always does for 200,000 yen).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { login, saveProviderSettings } from '../lib/admin.mjs';
import { launch, screenshot } from '../lib/browser.mjs';
import { answerChallenge, CARDS, fillCard, openCardForm, submitCard } from '../lib/card.mjs';
import { headlessShop } from '../lib/shop.mjs';

/** A cart of exactly 200,000 yen: 10 × 1,080 + 56 × 3,300 + 2 × 2,200. */
const CHALLENGE_CART = [
  { product_code: 'DEMO-TEA-01', quantity: 10 },
  { product_code: 'DEMO-CUP-01', quantity: 56 },
  { product_code: 'DEMO-TOWEL-01', quantity: 2 },
];

/** 3Dセキュア結果受付ハッシュ鍵 of the sandbox's merchants. */
const SANDBOX_3DS_HASH_KEY = 'sandbox3dshashkey';

const chrome = await launch();
let shop;

/** Turns 3-D Secure on or off for Paygent, as the operator does. */
async function threeDSecure(on) {
  const page = await chrome.newPage();
  try {
    await login(page);
    await saveProviderSettings(
      page,
      'paygent',
      on
        ? { three_d_secure: '契約', three_d_hash_key: SANDBOX_3DS_HASH_KEY, chargeback: '優先する' }
        : { three_d_secure: '未契約／利用しない' },
    );
  } finally {
    await page.context().close();
  }
}

before(async () => {
  shop = await headlessShop(chrome, 'e2e 3Dセキュア');
  await threeDSecure(true);
});
// The other test files expect the demo's settings.
after(async () => {
  await threeDSecure(false);
  await chrome.close();
});

test(
  'a buyer passes the 3-D Secure challenge and reaches 購入完了',
  chrome.withPage(async (page) => {
    const checkout = await shop.startCheckout(CHALLENGE_CART);
    assert.equal(checkout.amount, 200_000);
    await openCardForm(page, checkout.payment_url);
    await fillCard(page, CARDS.approved);

    const asked = await submitCard(page);

    assert.equal(asked.outcome, 'challenge', asked.message);
    assert.match(await page.getByRole('row', { name: /金額/ }).innerText(), /200,000 円/);
    await screenshot(page, 'checkout-3ds-challenge');
    const paid = await answerChallenge(page, '認証成功');
    assert.equal(paid.outcome, 'ordered', paid.message);
    const state = await shop.checkout(checkout.link_key);
    assert.equal(state.provider_status_label, 'オーソリOK');
    assert.equal((await shop.order(state.order_id)).order_number, paid.orderNumber);
  }),
);

test(
  'a failed 3-D Secure challenge brings the buyer back to the card form with the reason',
  chrome.withPage(async (page) => {
    const checkout = await shop.startCheckout(CHALLENGE_CART);
    await openCardForm(page, checkout.payment_url);
    await fillCard(page, CARDS.approved);
    assert.equal((await submitCard(page)).outcome, 'challenge');

    const failed = await answerChallenge(page, '認証失敗');

    assert.equal(failed.outcome, 'refused');
    assert.match(failed.message, /3Dセキュア認証に失敗しました/);
    await screenshot(page, 'checkout-3ds-failed');
    const state = await shop.checkout(checkout.link_key);
    assert.equal(state.order_id, null);
  }),
);
