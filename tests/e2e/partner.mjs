// A partner's side of the flow, over real HTTP: a callback server, PKCE, and the token endpoint.
import { createServer } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';

export function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

/// Listens on a free loopback port; resolves each callback's query parameters in turn.
export async function callbackServer() {
  const waiting = [];
  const received = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname !== '/callback') {
      res.writeHead(404).end();
      return;
    }
    const params = Object.fromEntries(url.searchParams);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html lang="en"><title>Partner</title><h1>Partner received the callback</h1>');
    const next = waiting.shift();
    if (next) next(params); else received.push(params);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    redirectUri: `http://127.0.0.1:${port}/callback`,
    next: () => (received.length ? Promise.resolve(received.shift()) : new Promise((r) => waiting.push(r))),
    close: () => new Promise((r) => server.close(r)),
  };
}

/// A partner of kitami registered through the command line, with its callback server here.
export async function kitamiPartner(server) {
  const partner = await callbackServer();
  const client = JSON.parse(server.run(
    'partners', 'add', '--tenant', 'kitami', '--name-ja', 'みらい家計簿', '--name-en', 'Mirai Budget',
    '--redirect-uri', partner.redirectUri, '--scopes', 'balance:read,transactions:read',
  ));
  return { partner, client };
}

/// The authorization request that partner sends the customer's browser to, at `base`.
export function authorizeUrl(base, { partner, client }, challenge, state) {
  const q = new URLSearchParams({
    response_type: 'code', client_id: client.client_id, redirect_uri: partner.redirectUri,
    scope: 'balance:read transactions:read', state, code_challenge: challenge, code_challenge_method: 'S256',
  });
  return `${base}/t/kitami/oauth/authorize?${q}`;
}

export function basic(clientId, secret) {
  return 'Basic ' + Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64');
}

export async function post(url, auth, form) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
