// A credit union's own OpenID provider for the tests: panva's oidc-provider (a certified
// implementation) in a small server, with its own sign-in page, Renkei registered as its client
// the way a bank would register it. Tests can make it slow, stop it, or make its token endpoint
// answer with an ID token altered after signing (a wrong nonce, an expired one, one signed by
// another key), so that each of Renkei's checks is seen refusing a token a real provider sent.
import { createServer } from 'node:http';
import Provider from 'oidc-provider';
import * as jose from 'jose';

const ALG = 'RS256';

async function signingKey(kid) {
  const { privateKey, publicKey } = await jose.generateKeyPair(ALG, { extractable: true });
  const jwk = { ...(await jose.exportJWK(privateKey)), kid, alg: ALG, use: 'sig' };
  const publicJwk = { ...(await jose.exportJWK(publicKey)), kid, alg: ALG, use: 'sig' };
  return { privateKey, jwk, publicJwk };
}

function page(title, body) {
  return `<!doctype html><html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${title}</title><style>body{font-family:sans-serif;max-width:30rem;margin:1rem auto;padding:0 1rem}
label,input,button{display:block;font-size:1.1rem;margin:.4rem 0;width:100%;box-sizing:border-box;padding:.5rem}
header{background:#333;color:#fff;padding:.6rem}</style></head>
<body><header>しんきん インターネットバンキング（テスト用IdP）</header><main>${body}</main></body></html>`;
}

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => resolve(Object.fromEntries(new URLSearchParams(body))));
    req.on('error', reject);
  });
}

/// `accounts`: { id: { password, acr, claims } }; `clients`: oidc-provider client metadata.
export async function startBankIdp({ port, accounts, clients }) {
  const issuer = `http://127.0.0.1:${port}`;
  const key = await signingKey('bank-key-1');
  const rotated = await signingKey('bank-key-2');
  const other = await signingKey('bank-key-1'); // the same kid, another key
  // What the tests change: `tamper` alters the ID token, `delayTokenMs` slows the token endpoint,
  // `rotated` signs with a key published only after a rotation, `callback(url)` rewrites the
  // address the browser is sent back to, and `onCallback()` runs once that redirect is sent.
  const state = { tamper: null, delayTokenMs: 0, rotated: false, callback: null, onCallback: null };

  const provider = new Provider(issuer, {
    clients,
    jwks: { keys: [key.jwk] },
    findAccount: async (ctx, sub) => (accounts[sub] ? {
      accountId: sub,
      claims: async () => ({ sub, ...(accounts[sub].claims ?? {}) }),
    } : undefined),
    claims: { openid: ['sub', 'customer_number'] },
    // The configured claim must be in the ID token itself.
    conformIdTokenClaims: false,
    acrValues: ['urn:bank:pwd', 'urn:bank:mfa'],
    clientAuthMethods: ['private_key_jwt', 'client_secret_basic'],
    enabledJWA: { clientAuthSigningAlgValues: ['ES256', 'PS256'] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    cookies: { keys: ['test-only-cookie-key'] },
    // The provider refuses to fetch from loopback addresses (its SSRF protection); Renkei's
    // JWKS is on loopback here, so this one test provider lets that through.
    fetch: (url, options) => {
      delete options.dispatcher;
      return globalThis.fetch(url, options);
    },
    // A bank's own sign-in asks no consent of its customer for its own service.
    loadExistingGrant: async (ctx) => {
      const grantId = ctx.oidc.result?.consent?.grantId
        ?? ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid');
      grant.addOIDCClaims(['customer_number']);
      await grant.save();
      return grant;
    },
  });

  if (process.env.RENKEI_E2E_LOG) {
    for (const event of ['grant.error', 'server_error', 'authorization.error']) {
      provider.on(event, (ctx, err) => console.error(`idp ${event}: ${err.message} ${err.error_description ?? ''} ${err.error_detail ?? ''} ${err.cause?.message ?? ''} ${err.cause?.cause?.message ?? ''}`));
    }
  }

  // The JWKS after a rotation holds the new key too; a token response altered as asked.
  provider.use(async (ctx, next) => {
    if (ctx.path === '/token' && state.delayTokenMs) {
      await new Promise((r) => setTimeout(r, state.delayTokenMs));
    }
    await next();
    if (ctx.path === '/jwks' && state.rotated && ctx.body?.keys) {
      ctx.body = { keys: [...ctx.body.keys, rotated.publicJwk] };
    }
    if (ctx.path === '/token' && ctx.status === 200 && ctx.body?.id_token) {
      const mode = state.rotated ? 'rotated' : state.tamper;
      if (mode) ctx.body = { ...ctx.body, id_token: await alter(ctx.body.id_token, mode) };
    }
  });

  async function alter(jwt, mode) {
    const claims = jose.decodeJwt(jwt);
    const now = Math.floor(Date.now() / 1000);
    let signer = key;
    if (mode === 'nonce') claims.nonce = 'a-nonce-this-sign-in-never-sent';
    if (mode === 'expired') Object.assign(claims, { iat: now - 7200, exp: now - 3600, auth_time: now - 7200 });
    if (mode === 'signed-in-long-ago') claims.auth_time = now - 7200;
    if (mode === 'other-key') signer = other;
    if (mode === 'rotated') signer = rotated;
    return new jose.SignJWT(claims)
      .setProtectedHeader({ alg: ALG, kid: signer.jwk.kid })
      .sign(signer.privateKey);
  }

  async function interaction(req, res, url) {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page('インターネットバンキング ログイン', `<h1>ログイン</h1>
<form method="post" action="/interaction/${details.uid}/login">
<label for="u">ログインID</label><input id="u" name="login" autocomplete="username">
<label for="p">パスワード</label><input id="p" name="password" type="password">
<button type="submit">ログインする</button></form>
<form method="post" action="/interaction/${details.uid}/abort"><button type="submit">やめる</button></form>`));
      return;
    }
    const form = await readForm(req);
    if (url.pathname.endsWith('/abort')) {
      await provider.interactionFinished(req, res, {
        error: 'access_denied', error_description: 'the customer stopped',
      }, { mergeWithLastSubmission: false });
      return;
    }
    const account = accounts[form.login];
    if (!account || account.password !== form.password) {
      res.writeHead(401, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page('ログインできません', '<h1>ログインIDまたはパスワードが違います</h1>'));
      return;
    }
    await provider.interactionFinished(req, res, {
      login: { accountId: form.login, acr: account.acr, amr: ['pwd'] },
    }, { mergeWithLastSubmission: false });
  }

  const handle = provider.callback();
  const server = createServer((req, res) => {
    const url = new URL(req.url, issuer);
    const setHeader = res.setHeader.bind(res);
    res.setHeader = (name, value) => {
      if (name.toLowerCase() === 'location' && String(value).includes('/login/oidc/callback')) {
        if (state.callback) value = state.callback(new URL(value)).toString();
        if (state.onCallback) res.on('finish', state.onCallback);
      }
      return setHeader(name, value);
    };
    if (url.pathname.startsWith('/interaction/')) {
      interaction(req, res, url).catch((e) => {
        res.writeHead(500).end(String(e));
      });
      return;
    }
    handle(req, res);
  });
  const sockets = new Set();
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return {
    issuer,
    state,
    /// Stops answering at once: open connections are cut.
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
