// A client that disappears without a FIN during an open transaction (LC-02): pings find
// out, the proxy closes the engine connection, and the engine rolls the transaction back.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectDirect, connectThroughProxy } from './lib/client.mjs';
import { startMariaDB } from './lib/mariadb.mjs';
import { freePort, startProxy } from './lib/proxy.mjs';
import { tempDir, waitFor } from './lib/util.mjs';

const temp = tempDir('keepalive');
let engine;
let proxy;
let url;

before(async () => {
  engine = await startMariaDB(temp.dir);
  const port = await freePort();
  proxy = await startProxy(temp.dir, {
    http_proxy_port: port, socket: engine.socketPath, tracelogsdir: path.join(temp.dir, 'logs'),
    proxy_ping_interval: 1, proxy_pong_timeout: 2,
  });
  url = `ws://localhost:${port}/`;
});

after(async () => {
  await proxy?.stop();
  await engine?.stop();
  temp.remove();
});

describe('a client that vanishes during a transaction', () => {
  it('is detected by pings; its engine session closes and the transaction rolls back', async () => {
    const direct = await connectDirect(engine.socketPath);
    await direct.query('CREATE TABLE accounts (id INT PRIMARY KEY, balance INT) ENGINE=InnoDB');
    await direct.query('INSERT INTO accounts VALUES (1, 100)');

    const { connection, ws } = await connectThroughProxy(url, { autoPong: false });
    await connection.query('BEGIN');
    await connection.query('UPDATE accounts SET balance = 0 WHERE id = 1');
    // From now on the client answers nothing and sends nothing, and no FIN comes.
    const started = Date.now();

    const line = await waitFor(() => proxy.log().match(/closed: code 1006 \(client silent for 2 s, no answer to pings\)/),
      { what: 'the session closed for silence', timeoutMs: 10000 }).catch((e) => { console.log(proxy.log()); throw e; });
    assert.ok(line);
    const waited = Date.now() - started;
    assert.ok(waited >= 1500 && waited < 8000, `closed after ${waited} ms`);

    // The row lock is gone and the update undone.
    await direct.query('SET SESSION innodb_lock_wait_timeout = 2');
    const [rows] = await direct.query('SELECT balance FROM accounts WHERE id = 1 FOR UPDATE');
    assert.deepEqual(rows, [{ balance: 100 }]);
    await direct.end();
    ws.terminate();
  });

  it('is not disturbed while it answers pings, even when idle', async () => {
    const { connection } = await connectThroughProxy(url);
    await new Promise((resolve) => setTimeout(resolve, 3500));
    const [rows] = await connection.query('SELECT 1 AS alive');
    assert.deepEqual(rows, [{ alive: 1 }]);
    await connection.end();
  });
});
