/**
 * `npm run bench -- portal-isolation [--requests 3000]`
 *
 * What confining a client's portal request in PostgreSQL costs: the same read
 * (GET /v1/customers/{id}) with a staff key, which runs as the tables' owner, and with that
 * customer's portal key, which runs in a read-only transaction as hub_portal with the
 * customer set (row-level security; src/db/customer-scope.ts). Sequential requests over
 * keep-alive HTTP to a listening hub, in alternating blocks so drift on a noisy machine hits
 * both alike. The ratio is the portal request's mean time ÷ the staff one's (target ≤ 2.0:
 * the scope adds a checkout and two round trips, begin-with-settings and commit, to a request
 * that makes three); the extra microseconds per request are printed too.
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
    const actor = { actor: 'system:bench' };
    const customer = await database.db.insertInto('customers').values({ name: 'Bench Client' }).returning('id').executeTakeFirstOrThrow();
    await database.db.insertInto('customers').values({ name: 'Another Client' }).execute();
    const staff = (await createApiKey(database.db, { name: 'bench staff', roles: ['auditor'], customerId: null }, actor)).key;
    const portal = (await createApiKey(database.db, { name: 'bench portal', roles: ['portal'], customerId: customer.id }, actor)).key;
    const url = `${base}/v1/customers/${customer.id}`;
    const { perA: perPortal, perB: perStaff, n } = await compareRequests({ url, headers: { authorization: `Bearer ${portal}` } }, { url, headers: { authorization: `Bearer ${staff}` } }, REQUESTS);
    await app.close();
    console.log(`${n} requests each: portal ${perPortal.toFixed(0)} µs, staff ${perStaff.toFixed(0)} µs, isolation +${(perPortal - perStaff).toFixed(0)} µs a request`);
    finish({ name: 'portal-isolation', ratio: perPortal / perStaff, target: 2.0 });
  } finally {
    await database.close();
  }
}

await main();
