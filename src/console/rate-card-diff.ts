// What a pending rate card version changes against the version pricing now: its settings
// and its rules, a rule being identified by what it matches (one SKU, meter, category, or
// the default), so a changed markup on "compute" reads as one change, not a removal and
// an addition.

export interface RuleLike {
  match: Record<string, unknown>;
  basis: string | null;
  markupPercent: string | null;
  unitPrice: string | null;
}

export interface VersionLike {
  version: number;
  currency: string;
  rounding: { scope: string; mode: string };
  fx: { source: string; rate: string | null; from: string | null };
  minimumMonthly: string | null;
  targetMarginPercent: string | null;
  effectiveFrom: string;
  rules: RuleLike[];
}

export interface Change {
  what: string;
  before: string;
  after: string;
}

/** How a rule prices, in words: "cost + 15 %", "unit price 36.00". */
export function priceOf(rule: RuleLike | undefined): string {
  if (!rule) return '—';
  if (rule.unitPrice !== null) return `unit price ${rule.unitPrice}`;
  return `${rule.basis ?? 'cost'} + ${rule.markupPercent ?? '0'} %`;
}

/** What a rule matches, in words: "category compute", "sku DZH318Z0BQPS:00TF", "default". */
export function matchOf(rule: RuleLike): string {
  const [kind, value] = Object.entries(rule.match)[0] ?? ['default', true];
  return kind === 'default' ? 'default' : `${kind} ${String(value)}`;
}

const settings: [string, (v: VersionLike) => string][] = [
  ['currency', (v) => v.currency],
  ['rounding', (v) => `${v.rounding.scope}, ${v.rounding.mode}`],
  ['exchange rate', (v) => [v.fx.source, v.fx.from, v.fx.rate].filter(Boolean).join(' ')],
  ['monthly minimum', (v) => v.minimumMonthly ?? '—'],
  ['target margin %', (v) => v.targetMarginPercent ?? '—'],
  ['effective from', (v) => v.effectiveFrom],
];

/**
 * Every setting and rule that differs; with no current version, everything the proposed one sets.
 *
 * @example
 *   diffVersions(v1, v2) // [{ what: 'rule category compute', before: 'cost + 10 %', after: 'cost + 12 %' }]
 */
export function diffVersions(current: VersionLike | undefined, proposed: VersionLike): Change[] {
  const changes: Change[] = [];
  for (const [what, read] of settings) {
    const before = current ? read(current) : '—';
    const after = read(proposed);
    if (before !== after) changes.push({ what, before, after });
  }
  const before = new Map((current?.rules ?? []).map((r) => [matchOf(r), r]));
  const after = new Map(proposed.rules.map((r) => [matchOf(r), r]));
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const was = priceOf(before.get(key));
    const now = priceOf(after.get(key));
    if (was !== now) changes.push({ what: `rule ${key}`, before: was, after: now });
  }
  return changes;
}
