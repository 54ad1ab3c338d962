// Sign-in at the bank's own OpenID provider (bank.directory = "oidc"), against panva's
// oidc-provider acting as the credit unions' identity provider: kitami registered by
// private_key_jwt (its JWKS) with the password form beside, hokuto by client_secret_basic with the
// bank's sign-in instead of it and its own customer numbers. The whole consent flow in ja and en,
// /my, and every refusal with its page and nothing written.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { SHOTS, freePort, launchBrowser, phonePage, startServer } from './harness.mjs';
import { basic, callbackServer, kitamiPartner, pkcePair, post } from './partner.mjs';
import { startBankIdp } from './bank_idp.mjs';

const HOKUTO_SECRET = 'hokuto-client-secret-issued-by-the-bank-0123456789';

let server;
let browser;
let idp;
let kitami;
let hokuto;

const idpAccounts = {
  Yamada01: { password: 'ib-pass-1', acr: 'urn:bank:mfa' },
  Suzuki02: { password: 'ib-pass-2', acr: 'urn:bank:pwd' },
  Nobody99: { password: 'ib-pass-9', acr: 'urn:bank:mfa' },
  'sato.ken': { password: 'ib-pass-3', acr: 'urn:bank:pwd', claims: { customer_number: 'H-0001' } },
};

before(async () => {
  const idpPort = await freePort();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  idp = await startBankIdp({
    port: idpPort,
    accounts: idpAccounts,
    clients: [
      {
        client_id: 'renkei-kitami',
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        jwks_uri: `${base}/t/kitami/.well-known/jwks.json`,
        redirect_uris: [`${base}/t/kitami/login/oidc/callback`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
      {
        client_id: 'renkei-hokuto',
        client_secret: HOKUTO_SECRET,
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: [`${base}/t/hokuto/login/oidc/callback`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
  });
  const csv = join(tmpdir(), `renkei-e2e-hokuto-customers-${port}.csv`);
  writeFileSync(csv, 'login_id,name,name_kana,email,locale,status,password_hash,bank_customer_id\n'
    + 'Sato01,佐藤 健,サトウ ケン,sato@example.jp,ja,active,,H-0001\n');
  server = await startServer({
    port,
    tenants: (dir) => {
      appendFileSync(join(dir, 'kitami', 'tenant.toml'), `
[bank]
directory = "oidc"

[bank.oidc]
issuer = "${idp.issuer}"
client_id = "renkei-kitami"
client_auth = "private_key_jwt"
acr_values = ["urn:bank:mfa"]
max_age = 900
show = "beside"
timeout_ms = 1000
`);
      writeFileSync(join(dir, 'hokuto', 'oidc-client-secret'), `${HOKUTO_SECRET}\n`);
      appendFileSync(join(dir, 'hokuto', 'tenant.toml'), `
[bank]
directory = "oidc"

[bank.oidc]
issuer = "${idp.issuer}"
client_id = "renkei-hokuto"
client_auth = "client_secret_basic"
client_secret_file = "oidc-client-secret"
claim = "customer_number"
show = "instead"
timeout_ms = 1000
`);
    },
    setup: (run) => run('core', 'import', '--tenant', 'hokuto', csv),
  });
  browser = await launchBrowser();
  kitami = await kitamiPartner(server);
  const partner = await callbackServer();
  const client = JSON.parse(server.run(
    'partners', 'add', '--tenant', 'hokuto', '--name-ja', 'ほくと会計', '--name-en', 'Hokuto Books',
    '--redirect-uri', partner.redirectUri, '--scopes', 'balance:read,transactions:read',
  ));
  hokuto = { partner, client };
});

after(async () => {
  await browser?.close();
  await kitami?.partner.close();
  await hokuto?.partner.close();
  await server?.stop();
  await idp?.stop().catch(() => {});
});

/// `promise`, or a failure naming `what` after 20 s.
function within(promise, what) {
  return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} did not come`)), 20000))]);
}

function authorizeUrl(slug, { partner, client }, challenge, state) {
  const q = new URLSearchParams({
    response_type: 'code', client_id: client.client_id, redirect_uri: partner.redirectUri,
    scope: 'balance:read transactions:read', state, code_challenge: challenge, code_challenge_method: 'S256',
  });
  return `${server.base}/t/${slug}/oauth/authorize?${q}`;
}

/// At the bank's sign-in page: signs in as `login`.
async function signInAtBank(page, login, { shot } = {}) {
  await page.getByLabel('ログインID').waitFor();
  assert.ok(page.url().startsWith(idp.issuer), page.url());
  await page.getByLabel('ログインID').fill(login);
  await page.getByLabel('パスワード').fill(idpAccounts[login].password);
  if (shot) await page.screenshot({ path: join(SHOTS, shot), fullPage: true });
  await page.getByRole('button', { name: 'ログインする' }).click();
}

const count = (table, slug = 'kitami') => Number(server.sql(`SELECT count(*) FROM tenant_${slug}.${table}`));
const written = (slug = 'kitami') => ({
  sessions: count('web_sessions', slug),
  grants: count('grants', slug),
  customers: count('customers', slug),
  pending: count('oidc_sign_ins', slug),
});

test('kitami, Japanese: the consent flow through the bank\'s sign-in (private_key_jwt), then the partner exchanges its code', async () => {
  const page = await phonePage(browser);
  const { verifier, challenge } = pkcePair();
  await page.goto(authorizeUrl('kitami', kitami, challenge, 'bank-ja'));
  const bankButton = page.getByRole('button', { name: 'インターネットバンキングのIDでログイン' });
  await bankButton.waitFor();
  // Beside: the password form is still there.
  assert.ok(await page.getByLabel('お客様ID').isVisible());
  await page.screenshot({ path: join(SHOTS, 'bank-signin-ja.png'), fullPage: true });
  await bankButton.click();

  await signInAtBank(page, 'Yamada01', { shot: 'bank-idp.png' });
  await page.getByRole('heading', { level: 1, name: 'アクセス許可' }).waitFor();
  await page.screenshot({ path: join(SHOTS, 'bank-consent-ja.png'), fullPage: true });
  await page.getByLabel('しんきんAPIサービス利用規約に同意しました').check();
  const callback = kitami.partner.next();
  await page.getByRole('button', { name: '許可' }).click();
  const params = await within(callback, 'the partner\'s callback');
  assert.equal(params.state, 'bank-ja');
  assert.equal(params.iss, `${server.base}/t/kitami`);

  const token = await post(`${server.base}/t/kitami/oauth/token`, basic(kitami.client.client_id, kitami.client.client_secret), {
    grant_type: 'authorization_code', code: params.code, redirect_uri: kitami.partner.redirectUri, code_verifier: verifier,
  });
  assert.equal(token.status, 200, JSON.stringify(token.body));
  assert.ok(token.body.access_token);
  const audit = server.sql("SELECT actor || ' ' || (detail->>'method') FROM tenant_kitami.audit_log WHERE event = 'login.ok' ORDER BY id DESC LIMIT 1");
  assert.match(audit, /^customer:.* oidc$/);
  await page.context().close();
});

test('hokuto, English: the bank\'s sign-in instead of the password form (client_secret_basic), the customer named by its own number', async () => {
  const page = await phonePage(browser);
  const { verifier, challenge } = pkcePair();
  await page.goto(authorizeUrl('hokuto', hokuto, challenge, 'bank-en') + '&lang=en');
  const bankButton = page.getByRole('button', { name: 'Sign in with internet banking' });
  await bankButton.waitFor();
  // Instead: no password form, and Cancel still goes back to the partner.
  assert.equal(await page.getByLabel('Customer ID').count(), 0);
  assert.ok(await page.getByRole('button', { name: 'Cancel' }).isVisible());
  await page.screenshot({ path: join(SHOTS, 'bank-signin-en.png'), fullPage: true });
  await bankButton.click();

  await signInAtBank(page, 'sato.ken');
  await page.getByRole('heading', { level: 1, name: 'Access permission' }).waitFor();
  // The customer the bank named by H-0001 is Sato01, with Sato01's account.
  assert.ok(await page.getByText('1234567').first().isVisible());
  await page.getByLabel('I agree to the Hokuto Shinkin API Linking Service Terms').check();
  await page.screenshot({ path: join(SHOTS, 'bank-consent-en.png'), fullPage: true });
  const callback = hokuto.partner.next();
  await page.getByRole('button', { name: 'Allow' }).click();
  const params = await within(callback, 'the partner\'s callback');
  assert.equal(params.state, 'bank-en');
  const token = await post(`${server.base}/t/hokuto/oauth/token`, basic(hokuto.client.client_id, hokuto.client.client_secret), {
    grant_type: 'authorization_code', code: params.code, redirect_uri: hokuto.partner.redirectUri, code_verifier: verifier,
  });
  assert.equal(token.status, 200, JSON.stringify(token.body));
  await page.context().close();
});

test('/my: the customer signs in through the bank and sees their linked services', async () => {
  const page = await phonePage(browser);
  const before = written();
  await page.goto(`${server.base}/t/kitami/my`);
  await page.getByRole('button', { name: 'インターネットバンキングのIDでログイン' }).click();
  await signInAtBank(page, 'Yamada01');
  await page.getByRole('button', { name: 'ログアウト' }).waitFor();
  assert.ok(await page.getByText('みらい家計簿').first().isVisible());
  assert.equal(written().sessions, before.sessions + 1);
  await page.context().close();
});

/// A /my sign-in at kitami that goes to the bank and back, with `change(url)` rewriting the
/// callback's address on its way; the page Renkei answers with.
async function refusedAtCallback(login, change = null, { lang = 'ja' } = {}) {
  const page = await phonePage(browser);
  await page.goto(`${server.base}/t/kitami/my?lang=${lang}`);
  const label = lang === 'en' ? 'Sign in with internet banking' : 'インターネットバンキングのIDでログイン';
  await page.getByRole('button', { name: label }).click();
  idp.state.callback = change;
  try {
    const answer = page.waitForResponse((r) => new URL(r.url()).pathname.endsWith('/login/oidc/callback'));
    await signInAtBank(page, login);
    const res = await answer;
    await page.waitForLoadState();
    return { status: res.status(), headers: res.headers(), title: await page.locator('h1').innerText(), page };
  } finally {
    idp.state.callback = null;
  }
}

async function assertRefused(name, attempt, { status, title }) {
  const before = written();
  const got = await attempt();
  assert.equal(got.status, status, `${name}: status`);
  assert.equal(got.title, title, `${name}: page`);
  const after = written();
  assert.equal(after.sessions, before.sessions, `${name}: no session`);
  assert.equal(after.grants, before.grants, `${name}: no grant`);
  assert.equal(after.customers, before.customers, `${name}: no customer`);
  assert.equal(after.pending, 0, `${name}: the sign-in is used up`);
  await got.page.context().close();
}

test('refused, each with its page and nothing written: wrong state, wrong nonce, another key, expired, signed in too long ago, wrong acr, unknown customer, another iss', async () => {
  await assertRefused('wrong state', () => refusedAtCallback('Yamada01', (u) => {
    u.searchParams.set('state', 'not-the-state-of-this-browser');
    return u;
  }), { status: 400, title: 'ログインをやり直してください' });

  const altered = [
    ['nonce', 'wrong nonce'], ['other-key', 'signed by another key'], ['expired', 'expired'],
    ['signed-in-long-ago', 'auth_time past max_age'],
  ];
  for (const [mode, name] of altered) {
    idp.state.tamper = mode;
    try {
      await assertRefused(name, () => refusedAtCallback('Yamada01'), { status: 400, title: 'ログインを確認できませんでした' });
    } finally {
      idp.state.tamper = null;
    }
  }
  await assertRefused('wrong acr', () => refusedAtCallback('Suzuki02'), { status: 403, title: '追加の本人確認が必要です' });
  await assertRefused('unknown customer', () => refusedAtCallback('Nobody99'), { status: 403, title: 'このIDではご利用いただけません' });
  // Another issuer named in the response (RFC 9207's mix-up defence).
  await assertRefused('wrong iss', () => refusedAtCallback('Yamada01', (u) => {
    u.searchParams.set('iss', 'https://another-bank.example.jp');
    return u;
  }), { status: 400, title: 'ログインを確認できませんでした' });

  const metrics = await (await fetch(`${server.metricsBase}/metrics`)).text();
  for (const outcome of ['ok', 'state', 'token', 'auth_time', 'acr', 'unknown', 'issuer']) {
    assert.match(metrics, new RegExp(`renkei_bank_signins_total\\{tenant="kitami",outcome="${outcome}"\\} [1-9]`), outcome);
  }
  const failed = server.sql("SELECT count(*) FROM tenant_kitami.audit_log WHERE event = 'login.failed' AND detail->>'method' = 'oidc'");
  assert.ok(Number(failed) >= 8, failed);
});

test('the bank rotates its key: Renkei fetches the keys again for the unknown kid and signs the customer in', async () => {
  idp.state.rotated = true;
  try {
    const page = await phonePage(browser);
    await page.goto(`${server.base}/t/kitami/my`);
    await page.getByRole('button', { name: 'インターネットバンキングのIDでログイン' }).click();
    await signInAtBank(page, 'Yamada01');
    await page.getByRole('button', { name: 'ログアウト' }).waitFor();
    await page.context().close();
  } finally {
    idp.state.rotated = false;
  }
});

test('with the bank\'s sign-in, wrong passwords on the form beside do not lock the customer: the bank locks', async () => {
  const page = await phonePage(browser);
  await page.goto(`${server.base}/t/kitami/my`);
  for (let i = 0; i < 6; i++) {
    await page.getByLabel('お客様ID').fill('Brown03');
    await page.getByLabel('ログインパスワード').fill(`wrong-${i}`);
    await page.getByRole('button', { name: '認証' }).click();
    await page.getByRole('alert').waitFor();
  }
  assert.match(await page.getByRole('alert').innerText(), /正しくありません/);
  assert.equal(server.sql("SELECT locked_at IS NULL FROM tenant_kitami.customers WHERE login_id = 'Brown03'"), 't');
  await page.context().close();
});

test('the bank\'s provider slow past bank.oidc.timeout_ms, then down: 503 with Retry-After and its page, nothing written', async () => {
  idp.state.delayTokenMs = 2500;
  try {
    const before = written();
    const got = await refusedAtCallback('Yamada01');
    assert.equal(got.status, 503);
    assert.equal(got.title, '当金庫のログインが応答していません');
    assert.equal(written().sessions, before.sessions);
    await got.page.context().close();
  } finally {
    idp.state.delayTokenMs = 0;
  }

  // Down once it has sent the customer back with a code: the code cannot be exchanged. Later
  // sign-ins find it down at the start, with the same page.
  idp.state.onCallback = () => { idp.stop(); };
  const down = await refusedAtCallback('Yamada01', null, { lang: 'en' });
  assert.equal(down.status, 503);
  assert.ok(down.headers['retry-after']);
  assert.equal(down.title, 'The bank\'s sign-in is not answering');
  await down.page.screenshot({ path: join(SHOTS, 'bank-down-en.png'), fullPage: true });
  const page = down.page;
  await page.context().close();
});
