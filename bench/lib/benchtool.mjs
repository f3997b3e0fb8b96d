// Runs bench/benchtool (the native fake engine and load client) and reads its JSON lines.
import { spawn } from 'node:child_process';
import readline from 'node:readline';

function readEvents(child, onEvent) {
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      onEvent(JSON.parse(line));
    } catch {
      // not one of ours
    }
  });
}

// Spawns benchtool; resolves with its events once it exits with 0, rejects otherwise.
export function runTool(binary, args, { timeoutMs = 600000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const events = [];
    let stderr = '';
    readEvents(child, (event) => events.push(event));
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(events);
      else reject(new Error(`benchtool ${args[0]} failed (${code ?? signal}): ${stderr.trim()}`));
    });
  });
}

// A benchtool process that keeps running (the engine, the idle client): events arrive in
// order, and next(name) waits for the next one of that name.
export function startTool(binary, args, { stdin = 'ignore' } = {}) {
  const child = spawn(binary, args, { stdio: [stdin, 'pipe', 'pipe'] });
  const queue = [];
  const waiters = [];
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const deliver = () => {
    for (let w = 0; w < waiters.length; ++w) {
      const index = queue.findIndex((e) => e.event === waiters[w].name);
      if (index >= 0) {
        const [event] = queue.splice(index, 1);
        waiters.splice(w--, 1)[0].resolve(event);
      }
    }
  };
  readEvents(child, (event) => { queue.push(event); deliver(); });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.once('exit', (code) => {
    for (const waiter of waiters.splice(0)) {
      waiter.reject(new Error(`benchtool ${args[0]} exited (${code}) waiting for `
        + `${waiter.name}: ${stderr.trim()}`));
    }
  });
  return {
    child,
    pid: child.pid,
    next(name, timeoutMs = 600000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${name} from benchtool ${args[0]} `
          + `within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          name,
          resolve: (e) => { clearTimeout(timer); resolve(e); },
          reject: (e) => { clearTimeout(timer); reject(e); },
        });
        if (child.exitCode !== null) {
          waiters.at(-1).reject(new Error(`benchtool ${args[0]} has exited: ${stderr.trim()}`));
        }
        deliver();
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

export async function startEngine(binary, socketPath, mode, bytes = 0) {
  const engine = startTool(binary,
    ['engine', '--socket', socketPath, '--mode', mode, '--bytes', String(bytes)]);
  await engine.next('ready', 10000);
  return engine;
}
