// The tenant's home page in a real browser: Japanese first, English by the switch, branded.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SHOTS, launchBrowser, phonePage, startServer } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('kitami home page: Japanese by default, English by the switch, on a phone', async () => {
  const page = await phonePage(browser);
  await page.goto(`${server.base}/t/kitami/`);
  assert.equal(await page.getAttribute('html', 'lang'), 'ja');
  await page.getByRole('heading', { level: 1, name: 'APIサービス（外部サービス連携）' }).waitFor();
  assert.match(await page.title(), /北見信用金庫/);
  assert.ok(await page.getByText('当ページの内容は著作権法により保護されています。').isVisible());

  // The header carries Kitami's colour from its theme.
  const bg = await page.locator('.site-header').evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.equal(bg, 'rgb(0, 85, 159)');
  // Nothing is wider than the phone.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page overflows by ${overflow}px`);
  await page.screenshot({ path: join(SHOTS, 'home-ja.png'), fullPage: true });

  await page.getByRole('link', { name: 'English' }).click();
  await page.getByRole('heading', { level: 1, name: 'API service (linking external services)' }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'en');

  // The choice is remembered.
  await page.goto(`${server.base}/t/kitami/`);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await page.screenshot({ path: join(SHOTS, 'home-en.png'), fullPage: true });
});

test('an unknown institution gets a clear page, not an error dump', async () => {
  const page = await phonePage(browser);
  const res = await page.goto(`${server.base}/t/nosuchbank/`);
  assert.equal(res.status(), 404);
  await page.getByRole('heading', { name: 'ページが見つかりません' }).waitFor();
});
