// The main job, end to end: mysql2 over ws/wss through studio-proxy to a real MariaDB.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { connectDirect, connectThroughProxy } from './lib/client.mjs';
import { makeCertificates } from './lib/certs.mjs';
import { startMariaDB } from './lib/mariadb.mjs';
import { freePort, startProxy } from './lib/proxy.mjs';
import { tempDir, waitFor } from './lib/util.mjs';

const sha256 = (buffer) => createHash('sha256').update(buffer).digest('hex');

const temp = tempDir('relay');
let certs;
let engine;

before(async () => {
  certs = makeCertificates(temp.dir);
  engine = await startMariaDB(temp.dir, { ssl: certs });
});

after(async () => {
  await engine?.stop();
  temp.remove();
});

for (const scheme of ['ws', 'wss']) {
  describe(`mysql2 through the proxy over ${scheme}://`, () => {
    let proxy;
    let url;
    const connect = (options = {}) => connectThroughProxy(url, { ca: certs.ca, ...options });

    before(async () => {
      const port = await freePort();
      const variables = scheme === 'wss'
        ? { https_proxy_port: port, ssl_cert: certs.cert, ssl_key: certs.key }
        : { http_proxy_port: port };
      proxy = await startProxy(temp.dir, {
        ...variables, socket: engine.socketPath, tracelogsdir: `${temp.dir}/logs-${scheme}`,
      });
      url = `${scheme}://localhost:${port}/`;
    });

    after(async () => {
      const { code } = await proxy.stop();
      assert.equal(code, 0, 'the proxy exits cleanly on SIGTERM');
    });

    it('logs in and gets the same SELECT results as a client on the engine socket', async () => {
      const sql = "SELECT VERSION() AS version, CURRENT_USER() AS user, 6 * 7 AS answer, "
        + "CONVERT('grüße, 世界' USING utf8mb4) AS text, NULL AS nothing";
      const direct = await connectDirect(engine.socketPath);
      const [expected] = await direct.query(sql);
      await direct.end();

      const { connection } = await connect();
      const [rows] = await connection.query(sql);
      await connection.end();
      assert.deepEqual(rows, expected);
      assert.equal(rows[0].answer, 42);
    });

    it('inserts rows and reads them back', async () => {
      const { connection } = await connect();
      const table = `items_${scheme}`;
      await connection.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, name VARCHAR(40))`);
      const [result] = await connection.query(`INSERT INTO ${table} VALUES (1, 'one'), (2, 'two')`);
      assert.equal(result.affectedRows, 2);
      const [rows] = await connection.execute(`SELECT name FROM ${table} WHERE id = ?`, [2]);
      assert.deepEqual(rows, [{ name: 'two' }]);
      await connection.end();
    });

    it('relays the engine error packet for bad SQL and keeps the session usable', async () => {
      const { connection } = await connect();
      await assert.rejects(connection.query('SELEKT 1'),
        (error) => error.code === 'ER_PARSE_ERROR' && error.errno === 1064);
      const [rows] = await connection.query('SELECT 1 AS still_here');
      assert.deepEqual(rows, [{ still_here: 1 }]);
      await connection.end();
    });

    it('relays a refused login, then closes the WebSocket with 1000 (LC-01)', async () => {
      const error = await connect({ password: 'wrong' }).then(() => null, (e) => e);
      assert.equal(error?.code, 'ER_ACCESS_DENIED_ERROR');
      assert.match(error.message, /Access denied for user 'app'/);
      const { code } = await error.closed;
      assert.equal(code, 1000, 'the engine hung up after its error packet: a normal close');
    });

    it('inserts and selects a 40 MB blob byte-identical (DB-01)', async () => {
      const blob = randomBytes(40 * 1024 * 1024);
      const { connection } = await connect();
      const table = `blobs_${scheme}`;
      await connection.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, data LONGBLOB)`);
      await connection.execute(`INSERT INTO ${table} VALUES (1, ?)`, [blob]);
      const [rows] = await connection.query(`SELECT data, LENGTH(data) AS size FROM ${table}`);
      assert.equal(rows[0].size, blob.length);
      assert.equal(sha256(rows[0].data), sha256(blob));
      await connection.end();
    });

    it('serves 50 concurrent connections, each running its own queries', async () => {
      const clients = await Promise.all(Array.from({ length: 50 }, () => connect()));
      await Promise.all(clients.map(async ({ connection }, index) => {
        for (let round = 0; round < 10; ++round) {
          const [rows] = await connection.query(
            'SELECT ? AS client, ? AS round, CONNECTION_ID() AS id, REPEAT(?, 1000) AS filler',
            [index, round, String.fromCharCode(65 + (index % 26))]);
          assert.equal(rows[0].client, index);
          assert.equal(rows[0].round, round);
          assert.equal(rows[0].filler, String.fromCharCode(65 + (index % 26)).repeat(1000));
        }
      }));
      const ids = await Promise.all(clients.map(async ({ connection }) => {
        const [rows] = await connection.query('SELECT CONNECTION_ID() AS id');
        return rows[0].id;
      }));
      assert.equal(new Set(ids).size, 50, 'each WebSocket has its own engine connection');
      await Promise.all(clients.map(({ connection }) => connection.end()));
    });

    it('relays a TLS session negotiated with the engine inside the tunnel (DB-02)', async () => {
      const { connection } = await connect({ ssl: { ca: readFileSync(certs.ca) } });
      const [rows] = await connection.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
      assert.match(rows[0].Value, /\w/, 'the engine reports a TLS cipher for the session');
      const [[{ n }]] = await connection.query('SELECT 123 AS n');
      assert.equal(n, 123);
      await connection.end();
    });

    it('logs each connection with client, origin, bytes each way and close code', async () => {
      const { connection, closed } = await connect({});
      await connection.query('SELECT 1');
      await connection.end();
      await closed;
      const origin = 'https://studio.example.test';
      const withOrigin = await connectThroughProxy(url, { ca: certs.ca, origin });
      await withOrigin.connection.end();
      await withOrigin.closed;

      const log = await waitFor(() => {
        const text = proxy.log();
        return text.includes(`origin ${origin}`) && /closed: .*\n.*closed: /s.test(text) && text;
      }, { what: 'the connection lines in websocket_proxy.log' });
      assert.match(log, /connection \d+ opened: client 127\.0\.0\.1:\d+, origin \(none\)/);
      assert.match(log, new RegExp(`connection (\\d+) opened: client [^,]+, origin ${origin}`));
      assert.match(log, /connection \d+ closed: code 1000 \([^)]*\); client to engine [1-9]\d* B, engine to client [1-9]\d* B, \d+\.\d{3} s/);
    });
  });
}
