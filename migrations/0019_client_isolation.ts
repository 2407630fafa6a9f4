import { sql, type Kysely } from 'kysely';

// Client isolation enforced by PostgreSQL (row-level security).
//
// A portal request runs in one read-only transaction as the role `hub_portal`, with
// `hub.customer_id` set for that transaction (src/db/customer-scope.ts). The hub's own
// role owns the tables and so bypasses row security (no FORCE ROW LEVEL SECURITY): staff
// requests and the worker see every row, unchanged. `hub_portal` is not the owner, so
// every policy below applies to it, and a table it was granted nothing on refuses it.
//
// Customer-owned tables: every table with a `customer_id` column (policy on that column;
// `customers` itself by its id), and every table that hangs off one of them through a
// NOT NULL foreign key (policy: the parent row is visible). The set is read from the
// catalog, so tables of migrations that land before this one are covered too; later
// tables need their own policy (test/integration/client-isolation.database.test.ts lists
// any that lack one).
export async function up(db: Kysely<any>): Promise<void> {
  // Roles belong to the cluster, not the database: several hub databases (and parallel
  // test databases) share one. Creating it twice at once is not an error, and a role a DBA
  // created beforehand needs no CREATEROLE privilege here.
  await sql`
    do $$ begin
      if not exists (select 1 from pg_roles where rolname = 'hub_portal') then
        create role hub_portal nologin;
      end if;
    exception when duplicate_object or unique_violation then null;
    end $$;
  `.execute(db);
  // A non-superuser connecting role must be a member to SET ROLE to it.
  await sql`
    do $$ begin
      if not exists (select 1 from pg_auth_members m join pg_roles r on r.oid = m.roleid
                     where r.rolname = 'hub_portal' and m.member = (select oid from pg_roles where rolname = current_user)) then
        execute format('grant hub_portal to %I', current_user);
      end if;
    end $$;
  `.execute(db);

  await sql`
    create function hub_customer_id() returns uuid language sql stable as $$
      select nullif(current_setting('hub.customer_id', true), '')::uuid
    $$;
  `.execute(db);

  const direct = await sql<{ table: string }>`
    select c.relname as table
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
    join pg_attribute a on a.attrelid = c.oid and a.attname = 'customer_id' and not a.attisdropped
    where c.relkind in ('r', 'p') and not c.relispartition
    order by 1
  `.execute(db);
  for (const { table } of direct.rows) {
    await isolate(db, table, sql`customer_id = hub_customer_id()`);
  }
  await isolate(db, 'customers', sql`id = hub_customer_id()`);

  // Children of customer-owned rows, to a fixed point (invoice_line_sources → invoice_lines → invoices).
  const owned = new Set(await notNullCustomerTables(db));
  owned.add('customers');
  for (let added = true; added; ) {
    added = false;
    const fks = await sql<{ child: string; column: string; parent: string }>`
      select c.relname as child, a.attname as column, p.relname as parent
      from pg_constraint k
      join pg_class c on c.oid = k.conrelid
      join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
      join pg_class p on p.oid = k.confrelid
      join pg_attribute a on a.attrelid = k.conrelid and a.attnum = k.conkey[1]
      where k.contype = 'f' and cardinality(k.conkey) = 1 and a.attnotnull and not c.relispartition
      order by 1, 2
    `.execute(db);
    const byChild = new Map<string, { column: string; parent: string }[]>();
    for (const fk of fks.rows) {
      if (owned.has(fk.child) || !owned.has(fk.parent)) continue;
      byChild.set(fk.child, [...(byChild.get(fk.child) ?? []), fk]);
    }
    for (const [child, parents] of byChild) {
      const visible = parents.map((p) => sql`${sql.ref(p.column)} in (select id from ${sql.table(p.parent)})`);
      await isolate(db, child, sql.join(visible, sql` and `));
      owned.add(child);
      added = true;
    }
  }

  // The identity map: a customer's own links and those of its cost nodes and subscriptions.
  await isolate(
    db,
    'external_links',
    sql`(entity = 'customer' and entity_id = hub_customer_id())
        or (entity = 'cost_node' and entity_id in (select id from cost_nodes))
        or (entity = 'subscription' and entity_id in (select id from subscriptions))`,
  );
  // Hub-wide settings: a client reads the seller header its invoice documents print, nothing else.
  await isolate(db, 'settings', sql`key = 'invoice.seller'`);

  // What a client may read at all. Everything else (keys, connections, audit, rate cards
  // with their markups, margin flags, discrepancies) stays refused even to a policy-matching row.
  await sql`
    grant select on customers, external_links, cost_nodes, allocation_rules, allocation_rule_versions,
      allocation_rule_splits, subscriptions, subscription_events, usage_lines, license_lines,
      invoices, invoice_lines, invoice_line_sources, consents, settings
    to hub_portal
  `.execute(db);
}

/** Tables whose `customer_id` is NOT NULL: their rows always belong to one customer. */
async function notNullCustomerTables(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{ table: string }>`
    select c.relname as table
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
    join pg_attribute a on a.attrelid = c.oid and a.attname = 'customer_id' and a.attnotnull
    where c.relkind in ('r', 'p') and not c.relispartition
  `.execute(db);
  return rows.map((r) => r.table);
}

async function isolate(db: Kysely<any>, table: string, visible: ReturnType<typeof sql>): Promise<void> {
  await sql`alter table ${sql.table(table)} enable row level security`.execute(db);
  await sql`create policy customer_isolation on ${sql.table(table)} to hub_portal using (${visible}) with check (${visible})`.execute(db);
}
