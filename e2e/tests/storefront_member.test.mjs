// A member of the storefront: 新規会員登録, a purchase that keeps the card at Paygent, a
// second purchase with the kept card (no card number typed), マイページ with 購入履歴, the
// operator's 会員データ; the member card page (登録, 変更, 削除) and 退会; ログアウト,
// ログイン and お客様情報 filled in from the member.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { login, orderListRow } from '../lib/admin.mjs';
import { accepting, launch, navigating, screenshot } from '../lib/browser.mjs';
import { CARDS, fillCard, submitCard } from '../lib/card.mjs';
import { CARD_METHOD } from '../lib/shop.mjs';
import {
  addToCart,
  chooseDelivery,
  customerField,
  fillCustomer,
  heading,
  logInMember,
  newMember,
  next,
  notice,
  openProduct,
  orderHistory,
  orderOne,
  registerMember,
  uniqueEmail,
} from '../lib/storefront.mjs';

const chrome = await launch();
after(() => chrome.close());

const TEA = '静岡産 深蒸し煎茶 100g';
const CUP = '有田焼 湯呑み';

/** Another card the sandbox authorises (the last four digits choose the outcome). */
const SECOND_CARD = '4111111111111111';

const KEEP_CARD = 'このカードを登録して次回から入力を省略する';

/** The kept cards on マイページ as their 下4桁 texts. */
async function storedCards(page) {
  const rows = page.locator('#stored-cards tr').filter({ has: page.locator('td') });
  return (await rows.locator('td:first-child').allInnerTexts()).map((t) => t.trim());
}

/** Opens the member card page from マイページ by its link. */
async function openCardPage(page, link, title) {
  await page.goto('/member');
  await page.getByRole('link', { name: link }).click();
  await heading(page, title).waitFor();
}

/** Presses 登録 on the member card page; waits for マイページ and its message. */
async function saveCard(page, message) {
  await navigating(page, () => page.getByRole('button', { name: '登録', exact: true }).click());
  await heading(page, 'マイページ').waitFor();
  await notice(page, message).waitFor();
}

test(
  'a new member keeps the card on the first order, pays the second with it without typing a number, マイページ and 会員データ show both, and once the operator removes it in 会員データ編集 the member has no card',
  chrome.withPage(async (page) => {
    const member = newMember(uniqueEmail('member'), {
      family_name: '佐藤',
      given_name: '花子',
      family_kana: 'サトウ',
      given_kana: 'ハナコ',
      postal_code: '530-0001',
      prefecture: '大阪府',
      address1: '大阪市北区梅田1-1',
      phone: '06-1234-5678',
    });
    await registerMember(page, member);
    await notice(page, '会員登録が完了しました。').waitFor();
    await page.locator('#no-orders').waitFor();

    // First order: お客様情報 comes from the member; the card is kept for next time.
    await orderOne(page, TEA);
    const keep = page.getByLabel(KEEP_CARD);
    assert.equal(await page.getByRole('radio').count(), 0, 'no card kept yet');
    await fillCard(page, CARDS.approved);
    await keep.check();
    const first = await submitCard(page);
    assert.equal(first.outcome, 'ordered', first.message);

    // Second order: the kept card is offered and chosen; no card number is typed.
    await page.goto('/cart');
    await page.locator('#cart-empty').waitFor();
    await orderOne(page, CUP);
    const stored = page.getByRole('radio', { name: /登録済みのカード\(下4桁 0000 / });
    assert.equal(await stored.isChecked(), true, 'the kept card is chosen first');
    assert.equal(await page.getByLabel('カード番号').inputValue(), '');
    await screenshot(page, 'shop-card-form-stored-card');
    const second = await submitCard(page);
    assert.equal(second.outcome, 'ordered', second.message);
    assert.notEqual(second.orderNumber, first.orderNumber);
    assert.equal((await page.locator('#order-total').innerText()).trim(), '3,300円');

    // マイページ: both orders in 購入履歴, newest first, and the kept card.
    await page.getByRole('link', { name: 'マイページ' }).first().click();
    await heading(page, 'マイページ').waitFor();
    const history = await orderHistory(page);
    assert.deepEqual(
      history.map(([number, , method, total]) => [number, method, total]),
      [
        [second.orderNumber, CARD_METHOD, '3,300円'],
        [first.orderNumber, CARD_METHOD, '1,080円'],
      ],
    );
    assert.deepEqual(await storedCards(page), ['下4桁 0000']);
    await page.getByRole('link', { name: 'クレジットカード変更はこちら' }).waitFor();
    await screenshot(page, 'shop-mypage');

    // The operator: 会員データ with the kept card, and the orders under the member's number.
    const operator = await chrome.newPage();
    try {
      await login(operator);
      await operator.goto('/admin/members');
      const row = operator.locator('#members tr').filter({
        has: operator.getByRole('cell', { name: member.email, exact: true }),
      });
      const memberNumber = (await row.getByRole('link').innerText()).trim();
      await row.getByRole('link').click();
      await operator.getByRole('heading', { name: 'カード情報お預り' }).waitFor();
      const cards = operator.locator('#stored-cards tr').filter({ has: operator.locator('td') });
      assert.equal(await cards.count(), 1);
      const [provider, environment, last4, expiry, state] = (await cards.locator('td').allInnerTexts()).map((t) => t.trim());
      assert.equal(provider, 'ペイジェント');
      assert.equal(environment, 'テスト環境', 'a card kept in the test environment says so');
      assert.equal(last4, '0000');
      assert.match(expiry, /^12\/\d\d$/, 'the expiry the buyer chose');
      assert.equal(state, '登録あり');
      await screenshot(operator, 'admin-member-stored-card');
      await operator.goto('/admin/orders');
      for (const { orderNumber } of [first, second]) {
        const order = await orderListRow(operator, orderNumber);
        assert.equal(order['会員No'], memberNumber, `order ${orderNumber} is the member's`);
        assert.equal(order['都道府県'], '大阪府');
      }

      // 会員データ編集: the operator removes the kept card (at Paygent too); マイページ no
      // longer offers it.
      await operator.goBack();
      await operator.getByLabel('カード情報の登録を解除する').check();
      await navigating(operator, () => operator.locator('#member-form').getByRole('button', { name: '設定を更新' }).click());
      await operator.getByRole('status').filter({ hasText: 'カード情報の登録を解除しました。' }).waitFor();
      await operator.locator('#stored-cards').getByText('登録なし').waitFor();
      await page.reload();
      assert.deepEqual(await storedCards(page), [], 'the card is gone for the member too');
      await page.getByRole('link', { name: 'クレジットカード登録はこちら' }).waitFor();
    } finally {
      await operator.context().close();
    }
  }),
);

test(
  'a member registers, changes and deletes a card on the card page, then withdraws and can no longer log in',
  chrome.withPage(async (page) => {
    const member = newMember(uniqueEmail('card-member'));
    await registerMember(page, member);

    // クレジットカード登録.
    await openCardPage(page, 'クレジットカード登録はこちら', 'クレジットカード登録');
    assert.equal(await page.locator('#current-card').count(), 0);
    await fillCard(page, CARDS.approved);
    await screenshot(page, 'shop-member-card');
    await saveCard(page, 'クレジットカードを登録しました。');
    assert.deepEqual(await storedCards(page), ['下4桁 0000']);

    // クレジットカード変更: the new card replaces the kept one.
    await openCardPage(page, 'クレジットカード変更はこちら', 'クレジットカード変更');
    assert.equal((await page.locator('#current-card').innerText()).trim(), '0000');
    await fillCard(page, SECOND_CARD);
    await screenshot(page, 'shop-member-card-change');
    await saveCard(page, 'クレジットカードを変更しました。');
    assert.deepEqual(await storedCards(page), ['下4桁 1111']);

    // 削除, confirmed in its dialog.
    const question = await navigating(page, () =>
      accepting(page, () =>
        page.locator('#stored-cards').getByRole('button', { name: '削除', exact: true }).click(),
      ),
    );
    assert.equal(question, 'このクレジットカードを削除しますか？');
    await notice(page, 'クレジットカードを削除しました。').waitFor();
    assert.equal(await page.locator('#stored-cards').count(), 0);
    await page.getByRole('link', { name: 'クレジットカード登録はこちら' }).waitFor();

    // 退会, confirmed in its dialog; the login is refused afterwards.
    await page.getByRole('link', { name: '退会', exact: true }).click();
    await heading(page, '退会').waitFor();
    const confirmation = await navigating(page, () =>
      accepting(page, () => page.getByRole('button', { name: '退会する' }).click()),
    );
    assert.equal(confirmation, '退会しますか？');
    await notice(page, '退会手続きが完了しました。ご利用ありがとうございました。').waitFor();
    await page.getByRole('link', { name: 'ログイン', exact: true }).waitFor();
    const again = await logInMember(page, member.email, member.password);
    assert.deepEqual(again, {
      loggedIn: false,
      error: 'メールアドレスまたはパスワードが正しくありません。',
    });
    await page.goto('/member');
    await heading(page, 'ログイン').waitFor();
  }),
);

test(
  'a member who logs in on お客様情報 keeps the cart, finds their details filled in and may change the address for one order only',
  chrome.withPage(async (page) => {
    const member = newMember(uniqueEmail('prefill'));
    await registerMember(page, member);
    await navigating(page, () => page.getByRole('button', { name: 'ログアウト' }).click());
    await notice(page, 'ログアウトしました。').waitFor();
    await openProduct(page, TEA);
    await addToCart(page, 2);
    await next(page, 'お客様情報');

    // 会員の方: the login form on お客様情報 comes back to it.
    const memberLogin = page.locator('#member-login');
    await memberLogin.getByLabel('メールアドレス').fill(member.email);
    await memberLogin.getByLabel('パスワード').fill(member.password);
    await navigating(page, () => memberLogin.getByRole('button', { name: 'ログイン' }).click());
    await heading(page, 'お客様情報').waitFor();
    await notice(page, 'ログインしました。').waitFor();
    assert.equal((await page.locator('#nav-cart').innerText()).trim(), 'カート（2）', 'the cart survives the login');

    const form = page.locator('#customer-form');
    assert.equal(await page.locator('#member-login').count(), 0, 'no login form for a member');
    for (const field of ['email', 'family_name', 'family_kana', 'postal_code', 'prefecture', 'address1', 'phone']) {
      assert.equal(await customerField(form, field).inputValue(), member[field], field);
    }
    await fillCustomer(form, { prefecture: '北海道', address1: '札幌市中央区北1条西2丁目' });
    await next(page, '発送・支払方法');
    await chooseDelivery(page);
    await next(page, '内容確認');

    assert.ok(
      (await page.locator('#order-customer').innerText()).includes('北海道札幌市中央区北1条西2丁目'),
      'the order goes to the address typed',
    );
    await page.goto('/member/edit');
    const details = page.locator('#edit-form');
    assert.equal(await customerField(details, 'prefecture').inputValue(), member.prefecture);
    assert.equal(await customerField(details, 'address1').inputValue(), member.address1, "the member's own address stays");
  }),
);
