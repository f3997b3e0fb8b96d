// What the benchmark reads from /proc about a contender: CPU time and memory of a process and
// every process under it (websockify forks one process per connection).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

function readOrNull(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null; // the process ended meanwhile
  }
}

export function childPids(pid) {
  const pids = [];
  let tasks = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return pids;
  }
  for (const task of tasks) {
    const text = readOrNull(`/proc/${pid}/task/${task}/children`);
    if (text) pids.push(...text.trim().split(/\s+/).filter(Boolean).map(Number));
  }
  return pids;
}

export function processTree(pid) {
  const all = [pid];
  for (let i = 0; i < all.length; ++i) all.push(...childPids(all[i]));
  return all;
}

// utime + stime + cutime + cstime in seconds (proc(5), fields 14 to 17). The children's part
// holds every child the process has reaped, so the sum over a tree loses nothing when a child
// exits, provided no child is reaped between reading it and reading its parent: callers take
// the figure when no children are left (see cpuSeconds).
function ownAndReapedCpu(pid) {
  const text = readOrNull(`/proc/${pid}/stat`);
  if (!text) return 0;
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]))
    / CLOCK_TICKS;
}

// CPU seconds used so far by pid and everything it forked. Waits (up to timeoutMs) until the
// per-connection children have exited and been reaped, so that their time is counted exactly
// once, in the parent's cutime and cstime; if some remain, their own times are added.
export async function cpuSeconds(pid, { timeoutMs = 10000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (childPids(pid).length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return processTree(pid).reduce((sum, p) => sum + ownAndReapedCpu(p), 0);
}

export function ownCpuSeconds(pid) {
  return ownAndReapedCpu(pid);
}

function kibField(text, name) {
  const match = text?.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'));
  return match ? Number(match[1]) : 0;
}

// Memory of a process tree in KiB: rss sums VmRSS (what the goals are stated in), pss
// sums the proportional set size. For one process they move together; over websockify's forked
// children the RSS sum counts every shared page once per child, so the comparison uses PSS.
export function memoryKiB(pid) {
  let rss = 0;
  let pss = 0;
  const pids = processTree(pid);
  for (const p of pids) {
    rss += kibField(readOrNull(`/proc/${p}/status`), 'VmRSS');
    pss += kibField(readOrNull(`/proc/${p}/smaps_rollup`), 'Pss');
  }
  return { rss, pss, processes: pids.length };
}

export function openFiles(pid) {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

// The hard limit on open files this process (and what it starts) can raise itself to.
export function hardFileLimit() {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n')
    .find((l) => l.startsWith('Max open files'));
  const value = line?.trim().split(/\s{2,}/)[2];
  return value === 'unlimited' ? Infinity : Number(value);
}

export function machineInfo() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  return {
    nproc: Number(execFileSync('nproc').toString().trim()),
    model: cpuinfo.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? 'unknown',
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
    memTotalKiB: kibField(readFileSync('/proc/meminfo', 'utf8'), 'MemTotal'),
  };
}

export function loadAverage() {
  return readFileSync('/proc/loadavg', 'utf8').trim().split(' ').slice(0, 3).map(Number);
}
