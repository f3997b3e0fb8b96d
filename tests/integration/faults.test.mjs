// Faults an admin would see in production (FL-01, FL-02, LC-01 with a real engine): a client
// that stops reading a 200 MiB result, a storm of clients that vanish mid-session, an engine
// killed while it streams a result, and an engine restarted behind a running proxy. Each test
// checks what an admin would check: the proxy's RSS and descriptors in /proc, the engine's
// open connections, what the client received, and websocket_proxy.log.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import { createWebSocketStream } from 'ws';
import { connectThroughProxy, openWebSocket } from './lib/client.mjs';
import { makeCertificates } from './lib/certs.mjs';
import { startFakeEngine } from './lib/fakeengine.mjs';
import { APP_DATABASE, APP_PASSWORD, APP_USER, startMariaDB } from './lib/mariadb.mjs';
import { freePort, startProxy } from './lib/proxy.mjs';
import { tempDir, waitFor } from './lib/util.mjs';

const MiB = 1024 * 1024;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const mib = (bytes) => `${(bytes / MiB).toFixed(1)} MiB`;

const temp = tempDir('faults');
let certs;

before(() => { certs = makeCertificates(temp.dir); });
after(() => temp.remove());

// ---- what an admin reads in /proc ----

function rssBytes(pid) {
  const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m);
  return Number(match[1]) * 1024;
}

const openDescriptors = (pid) => readdirSync(`/proc/${pid}/fd`).length;

// Idle RSS: the median of a few samples over half a second.
async function idleRss(pid) {
  const samples = [];
  for (let i = 0; i < 5; ++i) {
    samples.push(rssBytes(pid));
    await sleep(100);
  }
  return samples.sort((a, b) => a - b)[2];
}

const closedLines = (log) => log.match(/connection \d+ closed: .*/g) ?? [];
const openedLines = (log) => log.match(/connection \d+ opened: .*/g) ?? [];

// ---- a minimal WebSocket client on a raw socket, so the test decides when it reads ----

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

// For wss://, TLS runs over a TCP socket of our own, kept as `tcp`, so a test can reset it.
async function connectRaw({ scheme, port }) {
  const tcp = net.connect(port, '127.0.0.1');
  tcp.on('error', () => {});
  const socket = scheme === 'wss'
    ? tls.connect({ socket: tcp, ca: readFileSync(certs.ca), servername: 'localhost' })
    : tcp;
  socket.on('error', () => {});
  await new Promise((resolve, reject) => {
    socket.once(scheme === 'wss' ? 'secureConnect' : 'connect', resolve);
    socket.once('error', reject);
  });
  socket.tcp = tcp;
  return socket;
}

// Sends the upgrade request and reads the answer's head. The socket is left paused, so no
// byte after the head is lost before the caller listens; `rest` holds those already read.
async function handshake(socket, port) {
  const key = randomBytes(16).toString('base64');
  socket.write(`GET / HTTP/1.1\r\nHost: localhost:${port}\r\nUpgrade: websocket\r\n`
    + `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  const { head, rest } = await new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const onData = (data) => {
      buffered = Buffer.concat([buffered, data]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.pause();
      socket.removeListener('data', onData);
      resolve({ head: buffered.subarray(0, end).toString('latin1'), rest: buffered.subarray(end + 4) });
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error('closed before the handshake answer')));
  });
  assert.match(head, /^HTTP\/1\.1 101 /, head);
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  assert.match(head, new RegExp(`^sec-websocket-accept: ${accept.replace(/[+/]/g, '\\$&')}$`, 'im'));
  return rest;
}

function maskedFrame(opcode, payload) {
  assert.ok(payload.length <= 125);
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]));
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length]), mask, masked]);
}

// Parses the server's frames as they arrive, payloads streamed (never held whole): binary
// data goes to onData, pings are answered, a Close is answered and recorded.
class FrameReader {
  constructor(socket, onData) {
    this.socket = socket;
    this.onData = onData;
    this.header = Buffer.alloc(0);
    this.left = 0;
    this.opcode = 0;
    this.control = [];
    this.violations = [];
    this.pings = 0;
    this.close = null;
    this.closed = new Promise((resolve) => { this.resolveClose = resolve; });
    this.socketClosed = new Promise((resolve) => socket.once('close', resolve));
  }

  headerLength() {
    if (this.header.length < 2) return 2;
    const len7 = this.header[1] & 0x7f;
    return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (this.header[1] & 0x80 ? 4 : 0);
  }

  feed(buffer) {
    let pos = 0;
    while (pos < buffer.length) {
      if (this.left > 0) {
        const n = Math.min(this.left, buffer.length - pos);
        const slice = buffer.subarray(pos, pos + n);
        pos += n;
        this.left -= n;
        if (this.opcode >= 0x8) this.control.push(slice);
        else if (this.close) this.violations.push('data after Close');
        else this.onData(slice);
        if (this.left === 0) this.endFrame();
        continue;
      }
      const need = this.headerLength();
      const take = Math.min(need - this.header.length, buffer.length - pos);
      this.header = Buffer.concat([this.header, buffer.subarray(pos, pos + take)]);
      pos += take;
      if (this.header.length < 2 || this.header.length < this.headerLength()) continue;
      const [b0, b1] = this.header;
      if (b1 & 0x80) this.violations.push('masked server frame');
      if (b0 & 0x70) this.violations.push('reserved bits set');
      this.opcode = b0 & 0x0f;
      if (this.opcode === 0x1) this.violations.push('text frame');
      const len7 = b1 & 0x7f;
      this.left = len7 === 126 ? this.header.readUInt16BE(2)
        : len7 === 127 ? Number(this.header.readBigUInt64BE(2)) : len7;
      this.header = Buffer.alloc(0);
      if (this.left === 0) this.endFrame();
    }
  }

  endFrame() {
    if (this.opcode < 0x8) return;
    const payload = Buffer.concat(this.control);
    this.control = [];
    if (this.opcode === 0x9) {
      this.pings += 1;
      if (!this.socket.destroyed) this.socket.write(maskedFrame(0xa, payload));
    } else if (this.opcode === 0x8 && !this.close) {
      this.close = {
        code: payload.length >= 2 ? payload.readUInt16BE(0) : 1005,
        reason: payload.subarray(2).toString('utf8'),
      };
      if (!this.socket.destroyed) {
        this.socket.write(maskedFrame(0x8, payload.subarray(0, 2)));
        this.socket.end();
      }
      this.resolveClose(this.close);
    }
  }
}

// ---- FL-01: 200 MiB of deterministic pseudo-random bytes, 1 MiB at a time ----

const CHUNKS = 200;
const TOTAL = CHUNKS * MiB;

// A 1 MiB xorshift32 block from a fixed seed; chunk i is that block with i in its first
// 8 bytes, so a chunk lost, repeated or swapped shows up as well as a flipped byte.
const BLOCK = (() => {
  const block = Buffer.alloc(MiB);
  let x = 0x9e3779b9;
  for (let i = 0; i < MiB; i += 4) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    block.writeUInt32LE(x, i);
  }
  return block;
})();

function chunk(i) {
  const buffer = Buffer.from(BLOCK);
  buffer.writeBigUInt64BE(BigInt(i), 0);
  return buffer;
}

// Compares what arrives with what the engine sent, as it arrives.
class Verifier {
  constructor() {
    this.received = 0;
    this.firstMismatch = -1;
    this.index = -1;
    this.expected = null;
  }

  feed(data) {
    let k = 0;
    while (k < data.length) {
      const i = Math.floor(this.received / MiB);
      const offset = this.received % MiB;
      const n = Math.min(MiB - offset, data.length - k);
      if (this.firstMismatch < 0) {
        if (i >= CHUNKS) {
          this.firstMismatch = this.received;
        } else {
          if (i !== this.index) { this.index = i; this.expected = chunk(i); }
          if (!data.subarray(k, k + n).equals(this.expected.subarray(offset, offset + n))) {
            let d = 0;
            while (data[k + d] === this.expected[offset + d]) d += 1;
            this.firstMismatch = this.received + d;
          }
        }
      }
      this.received += n;
      k += n;
    }
  }
}

// The engine writes as fast as the proxy takes the bytes, then closes.
function streamResult(socket) {
  const progress = { queued: 0, done: false };
  progress.accepted = () => progress.queued - socket.writableLength; // taken by the kernel
  let i = 0;
  const pump = () => {
    while (i < CHUNKS && !socket.destroyed) {
      const more = socket.write(chunk(i));
      i += 1;
      progress.queued += MiB;
      if (!more) { socket.once('drain', pump); return; }
    }
    progress.done = true;
    socket.end();
  };
  pump();
  return progress;
}

const STALL_MS = 30000;
const STALL_LIMIT = 8 * MiB; // RSS growth allowed above idle while the client reads nothing
const DRAIN_LIMIT_MS = 10000; // for the rest to arrive once it reads again (about 0.5 s here)

// What ASan's allocator keeps (quarantine, shadow memory) is not the proxy's doing.
const sanitized = (pid) => readFileSync(`/proc/${pid}/maps`, 'utf8').includes('libasan');

for (const scheme of ['ws', 'wss']) {
  describe(`FL-01 a client that stops reading a 200 MiB result for 30 s, over ${scheme}://`, () => {
    const socketPath = path.join(temp.dir, `stall-${scheme}.sock`);
    let engine;
    let proxy;
    let port;
    let client;
    let behaviour = null;
    const run = {}; // what the scenario measured, checked one admin concern per test below

    before(async () => {
      engine = await startFakeEngine(socketPath, (socket, record) => behaviour?.(socket, record));
      port = await freePort();
      const variables = scheme === 'wss'
        ? { https_proxy_port: port, ssl_cert: certs.cert, ssl_key: certs.key }
        : { http_proxy_port: port };
      proxy = await startProxy(temp.dir, {
        ...variables, socket: socketPath, tracelogsdir: path.join(temp.dir, `logs-stall-${scheme}`),
      }, { name: `stall-${scheme}` });
      const pid = proxy.child.pid;
      run.sanitized = sanitized(pid);
      run.freshRss = await idleRss(pid);

      // Warm up: one session that carries 4 MiB, so lazily built state (TLS, buffers) counts
      // as idle, as on a proxy that has served before.
      behaviour = (socket) => socket.end(Buffer.concat([BLOCK, BLOCK, BLOCK, BLOCK]));
      const warm = await connectRaw({ scheme, port });
      const warmReader = new FrameReader(warm, () => {});
      warmReader.feed(await handshake(warm, port));
      warm.on('data', (d) => warmReader.feed(d));
      warm.resume();
      assert.equal((await warmReader.closed).code, 1000);
      await warmReader.socketClosed;
      await waitFor(() => closedLines(proxy.log()).length === 1, { what: 'the warm-up session closed' });
      run.baseline = await idleRss(pid);

      let progress;
      behaviour = (socket) => { progress = streamResult(socket); };
      client = await connectRaw({ scheme, port });
      const verifier = new Verifier();
      const reader = new FrameReader(client, (data) => verifier.feed(data));
      run.verifier = verifier;
      run.reader = reader;
      reader.feed(await handshake(client, port));
      client.on('data', (d) => reader.feed(d));
      client.resume();

      // The result starts to arrive; then the client stops reading.
      await waitFor(() => verifier.received >= 2 * MiB, { what: 'the first 2 MiB', timeoutMs: 10000 });
      client.pause();
      run.stalledAt = verifier.received;

      const stall = [];
      const started = Date.now();
      for (let i = 0; i < 200 && Date.now() - started < STALL_MS; ++i) {
        stall.push(rssBytes(pid));
        if (run.engineAt5s === undefined && Date.now() - started >= 5000) run.engineAt5s = progress.accepted();
        await sleep(250);
      }
      run.stallPeak = Math.max(...stall);
      run.engineAtStall = progress.accepted();

      const drain = [];
      const sampler = setInterval(() => drain.push(rssBytes(pid)), 100);
      const resumed = Date.now();
      client.resume();
      run.close = await Promise.race([reader.closed, sleep(DRAIN_LIMIT_MS).then(() => null)]);
      run.drainMs = Date.now() - resumed;
      run.receivedAtLimit = verifier.received;
      clearInterval(sampler);
      run.drainPeak = Math.max(...drain);
      run.engineDone = progress.done;
      run.tcpClosed = run.close
        ? await Promise.race([reader.socketClosed.then(() => true), sleep(6000).then(() => false)])
        : false;

      console.log(`${scheme}: RSS fresh ${mib(run.freshRss)}, idle after warm-up ${mib(run.baseline)}, `
        + `stall peak ${mib(run.stallPeak)} (+${mib(run.stallPeak - run.baseline)}), drain peak `
        + `${mib(run.drainPeak)} (+${mib(run.drainPeak - run.baseline)})${run.sanitized ? ' [ASan]' : ''}; `
        + `client stalled at ${mib(run.stalledAt)}; engine had written ${mib(run.engineAt5s)} after 5 s, `
        + `${mib(run.engineAtStall)} after ${STALL_MS / 1000} s; after resuming, ${mib(run.receivedAtLimit - run.stalledAt)} `
        + `arrived in ${run.drainMs} ms, ${run.close ? `then Close ${run.close.code}` : 'no Close yet'}; `
        + `pings: ${reader.pings}`);
    }, { timeout: 55000 });

    after(async () => {
      client?.destroy();
      await proxy?.stop();
      await engine?.close();
    });

    it('keeps the proxy\'s RSS within 8 MiB of idle while the client reads nothing', (t) => {
      if (run.sanitized) return t.skip('ASan keeps freed memory in quarantine');
      assert.ok(run.stallPeak - run.baseline < STALL_LIMIT,
        `RSS grew ${mib(run.stallPeak - run.baseline)} above idle ${mib(run.baseline)} during the stall`);
    });

    it('holds the engine back instead of reading ahead for the stalled client', () => {
      // What the engine could write: the proxy's bounded buffers plus the kernel's socket
      // buffers on both hops, nowhere near the 200 MiB it has.
      assert.ok(run.engineAtStall - run.stalledAt < 32 * MiB,
        `the engine wrote ${mib(run.engineAtStall)} while the client had read ${mib(run.stalledAt)}`);
      assert.ok(!run.engineDone || run.close, 'the engine could not finish during the stall');
    });

    it('delivers what arrives intact, in order, in binary frames', () => {
      assert.deepEqual(run.reader.violations, []);
      assert.equal(run.verifier.firstMismatch, -1, `first wrong byte at offset ${run.verifier.firstMismatch}`);
      assert.ok(run.receivedAtLimit > run.stalledAt, 'bytes flow again once the client reads');
    });

    it(`delivers all 200 MiB within ${DRAIN_LIMIT_MS / 1000} s of the client reading again, then Close 1000 and closes TCP`, () => {
      assert.ok(run.close, `no Close ${run.drainMs} ms after resuming; ${mib(run.receivedAtLimit)} of `
        + `${mib(TOTAL)} received`);
      assert.equal(run.verifier.received, TOTAL, 'every byte arrives');
      assert.equal(run.verifier.firstMismatch, -1);
      assert.equal(run.close.code, 1000, `Close ${run.close.code} ${run.close.reason}`);
      assert.ok(run.tcpClosed, 'the proxy closed TCP after the Close');
    });

    it(`logs the session closed with code 1000 and ${TOTAL} B to the client`, async () => {
      const line = await waitFor(() => closedLines(proxy.log())[1],
        { what: 'the session closed in the log', timeoutMs: 2000 });
      assert.match(line, new RegExp(`code 1000 \\(engine closed the connection\\); client to engine 0 B, engine to client ${TOTAL} B`));
    });
  });
}

// ---- FL-02: 1,000 clients that vanish right after the handshake ----

for (const scheme of ['ws', 'wss']) {
  describe(`FL-02 churn over ${scheme}://: 1,000 connect, handshake, abrupt close`, () => {
    const socketPath = path.join(temp.dir, `churn-${scheme}.sock`);
    const GREETING = randomBytes(78); // about the size of a MySQL server greeting
    let engine;
    let proxy;
    let port;

    before(async () => {
      engine = await startFakeEngine(socketPath, (socket) => socket.write(GREETING));
      port = await freePort();
      const variables = scheme === 'wss'
        ? { https_proxy_port: port, ssl_cert: certs.cert, ssl_key: certs.key }
        : { http_proxy_port: port };
      proxy = await startProxy(temp.dir, {
        ...variables, socket: socketPath, tracelogsdir: path.join(temp.dir, `logs-churn-${scheme}`),
      }, { name: `churn-${scheme}` });
    });

    after(async () => {
      await proxy?.stop();
      await engine?.close();
    });

    const engineOpen = () => engine.connections.filter((c) => !c.closed).length;

    async function cycle(i) {
      const socket = await connectRaw({ scheme, port });
      await handshake(socket, port);
      const gone = new Promise((resolve) => socket.tcp.once('close', resolve));
      if (i % 2 === 0) socket.tcp.resetAndDestroy(); // RST, no TLS close_notify either
      else socket.destroy(); // FIN
      await gone;
    }

    async function settled(pid, baseline) {
      return waitFor(async () => engineOpen() === 0 && openDescriptors(pid) <= baseline.fds
        && (await proxy.status()).activeSessions === 0
        && openedLines(proxy.log()).length === closedLines(proxy.log()).length,
      { what: 'the sessions to close', timeoutMs: 10000 }).then(() => true, () => false);
    }

    it('returns descriptors, engine connections and RSS to their baseline', { timeout: 58000 }, async () => {
      const pid = proxy.child.pid;
      for (let i = 0; i < 10; ++i) await cycle(i); // warm-up
      await waitFor(() => engineOpen() === 0 && closedLines(proxy.log()).length === 10,
        { what: 'the warm-up sessions to close' });
      const baseline = { fds: openDescriptors(pid), rss: await idleRss(pid), engine: engineOpen() };

      const CYCLES = 1000;
      let next = 0;
      let peakFds = 0;
      const started = Date.now();
      const worker = async () => {
        while (next < CYCLES) {
          const i = next++;
          await cycle(i);
          if (i % 50 === 0) peakFds = Math.max(peakFds, openDescriptors(pid));
        }
      };
      await Promise.all(Array.from({ length: 4 }, worker));
      const churnMs = Date.now() - started;
      const peakRss = rssBytes(pid);

      const settleStart = Date.now();
      const ok = await settled(pid, baseline);
      const settleMs = Date.now() - settleStart;
      const afterRss = await idleRss(pid);
      const log = proxy.log();
      const churnLines = closedLines(log).slice(10);
      console.log(`churn ${scheme}: ${CYCLES} cycles in ${churnMs} ms, settled in ${settleMs} ms; descriptors `
        + `${baseline.fds} before, peak ${peakFds}, ${openDescriptors(pid)} after; engine open `
        + `${baseline.engine} before, ${engineOpen()} after (${engine.connections.length} accepted); RSS `
        + `${mib(baseline.rss)} before, ${mib(peakRss)} right after, ${mib(afterRss)} settled`);

      assert.ok(ok, `not settled: engine open ${engineOpen()}, descriptors ${openDescriptors(pid)}`);
      assert.equal(engineOpen(), 0, 'every engine connection closed');
      assert.equal(openDescriptors(pid), baseline.fds, 'descriptors back to the baseline');
      assert.equal((await proxy.status()).activeSessions, 0);
      if (!sanitized(pid)) { // ASan keeps freed memory in quarantine
        assert.ok(afterRss - baseline.rss < 4 * MiB, `RSS ${mib(baseline.rss)} -> ${mib(afterRss)}`);
      }
      assert.equal(churnLines.length, CYCLES, 'a closed line for every session');
      const otherwise = churnLines.filter((l) => !/code 1006 \(client went away without a close frame\)/.test(l));
      assert.deepEqual(otherwise.slice(0, 3), [], `${otherwise.length} not logged as a client gone without a Close`);

      // And it still serves.
      const client = await connectRaw({ scheme, port });
      const received = [];
      const reader = new FrameReader(client, (d) => received.push(d));
      reader.feed(await handshake(client, port));
      client.on('data', (d) => reader.feed(d));
      client.resume();
      await waitFor(() => Buffer.concat(received).length >= GREETING.length, { what: 'a greeting' });
      assert.ok(Buffer.concat(received).equals(GREETING));
      client.destroy();
    });
  });
}

// ---- a real MariaDB killed mid-result, and restarted behind the running proxy ----

function mariadbBinary() {
  for (const name of ['mariadbd', 'mysqld']) {
    for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']) {
      if (existsSync(path.join(dir, name))) return path.join(dir, name);
    }
  }
  throw new Error('mariadbd is not installed');
}

// Starts mariadbd again on the data folder and socket that startMariaDB(dir) set up, with
// the same options, as an admin's service manager would.
async function restartMariaDB(dir) {
  const args = [
    '--no-defaults', `--datadir=${path.join(dir, 'data')}`, `--socket=${path.join(dir, 'mariadb.sock')}`,
    '--skip-networking', `--pid-file=${path.join(dir, 'mariadb.pid')}`,
    `--log-error=${path.join(dir, 'mariadb.err')}`, '--max-allowed-packet=128M',
    '--innodb-log-file-size=256M', '--skip-log-bin',
    ...(process.getuid() === 0 ? ['--user=root'] : []),
  ];
  const child = spawn(mariadbBinary(), args, { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`mariadbd exited with ${child.exitCode}`);
    const connection = await mysql.createConnection({
      socketPath: path.join(dir, 'mariadb.sock'), user: APP_USER, password: APP_PASSWORD, database: APP_DATABASE,
    }).catch(() => null);
    await connection?.end();
    return Boolean(connection);
  }, { what: 'mariadbd to accept connections again', timeoutMs: 30000 });
  return {
    pid: child.pid,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
      await exited;
      clearTimeout(timer);
    },
  };
}

const enginePid = (dir) => Number(readFileSync(path.join(dir, 'mariadb.pid'), 'utf8').trim());

// Both servers are this process's children, so Node reaps them: the pid is gone only once
// every thread has exited and the kernel has closed the server's sockets. (A zombie leader
// is not enough: its other threads, and so the listening socket, may still be alive.)
function processGone(pid) {
  try { process.kill(pid, 0); } catch { return true; }
  return false;
}

// A fresh session's fate: how the proxy closes it, without a driver in between.
function sessionClose(url) {
  return new Promise((resolve, reject) => {
    const ws = openWebSocket(url);
    const timer = setTimeout(() => { ws.terminate(); reject(new Error('no Close within 15 s')); }, 15000);
    ws.once('error', () => {});
    ws.once('close', (code, reason) => { clearTimeout(timer); resolve({ code, reason: reason.toString() }); });
  });
}

// mysql2 over a WebSocket stream, as lib/client.mjs does, except that the stream fails when
// the WebSocket closes: the `ws` stream only ends its readable side, and mysql2 waits for a
// 'close' that never comes, so a query in flight would hang instead of failing.
async function connectDriver(url) {
  const ws = openWebSocket(url);
  let received = 0; // every byte the engine sent, greeting included
  ws.on('message', (data) => { received += data.length; });
  const closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const stream = createWebSocketStream(ws);
  stream.on('error', () => {});
  closed.then(({ code }) => setImmediate(() => stream.destroy(Object.assign(
    new Error(`the WebSocket closed with ${code}`), { code: 'WS_CLOSED' }))));
  const connection = await mysql.createConnection({
    stream, user: APP_USER, password: APP_PASSWORD, database: APP_DATABASE,
  });
  return { connection, ws, closed, received: () => received };
}

async function selectThroughProxy(url, sql) {
  const { connection } = await connectThroughProxy(url);
  try {
    const [rows] = await connection.query(sql);
    return rows;
  } finally {
    await connection.end();
  }
}

describe('a real MariaDB behind the proxy fails', () => {
  const dir = path.join(temp.dir, 'mariadb');
  let engine;
  let firstPid;
  const restarted = [];
  let proxy;
  let url;
  // startMariaDB's stop() waits for ever on a server killed by a signal (it checks only
  // exitCode), so a killed one is left alone.
  const stopFirst = async () => { if (engine && !processGone(firstPid)) await engine.stop(); };

  before(async () => {
    engine = await startMariaDB(dir);
    firstPid = enginePid(dir);
    const port = await freePort();
    proxy = await startProxy(temp.dir, {
      http_proxy_port: port, socket: engine.socketPath, tracelogsdir: path.join(temp.dir, 'logs-mariadb'),
    }, { name: 'mariadb' });
    url = `ws://localhost:${port}/`;
  });

  after(async () => {
    await proxy?.stop();
    for (const server of restarted) await server.stop();
    await stopFirst();
  });

  it('killed mid-result: the client gets the bytes sent so far, then Close 1000, and the log has the close', { timeout: 58000 }, async () => {
    const pid = firstPid;
    const { connection, ws, closed, received: total } = await connectDriver(url);
    const [engines] = await connection.query("SELECT ENGINE FROM information_schema.ENGINES WHERE ENGINE = 'SEQUENCE' AND SUPPORT = 'YES'");
    let from = 'seq_1_to_200';
    if (engines.length === 0) {
      await connection.query('CREATE TABLE two_hundred (n INT PRIMARY KEY)');
      await connection.query(`INSERT INTO two_hundred VALUES ${Array.from({ length: 200 }, (_, i) => `(${i + 1})`).join(',')}`);
      from = 'two_hundred';
    }
    // About 200 MB of rows: 200 of 1,000,000 bytes each.
    const full = 200 * 1000000;

    let received = 0;
    let atKill = null;
    const killAt = 16 * MiB;
    ws.on('message', (data) => {
      received += data.length;
      if (atKill === null && received >= killAt) {
        atKill = received;
        process.kill(pid, 'SIGKILL');
      }
    });
    const started = Date.now();
    const error = await Promise.race([
      connection.query(`SELECT REPEAT('x', 1000000) AS r FROM ${from}`).then(() => null, (e) => e),
      sleep(20000).then(() => ({ code: 'still waiting after 20 s' })),
    ]);
    const close = await Promise.race([closed, sleep(15000).then(() => null)]);
    const tookMs = Date.now() - started;
    await waitFor(() => processGone(pid), { what: 'mariadbd to die', timeoutMs: 5000 });

    const line = await waitFor(() => closedLines(proxy.log()).at(-1),
      { what: 'the closed line', timeoutMs: 8000 }).catch(() => null);
    console.log(`engine killed after ${mib(atKill ?? 0)} reached the client; client got ${mib(total())} `
      + `of ~${mib(full)} in ${tookMs} ms; driver: ${error?.code} ${error?.message}; `
      + `Close ${close?.code} '${close?.reason}'; log: ${line}`);

    assert.ok(atKill !== null, 'the engine was killed while rows streamed');
    assert.ok(received < full * 0.9, `the result was cut short (${received} B)`);
    assert.ok(error, 'the query fails in the driver');
    assert.equal(error.code, 'WS_CLOSED', error.message);
    assert.ok(error.fatal, 'the driver knows the connection is gone');
    // From the proxy's side a killed engine is a hang-up (EOF on its socket, nothing owed to
    // it): README, "When the engine hangs up ... everything it sent arrives first, then
    // Close 1000".
    assert.ok(close, 'a WebSocket Close arrives');
    assert.equal(close.code, 1000);
    assert.ok(line, 'the log has the closed line');
    assert.match(line, new RegExp(`code 1000 \\(engine closed the connection\\); .*engine to client ${total()} B`),
      'every byte the proxy read from the engine reached the client');
    assert.equal(proxy.child.exitCode, null, 'the proxy keeps running');
  });

  it('restarted: sessions get Close 1011 "engine unavailable" while it is down, and work once it is back, with no proxy restart', { timeout: 58000 }, async () => {
    const proxyPid = proxy.child.pid;
    const socketPath = path.join(dir, 'mariadb.sock');
    // From a serving engine (the test above may have killed the first one).
    let server = { pid: firstPid, stop: stopFirst };
    if (processGone(firstPid)) {
      server = await restartMariaDB(dir);
      restarted.push(server);
    }
    assert.deepEqual(await selectThroughProxy(url, 'SELECT 0 AS n'), [{ n: 0 }]);

    // A clean shutdown: the socket file goes away.
    await server.stop();
    assert.ok(!existsSync(socketPath), 'a clean shutdown removes the socket');
    const logBefore = proxy.log().length;
    const down = await sessionClose(url);
    assert.deepEqual(down, { code: 1011, reason: 'engine unavailable' });
    await waitFor(() => /no such socket/.test(proxy.log().slice(logBefore))
      && /closed: code 1011 /.test(proxy.log().slice(logBefore)), { what: 'the log to say why' });

    let t = Date.now();
    server = await restartMariaDB(dir);
    restarted.push(server);
    const firstRestartMs = Date.now() - t;
    assert.deepEqual(await selectThroughProxy(url, 'SELECT 1 + 1 AS two'), [{ two: 2 }]);

    // Killed this time: a stale socket file stays behind, and connecting is refused.
    process.kill(server.pid, 'SIGKILL');
    await waitFor(() => processGone(server.pid), { what: 'mariadbd to die', timeoutMs: 5000 });
    assert.ok(existsSync(socketPath), 'a killed engine leaves its socket file');
    const logMid = proxy.log().length;
    const refused = await sessionClose(url);
    assert.deepEqual(refused, { code: 1011, reason: 'engine unavailable' });
    await waitFor(() => /connection refused/.test(proxy.log().slice(logMid))
      && /closed: code 1011 /.test(proxy.log().slice(logMid)), { what: 'the log to say why' });

    t = Date.now();
    server = await restartMariaDB(dir);
    restarted.push(server);
    const secondRestartMs = Date.now() - t;
    assert.deepEqual(await selectThroughProxy(url, 'SELECT 3 AS n'), [{ n: 3 }]);
    assert.equal(proxy.child.pid, proxyPid);
    assert.equal(proxy.child.exitCode, null, 'the same proxy process throughout');
    console.log(`restart: engine back after ${firstRestartMs} ms (clean stop) and ${secondRestartMs} ms `
      + '(after SIGKILL); sessions served again by the same proxy');
  });
});
