/**
 * `npm run bench -- auth [--requests 3000]`
 *
 * What reading the key's row on every request costs, now that no process caches a
 * verified key (a revoked or re-roled key must stop on its next request everywhere).
 * Sequential requests over keep-alive HTTP to a listening hub: an authenticated read that
 * does no work of its own (GET /v1/providers, a static list) against the public GET
 * /health, in alternating blocks so drift on a noisy machine hits both alike. The ratio
 * is the authenticated request's mean time ÷ the public one's (target ≤ 4.0: on a loaded
 * two-core machine a PostgreSQL round trip costs about as much again as a bare request, so
 * the target leaves room for noise while catching a second query or a slow hash); the
 * extra microseconds per request are printed too.
 */
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { webhookRegistry } from '../src/connectors/webhooks.ts';
import type { HubContext } from '../src/context.ts';
import { createApiKey } from '../src/db/api-keys.ts';
import { SecretBox } from '../src/security/secret-box.ts';
import { buildApp } from '../src/server/app.ts';
import { finish, intFlag, parseFlags, startBenchDatabase } from './support.ts';

const flags = parseFlags(process.argv.slice(2), ['requests']);
const REQUESTS = intFlag(flags, 'requests', 3000);
const BLOCK = 250;

async function main(): Promise<void> {
  const database = await startBenchDatabase();
  try {
    const ctx: HubContext = {
      db: database.db,
      pool: database.pool,
      config: { ...loadConfig({}), databaseUrl: database.url },
      logger: pino({ level: 'warn' }),
      secrets: new SecretBox(randomBytes(32)),
      webhookProviders: webhookRegistry([]),
    };
    const app = await buildApp(ctx);
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const { key } = await createApiKey(database.db, { name: 'bench', roles: ['auditor'], customerId: null }, { actor: 'system:bench' });
    const authed = { url: `${base}/v1/providers`, headers: { authorization: `Bearer ${key}` } };
    const bare = { url: `${base}/health`, headers: {} };

    const block = async (target: { url: string; headers: Record<string, string> }, n: number): Promise<number> => {
      const start = performance.now();
      for (let i = 0; i < n; i++) {
        const res = await fetch(target.url, { headers: target.headers });
        if (res.status !== 200) throw new Error(`${target.url}: HTTP ${res.status}`);
        await res.arrayBuffer();
      }
      return performance.now() - start;
    };
    // Warm up connections, JIT and PostgreSQL's plan cache.
    await block(authed, 200);
    await block(bare, 200);
    let authedMs = 0;
    let bareMs = 0;
    for (let done = 0; done < REQUESTS; done += BLOCK) {
      authedMs += await block(authed, BLOCK);
      bareMs += await block(bare, BLOCK);
    }
    await app.close();
    const n = Math.ceil(REQUESTS / BLOCK) * BLOCK;
    const perAuthed = (authedMs / n) * 1000;
    const perBare = (bareMs / n) * 1000;
    console.log(`${n} requests each: authenticated ${perAuthed.toFixed(0)} µs, public ${perBare.toFixed(0)} µs, key verification +${(perAuthed - perBare).toFixed(0)} µs a request`);
    finish({ name: 'auth', ratio: perAuthed / perBare, target: 4.0 });
  } finally {
    await database.close();
  }
}

await main();
