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
import { createApiKey } from '../src/db/api-keys.ts';
import { compareRequests, listeningHub } from './http-compare.ts';
import { finish, intFlag, parseFlags, startBenchDatabase } from './support.ts';

const flags = parseFlags(process.argv.slice(2), ['requests']);
const REQUESTS = intFlag(flags, 'requests', 3000);

async function main(): Promise<void> {
  const database = await startBenchDatabase();
  try {
    const { app, base } = await listeningHub(database);
    const { key } = await createApiKey(database.db, { name: 'bench', roles: ['auditor'], customerId: null }, { actor: 'system:bench' });
    const authed = { url: `${base}/v1/providers`, headers: { authorization: `Bearer ${key}` } };
    const bare = { url: `${base}/health` };
    const { perA: perAuthed, perB: perBare, n } = await compareRequests(authed, bare, REQUESTS);
    await app.close();
    console.log(`${n} requests each: authenticated ${perAuthed.toFixed(0)} µs, public ${perBare.toFixed(0)} µs, key verification +${(perAuthed - perBare).toFixed(0)} µs a request`);
    finish({ name: 'auth', ratio: perAuthed / perBare, target: 4.0 });
  } finally {
    await database.close();
  }
}

await main();
