// A guest buys through kessai's own storefront: 商品一覧 → 商品ページ → カート → お客様情報
// (refused once, then corrected) → 発送・支払方法 → 内容確認 → 「上記内容で注文する」 → the
// PaygentToken.js card form → 購入完了. The operator then finds the order in 受注リスト and
// its サンキューメール in メール送信履歴.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { login, orderListRow } from '../lib/admin.mjs';
import { launch, reloadUntil, screenshot } from '../lib/browser.mjs';
import { CARDS, fillCard, payByCard, submitCard } from '../lib/card.mjs';
import { BUYER, CARD_METHOD, DELIVERY_METHOD } from '../lib/shop.mjs';
import {
  addToCart,
  cartQuantity,
  changeQuantity,
  chooseDelivery,
  customer,
  customerField,
  fieldError,
  fillCustomer,
  heading,
  next,
  notice,
  openProduct,
  orderOne,
  placeOrder,
  uniqueEmail,
} from '../lib/storefront.mjs';

const chrome = await launch();
after(() => chrome.close());

const TEA = '静岡産 深蒸し煎茶 100g';
const TOWEL = '今治タオル フェイスタオル 2枚組';

test(
  'a guest buys through every storefront step, corrects the refused お客様情報, pays by card, and the operator finds the order and its サンキューメール',
  chrome.withPage(async (page) => {
    const email = uniqueEmail('guest');

    // 商品一覧 and a product page.
    await page.goto('/');
    await heading(page, '商品一覧').waitFor();
    const products = page.locator('#products');
    for (const name of [TEA, TOWEL]) {
      await products.getByRole('link', { name, exact: true }).waitFor();
    }
    await screenshot(page, 'shop-products');
    await openProduct(page, TEA);
    assert.equal((await page.locator('#product-price').innerText()).trim(), '1,080円');
    await screenshot(page, 'shop-item');

    // カート: two products, one quantity changed.
    await addToCart(page, 1);
    await notice(page, `「${TEA}」をカートに入れました。`).waitFor();
    await openProduct(page, TOWEL);
    await addToCart(page, 1);
    await changeQuantity(page, TOWEL, 2);
    assert.equal(await cartQuantity(page, TOWEL).inputValue(), '2');
    assert.equal((await page.locator('#cart-total').innerText()).trim(), '5,480円');
    await screenshot(page, 'shop-cart');

    // お客様情報: a short postal code, hiragana kana and a 機種依存文字 are each named.
    await next(page, 'お客様情報');
    const form = page.locator('#customer-form');
    await fillCustomer(
      form,
      customer(email, { postal_code: '12345', family_kana: 'やまだ', address1: '千代田区千代田①' }),
    );
    await next(page, 'お客様情報');
    assert.equal(await fieldError(page, 'postal_code'), '郵便番号は7桁の半角数字で入力してください（例: 123-4567）');
    assert.equal(await fieldError(page, 'family_kana'), 'セイは全角カタカナで入力してください');
    assert.equal(
      await fieldError(page, 'address1'),
      '住所に使用できない文字（機種依存文字など）が含まれています: 「①」',
    );
    assert.equal(await page.locator('#errors li').count(), 3, 'only the three wrong fields are refused');
    assert.equal(await customerField(form, 'postal_code').inputValue(), '12345', 'the input is kept');
    assert.equal(await customerField(form, 'family_kana').inputValue(), 'やまだ');
    assert.equal(await customerField(form, 'address1').inputValue(), '千代田区千代田①');
    assert.equal(await customerField(form, 'email_confirm').inputValue(), email);
    assert.equal(await customerField(form, 'prefecture').inputValue(), BUYER.prefecture);
    assert.equal(await customerField(form, 'postal_code').getAttribute('aria-invalid'), 'true');
    assert.equal(await customerField(form, 'given_kana').getAttribute('aria-invalid'), null);
    await screenshot(page, 'shop-customer-errors');
    await fillCustomer(form, {
      postal_code: '1000001',
      family_kana: BUYER.family_kana,
      address1: BUYER.address1,
    });

    // 発送・支払方法: the first date offered, 午前中, the Paygent card.
    await next(page, '発送・支払方法');
    const chosen = await chooseDelivery(page, { note: '不在時は宅配ボックスへ' });
    assert.notEqual(chosen.date, '', `${DELIVERY_METHOD} offers delivery dates`);
    await screenshot(page, 'shop-delivery');

    // 内容確認.
    await next(page, '内容確認');
    assert.equal((await page.locator('#order-total').innerText()).trim(), '5,480円');
    const who = await page.locator('#order-customer').innerText();
    assert.match(who, /山田 太郎 様/);
    assert.match(who, /100-0001/, 'the postal code as the shop keeps it');
    assert.match(who, /東京都千代田区千代田1-1/);
    assert.equal((await page.locator('#delivery-date').innerText()).trim(), chosen.date);
    assert.equal((await page.locator('#delivery-time').innerText()).trim(), '午前中');
    assert.equal((await page.locator('#payment-method').innerText()).trim(), CARD_METHOD);
    await screenshot(page, 'shop-confirm');

    // The card form, then 購入完了.
    await placeOrder(page);
    assert.equal((await page.locator('.amount').innerText()).trim(), '5,480円');
    assert.equal(
      await page.getByLabel('このカードを登録して次回から入力を省略する').count(),
      0,
      'a guest has no card to keep',
    );
    await fillCard(page, CARDS.approved);
    await screenshot(page, 'shop-card-form');
    const paid = await submitCard(page);

    assert.equal(paid.outcome, 'ordered', paid.message);
    assert.match(paid.orderNumber, /\S/);
    assert.equal((await page.locator('#order-total').innerText()).trim(), '5,480円');
    const items = await page.locator('#order-items').innerText();
    assert.ok(items.includes(TEA), items);
    assert.ok(items.includes(TOWEL), items);
    const summary = await page.locator('#order-summary').innerText();
    assert.ok(summary.includes(chosen.date), summary);
    assert.match(summary, /午前中/);
    await screenshot(page, 'shop-done');
    await page.goto('/cart');
    await page.locator('#cart-empty').waitFor();

    // The operator: 受注リスト, then the サンキューメール in メール送信履歴.
    await login(page);
    await page.goto('/admin/orders');
    const order = await orderListRow(page, paid.orderNumber);
    assert.equal(order['対応状況'], '新規受付');
    assert.equal(order['支払方法'], CARD_METHOD);
    assert.match(order['決済ID'], /オーソリOK/);
    assert.equal(order['入金状況'], '', 'a card payment has no 入金状況');
    assert.equal(order['総合計金額(円)'], '5,480');
    assert.equal(order['配送方法'], DELIVERY_METHOD);
    assert.equal(order['会員No'], '', 'a guest order has no 会員No');
    assert.deepEqual([order['姓'], order['名'], order['都道府県']], ['山田', '太郎', '東京都']);

    await page.goto('/admin/mails');
    const mail = page
      .locator('#mails tr')
      .filter({ has: page.getByRole('cell', { name: email, exact: true }) })
      .filter({ has: page.getByRole('cell', { name: 'サンキューメール', exact: true }) });
    // Jobs compose the mail after the order exists, then write it out (the demo has no SMTP).
    await reloadUntil(page, mail.filter({ has: page.getByRole('cell', { name: '書き出し済み', exact: true }) }), {
      what: 'the サンキューメール, written out',
    });
    await screenshot(page, 'admin-mails');
    await mail.getByRole('link').click();
    await heading(page, 'メール送信履歴').waitFor();
    const details = await page.locator('#mail').innerText();
    assert.ok(details.includes(`注文番号 ${paid.orderNumber}`), details);
    const body = await page.locator('#mail-body').innerText();
    assert.match(body, /山田 太郎 様/);
    assert.ok(body.includes(paid.orderNumber), body);
    assert.ok(body.includes(TEA), body);
    assert.ok(body.includes(TOWEL), body);
    await screenshot(page, 'admin-mail-thank-you');
  }),
);

test(
  'a guest who goes back from the card form and orders again continues the same checkout, and the cart is emptied once paid',
  chrome.withPage(async (page) => {
    await orderOne(page, TEA, customer(uniqueEmail('back')));
    const first = page.url();
    await page.goBack();
    await heading(page, '内容確認').waitFor();
    await placeOrder(page);
    assert.equal(page.url(), first, 'the same checkout, not a second payable one');

    const paid = await payByCard(page, CARDS.approved);

    assert.equal(paid.outcome, 'ordered', paid.message);
    await page.goto('/cart');
    await page.locator('#cart-empty').waitFor();
    assert.equal((await page.locator('#nav-cart').innerText()).trim(), 'カート');
  }),
);
