import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asCustomer } from '../../src/db/customer-scope.ts';
import { ingestLicenseRecords, ingestUsageRecords } from '../helpers/ingest-records.ts';
import { licenseRecord } from '../helpers/license-fixtures.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.ts';
import { usageRecord } from '../helpers/usage-fixtures.ts';

// Client isolation is the database's, not only the routes': a query in a portal
// transaction that forgets its WHERE clause still sees one customer's rows.

let database: TestDatabase;
const TENANT = { a: 'c1c2c3d4-0000-4000-8000-0000000000a1', b: 'c1c2c3d4-0000-4000-8000-0000000000b2' };
const customer = { a: '', b: '' };

/** Rows the hub's own role (the owner: staff requests, the worker) sees, per table. */
async function ownerCount(table: string, where = sql`true`): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)} where ${where}`.execute(database.db);
  return rows[0]!.n;
}

beforeAll(async () => {
  database = await createTestDatabase();
  await ingestUsageRecords(database, [
    usageRecord({ CustomerId: TENANT.a, CustomerName: 'Client A' }),
    usageRecord({ CustomerId: TENANT.a, CustomerName: 'Client A', UsageDate: '10/4/2026 0:00' }),
    usageRecord({ CustomerId: TENANT.b, CustomerName: 'Client B' }),
  ]);
  await ingestLicenseRecords(database, [
    licenseRecord({ CustomerId: TENANT.a, CustomerName: 'Client A', Currency: 'USD', PricingCurrency: 'USD', PCToBCExchangeRate: '1' }),
    licenseRecord({ CustomerId: TENANT.b, CustomerName: 'Client B', Currency: 'USD', PricingCurrency: 'USD', PCToBCExchangeRate: '1' }),
  ]);
  const links = await database.db.selectFrom('external_links').select(['entity_id', 'external_id']).where('entity', '=', 'customer').execute();
  customer.a = links.find((l) => l.external_id === TENANT.a)!.entity_id;
  customer.b = links.find((l) => l.external_id === TENANT.b)!.entity_id;
  for (const [id, name] of [[customer.a, 'Web'], [customer.a, 'Data'], [customer.b, 'Ops']] as const) {
    await database.db.insertInto('cost_nodes').values({ customer_id: id, name }).execute();
  }
  await database.db.insertInto('settings').values({ key: 'invoice.seller', value: JSON.stringify({ name: 'MSP' }) }).execute();
  await database.db.insertInto('settings').values({ key: 'some.internal', value: JSON.stringify({ secret: true }) }).execute();
}, 60_000);

afterAll(async () => {
  await database?.drop();
});

describe('row-level security on customer-owned tables', () => {
  it('has a policy on every table with a customer id, and on every table that hangs off one by a required foreign key', async () => {
    // Customer-owned, read from the catalog independently of the migration that wrote the policies.
    const { rows } = await sql<{ table: string; rls: boolean; policies: number }>`
      with recursive owned(oid) as (
        select c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
        where c.relkind in ('r', 'p') and not c.relispartition
          and (c.relname = 'customers' or exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'customer_id' and not a.attisdropped))
        union
        select k.conrelid from pg_constraint k
        join owned o on o.oid = k.confrelid
        join pg_attribute a on a.attrelid = k.conrelid and a.attnum = k.conkey[1] and a.attnotnull
        join pg_class p on p.oid = k.confrelid
        where k.contype = 'f' and cardinality(k.conkey) = 1
          and (p.relname = 'customers' or exists (select 1 from pg_attribute pa where pa.attrelid = p.oid and pa.attname = 'customer_id' and pa.attnotnull)
               or not exists (select 1 from pg_attribute pa where pa.attrelid = p.oid and pa.attname = 'customer_id'))
      )
      select c.relname as table, c.relrowsecurity as rls,
        (select count(*)::int from pg_policy p where p.polrelid = c.oid) as policies
      from owned o join pg_class c on c.oid = o.oid order by 1
    `.execute(database.db);
    const tables = rows.map((r) => r.table);
    // The set is not empty by accident: the tables a client's data lives in are in it.
    expect(tables).toEqual(
      expect.arrayContaining(['customers', 'cost_nodes', 'subscriptions', 'subscription_events', 'usage_lines', 'license_lines', 'invoices', 'invoice_lines', 'invoice_line_sources', 'allocation_rules', 'allocation_rule_versions', 'allocation_rule_splits', 'consents']),
    );
    expect(rows.filter((r) => !r.rls || r.policies === 0).map((r) => r.table), 'customer-owned tables without row-level security').toEqual([]);
  });

  it("shows a portal transaction that forgets its WHERE clause only its own customer's rows", async () => {
    const checks: Record<string, { mine: number; foreign: number }> = {};
    await asCustomer(database.pool, customer.a, async () => {
      for (const table of ['usage_lines', 'license_lines', 'subscriptions', 'cost_nodes']) {
        const { rows } = await sql<{ mine: number; foreign: number }>`
          select count(*) filter (where customer_id = ${customer.a})::int as mine,
                 count(*) filter (where customer_id <> ${customer.a})::int as foreign
          from ${sql.table(table)}`.execute(database.db);
        checks[table] = rows[0]!;
      }
      const customers = await database.db.selectFrom('customers').select('id').execute();
      checks.customers = { mine: customers.filter((c) => c.id === customer.a).length, foreign: customers.filter((c) => c.id !== customer.a).length };
      const links = await database.db.selectFrom('external_links').select(['entity', 'external_id']).execute();
      checks.external_links = { mine: links.filter((l) => l.external_id === TENANT.a).length, foreign: links.filter((l) => l.external_id === TENANT.b).length };
    });
    // What each table holds for A, counted by the hub's own role.
    expect(checks).toEqual({
      usage_lines: { mine: 2, foreign: 0 },
      license_lines: { mine: await ownerCount('license_lines', sql`customer_id = ${customer.a}`), foreign: 0 },
      subscriptions: { mine: await ownerCount('subscriptions', sql`customer_id = ${customer.a}`), foreign: 0 },
      // Web, Data and the unallocated node every customer gets.
      cost_nodes: { mine: 3, foreign: 0 },
      customers: { mine: 1, foreign: 0 },
      external_links: { mine: 1, foreign: 0 },
    });
    // B's rows exist: the owner sees both customers.
    expect(await ownerCount('usage_lines', sql`customer_id = ${customer.b}`)).toBe(1);
    expect(await ownerCount('cost_nodes', sql`customer_id = ${customer.b}`)).toBe(2);
    expect(await ownerCount('customers')).toBe(2);
  });

  it("lets a client read the invoice seller's header and no other hub setting", async () => {
    const keys = await asCustomer(database.pool, customer.a, () => database.db.selectFrom('settings').select('key').execute());
    expect(keys.map((k) => k.key)).toEqual(['invoice.seller']);
  });

  it("refuses outright what a client has no business reading, even its own customer's rows", async () => {
    for (const table of ['api_keys', 'audit_log', 'connections', 'rate_cards', 'billing_run_customers', 'alerts']) {
      await expect(asCustomer(database.pool, customer.a, () => sql`select count(*) from ${sql.table(table)}`.execute(database.db)), table).rejects.toThrow(
        `permission denied for table ${table}`,
      );
    }
  });

  it('refuses writes, and statements that would end the confinement early', async () => {
    await expect(
      asCustomer(database.pool, customer.a, () => database.db.updateTable('cost_nodes').set({ name: 'Renamed' }).where('customer_id', '=', customer.a).execute()),
    ).rejects.toThrow(/read-only transaction/);
    await expect(asCustomer(database.pool, customer.a, () => database.db.transaction().execute(async (trx) => trx.selectFrom('customers').selectAll().execute()))).rejects.toThrow(
      /"begin" is refused/,
    );
    for (const statement of ['commit', 'reset role', 'set role none', "select set_config('hub.customer_id', null, true)"]) {
      const attempt = asCustomer(database.pool, customer.a, async () => {
        await sql.raw(statement).execute(database.db).catch(() => {});
        return database.db.selectFrom('customers').select('id').execute();
      });
      const seen = await attempt.catch(() => []);
      expect(seen.map((c) => c.id).filter((id) => id !== customer.a), statement).toEqual([]);
    }
    expect(await ownerCount('cost_nodes', sql`name = 'Renamed'`)).toBe(0);
  });

  it('shows nothing when the customer is not set, and leaves the connection as it found it', async () => {
    const client = await database.pool.connect();
    try {
      await client.query('begin read only');
      await client.query('set local role hub_portal');
      const { rows } = await client.query('select count(*)::int as n from usage_lines');
      expect(rows[0].n).toBe(0);
      await client.query('rollback');
    } finally {
      client.release();
    }
    // Every pooled connection is back to the owner: staff queries see every customer.
    const counts = await Promise.all(Array.from({ length: 12 }, () => ownerCount('customers')));
    expect(counts).toEqual(Array(12).fill(2));
  });
});
