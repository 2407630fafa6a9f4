import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.ts';
import { createApiKey, revokeApiKey, setApiKeyRoles } from '../../src/db/api-keys.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.ts';

// Two API processes on one database, as a deployment scales them: a key revoked or
// given other roles must stop working on its very next request in both, whichever of
// them served it before.

const ROOT = join(import.meta.dirname, '..', '..');
const ACTOR = { actor: 'system:test' };
let database: TestDatabase;
let dataDir: string;
const children: ChildProcess[] = [];
const bases: string[] = [];
const secretKey = randomBytes(32).toString('hex');

async function serve(): Promise<string> {
  const port = await freePort();
  const env = { ...process.env, DATABASE_URL: database.url, HUB_DATA_DIR: dataDir, HUB_SECRET_KEY: secretKey, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
  const child = spawn(process.execPath, [join(ROOT, 'src', 'cli.ts'), 'serve'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  const base = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
    if (child.exitCode !== null) throw new Error(`hub serve exited with ${child.exitCode}`);
    if (await fetch(`${base}/health`).then((r) => r.ok, () => false)) return base;
  }
  throw new Error(`hub serve on ${port} did not answer /health in time`);
}

async function statuses(path: string, key: string): Promise<number[]> {
  return Promise.all(bases.map(async (base) => (await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}` } })).status));
}

beforeAll(async () => {
  database = await createTestDatabase();
  dataDir = await mkdtemp(join(tmpdir(), 'hub-keys-'));
  await chmod(dataDir, 0o755);
  bases.push(...(await Promise.all([serve(), serve()])));
}, 120_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.on('exit', r)) : undefined)));
  await database?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('a key changed in one place', () => {
  it('stops working in every process on its next request once revoked', async () => {
    const { id, key } = await createApiKey(database.db, { name: 'to revoke', roles: ['admin'], customerId: null }, ACTOR);
    // Both processes have just let the key in: whatever they remember of it, they remember now.
    expect(await statuses('/v1/customers', key)).toEqual([200, 200]);
    expect(await statuses('/v1/customers', key)).toEqual([200, 200]);

    expect(await revokeApiKey(database.db, id, ACTOR)).toBe(true);

    expect(await statuses('/v1/customers', key)).toEqual([401, 401]);
  });

  it('answers with its new roles in every process on its next request once re-roled', async () => {
    const { id, key } = await createApiKey(database.db, { name: 'to re-role', roles: ['auditor'], customerId: null }, ACTOR);
    expect(await statuses('/v1/audit', key)).toEqual([200, 200]);
    expect(await statuses('/v1/billing-runs', key)).toEqual([200, 200]);

    // From auditor to sales_ops: the audit trail and the billing runs are no longer its to read.
    expect(await setApiKeyRoles(database.db, id, ['sales_ops'], ACTOR)).toBe(true);

    expect(await statuses('/v1/audit', key)).toEqual([403, 403]);
    expect(await statuses('/v1/billing-runs', key)).toEqual([403, 403]);
    expect(await statuses('/v1/customers', key)).toEqual([200, 200]);
    const audit = await database.db.selectFrom('audit_log').select(['action', 'before', 'after']).where('entity_id', '=', id).where('action', '=', 'api_key.roles').execute();
    expect(audit).toEqual([{ action: 'api_key.roles', before: { roles: ['auditor'] }, after: { name: 'to re-role', roles: ['sales_ops'] } }]);
  });

  it('keeps a portal key a portal key, and a staff key staff', async () => {
    const customer = await database.db.insertInto('customers').values({ name: 'Portal Co', billing_currency: 'USD' }).returning('id').executeTakeFirstOrThrow();
    const portal = await createApiKey(database.db, { name: 'portal', roles: ['portal'], customerId: customer.id }, ACTOR);
    const staff = await createApiKey(database.db, { name: 'staff', roles: ['finance'], customerId: null }, ACTOR);
    await expect(setApiKeyRoles(database.db, portal.id, ['admin'], ACTOR)).rejects.toThrow(/portal role only/);
    await expect(setApiKeyRoles(database.db, staff.id, ['portal'], ACTOR)).rejects.toThrow(/cannot become a portal key/);
    await expect(setApiKeyRoles(database.db, staff.id, [], ACTOR)).rejects.toThrow(/at least one role/);
    expect(await statuses(`/v1/customers/${customer.id}`, portal.key)).toEqual([200, 200]);
  });
});
