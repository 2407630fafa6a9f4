/**
 * `npm run bench -- <name> [flags]`: runs bench/<name>.ts in its own Node process
 * (so its peak RSS is its own), with the environment and Node flags of the hub's own
 * processes (package.json's start script) and any given to this script (--cpu-prof, say),
 * and exits with its exit code. An unknown or missing name lists the benchmarks
 * and exits 2.
 *
 * @example
 *   npm run bench -- pc-ingest --lines 100000
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const NOT_BENCHMARKS = new Set(['run', 'support', 'http-compare']);

function available(): string[] {
  return readdirSync(BENCH_DIR)
    .filter((f) => f.endsWith('.ts') && !NOT_BENCHMARKS.has(f.slice(0, -3)))
    .map((f) => f.slice(0, -3))
    .sort();
}

/**
 * The environment and Node flags the hub's own processes run with (`npm start`'s: see
 * package.json), for a benchmark that runs the hub's work in a process of its own. Started
 * through bin/hub.js, the hub compiles with Node's compile cache in its default directory:
 * a benchmark's processes get the same cache through NODE_COMPILE_CACHE.
 */
function hubProcessSettings(): { env: Record<string, string>; flags: string[] } {
  const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
  const start = /^((?:[A-Z_]+=\S+ )*)node((?: --[a-z-]+(?:=\S+)?)*) (src\/cli\.ts|bin\/hub\.js)/.exec(packageJson.scripts.start ?? '');
  if (!start) throw new Error(`package.json's start script is not '[NAME=value …] node [flags] src/cli.ts|bin/hub.js …': ${packageJson.scripts.start}`);
  const env = Object.fromEntries(start[1]!.split(' ').filter(Boolean).map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
  if (start[3] === 'bin/hub.js') env.NODE_COMPILE_CACHE ??= join(tmpdir(), 'node-compile-cache');
  return { env, flags: start[2]!.split(' ').filter(Boolean) };
}

const [name, ...args] = process.argv.slice(2);
const names = available();
if (name === undefined || !names.includes(name)) {
  console.error(`${name === undefined ? 'which benchmark?' : `no benchmark named '${name}'`} Available: ${names.join(', ') || '(none)'}`);
  console.error('usage: npm run bench -- <name> [flags]');
  process.exit(2);
}

// With the environment and Node flags the hub itself runs with: a benchmark measures the
// hub as deployed (a variable set for this command wins, to compare settings).
const hub = hubProcessSettings();
const child = spawn(process.execPath, [...hub.flags, ...process.execArgv, join(BENCH_DIR, `${name}.ts`), ...args], {
  stdio: 'inherit',
  env: { ...hub.env, ...process.env },
});
// Pass a stop request on, then wait for the benchmark to remove its database and exit.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0)));
