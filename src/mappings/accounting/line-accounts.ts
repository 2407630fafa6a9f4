/**
 * Where an invoice line lands in an ERP, from the accounting mappings: its revenue GL
 * account and tax code (SKU first, then charge category, then the special line kinds
 * minimum, rounding and labour), and the cost-centre dimensions of each cost node it was
 * allocated to (the node's own entry, else its nearest mapped ancestor's).
 * Pure: the caller loads the entries and the cost-node tree.
 */

export const ERP_SYSTEMS = ['quickbooks', 'xero', 'netsuite'] as const;
export type ErpSystem = (typeof ERP_SYSTEMS)[number];

/** Invoice line kinds with no SKU or category of their own, mapped by their kind (labour: PSA labour on a combined invoice). */
export const LINE_KINDS = ['minimum', 'rounding', 'labour'] as const;

export const MAPPING_KINDS = ['category', 'sku', 'lineKind', 'costNode', 'deferredRevenue'] as const;
export type MappingKind = (typeof MAPPING_KINDS)[number];

/** The ERP's cost-centre dimensions; which of them a system has is in DIMENSIONS_OF. */
export interface Dimensions {
  class?: string;
  department?: string;
  location?: string;
  /** Xero tracking: category name and option, at most two (Xero's own limit). */
  tracking?: { name: string; option: string }[];
}

export const DIMENSIONS_OF: Readonly<Record<ErpSystem, readonly (keyof Dimensions)[]>> = {
  quickbooks: ['class', 'department'],
  xero: ['tracking'],
  netsuite: ['department', 'class', 'location'],
};

export interface MappingEntry {
  kind: MappingKind;
  value: string;
  account: string | null;
  taxCode: string | null;
  dimensions: Dimensions | null;
}

export interface LineRef {
  kind: string;
  category: string | null;
  sku: string | null;
}

export interface RevenueAccount {
  account: string;
  taxCode: string | null;
  matchedBy: 'sku' | 'category' | 'lineKind';
}

/** Entries by kind and case-folded value. */
export class MappingIndex {
  readonly #byKey = new Map<string, MappingEntry>();

  constructor(entries: Iterable<MappingEntry>) {
    for (const e of entries) this.#byKey.set(keyOf(e.kind, e.value), e);
  }

  get(kind: MappingKind, value: string | null): MappingEntry | undefined {
    return value === null ? undefined : this.#byKey.get(keyOf(kind, value));
  }

  /**
   * The line's revenue account, or undefined when nothing maps it.
   * @example index.revenueAccountOf({ kind: 'charge', category: 'compute', sku: null }) // { account: '4000', taxCode: 'OUTPUT', matchedBy: 'category' }
   */
  revenueAccountOf(line: LineRef): RevenueAccount | undefined {
    const candidates: [RevenueAccount['matchedBy'], string | null][] = [
      ['sku', line.sku],
      ['category', line.category],
      ['lineKind', (LINE_KINDS as readonly string[]).includes(line.kind) ? line.kind : null],
    ];
    for (const [kind, value] of candidates) {
      const entry = this.get(kind, value);
      if (entry?.account) return { account: entry.account, taxCode: entry.taxCode, matchedBy: kind };
    }
    return undefined;
  }

  /** The cost node's dimensions, walking up the tree to the nearest mapped ancestor. */
  dimensionsOf(costNodeId: string, parentOf: ReadonlyMap<string, string | null>): Dimensions | undefined {
    const seen = new Set<string>();
    for (let node: string | null | undefined = costNodeId; node && !seen.has(node); node = parentOf.get(node)) {
      seen.add(node);
      const entry = this.get('costNode', node);
      if (entry?.dimensions) return entry.dimensions;
    }
    return undefined;
  }
}

const keyOf = (kind: string, value: string) => `${kind}|${value.toLowerCase()}`;

/** What is wrong with a mapping entry for a system, as field/reason pairs relative to the entry. */
export function entryProblems(system: ErpSystem, entry: { kind: MappingKind; value: string; account?: string | null; dimensions?: Dimensions | null }): { field: string; reason: string }[] {
  const problems: { field: string; reason: string }[] = [];
  if (entry.kind === 'costNode') {
    if (!entry.dimensions) problems.push({ field: 'dimensions', reason: 'a costNode entry maps to cost-centre dimensions' });
    if (entry.account) problems.push({ field: 'account', reason: 'a costNode entry carries dimensions, not an account' });
  } else {
    if (!entry.account) problems.push({ field: 'account', reason: `a ${entry.kind} entry maps to a GL account` });
    if (entry.dimensions) problems.push({ field: 'dimensions', reason: 'only costNode entries carry dimensions' });
  }
  if (entry.kind === 'lineKind' && !(LINE_KINDS as readonly string[]).includes(entry.value)) problems.push({ field: 'value', reason: "a lineKind entry is 'minimum', 'rounding' or 'labour'" });
  if (entry.kind === 'deferredRevenue' && entry.value !== '*') problems.push({ field: 'value', reason: "the deferredRevenue entry's value is '*' (one deferred revenue account per ERP)" });
  const allowed = DIMENSIONS_OF[system];
  for (const [name, value] of Object.entries(entry.dimensions ?? {})) {
    if (!allowed.includes(name as keyof Dimensions)) problems.push({ field: `dimensions.${name}`, reason: `${system} has no ${name} dimension (it has ${allowed.join(', ')})` });
    else if (name === 'tracking' && (value as unknown[]).length > 2) problems.push({ field: 'dimensions.tracking', reason: 'Xero allows at most two tracking categories' });
  }
  return problems;
}
