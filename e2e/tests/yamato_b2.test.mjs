// B2 出荷データ出力 / 取込 from the 受注リスト (the Welcart manual's B2 buttons): the operator
// ticks orders shipped by 宅急便 and paid with クロネコWebコレクト, downloads them as B2's CSV
// (Shift_JIS, b2_YYYYMMDD.csv), lets B2 issue the slips — in the demo, the sandbox's
// stand-in for B2, linked from the 受注リスト, gives the same file back with a 伝票番号 in
// every row — and uploads B2's file with 「B2 出荷データ取込」: each order becomes 配送会社名
// クロネコヤマト with its 送り状番号 and 対応状況 発送済み, and its payment 売上確定. The same
// file imported again changes nothing (取込済み).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import {
  flash,
  login,
  paymentHistory,
  paymentSection,
  rowsByHeading,
  searchOrders,
  selectedLabel,
} from '../lib/admin.mjs';
import { accepting, launch, navigating, screenshot } from '../lib/browser.mjs';
import { customer, heading, uniqueEmail } from '../lib/storefront.mjs';
import { YAMATO_CARDS, YAMATO_METHOD, fillYamatoCard, orderToYamato, submitYamatoCard } from '../lib/yamato.mjs';

const chrome = await launch();
after(() => chrome.close());

const CUP = '有田焼 湯呑み';
const TEA = '静岡産 深蒸し煎茶 100g';

/** A guest's whole order of one product paid with the approved card; answers its 注文番号. */
async function buy(page, productName, values) {
  await orderToYamato(page, productName, values);
  await fillYamatoCard(page, YAMATO_CARDS.approved);
  const paid = await submitYamatoCard(page);
  assert.equal(paid.outcome, 'ordered', paid.message);
  return paid.orderNumber;
}

// --- files -----------------------------------------------------------------------------------

/** Runs `action` (a click) and answers the download it starts: its file name and bytes. */
async function downloading(page, action) {
  const [download] = await Promise.all([page.waitForEvent('download'), action()]);
  const chunks = [];
  for await (const chunk of await download.createReadStream()) {
    chunks.push(chunk);
  }
  return { name: download.suggestedFilename(), bytes: Buffer.concat(chunks) };
}

/** The text of a Shift_JIS file; throws when the bytes are not Shift_JIS. */
function shiftJis(bytes) {
  return new TextDecoder('shift_jis', { fatal: true }).decode(bytes);
}

/** The cells of one CSV line: double quotes around a cell, `""` for a quote in it. */
function cells(line) {
  const found = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i];
    if (c === '"' && quoted && line[i + 1] === '"') {
      cell += '"';
      i += 1;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (c === ',' && !quoted) {
      found.push(cell);
      cell = '';
    } else {
      cell += c;
    }
  }
  found.push(cell);
  return found;
}

/**
 * A B2 file as { header, rows }: its lines split on CRLF (a bare LF fails the check),
 * each line's cells keyed by the header's names (B2's layout repeats 予備, so a row is also
 * kept as its list of cells, `cells`).
 */
function b2File(text) {
  assert.ok(text.endsWith('\r\n'), 'the file ends with CRLF');
  const lines = text.slice(0, -2).split('\r\n');
  assert.ok(lines.every((l) => !l.includes('\n')), 'every line ends with CRLF');
  const header = cells(lines[0]);
  const rows = lines.slice(1).map((line) => {
    const values = cells(line);
    assert.equal(values.length, header.length, `a row has as many cells as the header: ${line}`);
    return { ...Object.fromEntries(header.map((name, i) => [name, values[i]])), cells: values };
  });
  return { header, rows };
}

/** Today in Japan as YYYYMMDD. */
function todayInJapan() {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Tokyo',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date());
  return parts.replaceAll('-', '');
}

/** Whether `slip` is a Yamato 送り状番号: 12 digits, the last the first eleven mod 7. */
function validSlip(slip) {
  return /^\d{12}$/.test(slip) && Number(slip.slice(0, 11)) % 7 === Number(slip[11]);
}

// --- the 受注リスト's B2 form ----------------------------------------------------------------

/** The 受注リスト's B2 form (出力, the file field, 取込). */
function b2Form(page) {
  return page.locator('#b2-form');
}

/**
 * 「B2 出荷データ取込」 with `file`: chooses it, presses the button, accepts its confirmation
 * and waits for the results page. Answers the confirmation's text.
 */
async function importB2(page, file) {
  await b2Form(page).getByLabel('送り状番号発行済みのCSV').setInputFiles({
    name: file.name,
    mimeType: 'text/csv',
    buffer: file.bytes,
  });
  const button = b2Form(page).getByRole('button', { name: 'B2 出荷データ取込', exact: true });
  const question = await navigating(page, () => accepting(page, () => button.click()));
  await heading(page, 'B2 出荷データ取込の結果').waitFor();
  return question;
}

/** The results page's rows keyed by 注文番号 (each keyed by column heading). */
async function importResults(page) {
  const rows = await rowsByHeading(page.locator('#b2-results'));
  return Object.fromEntries(rows.map((row) => [row['注文番号'], row]));
}

/** Opens 受注データ of `orderNumber` from a 受注検索 for it. */
async function openOrderFound(page, orderNumber) {
  await searchOrders(page, orderNumber);
  await page.locator('#orders').getByRole('link', { name: orderNumber, exact: true }).click();
  await heading(page, '受注データ編集').waitFor();
}

/** What 受注データ shows of the shipment and the payment. */
async function shipmentShown(page) {
  const form = page.locator('#order-form');
  const kinds = (await paymentHistory(page)).map(([, , kind]) => kind);
  return {
    carrier: await selectedLabel(form.getByLabel('配送会社名', { exact: true })),
    slip: await form.getByLabel('送り状番号', { exact: true }).inputValue(),
    status: await selectedLabel(form.getByLabel('対応状況', { exact: true })),
    payment: (await paymentSection(page).locator('#payment-status').innerText()).trim(),
    shipmentCalls: kinds.filter((k) => k === '出荷情報登録').length,
    captures: kinds.filter((k) => k === '売上確定').length,
  };
}

test(
  'two Web Collect orders go out as B2\'s Shift_JIS CSV, get slips in the sandbox\'s B2, and come back with 「B2 出荷データ取込」 shipped and captured; the same file again captures nothing twice',
  chrome.withPage(async (page) => {
    // The buyer orders twice: 宅急便 and クロネコWebコレクト, both 与信.
    const email = uniqueEmail('yamato-b2');
    const first = await buy(page, CUP, customer(email));
    const second = await buy(page, TEA, customer(email));
    assert.notEqual(first, second);

    // The operator finds both by the buyer's e-mail and ticks them.
    await login(page);
    const found = await searchOrders(page, email);
    assert.deepEqual(found.map((r) => r['注文番号']).sort(), [first, second].sort());
    for (const row of found) {
      assert.equal(row['支払方法'], YAMATO_METHOD);
      assert.equal(row['配送方法'], '宅急便');
      assert.match(row['決済ID'], /与信/, JSON.stringify(row));
    }
    const form = b2Form(page);
    await form.getByRole('button', { name: 'B2 出荷データ出力', exact: true }).waitFor();
    await form.getByRole('button', { name: 'B2 出荷データ取込', exact: true }).waitFor();
    for (const number of [first, second]) {
      await page.getByLabel(`${number}を選択`, { exact: true }).check();
    }
    await screenshot(page, 'admin-orders-b2');

    // 「B2 出荷データ出力」: b2_YYYYMMDD.csv in Shift_JIS, a header and a row per order.
    const exported = await downloading(page, () =>
      form.getByRole('button', { name: 'B2 出荷データ出力', exact: true }).click());
    assert.equal(exported.name, `b2_${todayInJapan()}.csv`);
    assert.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(exported.bytes), 'not UTF-8');
    const csv = b2File(shiftJis(exported.bytes));
    assert.equal(csv.header[0], 'お客様管理番号');
    assert.equal(csv.header[3], '伝票番号');
    assert.equal(csv.header.length, 97);
    assert.deepEqual(csv.rows.map((r) => r['お客様管理番号']).sort(), [first, second].sort());
    const byNumber = Object.fromEntries(csv.rows.map((r) => [r['お客様管理番号'], r]));
    for (const [number, product] of [[first, CUP], [second, TEA]]) {
      const row = byNumber[number];
      assert.equal(row['伝票番号'], '', 'no slip before B2');
      assert.equal(row['お届け先名'], '山田 太郎');
      assert.equal(row['お届け先名略称カナ'], 'ヤマダ タロウ');
      assert.equal(row['お届け先住所'], '東京都千代田区千代田1-1');
      assert.equal(row['配達時間帯'], '0812', '午前中 as B2\'s code');
      assert.equal(row['品名１'], product);
      assert.match(row['出荷予定日'], /^\d{4}\/\d{2}\/\d{2}$/);
    }

    // The sandbox's B2, through the 受注リスト's link (it opens in a new tab).
    const link = form.getByRole('link', { name: 'サンドボックスの B2', exact: true });
    const [b2] = await Promise.all([page.context().waitForEvent('page'), link.click()]);
    await b2.waitForLoadState();
    await b2.getByRole('heading', { level: 1, name: '送り状の発行', exact: true }).waitFor();
    assert.equal(new URL(b2.url()).pathname, '/sandbox/yamato/b2');
    await b2.getByLabel('B2 取込用CSV').setInputFiles({
      name: exported.name,
      mimeType: 'text/csv',
      buffer: exported.bytes,
    });
    await screenshot(b2, 'sandbox-b2');
    const issued = await downloading(b2, () =>
      b2.getByRole('button', { name: '送り状を発行してダウンロード', exact: true }).click());
    assert.equal(issued.name, `b2_issued_${todayInJapan()}.csv`);
    const issuedCsv = b2File(shiftJis(issued.bytes));
    assert.deepEqual(issuedCsv.header, csv.header);
    const slips = Object.fromEntries(issuedCsv.rows.map((r) => [r['お客様管理番号'], r['伝票番号']]));
    assert.deepEqual(Object.keys(slips).sort(), [first, second].sort());
    for (const slip of Object.values(slips)) {
      assert.ok(validSlip(slip), `a valid 送り状番号: ${slip}`);
    }
    assert.notEqual(slips[first], slips[second]);
    await b2.close();

    // 「B2 出荷データ取込」 of B2's file: both rows 売上確定.
    const question = await importB2(page, issued);
    assert.equal(question, 'ファイルの受注を発送済みにして売上確定します。よろしいですか？');
    const message = page.locator('#b2-message');
    assert.equal(
      (await message.innerText()).trim(),
      'B2 出荷データを2行取り込みました(売上確定 2件、発送済み 0件、取込済み 0件、未処理 0件、失敗 0件)。',
    );
    const results = await importResults(page);
    assert.deepEqual(Object.keys(results).sort(), [first, second].sort());
    for (const number of [first, second]) {
      const row = results[number];
      assert.equal(row['送り状番号'], slips[number]);
      assert.equal(row['結果'], '売上確定', JSON.stringify(row));
      assert.equal(row['内容'], '発送済みにして売上確定しました(決済状況: 売上確定)。');
    }
    assert.deepEqual(Object.values(results).map((r) => r['行']).sort(), ['2', '3']);
    await screenshot(page, 'admin-orders-b2-import');

    // 受注リストへ戻る leads back to the search the operator came from.
    await page.getByRole('link', { name: '受注リストへ戻る', exact: true }).click();
    await heading(page, '受注リスト').waitFor();
    assert.equal(await page.getByLabel('受注検索').inputValue(), email);
    const listed = await rowsByHeading(page.locator('#orders'));
    assert.deepEqual(listed.map((r) => r['対応状況']), ['発送済み', '発送済み']);

    // One order: shipped by クロネコヤマト with B2's slip, captured once.
    await openOrderFound(page, first);
    assert.deepEqual(await shipmentShown(page), {
      carrier: 'クロネコヤマト',
      slip: slips[first],
      status: '発送済み',
      payment: '売上確定',
      shipmentCalls: 1,
      captures: 1,
    });
    await screenshot(page, 'admin-order-b2-sales');

    // The same file again: 取込済み, nothing captured twice.
    await page.goto('/admin/orders');
    await importB2(page, issued);
    assert.equal(
      (await page.locator('#b2-message').innerText()).trim(),
      'B2 出荷データを2行取り込みました(売上確定 0件、発送済み 0件、取込済み 2件、未処理 0件、失敗 0件)。',
    );
    const again = await importResults(page);
    for (const number of [first, second]) {
      assert.equal(again[number]['結果'], '取込済み', JSON.stringify(again[number]));
      assert.equal(again[number]['送り状番号'], slips[number]);
      assert.equal(again[number]['内容'], 'この送り状番号は取込済みです。売上確定済みのため何もしません。');
    }
    await screenshot(page, 'admin-orders-b2-reimport');
    for (const number of [first, second]) {
      await openOrderFound(page, number);
      const shown = await shipmentShown(page);
      assert.equal(shown.slip, slips[number]);
      assert.equal(shown.payment, '売上確定');
      assert.equal(shown.shipmentCalls, 1, `${number}: one 出荷情報登録`);
      assert.equal(shown.captures, 1, `${number}: one 売上確定`);
    }
  }),
);

test(
  '「B2 出荷データ出力」 with no order ticked downloads nothing and says to tick orders first',
  chrome.withPage(async (page) => {
    await login(page);
    await page.goto('/admin/orders');
    assert.equal(await page.locator('#orders input[name=id]:checked').count(), 0);
    let downloaded = false;
    page.on('download', () => { downloaded = true; });

    await navigating(page, () =>
      b2Form(page).getByRole('button', { name: 'B2 出荷データ出力', exact: true }).click());

    await heading(page, '受注リスト').waitFor();
    const message = flash(page, 'B2 出荷データ出力する受注にチェックを入れてから');
    await message.waitFor();
    assert.equal(
      (await message.innerText()).trim(),
      'B2 出荷データ出力する受注にチェックを入れてから、[B2 出荷データ出力]を押してください。',
    );
    assert.match((await message.getAttribute('class')) ?? '', /\berror\b/);
    assert.equal(downloaded, false);
    await screenshot(page, 'admin-orders-b2-none-ticked');
  }),
);
