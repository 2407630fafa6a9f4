import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.ts';

// The hub as an operator runs it: real processes, the embedded PostgreSQL on its own
// data directory, signals. Slower than the rest, so one directory serves the file.
const ROOT = join(import.meta.dirname, '..', '..');
let dataDir: string;
let env: NodeJS.ProcessEnv;
const children: ChildProcess[] = [];

function hub(args: string[], extra: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [join(ROOT, 'src', 'cli.ts'), ...args], { cwd: ROOT, env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

async function waitFor(url: string, status = 200, timeoutMs = 60_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.status === status) return res;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer ${status} in time (last: ${last})`);
}

async function postmasterPid(): Promise<number | undefined> {
  const file = join(dataDir, 'pg', 'postmaster.pid');
  return existsSync(file) ? Number((await readFile(file, 'utf8')).split('\n')[0]) : undefined;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hub-runtime-'));
  await chmod(dataDir, 0o755);
  env = { ...process.env, HUB_DATA_DIR: dataDir, HUB_PG_PORT: String(await freePort()), LOG_LEVEL: 'info', HOST: '127.0.0.1' };
  delete env.DATABASE_URL;
  delete env.HUB_SECRET_KEY;
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await rm(dataDir, { recursive: true, force: true }).catch(() => {});
});

describe('running the hub', () => {
  it('starts on embedded PostgreSQL, shares it with CLI commands, drains on SIGTERM, and keeps data across restarts', { timeout: 180_000 }, async () => {
    const port = await freePort();
    const first = hub(['start'], { PORT: String(port) });
    await waitFor(`http://127.0.0.1:${port}/health`);
    await waitFor(`http://127.0.0.1:${port}/ready`);
    const pgPid = await postmasterPid();
    expect(pgPid).toBeGreaterThan(0);

    // A CLI command while the hub is up uses its database instead of starting a second postmaster.
    const cli = hub(['api-key', 'create', '--role', 'admin', '--name', 'ops']);
    expect(await cli.exited).toBe(0);
    const key = cli.output().split('\n').find((l) => l.startsWith('hub_'))!;
    expect(key).toMatch(/^hub_[0-9a-f]{12}_/);
    expect(await postmasterPid()).toBe(pgPid);
    const created = await fetch(`http://127.0.0.1:${port}/v1/customers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Survives restarts' }),
    });
    expect(created.status).toBe(201);

    // A request still sending its body when SIGTERM arrives gets its answer before the process exits.
    const inFlight = new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/webhooks/nobody', headers: { 'content-type': 'application/json', 'content-length': '22' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.write('{"half":"of the');
      setTimeout(() => {
        first.child.kill('SIGTERM');
        setTimeout(() => req.end(' body"}'), 500);
      }, 200);
    });
    expect(await inFlight).toBe(404);
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('stopped cleanly');
    expect(await postmasterPid()).toBeUndefined();

    const second = hub(['start'], { PORT: String(port) });
    await waitFor(`http://127.0.0.1:${port}/health`);
    const list = await fetch(`http://127.0.0.1:${port}/v1/customers`, { headers: { authorization: `Bearer ${key}` } });
    expect(list.status).toBe(200);
    expect(((await list.json()) as { items: { name: string }[] }).items.map((c) => c.name)).toContain('Survives restarts');

    const verify = hub(['audit', 'verify']);
    expect(await verify.exited).toBe(0);
    expect(verify.output()).toMatch(/audit chain intact: \d+ entries verified/);

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('runs API and worker as separate processes against one database', { timeout: 180_000 }, async () => {
    const port = await freePort();
    const api = hub(['serve'], { PORT: String(port) });
    await waitFor(`http://127.0.0.1:${port}/health`);
    // No worker yet: the API is up but not ready.
    const notReady = await waitFor(`http://127.0.0.1:${port}/ready`, 503);
    expect(((await notReady.json()) as { worker: string }).worker).toBe('none');
    const worker = hub(['worker']);
    const ready = await waitFor(`http://127.0.0.1:${port}/ready`, 200);
    expect(((await ready.json()) as { worker: string }).worker).toBe('ok');
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    await waitFor(`http://127.0.0.1:${port}/ready`, 503);
    api.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
  });
});
