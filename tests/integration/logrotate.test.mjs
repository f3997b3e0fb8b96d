// Log rotation under load: real sessions through the proxy to a real MariaDB while logrotate,
// with the rule the package installs, rotates websocket_proxy.log again and again. No line may
// be lost or cut, and the sessions open across the rotations must carry on.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { after, before, it } from 'node:test';
import { connectThroughProxy } from './lib/client.mjs';
import { startMariaDB } from './lib/mariadb.mjs';
import { freePort, startProxy } from './lib/proxy.mjs';
import { tempDir, waitFor } from './lib/util.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const RULE = path.resolve(here, '../../installer/studio-proxy.logrotate');
const ROTATIONS = 5;
const WORKERS = 6;
const LONG_LIVED = 4;

const temp = tempDir('logrotate');
const logDir = path.join(temp.dir, 'logs');
let engine;
let proxy;
let url;

// The installed rule, pointed at this test's log. Only what ties it to the installed service
// changes: the path, the user it runs as and creates files for (this test's own), and the
// postrotate command, which on a real host reaches the proxy through systemctl reload and the
// unit's ExecReload, kill -HUP $MAINPID; here the same signal goes to this test's proxy.
function testRule(pid) {
  const user = process.getuid() === 0 ? 'root root' : `${process.getuid()} ${process.getgid()}`;
  let rule = readFileSync(RULE, 'utf8');
  rule = rule.replace('/var/log/studio-proxy/websocket_proxy.log',
    path.join(logDir, 'websocket_proxy.log'));
  rule = rule.replace(/^\s*su .*$/m, '');
  rule = rule.replace(/create (\d+) studio-proxy studio-proxy/, `create $1 ${user}`);
  rule = rule.replace(/postrotate\n[\s\S]*?endscript/,
    `postrotate\n        kill -HUP ${pid}\n    endscript`);
  assert.match(rule, /postrotate\n\s+kill -HUP \d+\n\s+endscript/);
  assert.doesNotMatch(rule, /studio-proxy\.service|\/var\/log/);
  const file = path.join(temp.dir, 'logrotate.conf');
  writeFileSync(file, rule);
  return file;
}

// Every line of the log in the order written: the oldest rotated file first.
function readRotatedLogs() {
  const base = path.join(logDir, 'websocket_proxy.log');
  const files = [];
  for (let n = 20; n >= 1; --n) {
    const name = `${base}.${n}`;
    if (existsSync(`${name}.gz`)) {
      files.push({ name: `${name}.gz`, text: gunzipSync(readFileSync(`${name}.gz`)).toString() });
    } else if (existsSync(name)) {
      files.push({ name, text: readFileSync(name, 'utf8') });
    }
  }
  files.push({ name: base, text: readFileSync(base, 'utf8') });
  return files;
}

before(async () => {
  engine = await startMariaDB(temp.dir);
  const port = await freePort();
  url = `ws://localhost:${port}/`;
  proxy = await startProxy(temp.dir, { http_proxy_port: port, socket: engine.socketPath },
    { extraArgs: ['--log-dir', logDir] });
});

after(async () => {
  await proxy?.stop();
  await engine?.stop();
  temp.remove();
});

it('rotates the log under load without losing a line or a session', async () => {
  const rule = testRule(proxy.child.pid);
  const state = path.join(temp.dir, 'logrotate.state');

  const longLived = [];
  for (let i = 0; i < LONG_LIVED; ++i) {
    const { connection } = await connectThroughProxy(url);
    const [[{ id }]] = await connection.query('SELECT CONNECTION_ID() AS id');
    longLived.push({ connection, id });
  }

  // Short sessions back to back, each a connection, a query with a result and a close: two
  // log lines each, from the proxy's event loop while the file is renamed under it.
  let running = true;
  let sessions = 0;
  const failures = [];
  const workers = Array.from({ length: WORKERS }, async () => {
    while (running) {
      try {
        const { connection } = await connectThroughProxy(url);
        const [rows] = await connection.query('SELECT REPEAT("x", 1000) AS filler, 42 AS answer');
        assert.equal(rows[0].answer, 42);
        await connection.end();
        sessions += 1;
      } catch (error) {
        failures.push(error.message);
      }
    }
  });

  const runLogrotate = promisify(execFile);
  for (let r = 0; r < ROTATIONS; ++r) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const before = sessions;
    await runLogrotate('logrotate', ['-f', '-s', state, rule]);
    await waitFor(() => sessions > before + 5, { what: 'more sessions after a rotation' });
  }
  running = false;
  await Promise.all(workers);
  assert.deepEqual(failures, [], 'every session through the proxy succeeded');

  for (const { connection, id } of longLived) {
    const [[now]] = await connection.query('SELECT CONNECTION_ID() AS id');
    assert.equal(now.id, id, 'a session open across the rotations is the same engine connection');
    await connection.end();
  }
  const total = sessions + LONG_LIVED;
  const closedLines = () => readRotatedLogs()
    .reduce((n, { text }) => n + (text.match(/connection \d+ closed: /g) ?? []).length, 0);
  await waitFor(() => closedLines() === total, { what: `the closed lines of all ${total} sessions` });
  await proxy.stop();

  const files = readRotatedLogs();
  assert.equal(files.length, ROTATIONS + 1,
    `one file per rotation and the current one: ${files.map((f) => f.name)}`);
  const opened = new Map();
  const closed = new Map();
  let reopened = 0;
  let previousTime = '';
  for (const [index, { name, text }] of files.entries()) {
    assert.ok(text.endsWith('\n'), `${name} ends with a whole line`);
    const lines = text.slice(0, -1).split('\n');
    if (index > 0) {
      assert.match(lines[0], /INFO  log reopened on SIGHUP; \d+ session\(s\) open$/,
        `${name} starts with the reopen: nothing went to it before`);
    }
    for (const line of lines) {
      const match = line.match(/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (INFO |WARN |ERROR) (.+)$/);
      assert.ok(match, `a whole line in ${name}: ${JSON.stringify(line)}`);
      assert.ok(match[1] >= previousTime, `lines in the order written, at ${line}`);
      previousTime = match[1];
      const session = match[3].match(/^connection (\d+) (opened|closed):/);
      if (session) {
        const seen = session[2] === 'opened' ? opened : closed;
        assert.ok(!seen.has(session[1]), `connection ${session[1]} ${session[2]} logged once`);
        seen.set(session[1], name);
      }
      if (/^log reopened on SIGHUP/.test(match[3])) reopened += 1;
    }
  }
  assert.equal(reopened, ROTATIONS);
  assert.equal(opened.size, total, `an opened line for each of the ${total} sessions`);
  assert.equal(closed.size, total, `a closed line for each of the ${total} sessions`);
  for (const id of opened.keys()) assert.ok(closed.has(id), `connection ${id} has its closed line`);
  assert.match(files.at(-1).text, /INFO  stopped\n$/, 'the stop is the last line of the newest file');
  const lineCount = files.reduce((n, { text }) => n + text.split('\n').length - 1, 0);
  console.log(`${total} sessions, ${ROTATIONS} rotations, ${lineCount} lines, none lost`);
});
