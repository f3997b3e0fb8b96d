// Plain HTTP on the proxy port and the WebSocket opening handshake (RFC 6455 section 4,
// cases WS-03 and WS-04), over ws:// and wss://.
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { makeCertificates } from './lib/certs.mjs';
import { startFakeEngine } from './lib/fakeengine.mjs';
import { freePort, startProxy } from './lib/proxy.mjs';
import { tempDir, waitFor } from './lib/util.mjs';

const temp = tempDir('http');
let certs;
let engine;

before(async () => {
  certs = makeCertificates(temp.dir);
  engine = await startFakeEngine(path.join(temp.dir, 'engine.sock'), (s) => s.write('hello'));
});

after(async () => {
  await engine.close();
  temp.remove();
});

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

// Sends a raw request head and resolves with the response head (status and fields).
function request(scheme, port, lines) {
  return new Promise((resolve, reject) => {
    const socket = scheme === 'wss'
      ? tls.connect({ host: 'localhost', port, ca: readFileSync(certs.ca) })
      : net.connect(port, 'localhost');
    let data = '';
    socket.on(scheme === 'wss' ? 'secureConnect' : 'connect', () => socket.write(`${lines.join('\r\n')}\r\n\r\n`));
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine, ...fieldLines] = data.slice(0, end).split('\r\n');
      const fields = Object.fromEntries(fieldLines.map((line) => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
      }));
      socket.destroy();
      resolve({ status: Number(statusLine.split(' ')[1]), statusLine, fields, body: data.slice(end + 4) });
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`closed without a response: ${JSON.stringify(data)}`)));
  });
}

const upgrade = (extra = []) => ['GET / HTTP/1.1', 'Host: localhost', 'Upgrade: websocket',
  'Connection: Upgrade', `Sec-WebSocket-Key: ${KEY}`, ...extra];

for (const scheme of ['ws', 'wss']) {
  describe(`the proxy port over ${scheme}://`, () => {
    let proxy;
    let port;

    before(async () => {
      port = await freePort();
      const variables = scheme === 'wss'
        ? { https_proxy_port: port, ssl_cert: certs.cert, ssl_key: certs.key }
        : { http_proxy_port: port };
      proxy = await startProxy(temp.dir, {
        ...variables, socket: path.join(temp.dir, 'engine.sock'),
        tracelogsdir: path.join(temp.dir, `logs-${scheme}`),
      }, { name: scheme });
    });

    after(() => proxy.stop());

    it('answers GET /ping with pong', async () => {
      const response = await request(scheme, port, ['GET /ping HTTP/1.1', 'Host: localhost']);
      assert.equal(response.status, 200);
      assert.equal(response.fields['content-length'], '5');
    });

    it('upgrades with lowercase field names and "Connection: keep-alive, Upgrade" (WS-03)', async () => {
      const response = await request(scheme, port, ['GET / HTTP/1.1', 'host: localhost',
        'upgrade: websocket', 'connection: keep-alive, Upgrade', `sec-websocket-key: ${KEY}`,
        'sec-websocket-version: 13']);
      assert.equal(response.status, 101);
      // RFC 6455 section 1.3: SHA-1 of the key and the GUID, base64.
      assert.equal(response.fields['sec-websocket-accept'], 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    });

    for (const [name, version] of [['no Sec-WebSocket-Version', null], ['version 8', '8']]) {
      it(`answers ${name} with 426 and Sec-WebSocket-Version: 13 (WS-03)`, async () => {
        const response = await request(scheme, port,
          upgrade(version ? [`Sec-WebSocket-Version: ${version}`] : []));
        assert.ok([400, 426].includes(response.status), response.statusLine);
        assert.equal(response.fields['sec-websocket-version'], '13');
      });
    }

    it('serves the trust-check page on GET /', async () => {
      const response = await request(scheme, port, ['GET / HTTP/1.1', 'Host: localhost']);
      assert.equal(response.status, 200);
      assert.equal(response.fields['content-type'], 'text/html; charset=utf-8');
      assert.equal(response.fields['cache-control'], 'no-store');
      assert.match(response.fields['content-security-policy'],
        new RegExp(`connect-src 'self' wss://localhost ws://localhost;`));
    });

    it('answers a plain GET in HTTP and keeps serving others (WS-03)', async () => {
      const response = await request(scheme, port, ['GET /ws HTTP/1.1', 'Host: localhost']);
      assert.equal(response.status, 426);
      assert.equal(response.fields.upgrade, 'websocket');
      const next = await request(scheme, port, upgrade(['Sec-WebSocket-Version: 13']));
      assert.equal(next.status, 101);
    });

    it('answers with exactly one offered subprotocol or none (WS-04)', async () => {
      const offered = await request(scheme, port,
        upgrade(['Sec-WebSocket-Version: 13', 'Sec-WebSocket-Protocol: foo, binary']));
      assert.equal(offered.status, 101);
      const chosen = offered.fields['sec-websocket-protocol'];
      assert.ok(chosen === undefined || ['foo', 'binary'].includes(chosen), chosen);
      const none = await request(scheme, port, upgrade(['Sec-WebSocket-Version: 13']));
      assert.equal(none.fields['sec-websocket-protocol'], undefined);
    });

    it('refuses a request head over 8 KiB with 431', async () => {
      const response = await request(scheme, port,
        ['GET / HTTP/1.1', `X-Filler: ${'a'.repeat(9000)}`]);
      assert.equal(response.status, 431);
    });
  });
}

describe('plain HTTP to the wss:// port', () => {
  it('is closed, and the log says the client did not start a TLS handshake', async () => {
    const port = await freePort();
    const proxy = await startProxy(temp.dir, {
      https_proxy_port: port, ssl_cert: certs.cert, ssl_key: certs.key,
      socket: path.join(temp.dir, 'engine.sock'), tracelogsdir: path.join(temp.dir, 'logs-plain'),
    }, { name: 'plain' });
    const closed = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\n\r\n'));
      socket.on('close', () => resolve(true));
      socket.on('error', () => {});
    });
    assert.ok(closed);
    await waitFor(() => /127\.0\.0\.1:\d+ failed: the client did not start a TLS handshake/.test(proxy.log()),
      { what: 'the log line' });
    await proxy.stop();
  });
});

describe('limits set by runtime variables', () => {
  let proxy;
  let port;

  before(async () => {
    port = await freePort();
    proxy = await startProxy(temp.dir, {
      http_proxy_port: port, socket: path.join(temp.dir, 'engine.sock'),
      tracelogsdir: path.join(temp.dir, 'logs-limits'),
      proxy_max_sessions: 1, proxy_allowed_origins: 'https://studio.example.test, https://other.test',
      proxy_handshake_timeout: 1, proxy_idle_timeout: 1,
    }, { name: 'limits' });
  });

  after(() => proxy.stop());

  const allowed = 'Origin: https://studio.example.test';

  it('refuses an origin that is not allowed with 403, and logs it', async () => {
    const response = await request('ws', port,
      upgrade(['Sec-WebSocket-Version: 13', 'Origin: https://evil.test']));
    assert.equal(response.status, 403);
    await waitFor(() => /refused origin https:\/\/evil\.test with 403/.test(proxy.log()));
  });

  it('refuses a session over proxy_max_sessions with 503 before the upgrade', async () => {
    const { openWebSocket } = await import('./lib/client.mjs');
    const first = openWebSocket(`ws://localhost:${port}/`, { origin: 'https://studio.example.test' });
    await new Promise((resolve, reject) => { first.once('open', resolve); first.once('error', reject); });
    const second = await request('ws', port, upgrade(['Sec-WebSocket-Version: 13', allowed]));
    assert.equal(second.status, 503);
    assert.equal(second.fields['retry-after'], '1');
    // Idle for over proxy_idle_timeout: closed with 1001.
    const code = await new Promise((resolve) => first.once('close', resolve));
    assert.equal(code, 1001);
  });

  it('drops a connection that sends no request head within proxy_handshake_timeout', async () => {
    const started = Date.now();
    await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('close', resolve);
      socket.on('error', () => {});
    });
    const waited = Date.now() - started;
    assert.ok(waited >= 900 && waited < 5000, `dropped after ${waited} ms`);
  });
});
