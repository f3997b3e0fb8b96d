// The relays the benchmark compares, started the same way on the same machine: studio-proxy
// (the binary under test) and websockify (Debian's package, the peer users would pick
// instead), each relaying ws:// or wss:// to one Unix socket.
import { spawn, execFileSync } from 'node:child_process';
import { openSync, closeSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { processTree } from './procfs.mjs';

export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function stopTree(child, { graceMs = 5000 } = {}) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const pids = processTree(child.pid);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  // Children the parent did not take with it (websockify's per-connection processes).
  for (const pid of pids.slice(1)) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
}

async function waitForPort(port, child, what, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} did not listen on ${port}`);
    await sleep(20);
  }
}

// Our proxy: its config names the engine socket, the port and (wss) the certificate.
// Pings are off, as websockify's heartbeat is by default, so idle sessions stay idle; the
// session cap is raised above the largest count measured.
export function studioProxy(binary) {
  return {
    name: 'ours',
    version() {
      return execFileSync(binary, ['--version']).toString().trim();
    },
    command({ protocol, port, target, certs, dir }) {
      const config = path.join(dir, 'memsql.cnf');
      const lines = [
        protocol === 'wss' ? `https_proxy_port = ${port}` : `http_proxy_port = ${port}`,
        `socket = ${target}`,
        'proxy_ping_interval = 0',
        'proxy_max_sessions = 1000000',
      ];
      if (protocol === 'wss') lines.push(`ssl_cert = ${certs.cert}`, `ssl_key = ${certs.key}`);
      writeFileSync(config, lines.join('\n') + '\n');
      const controlSocket = path.join(dir, 'ctl.sock');
      return {
        argv: [binary, '--headless', '--config', config, '--control-socket', controlSocket,
          '--log-dir', dir],
        controlSocket,
      };
    },
    async start(options) {
      const { argv, controlSocket } = this.command(options);
      const log = openSync(path.join(options.dir, 'proxy.out'), 'a');
      const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', log, log] });
      closeSync(log);
      await waitForPort(options.port, child, 'studio-proxy');
      return {
        pid: child.pid,
        port: options.port,
        restartArgv: [binary, 'ctl', '--socket', controlSocket, 'restart'],
        stop: () => stopTree(child),
      };
    },
  };
}

// websockify 0.10 forks a process per connection (multiprocessing), relays to the socket
// with --unix-target, and with --ssl-only serves wss:// alone.
export function websockify(binary = 'websockify') {
  return {
    name: 'websockify',
    version() {
      try {
        return execFileSync('dpkg-query', ['-W', '-f=${Version}', 'websockify']).toString();
      } catch {
        return 'unknown';
      }
    },
    command({ protocol, port, target, certs }) {
      const tls = protocol === 'wss'
        ? ['--cert', certs.cert, '--key', certs.key, '--ssl-only'] : [];
      return { argv: [binary, ...tls, `--unix-target=${target}`, `127.0.0.1:${port}`] };
    },
    async start(options) {
      const { argv } = this.command(options);
      const log = openSync(path.join(options.dir, 'websockify.out'), 'a');
      const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', log, log] });
      closeSync(log);
      await waitForPort(options.port, child, 'websockify');
      return { pid: child.pid, port: options.port, stop: () => stopTree(child) };
    },
  };
}
