/**
 * What every benchmark shares: flags, a throwaway PostgreSQL with the hub's schema,
 * CPU and memory accounting, and the closing line CI reads.
 *
 * A benchmark measures its workload and a baseline in the same run (these machines
 * are noisy), and ends with one machine-readable line,
 * `<name>: ratio=<x> target=<y> peak_rss_mb=<n>`, exiting non-zero when it misses.
 *
 * @example
 *   const flags = parseFlags(process.argv.slice(2));
 *   const database = await startBenchDatabase();
 *   try { … } finally { await database.close(); }
 *   finish({ name: 'pc-ingest', ratio: 1.42, target: 2, rssLimitMb: 400 });
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import module from 'node:module';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { ensureDatabase } from '../src/db/embedded-server.ts';
import { openDatabase, type DatabaseHandle } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { startThrowawayServer } from '../src/db/throwaway-server.ts';

/** `--name value` and `--flag` pairs; anything else is refused by name. */
export function parseFlags(argv: string[], known: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(arg);
    if (!match || !known.includes(match[1]!)) throw new Error(`unknown argument ${arg} (known: ${known.map((k) => `--${k}`).join(' ')})`);
    const next = argv[i + 1];
    const value = match[2] ?? (next !== undefined && !next.startsWith('--') ? (i++, next) : 'true');
    flags.set(match[1]!, value);
  }
  return flags;
}

/** A positive integer flag; `1_000_000` and `1e6` are accepted. */
export function intFlag(flags: Map<string, string>, name: string, fallback: number): number {
  const raw = flags.get(name);
  if (raw === undefined) return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, got ${raw}`);
  return value;
}

export interface BenchDatabase extends DatabaseHandle {
  url: string;
  /** CPU seconds PostgreSQL's processes (backends, writers, checkpointer) have used so far. */
  serverCpuSeconds(): Promise<number>;
  /** The same, per process (title and pid): where the server's time went. */
  serverCpuByProcess(): Map<string, number>;
  close(): Promise<void>;
}

/**
 * A throwaway PostgreSQL cluster (the tests' own: fsync off, removed on close) with
 * one database migrated to the hub's latest schema. Ctrl-C stops and removes it too.
 * `durable` turns fsync, synchronous commit and full-page writes back on, as in production;
 * `poolSize` is the pool's size (8 unless given).
 */
export async function startBenchDatabase(options: { durable?: boolean; poolSize?: number } = {}): Promise<BenchDatabase> {
  const extraFlags = options.durable ? ['-c', 'fsync=on', '-c', 'synchronous_commit=on', '-c', 'full_page_writes=on'] : [];
  // BENCH_PG_FLAGS='work_mem=64MB autovacuum=off': server settings to try without editing code.
  for (const setting of (process.env.BENCH_PG_FLAGS ?? '').split(/\s+/).filter(Boolean)) extraFlags.push('-c', setting);
  const server = await startThrowawayServer({ extraFlags });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.stop();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopped) return;
    process.stderr.write(`\n${signal}: stopping the benchmark's PostgreSQL\n`);
    void stop().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await ensureDatabase(server.adminUrl, 'bench');
    const url = new URL(server.adminUrl);
    url.pathname = '/bench';
    const handle = openDatabase(url.toString(), { max: options.poolSize ?? 8 });
    await migrateToLatest(handle.db, handle.pool);
    const { rows } = await handle.pool.query<{ pid: number }>('select pg_backend_pid() as pid');
    const postmaster = parentPid(rows[0]!.pid);
    return {
      ...handle,
      url: url.toString(),
      serverCpuSeconds: async () => (postmaster === undefined ? Number.NaN : treeCpuSeconds(postmaster)),
      serverCpuByProcess: () => (postmaster === undefined ? new Map() : treeCpu(postmaster)),
      close: async () => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await handle.close().catch(() => {});
        await stop();
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

// Linux /proc accounting, best effort: elsewhere these report NaN and the benchmark still runs.
const TICKS_PER_SECOND = 100;

function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function parentPid(pid: number): number | undefined {
  const fields = statFields(pid);
  return fields ? Number(fields[1]) : undefined;
}

/** CPU seconds of a process and each of its live children (PostgreSQL's are one level deep), by process title. */
function treeCpu(root: number): Map<string, number> {
  const byProcess = new Map<string, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const fields = statFields(pid);
    if (!fields || (pid !== root && Number(fields[1]) !== root)) continue;
    let title = 'postmaster, and its exited children';
    try {
      if (pid !== root) title = `${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()} [${pid}]`;
    } catch {
      continue;
    }
    // utime + stime; for the postmaster also cutime + cstime: the children it has reaped.
    const ticks = Number(fields[11]) + Number(fields[12]) + (pid === root ? Number(fields[13]) + Number(fields[14]) : 0);
    byProcess.set(title, ticks / TICKS_PER_SECOND);
  }
  return byProcess;
}

function treeCpuSeconds(root: number): number {
  let total = 0;
  for (const seconds of treeCpu(root).values()) total += seconds;
  return total;
}

/**
 * What the database's client backends are doing, sampled every `everyMs` while `fn`
 * runs (BENCH_DEBUG=1): at each instant, running a statement, else waiting for the
 * client (idle in a transaction, or in a COPY: starved of data), else waiting for a
 * lock or I/O, else nothing at all. A pipeline that keeps PostgreSQL busy is mostly running.
 */
async function withServerWaits<T>(database: BenchDatabase, fn: () => Promise<T>, everyMs = 10): Promise<T> {
  const tally = new Map<string, number>();
  const observer = await database.pool.connect();
  let done = false;
  const sampler = (async () => {
    while (!done) {
      const { rows } = await observer.query<{ state: string | null; wait: string | null; query: string }>(
        `select state, wait_event_type || ':' || wait_event as wait, left(query, 60) as query
         from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'`,
      );
      const active = rows.filter((r) => r.state === 'active');
      const running = active.find((r) => r.wait === null || r.wait.startsWith('IO:') || r.wait.startsWith('LWLock:'));
      const what = running
        ? `running ${running.query.split(' ').slice(0, 3).join(' ')}`
        : active.length > 0
          ? `waiting ${active[0]!.wait} (${active[0]!.query.split(' ').slice(0, 2).join(' ')})`
          : rows.some((r) => r.state?.startsWith('idle in transaction'))
            ? 'idle in a transaction (waiting for the client)'
            : 'no transaction';
      tally.set(what, (tally.get(what) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  try {
    return await fn();
  } finally {
    done = true;
    await sampler.catch(() => {});
    observer.release();
    const total = [...tally.values()].reduce((a, b) => a + b, 0);
    for (const [what, n] of [...tally].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`    server ${((100 * n) / total).toFixed(0).padStart(3)}% ${what}`);
  }
}

export interface Measured<T> {
  value: T;
  ms: number;
  /** CPU seconds this process used meanwhile (every thread). */
  nodeCpu: number;
  /** CPU seconds PostgreSQL used meanwhile (every process of the cluster). */
  serverCpu: number;
}

/** Wall time and CPU (ours and PostgreSQL's) of `fn`, and nothing around it. */
export async function measured<T>(database: BenchDatabase, fn: () => Promise<T>): Promise<Measured<T>> {
  const byProcess0 = database.serverCpuByProcess();
  const server0 = await database.serverCpuSeconds();
  const node0 = processCpuSeconds();
  const started = performance.now();
  const value = await (process.env.BENCH_DEBUG ? withServerWaits(database, fn) : fn());
  const ms = performance.now() - started;
  const nodeCpu = processCpuSeconds() - node0;
  const serverCpu = (await database.serverCpuSeconds()) - server0;
  // BENCH_DEBUG=1: which PostgreSQL processes used the time.
  if (process.env.BENCH_DEBUG) {
    for (const [title, seconds] of database.serverCpuByProcess()) {
      const used = seconds - (byProcess0.get(title) ?? 0);
      if (used >= 0.05) console.log(`    postgres ${used.toFixed(2)} s ${title}`);
    }
  }
  return { value, ms, nodeCpu, serverCpu };
}

/** CPU seconds this process has used (all threads: the main one, zlib's, the GC's). */
export function processCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/**
 * The highest resident set size this process has reached, in MB, since the start or
 * the last resetPeakRss(): the kernel's own high-water mark (VmHWM), so no peak between
 * two samples is missed. Outside Linux, the process's lifetime peak (getrusage).
 */
export function peakRssMb(): number {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
    if (kb !== undefined) return Math.round(Number(kb) / 1024);
  } catch {
    // not Linux
  }
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/**
 * Restart the high-water mark at the current RSS, so the next peakRssMb() covers only
 * what follows (setting up a benchmark's input is not the workload). Linux ≥ 4.0;
 * elsewhere a no-op, and the peak stays the process's.
 */
export function resetPeakRss(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // not Linux, or not allowed: the lifetime peak it is
  }
}

/**
 * Where this process's resident memory lives, in MB, from /proc/self/smaps (Linux; empty
 * elsewhere): V8's heap pages (anonymous 256 KiB mappings, V8's page size, in use or
 * pooled for reuse), glibc malloc's main arena (`[heap]`), other anonymous memory
 * (malloc's other arenas, large allocations, stacks) and mapped files (the Node binary,
 * shared libraries). V8's pooled pages count in the first and not in heapTotal.
 */
export function residentByKind(): string {
  let text: string;
  try {
    text = readFileSync('/proc/self/smaps', 'utf8');
  } catch {
    return '';
  }
  const kb = { 'V8 pages': 0, 'malloc arena': 0, 'other anonymous': 0, files: 0 };
  let kind: keyof typeof kb = 'other anonymous';
  for (const line of text.split('\n')) {
    const mapping = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (mapping) {
      const size = parseInt(mapping[2]!, 16) - parseInt(mapping[1]!, 16);
      const name = mapping[3]!;
      kind = name.startsWith('/') ? 'files' : name === '[heap]' ? 'malloc arena' : name === '' && size === 256 * 1024 ? 'V8 pages' : 'other anonymous';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) kb[kind] += Number(rss[1]);
  }
  return Object.entries(kb).map(([k, v]) => `${k} ${Math.round(v / 1024)}`).join(', ');
}

/** Runs `fn` with an inspector session of this process: `start` before it, `stop` after it (also when it throws). */
async function whileInspected<T>(start: (session: Session) => Promise<void>, stop: (session: Session) => Promise<void>, fn: () => Promise<T>): Promise<T> {
  const session = new Session();
  session.connect();
  await start(session);
  try {
    return await fn();
  } finally {
    await stop(session);
    session.disconnect();
  }
}

/**
 * Runs `fn`, CPU-profiled when BENCH_CPU_PROF names a directory: one `<label>.cpuprofile`
 * there (open it in Chrome DevTools), covering `fn` only, not the benchmark's setup.
 */
export async function profiled<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const dir = process.env.BENCH_CPU_PROF;
  if (!dir) return fn();
  return whileInspected(
    async (session) => {
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    },
    async (session) => {
      const { profile } = await session.post('Profiler.stop');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${label}.cpuprofile`), JSON.stringify(profile));
    },
    fn,
  );
}

/**
 * With BENCH_PROMOTED_PROF=<file>: a sampling heap profile of what survived the young
 * generation and died in a full collection while `fn` ran (what makes the old generation grow).
 */
export async function promotedProfiled<T>(fn: () => Promise<T>): Promise<T> {
  const file = process.env.BENCH_PROMOTED_PROF;
  if (!file) return fn();
  return whileInspected(
    async (session) => {
      await session.post('HeapProfiler.enable');
      await session.post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: false });
    },
    async (session) => {
      const { profile } = await session.post('HeapProfiler.stopSampling');
      writeFileSync(file, JSON.stringify(profile));
    },
    fn,
  );
}

/**
 * With BENCH_GC_STATS=1: counts the collections while `fn` ran by kind/flags (V8's own full
 * collections report 4/64, scheduled from allocation; the releases' report 4/0) and lists the
 * full ones as flags:RSS-when-reported@ms, on stderr.
 */
export async function withGcStats<T>(fn: () => Promise<T>): Promise<T> {
  if (!process.env.BENCH_GC_STATS) return fn();
  const counts = new Map<string, number>();
  const majors: string[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const { kind, flags } = (entry as PerformanceEntry & { detail: { kind: number; flags: number } }).detail;
      counts.set(`${kind}/${flags}`, (counts.get(`${kind}/${flags}`) ?? 0) + 1);
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors.push(`${flags}:${Math.round(process.memoryUsage.rss() / 2 ** 20)}@${Math.round(entry.duration)}`);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  try {
    return await fn();
  } finally {
    observer.disconnect();
    console.error('gc kinds/flags', [...counts].map(([k, v]) => `${k}=${v}`).join(' '));
    console.error('majors', majors.join(' '));
  }
}

export type MemoryPeaks = Record<'rss' | 'heapUsed' | 'heapTotal' | 'external' | 'arrayBuffers', number>;

/** Samples process.memoryUsage() every `everyMs` while `fn` runs; returns its result and the peaks (MB). */
export async function withMemoryPeaks<T>(fn: () => Promise<T>, everyMs = 50): Promise<{ value: T; peaks: MemoryPeaks }> {
  const peaks = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
  const sample = () => {
    const usage = process.memoryUsage();
    for (const key of Object.keys(peaks) as (keyof typeof peaks)[]) peaks[key] = Math.max(peaks[key], Math.round(usage[key] / 2 ** 20));
  };
  const timer = setInterval(sample, everyMs);
  try {
    const value = await fn();
    sample();
    return { value, peaks };
  } finally {
    clearInterval(timer);
  }
}

/**
 * Runs `script` with `args` in a fresh Node process (this one's flags) and returns what
 * it reported in its one `RESULT <json>` line on stdout; anything else it prints is
 * passed through as it comes. A benchmark's workload runs there when its peak RSS must
 * be the workload's own, as on a worker, and not that of the process that made the inputs.
 */
export async function inFreshProcess<T>(script: string, args: string[], env: Record<string, string>): Promise<T> {
  // With the compile cache on (bench/run.ts), the child starts as a restarted hub does: with
  // the modules this process loaded already compiled.
  module.flushCompileCache?.();
  const child = spawn(process.execPath, [...process.execArgv, script, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let result: string | undefined;
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    const lines = (pending + text).split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith('RESULT ')) result = line.slice('RESULT '.length);
      else process.stdout.write(`${line}\n`);
    }
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (pending !== '') process.stdout.write(`${pending}\n`);
  if (code !== 0 || result === undefined) throw new Error(`${script} ${args.join(' ')} failed (exit ${code}${result === undefined ? ', no RESULT line' : ''})`);
  return JSON.parse(result) as T;
}

/** Reports a fresh process's result to inFreshProcess. */
export function reportResult(result: unknown): void {
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

/** Milliseconds as `12.3 s`. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** `1234567` as `1,234,567`. */
export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export interface BenchResult {
  name: string;
  ratio: number;
  /** The ratio must not exceed this. */
  target: number;
  /** The peak RSS to report and check (default: peakRssMb() now). */
  peakRssMb?: number;
  /** Peak RSS must stay under this, when the benchmark has a memory budget. */
  rssLimitMb?: number;
}

/**
 * Prints the closing line and sets the exit code: 1 when the ratio is above target
 * or the peak RSS reached its limit. Returns whether the benchmark passed.
 */
export function finish(result: BenchResult): boolean {
  const rss = result.peakRssMb ?? peakRssMb();
  const ratioOk = Number.isFinite(result.ratio) && result.ratio <= result.target;
  const rssOk = result.rssLimitMb === undefined || rss < result.rssLimitMb;
  if (!ratioOk) console.log(`MISS: ratio ${result.ratio.toFixed(2)} is above the target ${result.target}`);
  if (!rssOk) console.log(`MISS: peak RSS ${rss} MB is not under ${result.rssLimitMb} MB`);
  console.log(`${result.name}: ratio=${result.ratio.toFixed(2)} target=${result.target} peak_rss_mb=${rss}`);
  process.exitCode = ratioOk && rssOk ? 0 : 1;
  return ratioOk && rssOk;
}
