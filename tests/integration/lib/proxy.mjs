// Starts the studio-proxy binary in headless mode with a config file written for the test.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export const PROXY_BIN = process.env.STUDIO_PROXY_BIN
  ?? path.resolve(here, '../../../build/app/studio-proxy');

export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// Runs the proxy to completion (for startup failures and one-shot commands):
// { code, stdout, stderr }. env replaces the environment it runs in.
export function runProxy(args, { timeoutMs = 10000, env = process.env, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(PROXY_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env, cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('proxy hung')); }, timeoutMs);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

// Writes memsql.cnf into dir from the given variables (or configText verbatim) and starts
// the proxy on it, its control socket in dir. Resolves once the proxy says it is listening.
export async function startProxy(dir, variables, { extraArgs = [], configText, name = 'memsql' } = {}) {
  const config = path.join(dir, `${name}.cnf`);
  const controlSocket = path.join(dir, `${name}.ctl.sock`);
  writeFileSync(config, configText
    ?? Object.entries(variables).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n');
  extraArgs = ['--control-socket', controlSocket, ...extraArgs];
  const child = spawn(PROXY_BIN, ['--headless', '--config', config, ...extraArgs],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  await new Promise((resolve, reject) => {
    const check = () => {
      if (/listening on port/.test(stdout)) return resolve();
      if (child.exitCode !== null) return reject(new Error(`proxy exited ${child.exitCode}: ${stderr}`));
      setTimeout(check, 20);
    };
    check();
  });

  const logFile = stdout.match(/log: (.*)/)[1].trim();
  return {
    child,
    config,
    controlSocket,
    logFile,
    // Runs `studio-proxy ctl --socket <this proxy's socket> ...args`.
    ctl: (...args) => runProxy(['ctl', '--socket', controlSocket, ...args]),
    async status() {
      const { code, stdout, stderr } = await runProxy(['ctl', '--socket', controlSocket, 'status', '--json']);
      if (code !== 0) throw new Error(`ctl status failed: ${stderr}`);
      return JSON.parse(stdout);
    },
    output: () => ({ stdout, stderr }),
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    async stop() {
      if (child.exitCode !== null) return exited;
      child.kill('SIGTERM');
      return exited;
    },
  };
}
