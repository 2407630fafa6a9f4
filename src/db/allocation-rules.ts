import type { Kysely, Selectable } from 'kysely';
import { Decimal } from '../engine/decimal.ts';
import type { AllocationMatch, AllocationRule, IsoDate } from '../engine/types.ts';
import type { Database } from './types.ts';

// Allocation rules are versioned: every change (and the retirement) is a new version with
// its justification. On a given day a rule is its newest version effective by then, so a
// later decision overrides an earlier one from its effective date on; a retired newest
// version means the rule no longer applies.

export type AllocationRuleVersionRow = Selectable<Database['allocation_rule_versions']> & { customer_id: string };
export type AllocationSplitRow = Pick<Selectable<Database['allocation_rule_splits']>, 'allocation_rule_version_id' | 'position' | 'cost_node_id' | 'percent'>;

export interface StoredAllocationRule {
  version: AllocationRuleVersionRow;
  splits: AllocationSplitRow[];
}

/** A version's matcher as the engine spells it. */
export function allocationMatchOf(row: Pick<AllocationRuleVersionRow, 'match_kind' | 'match_value' | 'match_tag_value'>): AllocationMatch {
  switch (row.match_kind) {
    case 'tag':
      return { tag: row.match_tag_value === null ? { key: row.match_value } : { key: row.match_value, value: row.match_tag_value } };
    case 'resourceGroup':
      return { resourceGroup: row.match_value };
    case 'subscriptionId':
      return { subscriptionId: row.match_value };
    default:
      return { meterCategory: row.match_value };
  }
}

/** Splits of the given versions, in their listed order. */
export async function splitsOf(db: Kysely<Database>, versionIds: string[]): Promise<AllocationSplitRow[]> {
  if (versionIds.length === 0) return [];
  return db
    .selectFrom('allocation_rule_splits')
    .select(['allocation_rule_version_id', 'position', 'cost_node_id', 'percent'])
    .where('allocation_rule_version_id', 'in', versionIds)
    .orderBy('position')
    .execute();
}

/**
 * Each of the customer's rules at its newest version — or, with `date`, at its newest
 * version effective on that day — in the order the engine tries them (priority, then id).
 * Retired rules are left out unless asked for.
 */
export async function currentAllocationRules(
  db: Kysely<Database>,
  customerId: string,
  options: { date?: IsoDate; includeRetired?: boolean } = {},
): Promise<StoredAllocationRule[]> {
  let query = db
    .selectFrom('allocation_rule_versions as v')
    .innerJoin('allocation_rules as r', 'r.id', 'v.allocation_rule_id')
    .selectAll('v')
    .select('r.customer_id')
    .distinctOn('v.allocation_rule_id')
    .where('r.customer_id', '=', customerId);
  if (options.date !== undefined) query = query.where('v.effective_from', '<=', options.date);
  const newest = await query.orderBy('v.allocation_rule_id').orderBy('v.version', 'desc').execute();
  const versions = newest
    .filter((v) => options.includeRetired || v.status === 'active')
    .sort((a, b) => a.priority - b.priority || (a.allocation_rule_id < b.allocation_rule_id ? -1 : a.allocation_rule_id > b.allocation_rule_id ? 1 : 0));
  const splits = await splitsOf(db, versions.map((v) => v.id));
  return versions.map((version) => ({ version, splits: splits.filter((s) => s.allocation_rule_version_id === version.id) }));
}

/**
 * The customer's allocation rules as the engine takes them, effective on `date`.
 *
 * @example
 *   const rules = await loadAllocationRules(db, customerId, '2026-11-30');
 *   allocate(lines, rules, unallocatedNodeId);
 */
export async function loadAllocationRules(db: Kysely<Database>, customerId: string, date: IsoDate): Promise<AllocationRule[]> {
  const stored = await currentAllocationRules(db, customerId, { date });
  return stored.map(({ version, splits }) => ({
    id: version.allocation_rule_id,
    version: version.version,
    priority: version.priority,
    match: allocationMatchOf(version),
    splits: splits.map((s) => ({ costNodeId: s.cost_node_id, percent: new Decimal(s.percent) })),
  }));
}
