import { sql, type Kysely } from 'kysely';
import { MappingIndex, type Dimensions, type ErpSystem, type MappingEntry, type MappingKind } from '../mappings/accounting/line-accounts.ts';
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

/** Parent of every cost node of the given customers, for walking up to a mapped ancestor. */
export async function costNodeParents(db: Kysely<Database>, customerIds: readonly string[]): Promise<Map<string, string | null>> {
  if (customerIds.length === 0) return new Map();
  const rows = await db.selectFrom('cost_nodes').select(['id', 'parent_id']).where('customer_id', 'in', [...new Set(customerIds)]).execute();
  return new Map(rows.map((r) => [r.id, r.parent_id]));
}
