// A headless shop that starts checkouts through kessai's JSON API, as in the README's
// "Try it": an API key made in the admin, then POST /api/v1/checkouts, whose payment_url
// is the hand-off page the buyer's browser opens.
import { randomUUID } from 'node:crypto';
import { baseUrl } from './env.mjs';
import { createApiKey, deliveryMethodId, login, paymentMethodId } from './admin.mjs';

/** The demo shop's Paygent payment methods and a delivery method, by their names. */
export const CARD_METHOD = 'カード決済(ペイジェント)';
export const KONBINI_METHOD = 'コンビニ決済(ペイジェント)';
export const ATM_METHOD = 'ATM決済(ペイジェント)';
export const NETBANK_METHOD = '銀行ネット決済(ペイジェント)';
export const PAIDY_METHOD = 'Paidy(ペイジェント)';
export const DELIVERY_METHOD = '宅急便';

/** A guest buyer with valid details. */
export const BUYER = Object.freeze({
  email: 'buyer@example.jp',
  family_name: '山田',
  given_name: '太郎',
  family_kana: 'ヤマダ',
  given_kana: 'タロウ',
  postal_code: '100-0001',
  prefecture: '東京都',
  address1: '千代田区千代田1-1',
  phone: '03-1234-5678',
});

/** Sends one JSON API request with the shop's key; answers the parsed body or throws. */
async function call(key, method, path, body) {
  const headers = { Authorization: `Bearer ${key}` };
  if (method === 'POST') {
    headers['Content-Type'] = 'application/json';
    headers['Idempotency-Key'] = randomUUID();
  }
  const response = await fetch(`${baseUrl}/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  }
  return JSON.parse(text);
}

/**
 * Sets up a headless shop with a page of its own: logs in as admin, creates an API key
 * named `name`, and looks up the payment methods and the delivery method.
 */
export async function headlessShop(chrome, name) {
  const page = await chrome.newPage();
  try {
    await login(page);
    const key = await createApiKey(page, name);
    const paymentMethods = new Map();
    for (const method of [CARD_METHOD, KONBINI_METHOD, ATM_METHOD, NETBANK_METHOD, PAIDY_METHOD]) {
      paymentMethods.set(method, await paymentMethodId(page, method));
    }
    const deliveryMethod = await deliveryMethodId(page, DELIVERY_METHOD);
    return {
      /** Starts a guest checkout of `items` ([{product_code, quantity}]), by card unless `method` says otherwise. */
      startCheckout: (items, customer = BUYER, method = CARD_METHOD) =>
        call(key, 'POST', '/checkouts', {
          items,
          customer,
          delivery_method_id: deliveryMethod,
          payment_method_id: paymentMethods.get(method),
        }),
      /** The checkout as the API shows it (payment state, order id once there is one). */
      checkout: (linkKey) => call(key, 'GET', `/checkouts/${encodeURIComponent(linkKey)}`),
      /** The order with its payment and history. */
      order: (id) => call(key, 'GET', `/orders/${id}`),
    };
  } finally {
    await page.context().close();
  }
}
