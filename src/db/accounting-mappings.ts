import { sql, type Kysely } from 'kysely';
import { MappingIndex, type Dimensions, type ErpSystem, type LineRef, type MappingEntry, type MappingKind } from '../mappings/accounting/line-accounts.ts';
import type { Database } from './types.ts';

export interface MappingView {
  system: ErpSystem;
  version: number;
  items: (MappingEntry & { updatedAt: string })[];
}

/** The current mapping of one ERP and its version (0 before the first edit). */
export async function loadMappingView(db: Kysely<Database>, system: ErpSystem): Promise<MappingView> {
  const rows = await db
    .selectFrom('accounting_mappings')
    .select(['match_kind', 'match_value', 'account', 'tax_code', 'dimensions', 'updated_at'])
    .where('system', '=', system)
    .orderBy('match_kind')
    .orderBy(sql`lower(match_value)`)
    .execute();
  const latest = await db.selectFrom('accounting_mapping_versions').select(({ fn }) => fn.max('version').as('version')).where('system', '=', system).executeTakeFirst();
  return {
    system,
    version: latest?.version ?? 0,
    items: rows.map((r) => ({
      kind: r.match_kind as MappingKind,
      value: r.match_value,
      account: r.account,
      taxCode: r.tax_code,
      dimensions: r.dimensions as Dimensions | null,
      updatedAt: r.updated_at.toISOString(),
    })),
  };
}

export async function loadMappingIndex(db: Kysely<Database>, system: ErpSystem): Promise<MappingIndex> {
  return new MappingIndex((await loadMappingView(db, system)).items);
}

/**
 * Only the entries that can apply to the given lines: their SKUs, categories and line
 * kinds, the given cost nodes (pass their ancestors too) and the deferred revenue account.
 * A posting needs a handful of a mapping's entries, found through its unique index.
 */
export async function loadMappingIndexFor(db: Kysely<Database>, system: ErpSystem, lines: readonly LineRef[], costNodeIds: Iterable<string>): Promise<MappingIndex> {
  const keys = new Map<string, [MappingKind, string]>();
  const add = (kind: MappingKind, value: string | null) => {
    if (value !== null) keys.set(`${kind}|${value.toLowerCase()}`, [kind, value.toLowerCase()]);
  };
  for (const line of lines) {
    add('sku', line.sku);
    add('category', line.category);
    add('lineKind', line.kind);
  }
  for (const node of costNodeIds) add('costNode', node);
  add('deferredRevenue', '*');
  const pairs = [...keys.values()];
  const rows = await db
    .selectFrom('accounting_mappings')
    .select(['match_kind', 'match_value', 'account', 'tax_code', 'dimensions'])
    .where('system', '=', system)
    .where(sql<boolean>`(match_kind, lower(match_value)) in (select * from unnest(${pairs.map((p) => p[0])}::text[], ${pairs.map((p) => p[1])}::text[]))`)
    .execute();
  return new MappingIndex(rows.map((r) => ({ kind: r.match_kind as MappingKind, value: r.match_value, account: r.account, taxCode: r.tax_code, dimensions: r.dimensions as Dimensions | null })));
}

/** Parent of every cost node of the given customers, for walking up to a mapped ancestor. */
export async function costNodeParents(db: Kysely<Database>, customerIds: readonly string[]): Promise<Map<string, string | null>> {
  if (customerIds.length === 0) return new Map();
  const rows = await db.selectFrom('cost_nodes').select(['id', 'parent_id']).where('customer_id', 'in', [...new Set(customerIds)]).execute();
  return new Map(rows.map((r) => [r.id, r.parent_id]));
}
