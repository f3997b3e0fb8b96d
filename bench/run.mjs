// The benchmark: studio-proxy against websockify and against the bare socket, in one run on
// one machine. Prints one table and writes the raw figures as JSON. scripts/bench.sh is the
// documented way to run it (it builds benchtool and raises the open-file limit first).
//
//   node bench/run.mjs [--quick] [--runs N] [--proxy PATH] [--benchtool PATH] [--out FILE]
//                      [--only query,throughput,idle,stall,restart,startup] [--check]
//
// --check (CI) fails unless every figure was produced and every byte arrived intact; it never
// judges the goals, since timings on a shared machine are no test.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeCertificates } from '../tests/integration/lib/certs.mjs';
import { connectDirect, connectThroughProxy } from '../tests/integration/lib/client.mjs';
import { startMariaDB } from '../tests/integration/lib/mariadb.mjs';
import { tempDir } from '../tests/integration/lib/util.mjs';
import { runTool, startEngine, startTool } from './lib/benchtool.mjs';
import { freePort, studioProxy, websockify } from './lib/contenders.mjs';
import {
  cpuSeconds, hardFileLimit, loadAverage, machineInfo, memoryKiB, openFiles, ownCpuSeconds,
} from './lib/procfs.mjs';
import { printTable, summarise, validate } from './lib/report.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function parseArguments(argv) {
  const options = {
    quick: false,
    check: false,
    runs: undefined,
    proxy: process.env.STUDIO_PROXY_BIN ?? path.join(repo, 'build/app/studio-proxy'),
    benchtool: process.env.STUDIO_PROXY_BENCHTOOL ?? path.join(repo, 'build/bench/benchtool'),
    out: path.join(repo, 'build/bench/results.json'),
    only: ['query', 'throughput', 'idle', 'stall', 'restart', 'startup'],
    // websockify 0.10 keeps a descriptor per child in its parent, so its children get
    // descriptors above 1024, which its select() loop cannot take: past about 500 sessions
    // new ones are dropped right after the upgrade. Its figures are taken below that.
    peerMaxSessions: 400,
  };
  for (let i = 0; i < argv.length; ++i) {
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value`);
      return argv[++i];
    };
    switch (argv[i]) {
    case '--quick': options.quick = true; break;
    case '--check': options.check = true; break;
    case '--runs': options.runs = Number(value()); break;
    case '--proxy': options.proxy = path.resolve(value()); break;
    case '--benchtool': options.benchtool = path.resolve(value()); break;
    case '--out': options.out = path.resolve(value()); break;
    case '--only': options.only = value().split(','); break;
    case '--peer-max-sessions': options.peerMaxSessions = Number(value()); break;
    default: throw new Error(`unknown option ${argv[i]} (see the top of bench/run.mjs)`);
    }
  }
  options.runs ??= options.quick ? 1 : 3;
  // CPU time comes from /proc in clock ticks (10 ms): the quick stream is long enough for the
  // cheapest direction to take several (ours ws:// down, about 0.2 s per GiB: 5 ticks at
  // 256 MiB; at 32 MiB it could take none, and --check refuses a zero).
  Object.assign(options, options.quick ? {
    queries: 500, warmup: 50, streamBytes: 256 * MiB, sessionSteps: [100, 200],
    stallBytes: 16 * 1000 * 1000, stallSeconds: 2,
  } : {
    queries: 20000, warmup: 500, streamBytes: GiB, sessionSteps: [1000, 5000, 10000],
    stallBytes: 200 * 1000 * 1000, stallSeconds: 5,
  });
  // Each session holds two descriptors in the relay (client and engine sockets); the relay
  // raises its soft limit to the hard one, which only a privileged caller can lift.
  const hard = hardFileLimit();
  const fits = Math.floor((hard - 64) / 2);
  if (options.sessionSteps.at(-1) > fits) {
    options.sessionSteps = [...new Set(options.sessionSteps.map((n) => Math.min(n, fits)))];
    options.sessionNote = `open-file hard limit ${hard} caps the sessions at ${fits}`;
  }
  return options;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

// ---- query round trip --------------------------------------------------------------------

async function timeQueries(connection, options) {
  for (let i = 0; i < options.warmup; ++i) await connection.query('SELECT 1');
  const samples = new Float64Array(options.queries);
  const cpuBefore = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < options.queries; ++i) {
    const t0 = process.hrtime.bigint();
    await connection.query('SELECT 1');
    samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  samples.sort();
  return {
    p50_us: percentile(samples, 0.5),
    p99_us: percentile(samples, 0.99),
    queries: options.queries,
    client_cpu_share: (cpu.user + cpu.system) / 1e6 / wall,
  };
}

async function measureQueries(env, contenders) {
  const result = {};
  const direct = await connectDirect(env.mariadb.socketPath);
  result.direct = await timeQueries(direct, env.options);
  await direct.end();
  for (const contender of contenders) {
    const relay = await contender.start(await env.contenderOptions('ws', env.mariadb.socketPath));
    try {
      const { connection } = await connectThroughProxy(`ws://127.0.0.1:${relay.port}/`);
      result[contender.name] = await timeQueries(connection, env.options);
      await connection.end();
    } finally {
      await relay.stop();
    }
  }
  return result;
}

// ---- throughput and CPU per GiB ----------------------------------------------------------

// One transfer through target (a relay's port, or the engine's socket for "direct"): the
// native client streams to a sinking engine (up) or reads an engine's stream (down).
async function transfer(env, direction, target, relay) {
  const bytes = env.options.streamBytes;
  const engine = await startEngine(env.options.benchtool, env.engineSocket,
    direction === 'up' ? 'sink' : 'stream', bytes);
  try {
    const relayCpuBefore = relay ? await cpuSeconds(relay.pid) : 0;
    const engineCpuBefore = ownCpuSeconds(engine.pid);
    const [client] = await runTool(env.options.benchtool, [
      direction === 'up' ? 'upload' : 'download', ...target, '--bytes', String(bytes)]);
    const engineEvent = await engine.next(direction === 'up' ? 'sink' : 'stream', 60000);
    const relayCpu = relay ? (await cpuSeconds(relay.pid)) - relayCpuBefore : 0;
    const engineCpu = ownCpuSeconds(engine.pid) - engineCpuBefore;

    // Up ends when the last byte reaches the engine; down when it reaches the client.
    const endNs = direction === 'up' ? engineEvent.last_ns : client.end_ns;
    const seconds = (endNs - client.start_ns) / 1e9;
    const received = direction === 'up' ? engineEvent : client;
    return {
      bytes,
      received_bytes: received.bytes,
      mismatches: received.mismatches,
      seconds,
      mib_per_s: bytes / MiB / seconds,
      relay_cpu_s: relayCpu,
      relay_cpu_s_per_gib: relay ? relayCpu / (bytes / GiB) : null,
      client_cpu_share: client.client_cpu_s / seconds,
      engine_cpu_share: engineCpu / seconds,
    };
  } finally {
    await engine.stop();
  }
}

async function measureThroughput(env, contenders) {
  const result = { direct: {} };
  for (const direction of ['up', 'down']) {
    result.direct[direction] = await transfer(env, direction, ['--unix', env.engineSocket]);
  }
  for (const protocol of ['ws', 'wss']) {
    for (const contender of contenders) {
      const relay = await contender.start(await env.contenderOptions(protocol));
      try {
        const target = ['--port', String(relay.port),
          ...(protocol === 'wss' ? ['--tls', '--ca', env.certs.ca] : [])];
        for (const direction of ['up', 'down']) {
          result[contender.name] ??= {};
          result[contender.name][`${protocol}_${direction}`] =
            await transfer(env, direction, target, relay);
        }
      } finally {
        await relay.stop();
      }
    }
  }
  return result;
}

// ---- memory per idle session ---------------------------------------------------------------

// Samples until two readings 300 ms apart agree within 1% (a forking relay settles slowly).
async function settledMemory(pid, timeoutMs = 10000) {
  let previous = memoryKiB(pid);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await sleep(300);
    const current = memoryKiB(pid);
    if (Math.abs(current.pss - previous.pss) <= 0.01 * previous.pss || Date.now() > deadline) {
      return current;
    }
    previous = current;
  }
}

async function measureIdle(env, contenders) {
  const result = {};
  for (const protocol of ['ws', 'wss']) {
    for (const contender of contenders) {
      const cap = contender.name === 'websockify' ? env.options.peerMaxSessions : Infinity;
      const steps = env.options.sessionSteps.filter((n) => n <= cap);
      if (steps.length < env.options.sessionSteps.length) steps.push(cap);
      const engine = await startEngine(env.options.benchtool, env.engineSocket, 'idle');
      const relay = await contender.start(await env.contenderOptions(protocol));
      const client = startTool(env.options.benchtool, ['idle', '--port', String(relay.port),
        ...(protocol === 'wss' ? ['--tls', '--ca', env.certs.ca] : []),
        '--steps', steps.join(',')], { stdin: 'pipe' });
      try {
        await cpuSeconds(relay.pid); // waits out the children of the readiness probe
        const engineFilesBefore = openFiles(engine.pid);
        const before = await settledMemory(relay.pid);
        const figures = { before_kib: before, steps: [], capped_at: cap === Infinity ? null : cap };
        for (const sessions of steps) {
          client.child.stdin.write('\n');
          const step = await client.next('step');
          if (step.failures > 0) throw new Error(`${step.failures} sessions failed to open`);
          const deadline = Date.now() + 60000;
          while (openFiles(engine.pid) < engineFilesBefore + sessions) {
            if (Date.now() > deadline) {
              throw new Error(`${contender.name} ${protocol}: the engine has `
                + `${openFiles(engine.pid) - engineFilesBefore} of ${sessions} sessions`);
            }
            await sleep(50);
          }
          const after = await settledMemory(relay.pid);
          figures.steps.push({
            sessions,
            open_seconds: step.elapsed_s,
            kib: after,
            pss_kib_per_session: (after.pss - before.pss) / sessions,
            rss_kib_per_session: (after.rss - before.rss) / sessions,
          });
        }
        (result[contender.name] ??= {})[protocol] = figures;
      } finally {
        client.child.stdin.end();
        await client.stop();
        await relay.stop();
        await engine.stop();
      }
    }
  }
  return result;
}

// ---- memory under a stalled client -------------------------------------------------------

async function measureStall(env, contenders) {
  const result = {};
  for (const protocol of ['ws', 'wss']) {
    for (const contender of contenders) {
      const engine = await startEngine(env.options.benchtool, env.engineSocket, 'stream',
        env.options.stallBytes);
      const relay = await contender.start(await env.contenderOptions(protocol));
      try {
        await cpuSeconds(relay.pid);
        const before = await settledMemory(relay.pid);
        const client = startTool(env.options.benchtool, ['stall', '--port', String(relay.port),
          ...(protocol === 'wss' ? ['--tls', '--ca', env.certs.ca] : []),
          '--seconds', String(env.options.stallSeconds)]);
        await client.next('stalled', 30000);
        let peak = before;
        const end = Date.now() + env.options.stallSeconds * 1000 - 300;
        while (Date.now() < end) {
          const now = memoryKiB(relay.pid);
          if (now.pss > peak.pss) peak = now;
          await sleep(50);
        }
        await client.next('done', 30000);
        await client.stop();
        (result[contender.name] ??= {})[protocol] = {
          result_bytes: env.options.stallBytes,
          growth_mib: (peak.pss - before.pss) / 1024,
          rss_growth_mib: (peak.rss - before.rss) / 1024,
        };
      } finally {
        await relay.stop();
        await engine.stop();
      }
    }
  }
  return result;
}

// ---- restart and startup -----------------------------------------------------------------

async function measureRestart(env, ours) {
  const engine = await startEngine(env.options.benchtool, env.engineSocket, 'idle');
  const relay = await ours.start(await env.contenderOptions('ws'));
  try {
    const [event] = await runTool(env.options.benchtool, ['restart', '--port', String(relay.port),
      '--before-ms', '300', '--after-ms', '500', '--', ...relay.restartArgv]);
    return { ours: event };
  } finally {
    await relay.stop();
    await engine.stop();
  }
}

async function measureStartup(env, contenders) {
  const engine = await startEngine(env.options.benchtool, env.engineSocket, 'idle');
  const result = {};
  try {
    for (const contender of contenders) {
      const options = await env.contenderOptions('ws');
      const { argv } = contender.command(options);
      const [event] = await runTool(env.options.benchtool, ['startup', '--port',
        String(options.port), '--timeout-ms', '20000', '--', ...argv]);
      result[contender.name] = event;
    }
  } finally {
    await engine.stop();
  }
  return result;
}

// ---- the run -----------------------------------------------------------------------------

async function main() {
  const options = parseArguments(process.argv.slice(2));
  const work = tempDir('bench');
  const env = { options, engineSocket: path.join(work.dir, 'engine.sock') };
  let contenderCount = 0;
  env.contenderOptions = async (protocol, target = env.engineSocket) => {
    const dir = path.join(work.dir, `contender-${++contenderCount}`);
    mkdirSync(dir);
    return { protocol, port: await freePort(), target, certs: env.certs, dir };
  };

  const ours = studioProxy(options.proxy);
  const peer = websockify();
  const report = {
    when: new Date().toISOString(),
    mode: options.quick ? 'quick' : 'full',
    machine: { ...machineInfo(), load_before: loadAverage() },
    versions: {
      ours: ours.version(),
      ours_binary: options.proxy,
      websockify: peer.version(),
      node: process.version,
      openssl: execFileSync('openssl', ['version']).toString().trim(),
    },
    options: { ...options, only: options.only },
    runs: [],
  };
  process.stderr.write(`bench: ${report.mode} mode, ${options.runs} run(s), ${options.proxy}\n`);

  try {
    mkdirSync(path.join(work.dir, 'certs'));
    env.certs = makeCertificates(path.join(work.dir, 'certs'));
    if (options.only.includes('query')) {
      mkdirSync(path.join(work.dir, 'mariadb'));
      env.mariadb = await startMariaDB(path.join(work.dir, 'mariadb'));
    }
    for (let run = 0; run < options.runs; ++run) {
      // Alternate who goes first, so neither always meets a warmer (or busier) machine.
      const contenders = run % 2 === 0 ? [peer, ours] : [ours, peer];
      const figures = { load: loadAverage() };
      const step = async (name, measure) => {
        if (!options.only.includes(name)) return;
        process.stderr.write(`bench: run ${run + 1}: ${name}\n`);
        const started = Date.now();
        figures[name] = await measure();
        figures[name].elapsed_s = (Date.now() - started) / 1000;
      };
      await step('query', () => measureQueries(env, contenders));
      await step('throughput', () => measureThroughput(env, contenders));
      await step('idle', () => measureIdle(env, contenders));
      await step('stall', () => measureStall(env, contenders));
      await step('restart', () => measureRestart(env, ours));
      await step('startup', () => measureStartup(env, contenders));
      report.runs.push(figures);
    }
  } finally {
    await env.mariadb?.stop();
    work.remove();
  }

  report.machine.load_after = loadAverage();
  report.summary = summarise(report);
  mkdirSync(path.dirname(options.out), { recursive: true });
  writeFileSync(options.out, JSON.stringify(report, null, 2) + '\n');
  printTable(report);
  process.stdout.write(`\nraw figures: ${options.out}\n`);
  if (options.check) {
    const problems = validate(report);
    if (problems.length > 0) {
      process.stderr.write(`bench: check failed:\n  ${problems.join('\n  ')}\n`);
      process.exit(1);
    }
    process.stderr.write('bench: check passed (every figure produced, every byte intact)\n');
  }
}

main().catch((error) => {
  process.stderr.write(`bench: ${error.stack ?? error}\n`);
  process.exit(1);
});
