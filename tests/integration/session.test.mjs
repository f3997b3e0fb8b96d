// Session behaviour that needs exact control of the engine's bytes: a stand-in engine on a
// Unix socket behind the proxy, a raw `ws` client in front.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { openWebSocket } from './lib/client.mjs';
import { makeCertificates } from './lib/certs.mjs';
import { startFakeEngine } from './lib/fakeengine.mjs';
import { freePort, startProxy } from './lib/proxy.mjs';
import { tempDir, waitFor } from './lib/util.mjs';

const temp = tempDir('session');
let certs;

before(() => { certs = makeCertificates(temp.dir); });
after(() => temp.remove());

// Collects what a client receives until the close, in order.
function receiveAll(ws) {
  const chunks = [];
  let textFrames = 0;
  ws.on('message', (data, isBinary) => {
    if (isBinary) chunks.push(data);
    else textFrames += 1;
  });
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({
    code, reason: reason.toString(), bytes: Buffer.concat(chunks), textFrames,
  })));
}

const opened = (ws) => new Promise((resolve, reject) => {
  ws.once('open', resolve);
  ws.once('error', reject);
});

for (const scheme of ['ws', 'wss']) {
  describe(`a session over ${scheme}://`, () => {
    const socketPath = path.join(temp.dir, `engine-${scheme}.sock`);
    let proxy;
    let url;
    let engine;
    let greeting = null; // what the stand-in engine does with each new connection

    const open = () => openWebSocket(url, { ca: certs.ca });

    before(async () => {
      engine = await startFakeEngine(socketPath, (socket) => greeting?.(socket));
      const port = await freePort();
      const variables = scheme === 'wss'
        ? { https_proxy_port: port, ssl_cert: certs.cert, ssl_key: certs.key }
        : { http_proxy_port: port };
      proxy = await startProxy(temp.dir, {
        ...variables, socket: socketPath, tracelogsdir: path.join(temp.dir, `logs-${scheme}`),
      });
      url = `${scheme}://localhost:${port}/`;
    });

    afterEach(() => { greeting = null; });

    after(async () => {
      await proxy.stop();
      await engine.close();
    });

    for (const size of [11, 1024 * 1024]) {
      it(`delivers the engine's last ${size} bytes before Close 1000 (LC-01)`, async () => {
        const lastWords = randomBytes(size);
        greeting = (socket) => socket.end(lastWords);
        const result = await receiveAll(open());
        assert.equal(result.bytes.length, size);
        assert.ok(result.bytes.equals(lastWords), 'the bytes arrive exactly and in order');
        assert.equal(result.code, 1000);
      });
    }

    it('relays client frames to the engine exactly and in order, fragments included', async () => {
      const ws = open();
      await opened(ws);
      const record = await waitFor(() => engine.connections.at(-1)?.socket.readyState === 'open'
        && engine.connections.at(-1), { what: 'the engine connection' });
      const sent = [];
      for (let i = 0; i < 200; ++i) {
        const frame = randomBytes(1 + Math.floor(Math.random() * 70000));
        sent.push(frame);
        ws.send(frame, { binary: true });
      }
      const fragmented = [randomBytes(1000), randomBytes(5), randomBytes(300000)];
      fragmented.forEach((part, index) => {
        ws.send(part, { binary: true, fin: index === fragmented.length - 1 });
      });
      sent.push(...fragmented);
      const expected = Buffer.concat(sent);
      await waitFor(() => record.bytes().length >= expected.length, { what: 'all bytes at the engine' });
      assert.ok(record.bytes().equals(expected));
      ws.close(1000);
    });

    it('answers a text frame with Close 1003 and closes the engine socket', async () => {
      const ws = open();
      const received = receiveAll(ws);
      await opened(ws);
      ws.send('SELECT 1');
      const result = await received;
      assert.equal(result.code, 1003);
      const record = engine.connections.at(-1);
      await record.closedPromise;
    });

    it('closes the engine socket after the client closes, relaying its last frame first', async () => {
      const ws = open();
      await opened(ws);
      const record = await waitFor(() => engine.connections.at(-1)?.socket.readyState === 'open'
        && engine.connections.at(-1), { what: 'the engine connection' });
      const received = receiveAll(ws);
      ws.send(Buffer.from('quit'));
      ws.close(1000, 'bye');
      const result = await received;
      assert.equal(result.code, 1000, 'the proxy answers Close 1000 with Close 1000');
      await record.closedPromise;
      assert.equal(record.bytes().toString(), 'quit');
      await waitFor(() => /closed: code 1000 \(client closed the connection\)/.test(proxy.log()),
        { what: 'the close in the log' });
    });

    it('closes the engine socket when the client drops TCP without a Close frame', async () => {
      const ws = open();
      await opened(ws);
      const record = await waitFor(() => engine.connections.at(-1)?.socket.readyState === 'open'
        && engine.connections.at(-1), { what: 'the engine connection' });
      ws._socket.destroy();
      await record.closedPromise;
      await waitFor(() => /code 1006 \(client went away without a close frame\)/.test(proxy.log()),
        { what: 'the vanished client in the log' });
    });

    it('stops reading a client whose engine does not keep up (flow control)', async () => {
      let engineSocket;
      greeting = (socket) => { engineSocket = socket; socket.pause(); }; // reads nothing for now
      const ws = open();
      await opened(ws);
      const record = await waitFor(() => engine.connections.at(-1)?.socket.readyState === 'open'
        && engine.connections.at(-1), { what: 'the engine connection' });
      const sent = [];
      for (let i = 0; i < 64; ++i) {
        sent.push(randomBytes(1024 * 1024));
        ws.send(sent.at(-1));
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
      // The proxy holds at most its high-water mark and read-ahead; the rest waits in the
      // kernel and in the client, which sees its own send buffer fill.
      assert.ok(ws.bufferedAmount > 32 * 1024 * 1024, `client buffered ${ws.bufferedAmount} B`);

      engineSocket.resume();
      const expected = Buffer.concat(sent);
      await waitFor(() => record.bytes().length >= expected.length,
        { what: 'all 64 MiB at the engine', timeoutMs: 20000 });
      assert.ok(record.bytes().equals(expected), 'every byte arrives, in order');
      ws.close(1000);
    });

    it('closes the engine socket soon after the client vanishes, even if the engine stops reading', async () => {
      greeting = (socket) => socket.pause(); // reads nothing, ever
      const ws = open();
      await opened(ws);
      const record = await waitFor(() => engine.connections.at(-1)?.socket.readyState === 'open'
        && engine.connections.at(-1), { what: 'the engine connection' });
      for (let i = 0; i < 8; ++i) ws.send(randomBytes(1024 * 1024));
      await new Promise((resolve) => setTimeout(resolve, 300));
      ws.terminate();
      await waitFor(() => /closed: code 1006 \(client went away without a close frame\)/.test(proxy.log()),
        { what: 'the close in the log', timeoutMs: 8000 });
      // A paused socket sees no end until it reads again: the proxy has hung up by now.
      record.socket.resume();
      await record.closedPromise;
    });

    it('delivers the bytes a client sent before its FIN, and nothing more to it', async () => {
      const ws = open();
      await opened(ws);
      const record = await waitFor(() => engine.connections.at(-1)?.socket.readyState === 'open'
        && engine.connections.at(-1), { what: 'the engine connection' });
      const payload = randomBytes(4 * 1024 * 1024);
      ws.send(payload, () => ws._socket.end()); // FIN right after the frame, no Close
      await waitFor(() => record.bytes().length >= payload.length,
        { what: 'the frame at the engine', timeoutMs: 10000 });
      assert.ok(record.bytes().equals(payload));
      await record.closedPromise;
    });

    it('keeps its memory when a client floods pings and reads nothing', async () => {
      const ws = open();
      await opened(ws);
      ws._socket.pause(); // reads nothing from now on
      const { pid } = await proxy.status();
      const rss = () => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]);
      const before = rss();
      const ping = Buffer.concat([Buffer.from([0x89, 0x80 | 125, 1, 2, 3, 4]), Buffer.alloc(125, 7)]);
      const batch = Buffer.concat(Array.from({ length: 8000 }, () => ping)); // ~1 MB of pings
      for (let i = 0; i < 40; ++i) {
        if (!ws._socket.write(batch)) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const growth = (rss() - before) / 1024;
      ws.terminate();
      // AddressSanitizer keeps freed memory in quarantine: RSS says nothing under it.
      if (!process.env.ASAN_OPTIONS)
        assert.ok(growth < 16, `the proxy grew ${growth.toFixed(1)} MiB for 40 MB of pings`);
    });

    it('answers a frame header declaring 1 GiB with Close 1009 at once', async () => {
      const ws = open();
      await opened(ws);
      const received = receiveAll(ws);
      // FIN + binary, masked, 64-bit length 2^30, mask key; then no payload at all.
      ws._socket.write(Buffer.from([0x82, 0xff, 0, 0, 0, 0, 0x40, 0, 0, 0, 1, 2, 3, 4]));
      const result = await received;
      assert.equal(result.code, 1009);
    });

    it('sends Close 1001 to connected clients when the proxy stops', async () => {
      const ws = open();
      const received = receiveAll(ws);
      await opened(ws);
      const { code } = await proxy.stop();
      assert.equal(code, 0);
      const result = await received;
      assert.equal(result.code, 1001);
      assert.match(proxy.log(), /stopping on signal 15; closing 1 session\(s\)/);
      assert.match(proxy.log(), /stopped\n$/);
    });
  });
}

describe('an engine that cannot be reached', () => {
  it('gets the client Close 1011 with a short reason, and the log says why', async () => {
    const port = await freePort();
    const missing = path.join(temp.dir, 'no-engine-here.sock');
    const proxy = await startProxy(temp.dir, {
      http_proxy_port: port, socket: missing, tracelogsdir: path.join(temp.dir, 'logs-missing'),
    });
    const result = await receiveAll(openWebSocket(`ws://localhost:${port}/`));
    assert.equal(result.code, 1011);
    assert.equal(result.reason, 'engine unavailable');
    const log = await waitFor(() => /closed: code 1011/.test(proxy.log()) && proxy.log());
    assert.match(log, new RegExp(`cannot connect to the engine at unix:${missing}: no such socket`));
    await proxy.stop();
  });
});
