// The proxy port itself: which addresses it answers on and what TLS it serves.
import assert from 'node:assert/strict';
import path from 'node:path';
import tls from 'node:tls';
import { mkdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { openWebSocket } from './lib/client.mjs';
import { makeCertificates, makeExpiredCertificate } from './lib/certs.mjs';
import { startFakeEngine } from './lib/fakeengine.mjs';
import { freePort, startProxy } from './lib/proxy.mjs';
import { tempDir, waitFor } from './lib/util.mjs';

const temp = tempDir('listener');
const GREETING = Buffer.from('engine greeting');
let engine;

before(async () => {
  engine = await startFakeEngine(path.join(temp.dir, 'engine.sock'), (s) => s.write(GREETING));
});

after(async () => {
  await engine.close();
  temp.remove();
});

// Resolves with the first binary message, the engine's greeting relayed through the proxy.
function firstMessage(url, options) {
  const ws = openWebSocket(url, options);
  return new Promise((resolve, reject) => {
    ws.once('message', (data) => { ws.close(1000); resolve(data); });
    ws.once('error', reject);
  });
}

describe('a wss:// listener with a chain file', () => {
  let proxy;
  let port;
  let certs;

  before(async () => {
    const certDir = path.join(temp.dir, 'chain');
    mkdirSync(certDir);
    certs = makeCertificates(certDir, { intermediate: true });
    port = await freePort();
    proxy = await startProxy(temp.dir, {
      https_proxy_port: port, ssl_cert: certs.chain, ssl_key: certs.key,
      socket: path.join(temp.dir, 'engine.sock'), tracelogsdir: path.join(temp.dir, 'logs'),
    });
  });

  after(() => proxy.stop());

  it('serves leaf then intermediate, so a client trusting only the root connects', async () => {
    const socket = tls.connect({ host: 'localhost', port, ca: readFileSync(certs.ca) });
    await new Promise((resolve, reject) => { socket.once('secureConnect', resolve); socket.once('error', reject); });
    const leaf = socket.getPeerCertificate(true);
    assert.equal(leaf.subject.CN, 'localhost');
    assert.equal(leaf.issuerCertificate.subject.CN, 'Studio Proxy Test Intermediate');
    assert.ok(socket.authorized);
    socket.destroy();
  });

  for (const host of ['localhost', '127.0.0.1', '[::1]']) {
    it(`answers on ${host}, IPv4 and IPv6 alike`, async () => {
      const data = await firstMessage(`wss://${host}:${port}/`, { ca: certs.ca });
      assert.ok(Buffer.from(data).equals(GREETING));
    });
  }

  for (const version of ['TLSv1.2', 'TLSv1.3']) {
    it(`accepts ${version}`, async () => {
      const socket = tls.connect({
        host: 'localhost', port, ca: readFileSync(certs.ca), minVersion: version, maxVersion: version,
      });
      await new Promise((resolve, reject) => { socket.once('secureConnect', resolve); socket.once('error', reject); });
      assert.equal(socket.getProtocol(), version);
      socket.destroy();
    });
  }

  it('refuses TLS 1.1', async () => {
    const socket = tls.connect({
      host: 'localhost', port, ca: readFileSync(certs.ca), minVersion: 'TLSv1', maxVersion: 'TLSv1.1',
      ciphers: 'DEFAULT:@SECLEVEL=0',
    });
    const error = await new Promise((resolve) => {
      socket.once('secureConnect', () => resolve(null));
      socket.once('error', resolve);
    });
    socket.destroy();
    assert.ok(error, 'the handshake must fail');
    assert.match(error.code ?? error.message, /PROTOCOL_VERSION|ALERT|ECONNRESET|unsupported protocol/i);
  });
});

describe('a TLS client that gives up on the certificate (TL-02)', () => {
  it('is logged with the reason', async () => {
    const certDir = path.join(temp.dir, 'dns-only');
    mkdirSync(certDir);
    const certs = makeCertificates(certDir, { names: ['localhost'], ips: [] });
    const port = await freePort();
    const proxy = await startProxy(temp.dir, {
      https_proxy_port: port, ssl_cert: certs.cert, ssl_key: certs.key,
      socket: path.join(temp.dir, 'engine.sock'), tracelogsdir: path.join(temp.dir, 'logs-dns'),
    }, { name: 'dns-only' });
    try {
      // By address, to a certificate that names only localhost: the client refuses it.
      const error = await new Promise((resolve) => {
        const socket = tls.connect({ host: '127.0.0.1', port, ca: readFileSync(certs.ca) });
        socket.once('secureConnect', () => { socket.destroy(); resolve(null); });
        socket.once('error', resolve);
      });
      assert.equal(error?.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
      const line = await waitFor(() => proxy.log().match(/TLS handshake with 127\.0\.0\.1:\d+ failed: (.+)/),
        { what: 'the failed handshake in the log' });
      assert.ok(line[1].length > 0);
    } finally {
      await proxy.stop();
    }
  });
});

describe('an expired certificate (TL-02)', () => {
  it('starts the proxy with a warning on stderr and in the log', async () => {
    const certDir = path.join(temp.dir, 'expired');
    mkdirSync(certDir);
    const certs = makeExpiredCertificate(certDir);
    const proxy = await startProxy(temp.dir, {
      https_proxy_port: await freePort(), ssl_cert: certs.cert, ssl_key: certs.key,
      socket: path.join(temp.dir, 'engine.sock'), tracelogsdir: path.join(temp.dir, 'logs-expired'),
    }, { name: 'expired' });
    try {
      const warning = `the certificate in ${certs.cert} expired on 2020-02-01T00:00:00Z`;
      assert.match(proxy.output().stderr, new RegExp(`studio-proxy: warning: ${warning}`));
      assert.match(proxy.log(), new RegExp(`WARN  ${warning}`));
    } finally {
      await proxy.stop();
    }
  });
});
