// The admin console's door: the login form, the dashboard, the menu, logging out.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { login, openMenu } from '../lib/admin.mjs';
import { launch, screenshot } from '../lib/browser.mjs';
import { admin } from '../lib/env.mjs';

const chrome = await launch();
after(() => chrome.close());

test(
  'an admin page asks for the login first and opens after it',
  chrome.withPage(async (page) => {
    await page.goto('/admin/orders');
    await page.getByRole('heading', { name: 'kessai 管理画面ログイン' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/admin/login');
    await screenshot(page, 'admin-login');

    await page.getByLabel('ログインID').fill(admin.login);
    await page.getByLabel('パスワード').fill(admin.password);
    await page.getByRole('button', { name: 'ログイン', exact: true }).click();

    await page.getByRole('heading', { level: 1, name: '受注リスト' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/admin/orders');
  }),
);

test(
  'a wrong password is refused with a message and the input kept',
  chrome.withPage(async (page) => {
    await page.goto('/admin/login');
    await page.getByLabel('ログインID').fill(admin.login);
    await page.getByLabel('パスワード').fill(`${admin.password}-wrong`);
    await page.getByRole('button', { name: 'ログイン', exact: true }).click();

    await page.getByRole('alert').filter({ hasText: 'ログインIDまたはパスワードが正しくありません。' }).waitFor();
    assert.equal(await page.getByLabel('ログインID').inputValue(), admin.login);
    assert.equal(await page.getByLabel('パスワード').inputValue(), '');
  }),
);

test(
  'the operator sees the demo shop on the dashboard, moves through the menu and logs out',
  chrome.withPage(async (page) => {
    await login(page);

    await page.getByRole('heading', { level: 1, name: 'ダッシュボード' }).waitFor();
    await page.locator('#figures').getByText('本日の売上').waitFor();
    await page.locator('#sales-chart').waitFor();
    const summary = page.locator('#shop-setup');
    assert.match(await summary.getByRole('row', { name: /ショップ名/ }).innerText(), /kessai デモショップ/);
    assert.match(
      await summary.getByRole('row', { name: /利用中のクレジット決済会社/ }).innerText(),
      /ペイジェント/,
    );
    await screenshot(page, 'admin-dashboard');

    for (const screen of ['受注リスト', '決済エラーログ', '支払方法', 'APIキー', 'ダッシュボード']) {
      await openMenu(page, screen);
    }

    await page.getByRole('button', { name: 'ログアウト' }).click();
    await page.getByRole('heading', { name: 'kessai 管理画面ログイン' }).waitFor();
    await page.goto('/admin');
    assert.equal(new URL(page.url()).pathname, '/admin/login');
  }),
);
