// The binary the .deb installed (unpacked into a throwaway root by tests/package/package.sh),
// serving a real MariaDB over wss:// with real certificates, as the service would run it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeCertificates } from '../integration/lib/certs.mjs';
import { connectThroughProxy } from '../integration/lib/client.mjs';
import { startMariaDB } from '../integration/lib/mariadb.mjs';
import { PROXY_BIN, freePort, runProxy, startProxy } from '../integration/lib/proxy.mjs';
import { tempDir, waitFor } from '../integration/lib/util.mjs';

const packageRoot = process.env.STUDIO_PROXY_PACKAGE_ROOT;
const temp = tempDir('installed');
let engine;
let certs;
let proxy;
let url;

before(async () => {
  assert.ok(packageRoot && PROXY_BIN.startsWith(packageRoot),
    `STUDIO_PROXY_BIN (${PROXY_BIN}) must be the installed binary in the package root`);
  certs = makeCertificates(temp.dir);
  engine = await startMariaDB(temp.dir);
  const port = await freePort();
  url = `wss://localhost:${port}/`;
  proxy = await startProxy(temp.dir, {
    https_proxy_port: port, ssl_cert: certs.cert, ssl_key: certs.key, socket: engine.socketPath,
  }, { extraArgs: ['--log-dir', path.join(temp.dir, 'logs')] });
});

after(async () => {
  await proxy?.stop();
  await engine?.stop();
  temp.remove();
});

describe('the installed studio-proxy', () => {
  it('says its version and links no library from the build tree', async () => {
    const { code, stdout } = await runProxy(['--version']);
    assert.equal(code, 0);
    assert.match(stdout, /^studio-proxy \d+\.\d+\.\d+\n$/);
    const dynamic = execFileSync('readelf', ['-d', PROXY_BIN]).toString();
    assert.doesNotMatch(dynamic, /RPATH|RUNPATH/, 'an installed binary carries no build rpath');
  });

  it('relays a query to MariaDB over wss:// and logs the connection', async () => {
    const { connection } = await connectThroughProxy(url, { ca: certs.ca });
    const [rows] = await connection.query('SELECT VERSION() AS version');
    assert.match(rows[0].version, /MariaDB/);
    await connection.end();
    assert.equal(proxy.logFile, path.join(temp.dir, 'logs', 'websocket_proxy.log'));
    await waitFor(() => /connection \d+ closed: code 1000/.test(proxy.log()),
      { what: 'the closed line in the log' });
    assert.match(proxy.log(), /listening on port \d+ of all addresses \(wss:/);
  });

  it('moves its log to a new file on SIGHUP while a session stays open', async () => {
    const { connection } = await connectThroughProxy(url, { ca: certs.ca });
    const [[before]] = await connection.query('SELECT CONNECTION_ID() AS id');

    const rotated = `${proxy.logFile}.1`;
    renameSync(proxy.logFile, rotated);
    proxy.child.kill('SIGHUP');
    await waitFor(() => /log reopened on SIGHUP; 1 session\(s\) open/.test(proxy.log()),
      { what: 'the reopened line in the new log' });

    const [[afterwards]] = await connection.query('SELECT CONNECTION_ID() AS id');
    assert.equal(afterwards.id, before.id, 'the same engine connection carries on');
    await connection.end();
    await waitFor(() => /connection \d+ closed/.test(proxy.log()), { what: 'the closed line' });

    const old = readFileSync(rotated, 'utf8');
    const opened = [...old.matchAll(/connection (\d+) opened/g)].at(-1)[1];
    assert.match(proxy.log(), new RegExp(`connection ${opened} closed: code 1000`));
    assert.equal(proxy.child.exitCode, null, 'the proxy is still running');
  });
});
