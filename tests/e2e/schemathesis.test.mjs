// schemathesis (property-based API testing) against the served OpenAPI document, with a real
// access token from the consent flow: no 5xx, and every response as the document says.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { launchBrowser, phonePage, startServer } from './harness.mjs';
import { authorizeUrl, basic, kitamiPartner, pkcePair, post } from './partner.mjs';

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

/// The whole consent flow in the browser; returns an access token.
async function accessToken() {
  const { verifier, challenge } = pkcePair();
  const page = await phonePage(browser);
  await page.goto(authorizeUrl(server.base, { partner, client }, challenge, 's'));
  await page.getByLabel('お客様ID').fill('Yamada01');
  await page.getByLabel('ログインパスワード').fill('Shinkin-2026!');
  await page.getByRole('button', { name: '認証' }).click();
  await page.getByLabel('しんきんAPIサービス利用規約に同意しました').check();
  const callback = partner.next();
  await page.getByRole('button', { name: '許可' }).click();
  const { code } = await callback;
  const res = await post(`${server.base}/t/kitami/oauth/token`, basic(client.client_id, client.client_secret), {
    grant_type: 'authorization_code', code, redirect_uri: partner.redirectUri, code_verifier: verifier,
  });
  assert.equal(res.status, 200);
  return res.body.access_token;
}

test('schemathesis finds no server error and no response outside the document', { timeout: 600_000 }, async () => {
  const token = await accessToken();
  const bin = process.env.SCHEMATHESIS ?? 'schemathesis';
  const run = spawnSync(bin, [
    'run', `${server.base}/t/kitami/api/v1/openapi.json`,
    '--header', `Authorization: Bearer ${token}`,
    '--checks', 'not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance',
    '--max-examples', '60',
    '--workers', '2',
    '--seed', '1',
  ], { encoding: 'utf8', timeout: 540_000, env: { ...process.env, NO_COLOR: '1' } });
  const output = `${run.stdout}\n${run.stderr}`;
  assert.equal(run.status, 0, output);
  assert.match(output, /Tested: 3\b/, output);
  assert.match(output, /No issues found/, output);
});
