// Starts a real `renkei serve` on a database of its own (tenants applied, demo seeded) and a
// headless Debian chromium driven by playwright-core, every page it shows checked by axe-core.
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { watchBrowser } from './axe.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = process.env.RENKEI_BIN ?? join(ROOT, 'target', 'debug', 'renkei');
const ADMIN_URL = process.env.RENKEI_TEST_DATABASE_URL ?? localClusterUrl();
export const SHOTS = join(ROOT, 'tests', 'e2e', 'screenshots');

/// The project-local cluster, on the port scripts/pg-local.sh recorded for this checkout.
function localClusterUrl() {
  let port = 54329;
  try {
    port = Number(readFileSync(join(ROOT, '.data', 'pg-port'), 'utf8').trim()) || port;
  } catch { /* never started here: the first choice */ }
  return `postgres://renkei@127.0.0.1:${port}/renkei`;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function psql(sql) {
  execFileSync('psql', [ADMIN_URL, '-v', 'ON_ERROR_STOP=1', '-qc', sql], { stdio: 'pipe' });
}

/// `tls: true` also serves HTTPS with the development certificates of `renkei demo certs`
/// (written to `tlsDir`), as `make run` does. `tenants(dir)` may change a copy of `tenants/`
/// before it is applied, `setup(run)` runs commands after the demo is seeded, and `port` is the
/// HTTP port to listen on (a free one by default).
export async function startServer({ tls = false, tenants = null, setup = null, port: wanted = null } = {}) {
  const dbName = `renkei_e2e_${randomUUID().replaceAll('-', '')}`;
  psql(`CREATE DATABASE ${dbName}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${dbName}`;
  const port = wanted ?? await freePort();
  const metricsPort = await freePort();
  const tlsPort = tls ? await freePort() : null;
  const tlsDir = tls ? join(tmpdir(), `renkei-e2e-tls-${dbName}`) : null;
  const kek = join(tmpdir(), `renkei-e2e-kek-${dbName}`);
  const tlsEnv = tls ? {
    RENKEI__TLS__BIND: `127.0.0.1:${tlsPort}`,
    RENKEI__TLS__CERT: join(tlsDir, 'server.pem'),
    RENKEI__TLS__KEY: join(tlsDir, 'server-key.pem'),
    RENKEI__TLS__PARTNER_CA: join(tlsDir, 'ca.pem'),
  } : {};
  const env = {
    ...process.env,
    RENKEI__DATABASE__URL: url.toString(),
    RENKEI__HTTP__BIND: `127.0.0.1:${port}`,
    RENKEI__HTTP__PUBLIC_URL: `http://127.0.0.1:${port}`,
    RENKEI__HTTP__SHUTDOWN_TIMEOUT_SECS: '0',
    RENKEI__METRICS__BIND: `127.0.0.1:${metricsPort}`,
    RENKEI__MAIL__SPOOL_DIR: join(tmpdir(), `renkei-e2e-mail-${dbName}`),
    RENKEI__KEYS__KEK_FILE: kek,
    ...tlsEnv,
  };
  const run = (...args) => execFileSync(BIN, args, { cwd: ROOT, env, stdio: 'pipe' }).toString();
  run('keys', 'new-kek', kek);
  let tenantsDir = 'tenants';
  if (tenants) {
    tenantsDir = mkdtempSync(join(tmpdir(), 'renkei-e2e-tenants-'));
    cpSync(join(ROOT, 'tenants'), tenantsDir, { recursive: true });
    tenants(tenantsDir);
  }
  run('tenants', 'apply', tenantsDir);
  run('demo', 'seed');
  if (setup) setup(run);
  if (tls) run('demo', 'certs', '--dir', tlsDir);
  const child = spawn(BIN, ['serve'], { cwd: ROOT, env, stdio: ['ignore', process.env.RENKEI_E2E_LOG ? 'inherit' : 'ignore', 'pipe'] });
  let stderr = '';
  // RENKEI_E2E_LOG=1 shows the server's log as the tests run.
  child.stderr.on('data', (d) => { stderr += d; if (process.env.RENKEI_E2E_LOG) process.stderr.write(d); });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.ok) break;
    } catch { /* not listening yet */ }
    if (i > 150 || child.exitCode !== null) throw new Error(`renkei serve did not start:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    metricsBase: `http://127.0.0.1:${metricsPort}`,
    /// One SQL query's rows on this server's database, as psql prints them unaligned.
    sql: (query) => execFileSync('psql', [url.toString(), '-v', 'ON_ERROR_STOP=1', '-Atc', query], { stdio: 'pipe' }).toString().trim(),
    httpsBase: tls ? `https://127.0.0.1:${tlsPort}` : null,
    tlsDir,
    run,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', r)));
      psql(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      if (tlsDir) rmSync(tlsDir, { recursive: true, force: true });
      rmSync(kek, { force: true });
      if (tenants) rmSync(tenantsDir, { recursive: true, force: true });
    },
  };
}

/// Pages of every context this browser opens are checked by axe-core (see axe.mjs).
export async function launchBrowser() {
  mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  return watchBrowser(browser);
}

/// A phone-sized page: the 360-px-wide screen of the customer the portal is built for. `options`
/// go to the browser context (e.g. `clientCertificates`).
export async function phonePage(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, ...options });
  return context.newPage();
}
