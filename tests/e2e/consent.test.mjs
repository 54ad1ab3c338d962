// The customer guide, made real: a partner sends the customer to the credit union's page, the
// customer logs in and allows access, and the partner's server exchanges, refreshes and revokes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SHOTS, launchBrowser, phonePage, startServer } from './harness.mjs';
import { authorizeUrl as authorizeUrlOf, basic, kitamiPartner, pkcePair, post } from './partner.mjs';

let server;
let browser;
let partner;
let client;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  ({ partner, client } = await kitamiPartner(server));
});

after(async () => {
  await browser?.close();
  await partner?.close();
  await server?.stop();
});

const authorizeUrl = (challenge, state) => authorizeUrlOf(server.base, { partner, client }, challenge, state);

const tokenUrl = () => `${server.base}/t/kitami/oauth/token`;

test('Japanese: log in, refuse without the checkbox, allow, then the partner uses its tokens', async () => {
  const page = await phonePage(browser);
  const { verifier, challenge } = pkcePair();
  await page.goto(authorizeUrl(challenge, 'ja-state'));

  await page.getByLabel('お客様ID').fill('Yamada01');
  await page.getByLabel('ログインパスワード').fill('Shinkin-2026!');
  assert.ok(await page.getByRole('link', { name: '電子証明書認証' }).isVisible());
  assert.ok(await page.getByRole('button', { name: 'キャンセル' }).isVisible());
  await page.screenshot({ path: join(SHOTS, 'login-ja.png'), fullPage: true });
  await page.getByRole('button', { name: '認証' }).click();

  await page.getByRole('heading', { level: 1, name: 'アクセス許可' }).waitFor();
  assert.ok(await page.getByText('みらい家計簿').first().isVisible());
  assert.ok(await page.getByText('残高照会', { exact: true }).isVisible());
  assert.ok(await page.getByText('入出金明細照会', { exact: true }).isVisible());
  assert.ok(await page.getByText(/90日間です（\d{4}年\d{1,2}月\d{1,2}日まで）/).isVisible());
  const agree = page.getByLabel('しんきんAPIサービス利用規約に同意しました');
  assert.equal(await agree.isChecked(), false);
  await page.screenshot({ path: join(SHOTS, 'consent-ja.png'), fullPage: true });

  // 許可 without the checkbox: the page comes back with a clear message.
  await page.getByRole('button', { name: '許可' }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').innerText(), /同意しました」にチェックを入れてから/);

  await page.getByLabel('しんきんAPIサービス利用規約に同意しました').check();
  const callback = partner.next();
  await page.getByRole('button', { name: '許可' }).click();
  const params = await callback;
  assert.equal(params.state, 'ja-state');
  assert.equal(params.iss, `${server.base}/t/kitami`);
  assert.ok(params.code);
  await page.getByRole('heading', { name: 'Partner received the callback' }).waitFor();

  // The partner's server, at 2 a.m.: exchange, refresh, revoke.
  const auth = basic(client.client_id, client.client_secret);
  const exchanged = await post(tokenUrl(), auth, {
    grant_type: 'authorization_code', code: params.code, redirect_uri: partner.redirectUri, code_verifier: verifier,
  });
  assert.equal(exchanged.status, 200, JSON.stringify(exchanged.body));
  assert.equal(exchanged.body.token_type, 'Bearer');
  const refreshed = await post(tokenUrl(), auth, { grant_type: 'refresh_token', refresh_token: exchanged.body.refresh_token });
  assert.equal(refreshed.status, 200);
  const revoked = await post(`${server.base}/t/kitami/oauth/revoke`, auth, { token: refreshed.body.access_token });
  assert.equal(revoked.status, 200);
  const info = await post(`${server.base}/t/kitami/oauth/introspect`, auth, { token: refreshed.body.access_token });
  assert.equal(info.body.active, false);
  const again = await post(tokenUrl(), auth, { grant_type: 'refresh_token', refresh_token: refreshed.body.refresh_token });
  assert.equal(again.body.error, 'invalid_grant');
});

test('English: the same flow by its English labels, and Cancel returns access_denied', async () => {
  const page = await phonePage(browser);
  const { challenge } = pkcePair();
  await page.goto(authorizeUrl(challenge, 'en-state') + '&lang=en');
  await page.getByLabel('Customer ID').fill('Brown03');
  await page.getByLabel('Login password').fill('Shinkin-2026!');
  assert.ok(await page.getByRole('link', { name: 'Certificate login' }).isVisible());
  await page.screenshot({ path: join(SHOTS, 'login-en.png'), fullPage: true });
  await page.getByRole('button', { name: 'Authenticate' }).click();

  await page.getByRole('heading', { level: 1, name: 'Access permission' }).waitFor();
  assert.ok(await page.getByText('Balance inquiry', { exact: true }).isVisible());
  assert.ok(await page.getByText('Transaction history', { exact: true }).isVisible());
  assert.ok(await page.getByText(/valid for 90 days \(until \d{1,2} [A-Z][a-z]+ \d{4}\)/).isVisible());
  await page.getByLabel('I agree to the Shinkin API Service Terms of Use').check();
  await page.screenshot({ path: join(SHOTS, 'consent-en.png'), fullPage: true });

  const callback = partner.next();
  await page.getByRole('button', { name: 'Cancel' }).click();
  const params = await callback;
  assert.equal(params.error, 'access_denied');
  assert.equal(params.state, 'en-state');
});

test('a wrong password gets one clear message and keeps the typed ID', async () => {
  const page = await phonePage(browser);
  const { challenge } = pkcePair();
  await page.goto(authorizeUrl(challenge, 'x') + '&lang=ja');
  await page.getByLabel('お客様ID').fill('Suzuki02');
  await page.getByLabel('ログインパスワード').fill('wrong-password');
  await page.getByRole('button', { name: '認証' }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').innerText(), /お客様IDまたはログインパスワードが正しくありません/);
  assert.equal(await page.getByLabel('お客様ID').inputValue(), 'Suzuki02');
  assert.equal(await page.getByLabel('ログインパスワード').inputValue(), '');
});
