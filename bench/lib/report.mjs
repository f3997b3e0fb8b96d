// Turns the per-run figures into the table: medians over the runs, each figure beside the
// same figure of the peer (websockify) measured in the same run, and the goals.

const CLIENT_LIMIT = 0.95; // a load client at this share of one core is the bottleneck

function median(values) {
  const numbers = values.filter((v) => typeof v === 'number' && Number.isFinite(v))
    .sort((a, b) => a - b);
  if (numbers.length === 0) return null;
  const middle = Math.floor(numbers.length / 2);
  return numbers.length % 2 ? numbers[middle] : (numbers[middle - 1] + numbers[middle]) / 2;
}

const ratio = (a, b) => (typeof a === 'number' && typeof b === 'number' && b !== 0 ? a / b : null);

// One row from a function that reads { direct, websockify, ours, ratio } out of one run.
function row(report, figure, unit, pick, { goal = null, met = null, note = () => '' } = {}) {
  const perRun = report.runs.map((run) => {
    try {
      return pick(run) ?? {};
    } catch {
      return {};
    }
  });
  const values = {
    direct: median(perRun.map((r) => r.direct)),
    websockify: median(perRun.map((r) => r.websockify)),
    ours: median(perRun.map((r) => r.ours)),
    ratio: median(perRun.map((r) => r.ratio)),
  };
  const notes = [...new Set(report.runs.map((run) => {
    try {
      return note(run);
    } catch {
      return '';
    }
  }).filter(Boolean))];
  return {
    figure,
    unit,
    ...values,
    runs: perRun,
    goal,
    met: met && values.ours !== null ? met(values) : null,
    note: notes.join('; '),
  };
}

function boundBy(entries) {
  const notes = [];
  for (const [name, t] of Object.entries(entries)) {
    if (!t) continue;
    if (t.client_cpu_share >= CLIENT_LIMIT) notes.push(`client-bound for ${name}`);
    if (t.engine_cpu_share >= CLIENT_LIMIT) notes.push(`engine-bound for ${name}`);
  }
  return notes.join(', ');
}

export function summarise(report) {
  const rows = [];
  const steps = report.options.sessionSteps;

  for (const [p, label] of [['p50_us', 'p50'], ['p99_us', 'p99']]) {
    rows.push(row(report, `query round trip ${label}`, 'us', ({ query: q }) => ({
      direct: q.direct[p],
      websockify: q.websockify[p],
      ours: q.ours[p],
      ratio: ratio(q.ours[p] - q.direct[p], q.websockify[p] - q.direct[p]),
    }), label === 'p50' ? {
      goal: 'overhead ratio <= 0.20', met: (v) => v.ratio <= 0.2,
    } : { goal: '(overhead ratio)' }));
  }

  for (const protocol of ['ws', 'wss']) {
    for (const direction of ['up', 'down']) {
      const key = `${protocol}_${direction}`;
      const arrow = direction === 'up' ? 'client->engine' : 'engine->client';
      rows.push(row(report, `throughput ${protocol} ${arrow}`, 'MiB/s', ({ throughput: t }) => ({
        direct: t.direct[direction].mib_per_s,
        websockify: t.websockify[key].mib_per_s,
        ours: t.ours[key].mib_per_s,
        ratio: ratio(t.ours[key].mib_per_s, t.websockify[key].mib_per_s),
      }), {
        goal: 'ratio >= 2.00',
        met: (v) => v.ratio >= 2,
        note: ({ throughput: t }) => boundBy({
          direct: t.direct[direction], websockify: t.websockify[key], ours: t.ours[key],
        }),
      }));
    }
  }
  for (const protocol of ['ws', 'wss']) {
    for (const direction of ['up', 'down']) {
      const key = `${protocol}_${direction}`;
      const arrow = direction === 'up' ? 'client->engine' : 'engine->client';
      rows.push(row(report, `proxy CPU per GiB ${protocol} ${arrow}`, 's', ({ throughput: t }) => ({
        websockify: t.websockify[key].relay_cpu_s_per_gib,
        ours: t.ours[key].relay_cpu_s_per_gib,
        ratio: ratio(t.ours[key].relay_cpu_s_per_gib, t.websockify[key].relay_cpu_s_per_gib),
      }), { goal: 'ratio <= 0.33', met: (v) => v.ratio <= 1 / 3 }));
    }
  }

  for (const protocol of ['ws', 'wss']) {
    const limitKiB = protocol === 'ws' ? 32 : 64;
    for (const sessions of steps) {
      const isLast = sessions === steps.at(-1);
      rows.push(row(report, `memory per idle session ${protocol} @${sessions}`, 'KiB',
        ({ idle }) => {
          const at = (name) => idle[name][protocol].steps.find((s) => s.sessions === sessions);
          // websockify forks a process per session and stops at its cap: compare with its
          // largest count.
          const peer = at('websockify') ?? idle.websockify[protocol].steps.at(-1);
          const ours = at('ours')?.pss_kib_per_session;
          return {
            websockify: peer?.pss_kib_per_session,
            ours,
            ratio: ratio(ours, peer?.pss_kib_per_session),
          };
        }, {
          goal: isLast ? `ours <= ${limitKiB} KiB` : null,
          met: isLast ? (v) => v.ours <= limitKiB : null,
          note: ({ idle }) => {
            const peerSteps = idle.websockify[protocol].steps;
            const largest = peerSteps.at(-1)?.sessions;
            return largest < sessions ? `websockify measured at ${largest} (past about 500 `
              + 'sessions its select() loop fails on descriptors above 1024)' : '';
          },
        }));
    }
  }

  for (const protocol of ['ws', 'wss']) {
    rows.push(row(report, `memory growth, stalled client ${protocol}`, 'MiB', ({ stall }) => ({
      websockify: stall.websockify[protocol].growth_mib,
      ours: stall.ours[protocol].growth_mib,
      ratio: ratio(stall.ours[protocol].growth_mib, stall.websockify[protocol].growth_mib),
    }), {
      goal: 'ours <= 8 MiB',
      met: (v) => v.ours <= 8,
      note: () => `result of ${(report.options.stallBytes / 1e6).toFixed(0)} MB`,
    }));
  }

  rows.push(row(report, 'restart: ctl restart to serving', 'ms', ({ restart }) => ({
    ours: restart.ours.serving_ms,
  }), { goal: 'ours <= 50 ms', met: (v) => v.ours <= 50, note: () => 'websockify has none' }));
  rows.push(row(report, 'restart: refused or failed attempts', 'count', ({ restart }) => ({
    ours: restart.ours.refused + restart.ours.failed,
  }), { goal: 'ours = 0', met: (v) => v.ours === 0 }));
  rows.push(row(report, 'startup: exec to first upgrade', 'ms', ({ startup }) => ({
    websockify: startup.websockify.ms,
    ours: startup.ours.ms,
    ratio: ratio(startup.ours.ms, startup.websockify.ms),
  }), { goal: 'ours <= 150 ms', met: (v) => v.ours <= 150 }));

  return rows.filter((r) => r.runs.some((x) => Object.keys(x).length > 0));
}

function format(value) {
  if (value === null || value === undefined) return 'n/a';
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function printTable(report) {
  const header = ['figure', 'unit', 'direct', 'websockify', 'ours', 'ratio', 'goal', 'met?'];
  const lines = report.summary.map((r) => [
    r.figure, r.unit, format(r.direct), format(r.websockify), format(r.ours),
    r.ratio === null ? 'n/a' : `${format(r.ratio)}x`, r.goal ?? '',
    r.met === null ? '' : r.met ? 'yes' : 'NO',
  ]);
  const table = [header, ...lines];
  const widths = header.map((_, c) => Math.max(...table.map((l) => String(l[c]).length)));
  const render = (l) => `| ${l.map((cell, c) => String(cell).padEnd(widths[c])).join(' | ')} |`;
  const out = [render(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...lines.map(render)];
  const m = report.machine;
  process.stdout.write(`\nStudio Proxy benchmark, ${report.mode} mode, median of `
    + `${report.runs.length} run(s); ratio = ours / websockify (query rows: overhead over the `
    + 'bare socket); memory is PSS summed over the process tree\n'
    + `${m.nproc} x ${m.model}, Linux ${m.kernel}, load ${m.load_before.join(' ')} -> `
    + `${m.load_after.join(' ')}; ${report.versions.ours}, websockify `
    + `${report.versions.websockify}\n\n${out.join('\n')}\n`);
  const notes = report.summary.filter((r) => r.note).map((r) => `  ${r.figure}: ${r.note}`);
  if (report.options.sessionNote) notes.push(`  idle sessions: ${report.options.sessionNote}`);
  if (notes.length > 0) process.stdout.write(`\nnotes:\n${notes.join('\n')}\n`);
}

// What --check asserts: every figure produced and sane, every relayed byte intact.
export function validate(report) {
  const problems = [];
  const only = report.options.only;
  report.runs.forEach((run, index) => {
    const where = `run ${index + 1}`;
    for (const name of only) if (!run[name]) problems.push(`${where}: no ${name} figures`);
    const positive = (value, what) => {
      if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
        problems.push(`${where}: ${what} is ${value}`);
      }
    };
    if (run.throughput) {
      const transfers = [['direct up', run.throughput.direct.up],
        ['direct down', run.throughput.direct.down]];
      for (const name of ['websockify', 'ours']) {
        for (const key of ['ws_up', 'ws_down', 'wss_up', 'wss_down']) {
          transfers.push([`${name} ${key}`, run.throughput[name]?.[key]]);
        }
      }
      for (const [what, t] of transfers) {
        if (!t) { problems.push(`${where}: no ${what} transfer`); continue; }
        if (t.received_bytes !== t.bytes || t.mismatches !== 0) {
          problems.push(`${where}: ${what} delivered ${t.received_bytes} of ${t.bytes} bytes, `
            + `${t.mismatches} wrong`);
        }
        positive(t.mib_per_s, `${what} throughput`);
        if (!what.startsWith('direct')) positive(t.relay_cpu_s_per_gib, `${what} CPU per GiB`);
      }
    }
    if (run.query) {
      for (const name of ['direct', 'websockify', 'ours']) {
        positive(run.query[name]?.p50_us, `${name} query p50`);
        positive(run.query[name]?.p99_us, `${name} query p99`);
      }
    }
    if (run.idle) {
      for (const name of ['websockify', 'ours']) {
        for (const protocol of ['ws', 'wss']) {
          const steps = run.idle[name]?.[protocol]?.steps ?? [];
          if (steps.length === 0) problems.push(`${where}: no ${name} ${protocol} idle figures`);
          for (const s of steps) positive(s.kib.pss, `${name} ${protocol} memory at ${s.sessions}`);
        }
      }
      const ours = run.idle.ours?.ws?.steps.length ?? 0;
      if (ours !== report.options.sessionSteps.length) {
        problems.push(`${where}: ours reached ${ours} of the session counts`);
      }
    }
    if (run.stall) {
      for (const name of ['websockify', 'ours']) {
        for (const protocol of ['ws', 'wss']) {
          const growth = run.stall[name]?.[protocol]?.growth_mib;
          if (!Number.isFinite(growth)) problems.push(`${where}: ${name} ${protocol} stall figure`);
        }
      }
    }
    if (run.restart) {
      const r = run.restart.ours;
      if (r.exit_code !== 0) problems.push(`${where}: ctl restart exited ${r.exit_code}`);
      if (!(r.served > 0 && r.serving_ms >= 0)) problems.push(`${where}: nothing served after restart`);
    }
    if (run.startup) {
      positive(run.startup.ours?.ms, 'ours startup');
      positive(run.startup.websockify?.ms, 'websockify startup');
    }
  });
  for (const r of report.summary) {
    if (r.ours === null) problems.push(`table: no figure for ours in "${r.figure}"`);
  }
  return problems;
}
