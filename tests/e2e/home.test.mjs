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

test('the developers page shows its examples, and they can be scrolled by keyboard', async () => {
  const page = await phonePage(browser);
  await page.goto(`${server.base}/t/kitami/developers?lang=ja`);
  await page.getByRole('heading', { level: 1, name: '外部企業（開発者）向けのご案内' }).waitFor();
  await page.goto(`${server.base}/t/kitami/developers?lang=en`);
  await page.getByRole('heading', { level: 1, name: 'For partners (developers)' }).waitFor();

  // The example is wider than the phone: Tab from the link before it reaches it, the arrow keys
  // scroll it, and the focus shows.
  const example = page.getByRole('region', { name: 'Example: a balance inquiry and its response' });
  await page.getByRole('link', { name: 'openapi.json' }).focus();
  await page.keyboard.press('Tab');
  assert.ok(await example.evaluate((el) => el === document.activeElement), 'Tab does not reach the example');
  assert.notEqual(await example.evaluate((el) => getComputedStyle(el).outlineStyle), 'none');
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((el) => el.scrollLeft > 0, await example.elementHandle());
  await page.screenshot({ path: join(SHOTS, 'developers-en.png'), fullPage: true });
  await page.context().close();
});
