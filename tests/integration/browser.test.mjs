// The browser's view (CG-07): headless Chromium, with the development CA from
// `studio-proxy cert generate` in the NSS database it reads ($HOME/.pki/nssdb), loads the
// trust-check page from the proxy in front of a real MariaDB and reads the verdict from
// document.title. Without the CA, the page must not load at all: a certificate error.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import { chromium } from 'playwright-core';
import { startMariaDB } from './lib/mariadb.mjs';
import { freePort, runProxy, startProxy } from './lib/proxy.mjs';
import { tempDir } from './lib/util.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const BUILD_DIR = process.env.STUDIO_PROXY_BUILD_DIR ?? path.resolve(here, '../../build');
const SCREENSHOT = path.join(BUILD_DIR, 'screenshots', 'trust-check.png');
const missing = !existsSync(CHROMIUM) ? `${CHROMIUM} is not installed (package chromium)`
  : !existsSync('/usr/bin/certutil') ? 'certutil is not installed (package libnss3-tools)'
    : false;

const temp = tempDir('browser');
let engine;
let secure;
let plain;
let certs;

// A home folder whose NSS database (the one Chromium reads on Linux) holds the given CA, or
// is empty when ca is null.
function homeWithNssDb(name, ca) {
  const home = path.join(temp.dir, name);
  const db = path.join(home, '.pki', 'nssdb');
  mkdirSync(db, { recursive: true });
  execFileSync('certutil', ['-N', '-d', `sql:${db}`, '--empty-password'], { stdio: 'pipe' });
  if (ca) {
    execFileSync('certutil', ['-A', '-d', `sql:${db}`, '-t', 'C,,', '-n',
      'Studio Proxy development CA', '-i', ca], { stdio: 'pipe' });
  }
  return home;
}

async function withBrowser(home, run) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    // Chromium refuses to run as root with its sandbox; the test machine runs as root.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    env: { ...process.env, HOME: home },
    timeout: 60000,
  });
  try {
    const page = await browser.newPage();
    return await run(page);
  } finally {
    await browser.close();
  }
}

async function verdict(page) {
  await page.waitForFunction(() => /^trust-check: (ok|failed)/.test(document.title), null,
    { timeout: 30000 });
  return page.title();
}

describe('the trust-check page in Chromium', { skip: missing }, () => {
  before(async () => {
    engine = await startMariaDB(temp.dir);
    const out = path.join(temp.dir, 'certs');
    const generated = await runProxy(['cert', 'generate', '--host', 'localhost',
      '--host', '127.0.0.1', '--out', out]);
    assert.equal(generated.code, 0, generated.stderr);
    certs = { ca: path.join(out, 'ca.crt'), cert: path.join(out, 'server.pem'),
      key: path.join(out, 'server.key') };
    secure = await startProxy(temp.dir, {
      https_proxy_port: await freePort(), ssl_cert: certs.cert, ssl_key: certs.key,
      socket: engine.socketPath, tracelogsdir: path.join(temp.dir, 'logs-wss'),
    }, { name: 'wss' });
    plain = await startProxy(temp.dir, {
      http_proxy_port: await freePort(), socket: engine.socketPath,
      tracelogsdir: path.join(temp.dir, 'logs-ws'),
    }, { name: 'ws' });
  });

  after(async () => {
    await secure?.stop();
    await plain?.stop();
    await engine?.stop();
    temp.remove();
  });

  const portOf = (proxy) => Number(proxy.output().stdout.match(/listening on port (\d+)/)[1]);

  it('reads "trust-check: ok" with the CA in its NSS database, and shows the engine version',
    async () => {
      const home = homeWithNssDb('trusting', certs.ca);
      await withBrowser(home, async (page) => {
        const response = await page.goto(`https://localhost:${portOf(secure)}/`);
        assert.equal(response.status(), 200);
        assert.equal(await verdict(page), 'trust-check: ok');
        // MariaDB puts "5.5.5-" before its version in the greeting, for old clients.
        const root = await mysql.createConnection({ socketPath: engine.socketPath, user: 'root' });
        const [[{ version }]] = await root.query('SELECT VERSION() AS version');
        await root.end();
        assert.match(await page.textContent('#engine'), new RegExp(
          `Engine version (5\\.5\\.5-)?${version.replace(/[.+]/g, '\\$&')}$`));
        assert.match(await page.textContent('#https'), /trusts the certificate for localhost/);
        mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
        await page.screenshot({ path: SCREENSHOT, fullPage: true });
      });
      assert.ok(existsSync(SCREENSHOT));
      // The page closed its WebSocket with 1000 after the greeting, without a login.
      assert.match(secure.log(), /closed: code 1000/);
    });

  it('does not load the page without the CA: a certificate error, not a timeout', async () => {
    const home = homeWithNssDb('untrusting', null);
    await withBrowser(home, async (page) => {
      await assert.rejects(page.goto(`https://localhost:${portOf(secure)}/`, { timeout: 30000 }),
        /net::ERR_CERT_AUTHORITY_INVALID/);
    });
  });

  it('says the page was not loaded over HTTPS on the ws:// port', async () => {
    const home = homeWithNssDb('plain', null);
    await withBrowser(home, async (page) => {
      await page.goto(`http://localhost:${portOf(plain)}/`);
      assert.equal(await verdict(page), 'trust-check: failed: page not loaded over HTTPS');
      assert.match(await page.textContent('#engine'), /Engine version/);
    });
  });
});
