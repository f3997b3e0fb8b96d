// Served by the proxy on GET /. It opens a WebSocket to the same origin, reads the engine's
// greeting (the MySQL protocol's initial handshake) and closes again without sending a byte,
// so the engine never sees a login attempt. document.title carries the verdict for scripts.
'use strict';

const TIMEOUT_MS = 10000;
let finished = false;

function step(id, state, detail) {
  const item = document.getElementById(id);
  item.className = state;
  item.querySelector('.detail').textContent = detail || '';
}

function finish(ok, reason) {
  if (finished) return;
  finished = true;
  const verdict = document.getElementById('verdict');
  verdict.className = ok ? 'ok' : 'failed';
  verdict.textContent = ok
    ? 'This browser trusts the proxy and reaches the engine: Studio can connect here.'
    : `Failed: ${reason}`;
  document.title = ok ? 'trust-check: ok' : `trust-check: failed: ${reason}`;
}

// MySQL protocol, Protocol::HandshakeV10: a 4-byte packet header (3-byte little-endian
// length, sequence id), protocol version 10, then the server version, NUL-terminated. An
// engine that refuses the client at once sends an ERR packet (0xff) instead.
function parseGreeting(bytes) {
  if (bytes.length < 4) return null;
  const length = bytes[0] | (bytes[1] << 8) | (bytes[2] << 16);
  if (bytes.length < 4 + length) return null;
  const payload = bytes.subarray(4, 4 + length);
  if (payload[0] === 0xff) {
    const text = new TextDecoder().decode(payload.subarray(payload[3] === 0x23 ? 9 : 3));
    return { error: `the engine refused the connection: ${text}` };
  }
  if (payload[0] !== 10) return { error: `unexpected protocol version ${payload[0]}` };
  const end = payload.indexOf(0, 1);
  if (end < 0) return { error: 'the greeting has no server version' };
  return { version: new TextDecoder().decode(payload.subarray(1, end)) };
}

function run() {
  const https = location.protocol === 'https:';
  if (https) {
    step('https', 'ok', `The browser trusts the certificate for ${location.hostname}.`);
  } else {
    step('https', 'failed', 'Loaded over plain HTTP: this port serves ws://, and Studio ' +
      'needs wss:// when it is itself served over HTTPS.');
  }

  const url = `${https ? 'wss' : 'ws'}://${location.host}/`;
  let received = new Uint8Array(0);
  let socket;
  try {
    socket = new WebSocket(url);
  } catch (error) {
    step('websocket', 'failed', String(error));
    finish(false, 'WebSocket could not be opened');
    return;
  }
  socket.binaryType = 'arraybuffer';
  const timer = setTimeout(() => {
    step('engine', 'failed', `No greeting within ${TIMEOUT_MS / 1000} s.`);
    finish(false, 'no engine greeting in time');
    socket.close(1000);
  }, TIMEOUT_MS);

  socket.onopen = () => step('websocket', 'ok', `Connected to ${url}`);
  socket.onmessage = (event) => {
    if (typeof event.data === 'string') return;
    const chunk = new Uint8Array(event.data);
    const joined = new Uint8Array(received.length + chunk.length);
    joined.set(received);
    joined.set(chunk, received.length);
    received = joined;
    const greeting = parseGreeting(received);
    if (!greeting) return;
    clearTimeout(timer);
    socket.close(1000);
    if (greeting.error) {
      step('engine', 'failed', greeting.error);
      finish(false, greeting.error);
    } else {
      step('engine', 'ok', `Engine version ${greeting.version}`);
      if (https) finish(true);
      else finish(false, 'page not loaded over HTTPS');
    }
  };
  socket.onclose = (event) => {
    clearTimeout(timer);
    if (finished) return;
    if (document.getElementById('websocket').className !== 'ok') {
      step('websocket', 'failed', `Closed with code ${event.code} before it opened.`);
      finish(false, 'WebSocket did not connect');
      return;
    }
    const reason = event.reason ? `${event.code} ${event.reason}` : `${event.code}`;
    step('engine', 'failed', `The proxy closed the connection (${reason}).`);
    finish(false, `no engine greeting: closed with ${reason}`);
  };
}

run();
