// The buyer's side of a Paygent card payment: kessai's hand-off card form, which turns
// the card into a token with the sandbox's PaygentToken.js, then the sandbox's 3-D Secure
// page when the card company asks for it.

/** Sandbox test cards (Paygent's rules: the last four digits choose the outcome). */
export const CARDS = Object.freeze({
  /** Any X other than 8 or 9 in the last four digits XYZZ: authorised. */
  approved: '4900000000000000',
  /** X=8, Y=2, ZZ=12: refused by the card company (2001, 1G12). */
  declined: '4900000000008212',
});

/** A cardholder name the 3-D Secure sandbox treats as a plain success. */
export const HOLDER = 'TARO YAMADA';

/** Opens the hand-off page of a checkout and waits for the card form. */
export async function openCardForm(page, paymentUrl) {
  await page.goto(paymentUrl);
  await page.getByRole('heading', { name: 'クレジットカード決済' }).waitFor();
}

/** Types a card into the form; the expiry is December of the last year offered. */
export async function fillCard(page, number, { holder = HOLDER } = {}) {
  await page.getByLabel('カード番号').fill(number);
  await page.locator('#expire_month').selectOption('12');
  const years = await page.locator('#expire_year option').evaluateAll((os) => os.map((o) => o.value));
  await page.locator('#expire_year').selectOption(years[years.length - 1]);
  // The hand-off form writes the label's brackets half-width, the member card page full-width.
  await page.getByLabel(/^カード名義[(（]ローマ字[)）]$/).fill(holder);
  const cvc = page.getByLabel('セキュリティコード');
  if (await cvc.count()) {
    await cvc.fill('123');
  }
}

/**
 * Waits for where a card submission ends: 購入完了 (`ordered`), the 3-D Secure challenge
 * (`challenge`), or the card form again with a message (`refused`).
 */
async function outcome(page) {
  const done = page.getByRole('heading', { name: '購入完了' });
  const challenge = page.getByRole('heading', { name: '本人認証' });
  const refused = page.locator('#card-error:visible');
  await done.or(challenge).or(refused).first().waitFor();
  if (await done.isVisible()) {
    return { outcome: 'ordered', orderNumber: (await page.locator('#order-number').innerText()).trim() };
  }
  if (await challenge.isVisible()) {
    return { outcome: 'challenge' };
  }
  return { outcome: 'refused', message: (await refused.innerText()).trim() };
}

/** Presses 上記内容で注文する and answers where the payment went (see `outcome`). */
export async function submitCard(page) {
  // A message from an earlier attempt must not count as this attempt's answer: the form's
  // script shows its own messages again, and the server's answer is a new page.
  await page.locator('#card-error').evaluate((e) => {
    e.hidden = true;
  });
  await page.getByRole('button', { name: '上記内容で注文する' }).click();
  return outcome(page);
}

/**
 * On the sandbox's challenge page, types the test password the page lists for `result`
 * (e.g. 認証成功) and sends it.
 */
export async function answerChallenge(page, result) {
  const row = page.getByRole('row').filter({ has: page.getByRole('cell', { name: result, exact: true }) });
  const password = (await row.getByRole('cell').first().innerText()).trim();
  await page.getByLabel('パスワード', { exact: true }).fill(password);
  await page.getByRole('button', { name: '認証する' }).click();
  return outcome(page);
}

/** Pays on the open card form with `number`, passing a 3-D Secure challenge if one comes. */
export async function payByCard(page, number, options) {
  await fillCard(page, number, options);
  const result = await submitCard(page);
  return result.outcome === 'challenge' ? answerChallenge(page, '認証成功') : result;
}
