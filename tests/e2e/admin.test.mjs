// The admin console and the customer's /my page in a real browser: an admin signs in with a
// password and a TOTP code from the key the set-up page shows, registers a partner, and a
// customer completes a consent with it; the admin revokes a link and the partner's token stops
// working; a customer ends a link at /my and the partner's refresh fails.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { SHOTS, launchBrowser, phonePage, startServer } from './harness.mjs';
import { authorizeUrl, basic, callbackServer, pkcePair, post } from './partner.mjs';

const EMAIL = 'admin@kitami.example.jp';
const PASSWORD = 'correct horse battery staple';

let server;
let browser;
let partner;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  partner = await callbackServer();
  server.run('admins', 'add', '--tenant', 'kitami', '--email', EMAIL, '--password', PASSWORD);
});

after(async () => {
  await browser?.close();
  await partner?.close();
  await server?.stop();
});

/// RFC 6238 with the authenticator apps' defaults (SHA-1, 6 digits, 30 s), from a base32 key.
function totp(base32) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of base32.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

let console_;

async function signedInConsole() {
  if (console_) return console_;
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${server.base}/t/kitami/admin`);
  await page.getByLabel('メールアドレス').fill(EMAIL);
  await page.getByLabel('パスワード').fill(PASSWORD);
  await page.getByRole('button', { name: 'ログイン' }).click();
  await page.getByRole('heading', { name: '確認コード（二要素認証）' }).waitFor();
  assert.ok(await page.getByRole('img', { name: '認証アプリに登録するQRコード' }).isVisible());
  const key = (await page.locator('#totp-secret').textContent()).trim();
  await page.getByLabel('確認コード（6桁）').fill(totp(key));
  await page.getByRole('button', { name: '確認' }).click();
  await page.getByRole('heading', { name: '誰がお客さまのデータを見られるか' }).waitFor();
  console_ = page;
  return page;
}

/// The customer allows `client` on a phone; resolves to the callback's parameters.
async function consent(client, state) {
  const page = await phonePage(browser);
  const { verifier, challenge } = pkcePair();
  await page.goto(authorizeUrl(server.base, { partner, client }, challenge, state));
  await page.getByLabel('お客様ID').fill('Yamada01');
  await page.getByLabel('ログインパスワード').fill('Shinkin-2026!');
  await page.getByRole('button', { name: '認証' }).click();
  await page.getByLabel('しんきんAPIサービス利用規約に同意しました').check();
  const callback = partner.next();
  await page.getByRole('button', { name: '許可' }).click();
  const params = await callback;
  await page.context().close();
  const res = await post(`${server.base}/t/kitami/oauth/token`, basic(client.client_id, client.client_secret), {
    grant_type: 'authorization_code', code: params.code, redirect_uri: partner.redirectUri, code_verifier: verifier,
  });
  assert.equal(res.status, 200);
  return res.body;
}

async function balances(access) {
  const res = await fetch(`${server.base}/t/kitami/api/v1/accounts/balances`, { headers: { authorization: `Bearer ${access}` } });
  return res.status;
}

let client;

test('an admin signs in with TOTP, registers a partner, and a customer links it', async () => {
  const page = await signedInConsole();
  await page.screenshot({ path: join(SHOTS, 'admin-dashboard-ja.png'), fullPage: true });
  await page.getByRole('link', { name: '外部企業' }).click();
  await page.getByLabel('名称（日本語）').fill('みらい家計簿');
  await page.getByLabel('名称（英語）').fill('Mirai Budget');
  await page.getByLabel('リダイレクトURI（1行に1つ）').fill(partner.redirectUri);
  await page.getByRole('button', { name: '登録する' }).click();
  client = {
    client_id: (await page.locator('#new-client-id').textContent()).trim(),
    client_secret: (await page.locator('#new-secret').textContent()).trim(),
  };
  assert.match(client.client_id, /^rk-/);
  const tokens = await consent(client, 'console-partner');
  assert.equal(await balances(tokens.access_token), 200);

  // The dashboard now counts the new link under its partner.
  await page.getByRole('link', { name: 'ダッシュボード' }).click();
  assert.ok(await page.getByRole('link', { name: 'みらい家計簿' }).isVisible());
  await page.screenshot({ path: join(SHOTS, 'admin-dashboard-ja.png'), fullPage: true });

  // Revoked in the console: the partner's token stops at once.
  await page.getByRole('link', { name: '連携（許可）' }).click();
  await page.getByLabel('外部企業').selectOption({ label: 'みらい家計簿' });
  await page.getByRole('button', { name: '検索' }).click();
  await page.getByRole('link', { name: 'Yamada01' }).click();
  await page.getByLabel('解除の理由（必須）').fill('お客さまから電話で依頼');
  await page.getByRole('button', { name: '連携を解除する' }).click();
  await page.locator('#grant-status', { hasText: '解除済み' }).waitFor();
  assert.equal(await balances(tokens.access_token), 401);
});

test('a customer ends a link at /my and the partner can no longer refresh', async () => {
  const tokens = await consent(client, 'my-page');
  const page = await phonePage(browser);
  await page.goto(`${server.base}/t/kitami/my`);
  await page.getByLabel('お客様ID').fill('Yamada01');
  await page.getByLabel('ログインパスワード').fill('Shinkin-2026!');
  await page.getByRole('button', { name: '認証' }).click();
  await page.getByRole('heading', { level: 2, name: 'みらい家計簿' }).first().waitFor();
  await page.screenshot({ path: join(SHOTS, 'my-ja.png'), fullPage: true });
  await page.getByRole('link', { name: '連携を解除する' }).first().click();
  await page.getByText('みらい家計簿との連携を解除しますか。').waitFor();
  await page.getByRole('button', { name: '解除する' }).click();
  await page.getByText('連携を解除しました。').waitFor();
  const res = await post(`${server.base}/t/kitami/oauth/token`, basic(client.client_id, client.client_secret), {
    grant_type: 'refresh_token', refresh_token: tokens.refresh_token,
  });
  assert.equal(res.status, 400);
  assert.equal(res.body.error, 'invalid_grant');
  await page.context().close();
});

test('the console shows the signing keys the JWKS publishes, and no private part', async () => {
  const page = await signedInConsole();
  await page.getByRole('link', { name: '署名鍵' }).click();
  await page.getByRole('heading', { level: 1, name: '署名鍵' }).waitFor();
  const jwks = await (await fetch(`${server.base}/t/kitami/.well-known/jwks.json`)).json();
  assert.equal(jwks.keys.length, 4);
  const listed = await page.locator('#keys code.kid').allTextContents();
  assert.deepEqual([...listed].sort(), jwks.keys.map((k) => k.kid).sort());
  assert.equal(await page.locator('#keys tr.key-active').count(), 2);
  for (const k of jwks.keys) assert.equal(k.d, undefined);
  await page.screenshot({ path: join(SHOTS, 'admin-keys-ja.png'), fullPage: true });
});

test('the console imports the bank\'s file on its データ連携 page', async () => {
  const page = await signedInConsole();
  await page.getByRole('link', { name: 'データ連携' }).click();
  await page.getByRole('heading', { level: 1, name: 'データ連携' }).waitFor();
  const file = server.run('demo', 'zengin', '--tenant', 'kitami', '--out', join(server.tlsDir ?? '/tmp', `zengin-${process.pid}.txt`));
  const path = file.split(':')[0];
  await page.getByLabel('取り込むファイル').setInputFiles(path);
  await page.getByRole('button', { name: '取り込む', exact: true }).click();
  await page.getByText('取り込みました。').waitFor();
  assert.ok(await page.locator('#imports tbody tr').count() >= 1);
  await page.screenshot({ path: join(SHOTS, 'admin-bank-data-ja.png'), fullPage: true });
});
