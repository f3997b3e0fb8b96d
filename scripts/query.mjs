#!/usr/bin/env node
// Runs SQL through studio-proxy with mysql2 over a WebSocket stream, and prints the rows.
//
//   node scripts/query.mjs [--ca FILE] [--user NAME] [--password PW] URL "SQL"
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

// The Node packages are the pinned ones of the integration tests.
const require = createRequire(new URL('../tests/integration/package.json', import.meta.url));
const mysql = require('mysql2/promise');
const WebSocket = require('ws');
const { createWebSocketStream } = WebSocket;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    ca: { type: 'string' },
    user: { type: 'string', default: 'root' },
    password: { type: 'string', default: '' },
    database: { type: 'string' },
  },
});
if (positionals.length !== 2) {
  console.error('usage: node scripts/query.mjs [--ca FILE] [--user NAME] [--password PW] URL "SQL"');
  process.exit(2);
}
const [url, sql] = positionals;

const ws = new WebSocket(url, { ca: values.ca ? readFileSync(values.ca) : undefined });
const stream = createWebSocketStream(ws);
try {
  const connection = await mysql.createConnection({
    stream, user: values.user, password: values.password, database: values.database,
  });
  const [rows] = await connection.query(sql);
  console.table(rows);
  await connection.end();
} catch (error) {
  console.error(`query failed: ${error.message}`);
  process.exitCode = 1;
  ws.terminate();
}
