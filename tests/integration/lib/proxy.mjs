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

// Runs the proxy to completion (for startup failures): { code, stdout, stderr }.
export function runProxy(args, { timeoutMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(PROXY_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('proxy hung')); }, timeoutMs);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

// Writes memsql.cnf into dir from the given variables and starts the proxy on it.
// Resolves once the proxy says it is listening.
export async function startProxy(dir, variables, { extraArgs = [] } = {}) {
  const config = path.join(dir, 'memsql.cnf');
  writeFileSync(config, Object.entries(variables).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n');
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
    logFile,
    output: () => ({ stdout, stderr }),
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    async stop() {
      if (child.exitCode !== null) return exited;
      child.kill('SIGTERM');
      return exited;
    },
  };
}
