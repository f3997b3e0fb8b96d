// Runtime changes through `studio-proxy ctl` against a running headless proxy with a real
// MariaDB behind it: every transition of SET GLOBAL / RESTART PROXY and its promises.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { connectDirect, connectThroughProxy, openWebSocket } from './lib/client.mjs';
import { makeCertificates } from './lib/certs.mjs';
import { startMariaDB } from './lib/mariadb.mjs';
import { PROXY_BIN, freePort, startProxy } from './lib/proxy.mjs';
import { tempDir, waitFor } from './lib/util.mjs';

const temp = tempDir('lifecycle');
let engine;
let certsA;
let certsB;
let proxy;
const restartTimes = [];

// The engine's greeting through the proxy: proof that a connection attempt was served.
function greeting(url, ca) {
  return new Promise((resolve, reject) => {
    const ws = openWebSocket(url, { ca });
    ws.once('message', () => { ws.terminate(); resolve(); });
    ws.once('error', reject);
    ws.once('close', (code) => reject(new Error(`closed with ${code} before the greeting`)));
  });
}

function refused(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(false); });
    socket.once('error', (error) => resolve(error.code === 'ECONNREFUSED'));
  });
}

async function servedFingerprint(port) {
  const socket = tls.connect({ host: 'localhost', port, rejectUnauthorized: false });
  await new Promise((resolve, reject) => { socket.once('secureConnect', resolve); socket.once('error', reject); });
  const fingerprint = socket.getPeerCertificate().fingerprint256;
  socket.destroy();
  return fingerprint;
}

const fingerprintOf = (file) => execFileSync('openssl',
  ['x509', '-in', file, '-noout', '-fingerprint', '-sha256']).toString().split('=')[1].trim();

async function query(url, sql, ca) {
  const { connection } = await connectThroughProxy(url, { ca });
  const [rows] = await connection.query(sql);
  await connection.end();
  return rows;
}

async function restart() {
  const result = await proxy.ctl('restart');
  const took = result.stdout.match(/ready in ([\d.]+) ms/);
  if (took) restartTimes.push(Number(took[1]));
  return result;
}

before(async () => {
  mkdirSync(path.join(temp.dir, 'a'));
  mkdirSync(path.join(temp.dir, 'b'));
  certsA = makeCertificates(path.join(temp.dir, 'a'));
  certsB = makeCertificates(path.join(temp.dir, 'b'));
  engine = await startMariaDB(temp.dir);
  proxy = await startProxy(temp.dir, {
    http_proxy_port: await freePort(), socket: engine.socketPath,
    tracelogsdir: path.join(temp.dir, 'logs'),
  });
});

after(async () => {
  if (restartTimes.length) {
    const sorted = [...restartTimes].sort((a, b) => a - b);
    console.log(`restart to serving, ${sorted.length} restarts: median ${sorted[sorted.length >> 1]} ms, max ${sorted.at(-1)} ms`);
  }
  await proxy?.stop();
  await engine?.stop();
  temp.remove();
});

describe('RESTART PROXY', () => {
  it('moves to the port set at runtime; the old port then refuses, the new one serves', async () => {
    const before = await proxy.status();
    const oldPort = before.port;
    const newPort = await freePort();

    const set = await proxy.ctl('set', 'http_proxy_port', String(newPort));
    assert.equal(set.code, 0, set.stderr);
    const pending = await proxy.status();
    assert.equal(pending.port, oldPort, 'a SET alone changes nothing that listens');
    assert.equal(pending.variables.find((v) => v.name === 'http_proxy_port').value, String(newPort));

    const restarted = await restart();
    assert.equal(restarted.code, 0, restarted.stderr);
    assert.match(restarted.stdout, new RegExp(`serving ws on port ${newPort} \\(was ws on port ${oldPort}\\)`));
    assert.equal((await proxy.status()).port, newPort);
    assert.ok(await refused(oldPort), 'the old port refuses connections');
    const rows = await query(`ws://localhost:${newPort}/`, 'SELECT 1 + 1 AS two');
    assert.deepEqual(rows, [{ two: 2 }]);
  });

  it('refuses not a single connection attempt while restarting on the same port', async () => {
    const { port } = await proxy.status();
    const url = `ws://localhost:${port}/`;
    let served = 0;
    const failures = [];
    let restarting = true;
    const clients = (async () => {
      while (restarting) {
        await greeting(url).then(() => { served += 1; }, (error) => failures.push(error.message));
      }
    })();
    for (let i = 0; i < 20; ++i) {
      const result = await restart();
      assert.equal(result.code, 0, result.stderr);
    }
    restarting = false;
    await clients;
    assert.deepEqual(failures, []);
    assert.ok(served >= 20, `only ${served} connections were attempted`);
  });

  it('keeps a session mid-transaction running; it commits after the restart', async () => {
    const { port } = await proxy.status();
    const { connection } = await connectThroughProxy(`ws://localhost:${port}/`);
    await connection.query('CREATE TABLE ledger (id INT PRIMARY KEY) ENGINE=InnoDB');
    await connection.query('BEGIN');
    await connection.query('INSERT INTO ledger VALUES (1)');

    const newPort = await freePort();
    assert.equal((await proxy.ctl('set', 'http_proxy_port', String(newPort))).code, 0);
    assert.equal((await restart()).code, 0);

    await connection.query('INSERT INTO ledger VALUES (2)');
    await connection.query('COMMIT');
    await connection.end();
    const direct = await connectDirect(engine.socketPath);
    const [rows] = await direct.query('SELECT COUNT(*) AS n FROM ledger');
    await direct.end();
    assert.equal(Number(rows[0].n), 2);
  });

  it('fails and changes nothing when another program took the port', async () => {
    const { port } = await proxy.status();
    const squatter = net.createServer();
    await new Promise((resolve) => squatter.listen(0, resolve));
    const taken = squatter.address().port;
    try {
      assert.equal((await proxy.ctl('set', 'http_proxy_port', String(taken))).code, 0);
      const result = await restart();
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`port ${taken} \\(http_proxy_port\\) is already in use`));
      assert.match(result.stderr, new RegExp(`still serving ws on port ${port}`));
      const status = await proxy.status();
      assert.equal(status.state, 'running');
      assert.equal(status.port, port);
      assert.deepEqual(await query(`ws://localhost:${port}/`, 'SELECT 3 AS n'), [{ n: 3 }]);
    } finally {
      squatter.close();
      await proxy.ctl('set', 'http_proxy_port', String(port));
    }
  });

  it('fails and keeps serving the old certificate when the new one is garbage or mismatched', async () => {
    const port = await freePort();
    const sql = `SET GLOBAL http_proxy_port = 0; SET GLOBAL https_proxy_port = ${port}; `
      + `SET GLOBAL ssl_cert = '${certsA.cert}'; SET GLOBAL ssl_key = '${certsA.key}'; RESTART PROXY`;
    const switched = await proxy.ctl('sql', sql);
    assert.equal(switched.code, 0, switched.stderr);
    assert.equal(await servedFingerprint(port), fingerprintOf(certsA.cert));

    const garbage = path.join(temp.dir, 'garbage.pem');
    writeFileSync(garbage, 'this is not a certificate\n');
    assert.equal((await proxy.ctl('set', 'ssl_cert', garbage)).code, 0);
    let result = await restart();
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`${garbage} holds no PEM certificate`));
    assert.equal(await servedFingerprint(port), fingerprintOf(certsA.cert));

    assert.equal((await proxy.ctl('set', 'ssl_cert', certsB.cert)).code, 0);
    result = await restart();
    assert.equal(result.code, 1);
    assert.match(result.stderr, /does not match the server certificate/);
    assert.equal(await servedFingerprint(port), fingerprintOf(certsA.cert));
    assert.equal((await proxy.status()).certificateFingerprint.replaceAll(':', ''),
      fingerprintOf(certsA.cert).replaceAll(':', ''));

    assert.equal((await proxy.ctl('set', 'ssl_key', certsB.key)).code, 0);
    result = await restart();
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await servedFingerprint(port), fingerprintOf(certsB.cert));
    assert.deepEqual(await query(`wss://localhost:${port}/`, 'SELECT 4 AS n', certsB.ca), [{ n: 4 }]);
  });

  it('reports both ports set as an error, refuses RESTART PROXY, and keeps serving', async () => {
    const { port } = await proxy.status();
    const other = await freePort();
    const set = await proxy.ctl('sql', `SET GLOBAL http_proxy_port = ${other}`);
    assert.equal(set.code, 1);
    assert.match(set.stderr, /^ERROR 1105 \(HY000\): https_proxy_port and http_proxy_port are now both set/);

    const result = await restart();
    assert.equal(result.code, 1);
    assert.match(result.stderr, /both .*set.*mutually exclusive/);
    const status = await proxy.status();
    assert.equal(status.state, 'running');
    assert.equal(status.port, port);
    assert.ok(status.conflicts.some((c) => c.severity === 'error' && /both set/.test(c.message)));
    assert.deepEqual(await query(`wss://localhost:${port}/`, 'SELECT 5 AS n', certsB.ca), [{ n: 5 }]);

    const resolved = await proxy.ctl('sql', 'SET GLOBAL http_proxy_port = 0');
    assert.equal(resolved.code, 0, resolved.stderr);
    assert.deepEqual((await proxy.status()).conflicts.filter((c) => c.severity === 'error'), []);
  });

  it('answers SHOW VARIABLES and SHOW PROXY STATUS like the engine would', async () => {
    const { port } = await proxy.status();
    const result = await proxy.ctl('sql', "SHOW VARIABLES LIKE '%proxy_port'; SHOW PROXY STATUS");
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`\\| https_proxy_port \\| ${port} +\\|`));
    assert.match(result.stdout, /\| http_proxy_port +\| 0 +\|/);
    assert.match(result.stdout, /\| state +\| running +\|/);
    const unknown = await proxy.ctl('sql', 'SET GLOBAL no_such_thing = 1');
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, "ERROR 1193 (HY000): Unknown system variable 'no_such_thing'\n");
  });
});

describe('a listener that fails at runtime', () => {
  it('leaves the state failed with the reason, and does not restart by itself', async () => {
    const { port, pid } = await proxy.status();
    const url = `wss://localhost:${port}/`;
    const { connection: survivor } = await connectThroughProxy(url, { ca: certsB.ca });

    // No descriptors left for accept(): the kernel's own way to make a listener fail.
    const open = () => Number(execFileSync('sh', ['-c', `ls /proc/${pid}/fd | wc -l`]).toString());
    const limit = execFileSync('prlimit', ['--pid', String(pid), '--nofile', '--output=SOFT',
      '--noheadings']).toString().trim();
    execFileSync('prlimit', ['--pid', String(pid), `--nofile=${open() + 2}:`]);
    const sockets = Array.from({ length: 8 }, () => {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', () => {});
      return socket;
    });
    try {
      const failed = await waitFor(async () => {
        const status = await proxy.status().catch(() => null);
        return status?.state === 'failed' && status;
      }, { what: 'state failed' });
      assert.match(failed.failureReason, new RegExp(`accepting connections on port ${port} failed`));
      assert.ok(failed.failedAt);
    } finally {
      sockets.forEach((socket) => socket.destroy());
    }
    execFileSync('prlimit', ['--pid', String(pid), `--nofile=${limit}:`]);

    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal((await proxy.status()).state, 'failed', 'still failed: no restart of its own');
    assert.ok(await refused(port), 'nothing listens while failed');
    assert.match(proxy.log(), /the proxy failed and will not restart by itself/);
    const [rows] = await survivor.query('SELECT 6 AS n');
    assert.deepEqual(rows, [{ n: 6 }], 'open sessions carry on');
    await survivor.end();

    const restarted = await restart();
    assert.equal(restarted.code, 0, restarted.stderr);
    assert.equal((await proxy.status()).state, 'running');
    assert.deepEqual(await query(url, 'SELECT 7 AS n', certsB.ca), [{ n: 7 }]);
  });
});

describe('the control socket', () => {
  it('has mode 0600', async () => {
    const { execSync } = await import('node:child_process');
    assert.equal(execSync(`stat -c %a ${proxy.controlSocket}`).toString().trim(), '600');
  });

  it('refuses a client running as another user', { skip: process.getuid() !== 0 && 'needs root to run a client as another user' }, async () => {
    // A copy of the binary and a socket path that user "nobody" can reach, and a socket mode
    // that lets it connect, so that the proxy's own credential check is what refuses.
    const shared = path.join(temp.dir, 'shared');
    mkdirSync(shared);
    chmodSync(temp.dir, 0o755);
    chmodSync(shared, 0o755);
    const binary = path.join(shared, 'studio-proxy');
    copyFileSync(PROXY_BIN, binary);
    chmodSync(binary, 0o755);
    const other = await startProxy(shared, {
      http_proxy_port: await freePort(), socket: engine.socketPath, tracelogsdir: shared,
    }, { name: 'other' });
    try {
      const asNobody = (socketMode) => {
        chmodSync(other.controlSocket, socketMode);
        try {
          execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', binary,
            'ctl', '--socket', other.controlSocket, 'status'], { stdio: 'pipe' });
          return { code: 0, stderr: '' };
        } catch (error) {
          return { code: error.status, stderr: error.stderr.toString() };
        }
      };
      const byMode = asNobody(0o600);
      assert.equal(byMode.code, 1);
      assert.match(byMode.stderr, /permission denied on .*other\.ctl\.sock/);

      const byCredentials = asNobody(0o666);
      assert.equal(byCredentials.code, 1);
      assert.match(byCredentials.stderr, /permission denied: only root and uid 0 may control this proxy/);
      await waitFor(() => /refused a client running as uid 65534/.test(other.log()));
      assert.equal((await other.ctl('status')).code, 0, 'root still may');
    } finally {
      await other.stop();
    }
  });

  it('update-config changes one line and keeps the rest of the file byte for byte', async () => {
    const original = readFileSync(proxy.config, 'utf8');
    const edited = original.replace(/^http_proxy_port = .*$/m, '# the proxy\r')
      + '\n[client]\nuser = someone   # not the engine\n\n[mysqld]\n; MariaDB options\n'
      + 'https_proxy_port = 1234   # keep this comment\nunknown_option = x\n';
    writeFileSync(proxy.config, edited);
    const result = await proxy.ctl('update-config', '--key', 'https_proxy_port', '--value', '8443');
    assert.equal(result.code, 0, result.stderr);
    const expected = edited.replace('https_proxy_port = 1234   # keep', 'https_proxy_port = 8443   # keep');
    assert.equal(readFileSync(proxy.config, 'utf8'), expected);
    assert.equal(readFileSync(`${proxy.config}.bak`, 'utf8'), edited);

    const unset = await proxy.ctl('update-config', '--key', 'https_proxy_port', '--unset');
    assert.equal(unset.code, 0, unset.stderr);
    assert.equal(readFileSync(proxy.config, 'utf8'),
      expected.replace('https_proxy_port = 8443   # keep this comment\n', ''));
  });
});
