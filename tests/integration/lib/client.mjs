// mysql2 over a WebSocket stream: how a browser-side or Node driver talks through the proxy.
import { readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import WebSocket, { createWebSocketStream } from 'ws';
import { APP_DATABASE, APP_PASSWORD, APP_USER } from './mariadb.mjs';

// autoPong: false makes a client that never answers pings, as one that vanished would.
export function openWebSocket(url, { ca, origin, autoPong = true } = {}) {
  return new WebSocket(url, {
    ca: ca ? readFileSync(ca) : undefined, origin, perMessageDeflate: false, autoPong,
  });
}

// Resolves with the connection and the WebSocket under it, so a test can also see how the
// WebSocket closed.
export async function connectThroughProxy(url, {
  ca, origin, autoPong, user = APP_USER, password = APP_PASSWORD, ...options
} = {}) {
  const ws = openWebSocket(url, { ca, origin, autoPong });
  const closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const stream = createWebSocketStream(ws);
  stream.on('error', () => {});
  // A query in flight would wait for ever on a stream whose WebSocket closed under it.
  ws.once('close', (code) => stream.destroy(new Error(`WebSocket closed with ${code}`)));
  try {
    const connection = await mysql.createConnection({
      stream, user, password, database: APP_DATABASE, ...options,
    });
    return { connection, ws, closed };
  } catch (error) {
    error.closed = closed; // how the WebSocket ended after the refusal
    throw error;
  }
}

export function connectDirect(socketPath, options = {}) {
  return mysql.createConnection({
    socketPath, user: APP_USER, password: APP_PASSWORD, database: APP_DATABASE, ...options,
  });
}
