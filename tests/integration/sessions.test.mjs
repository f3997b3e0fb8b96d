// `studio-proxy ctl sessions` and `ctl close-session` against a headless proxy with a real
// MariaDB behind it: an admin finds a session by the engine's connection id and closes it.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectThroughProxy } from './lib/client.mjs';
import { startMariaDB } from './lib/mariadb.mjs';
import { freePort, runProxy, startProxy } from './lib/proxy.mjs';
import { tempDir, waitFor } from './lib/util.mjs';

const temp = tempDir('sessions');
let engine;
let proxy;
let url;

async function listed() {
  const result = await proxy.ctl('sessions', '--json');
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

describe('sessions through ctl', () => {
  before(async () => {
    engine = await startMariaDB(temp.dir);
    const port = await freePort();
    proxy = await startProxy(temp.dir, {
      http_proxy_port: port, socket: engine.socketPath, tracelogsdir: path.join(temp.dir, 'logs'),
    });
    url = `ws://127.0.0.1:${port}/`;
  });
  after(async () => {
    await proxy?.stop();
    await engine?.stop();
    temp.remove();
  });

  it('reaches the proxy by a --socket path relative to the working folder', async () => {
    const result = await runProxy(['ctl', '--socket', path.basename(proxy.controlSocket), 'status'],
      { cwd: path.dirname(proxy.controlSocket) });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^state: +running$/m);
  });

  it('lists each open session with the connection id the engine gave it', async () => {
    const first = await connectThroughProxy(url, { origin: 'https://studio.example.test' });
    const second = await connectThroughProxy(url);
    try {
      const [[{ id: firstId }]] = await first.connection.query('SELECT CONNECTION_ID() AS id');
      const [[{ id: secondId }]] = await second.connection.query('SELECT CONNECTION_ID() AS id');
      const sessions = await listed();
      assert.equal(sessions.length, 2);
      const byEngineId = new Map(sessions.map((s) => [s.engineConnectionId, s]));
      assert.equal(byEngineId.get(Number(firstId)).origin, 'https://studio.example.test');
      assert.equal(byEngineId.get(Number(secondId)).origin, '');
      for (const session of sessions) {
        assert.match(session.client, /^127\.0\.0\.1:\d+$/);
        assert.ok(session.bytesToEngine > 0 && session.bytesToClient > 0);
      }

      const text = await proxy.ctl('sessions');
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /engine connection/);
      assert.match(text.stdout, new RegExp(`\\| ${firstId} +\\|`));
      assert.match(text.stdout, /2 rows in set/);
    } finally {
      await first.connection.end();
      await second.connection.end();
    }
    await waitFor(async () => (await listed()).length === 0, { what: 'both sessions ended' });
  });

  it('closes one session: its client gets Close 1000, the other goes on', async () => {
    const victim = await connectThroughProxy(url);
    const bystander = await connectThroughProxy(url);
    try {
      const [[{ id }]] = await victim.connection.query('SELECT CONNECTION_ID() AS id');
      const session = (await listed()).find((s) => s.engineConnectionId === Number(id));
      assert.ok(session, 'the session is listed');

      const closed = await proxy.ctl('close-session', String(session.id));
      assert.equal(closed.code, 0, closed.stderr);
      assert.match(closed.stdout, new RegExp(`session ${session.id} closed`));
      const { code } = await victim.closed;
      assert.equal(code, 1000);

      const [[{ one }]] = await bystander.connection.query('SELECT 1 AS one');
      assert.equal(one, 1);
      await waitFor(async () => (await listed()).length === 1, { what: 'one session left' });
      assert.match(proxy.log(), new RegExp(`connection ${session.id} closed`));
    } finally {
      await bystander.connection.end();
    }
  });

  it('says which id is unknown, and what it takes', async () => {
    const unknown = await proxy.ctl('close-session', '424242');
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /no open session has the id 424242/);

    const notANumber = await proxy.ctl('close-session', 'first');
    assert.equal(notANumber.code, 2);
    assert.match(notANumber.stderr, /close-session takes a session id/);
  });
});
