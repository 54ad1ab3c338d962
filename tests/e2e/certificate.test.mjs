// 電子証明書認証 in a real browser: Chromium presents the demo customer's certificate (the
// PKCS#12 file `renkei demo certs` writes, as `make run` does) to the HTTPS listener, and the
// customer allows access without typing a password.
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
  server = await startServer({ tls: true });
  browser = await launchBrowser();
  ({ partner, client } = await kitamiPartner(server));
});

after(async () => {
  await browser?.close();
  await partner?.close();
  await server?.stop();
});

const authorizeUrl = (challenge, state) => authorizeUrlOf(server.httpsBase, { partner, client }, challenge, state);

test('the demo certificate logs Yamada01 in and the partner gets its tokens', async () => {
  const page = await phonePage(browser, {
    ignoreHTTPSErrors: true,
    clientCertificates: [{
      origin: server.httpsBase,
      pfxPath: join(server.tlsDir, 'yamada01.p12'),
      passphrase: 'renkei-demo',
    }],
  });
  const { verifier, challenge } = pkcePair();
  await page.goto(authorizeUrl(challenge, 'cert-state'));
  await page.getByRole('link', { name: '電子証明書認証' }).click();

  await page.getByRole('heading', { level: 1, name: '電子証明書認証' }).waitFor();
  assert.ok(await page.getByText('山田商店').isVisible());
  assert.ok(await page.getByText('Renkei Development CA').isVisible());
  await page.screenshot({ path: join(SHOTS, 'certificate-ja.png'), fullPage: true });
  await page.getByRole('button', { name: '認証' }).click();

  await page.getByRole('heading', { level: 1, name: 'アクセス許可' }).waitFor();
  await page.getByLabel('しんきんAPIサービス利用規約に同意しました').check();
  const callback = partner.next();
  await page.getByRole('button', { name: '許可' }).click();
  const params = await callback;
  assert.equal(params.state, 'cert-state');

  const res = await post(`${server.base}/t/kitami/oauth/token`, basic(client.client_id, client.client_secret), {
    grant_type: 'authorization_code', code: params.code, redirect_uri: partner.redirectUri, code_verifier: verifier,
  });
  assert.equal(res.status, 200);
  assert.ok(res.body.access_token);
  await page.context().close();
});

test('without a certificate the page says so, in English too, and offers the password login', async () => {
  const page = await phonePage(browser, { ignoreHTTPSErrors: true });
  const { challenge } = pkcePair();
  await page.goto(authorizeUrl(challenge, 'no-cert'));
  await page.getByRole('link', { name: '電子証明書認証' }).click();
  await page.getByRole('heading', { name: '電子証明書を確認できませんでした' }).waitFor();
  await page.goto(`${server.httpsBase}/t/kitami/oauth/certificate?lang=en`);
  await page.getByRole('heading', { name: 'No certificate was received' }).waitFor();
  await page.getByRole('link', { name: 'Back to the login page' }).click();
  await page.getByLabel('Customer ID').waitFor();
  await page.context().close();
});
