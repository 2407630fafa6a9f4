/**
 * Allocation: send each line's amount to the customer's cost nodes (business unit →
 * department → project) by tag, resource group, subscription or meter category.
 *
 * - Rules are tried in ascending `priority` (ties by rule id); the first rule that
 *   matches claims the whole line and splits it by its percentages (which sum to
 *   exactly 100). A line no rule claims goes 100 % to the unallocated node: cost never
 *   disappears.
 * - Matching: tag keys, resource groups, subscription ids and meter categories compare
 *   case-insensitively (Azure treats them so); tag values compare exactly. A tag rule
 *   without a value matches any non-blank value.
 * - Exact splits (largest remainder): the parts are whole multiples of the split unit —
 *   the currency's minor unit, or the amount's own last decimal place when it carries
 *   more decimals (an unrounded price) — so they always add up to exactly the line.
 *   Each part is first rounded down to the unit; the units still missing go one each to
 *   the parts with the largest remainders, ties to the split listed first. A credit is
 *   split as the mirror image of the same charge.
 */
import { Decimal, HUNDRED, ZERO, sum } from './decimal.ts';
import { CountedList } from './counted-list.ts';
import { EngineError } from './errors.ts';
import { minorUnits, roundPartsToTarget } from './money.ts';
import type {
  AllocatableLine,
  Allocation,
  AllocationRule,
  AllocationSplit,
  CostNode,
  CostNodeTotal,
  TagCompliance,
} from './types.ts';

function same(a: string | null | undefined, b: string): boolean {
  return a != null && a.toLowerCase() === b.toLowerCase();
}

function tagValue(tags: Readonly<Record<string, string>> | undefined, key: string): string | undefined {
  if (!tags) return undefined;
  for (const [k, v] of Object.entries(tags)) if (same(k, key)) return v;
  return undefined;
}

/** Whether a rule's matcher claims the line. */
export function ruleMatches(rule: AllocationRule, line: AllocatableLine): boolean {
  const m = rule.match;
  if ('tag' in m) {
    const value = tagValue(line.tags, m.tag.key);
    if (value === undefined || value.trim() === '') return false;
    return m.tag.value === undefined || value === m.tag.value;
  }
  if ('resourceGroup' in m) return same(line.resourceGroup, m.resourceGroup);
  if ('subscriptionId' in m) return same(line.subscriptionId, m.subscriptionId);
  if ('meterCategory' in m) return same(line.meterCategory, m.meterCategory);
  throw new EngineError('invalid_allocation_rule', `Allocation rule ${(rule as AllocationRule).id} has no known matcher`, { ruleId: (rule as AllocationRule).id });
}

/** Throws EngineError('invalid_allocation_rule') unless the rules are usable. */
export function validateAllocationRules(rules: readonly AllocationRule[]): void {
  const ids = new Set<string>();
  for (const rule of rules) {
    const bad = (message: string): EngineError =>
      new EngineError('invalid_allocation_rule', `Allocation rule ${rule.id} v${rule.version}: ${message}`, { ruleId: rule.id, ruleVersion: rule.version });
    if (ids.has(rule.id)) throw bad('the id is used twice');
    ids.add(rule.id);
    if (!Number.isFinite(rule.priority)) throw bad('priority must be a number');
    if (rule.splits.length === 0) throw bad('has no splits');
    const nodes = new Set<string>();
    for (const split of rule.splits) {
      if (split.percent.lessThanOrEqualTo(0)) throw bad(`split to ${split.costNodeId} must be more than 0 %`);
      if (nodes.has(split.costNodeId)) throw bad(`splits to ${split.costNodeId} twice`);
      nodes.add(split.costNodeId);
    }
    const total = sum(rule.splits.map((s) => s.percent));
    if (!total.equals(HUNDRED)) throw bad(`splits sum to ${total.toString()} %, not 100 %`);
  }
}

/**
 * Split an amount by percentages into parts that add up to exactly the amount (see the
 * module notes for the unit and the tie rule).
 * @example splitExactly(new Decimal('100.00'), [p(33.3333..), ...], 'USD') // [33.34, 33.33, 33.33]
 */
export function splitExactly(amount: Decimal, splits: readonly AllocationSplit[], currency: string): Decimal[] {
  const places = Math.max(minorUnits(currency), amount.decimalPlaces());
  const unit = unitOf(places);
  const whole = amount.abs();
  const exact = splits.map((s) => whole.times(s.percent).div(HUNDRED));
  const parts = roundPartsToTarget(exact, whole, unit);
  return amount.isNegative() ? parts.map((p) => p.negated()) : parts;
}

/**
 * Allocate each line to cost nodes.
 *
 * @example
 *   allocate([{ id: 'u1', amount: new Decimal('100.00'), currency: 'USD', resourceGroup: 'rg-erp' }],
 *            [{ id: 'r1', version: 1, priority: 1, match: { resourceGroup: 'rg-erp' },
 *               splits: [{ costNodeId: 'finance', percent: new Decimal(60) }, { costNodeId: 'ops', percent: new Decimal(40) }] }],
 *            'unallocated')
 *   // [{ lineId: 'u1', costNodeId: 'finance', ruleId: 'r1', percent: 60, amount: 60.00 }, { ... 'ops' ... 40.00 }]
 */
export function allocate(lines: readonly AllocatableLine[], rules: readonly AllocationRule[], unallocatedNodeId: string): Allocation[] {
  const allocateLine = lineAllocator(rules, unallocatedNodeId);
  const allocations: Allocation[] = [];
  for (const line of lines) {
    for (const a of allocateLine(line.id, line.amount, line.currency, line.tags, line.resourceGroup, line.subscriptionId, line.meterCategory)) allocations.push(a);
  }
  return allocations;
}

type Matcher = (tags: Readonly<Record<string, string>> | undefined, resourceGroup: string | null | undefined, subscriptionId: string | null | undefined, meterCategory: string | null | undefined) => boolean;

/** ruleMatches with the rule's side lower-cased once. */
function compileMatcher(rule: AllocationRule): Matcher {
  const m = rule.match;
  const lower = (value: string | null | undefined, wanted: string): boolean => value != null && value.toLowerCase() === wanted;
  if ('tag' in m) {
    const key = m.tag.key.toLowerCase();
    const wanted = m.tag.value;
    return (tags) => {
      if (!tags) return false;
      let value: string | undefined;
      for (const k in tags) {
        if (!Object.prototype.hasOwnProperty.call(tags, k)) continue;
        if (k.toLowerCase() === key) {
          value = tags[k];
          break;
        }
      }
      if (value === undefined || value.trim() === '') return false;
      return wanted === undefined || value === wanted;
    };
  }
  if ('resourceGroup' in m) {
    const wanted = m.resourceGroup.toLowerCase();
    return (_t, resourceGroup) => lower(resourceGroup, wanted);
  }
  if ('subscriptionId' in m) {
    const wanted = m.subscriptionId.toLowerCase();
    return (_t, _r, subscriptionId) => lower(subscriptionId, wanted);
  }
  if ('meterCategory' in m) {
    const wanted = m.meterCategory.toLowerCase();
    return (_t, _r, _s, meterCategory) => lower(meterCategory, wanted);
  }
  return () => {
    throw new EngineError('invalid_allocation_rule', `Allocation rule ${(rule as AllocationRule).id} has no known matcher`, { ruleId: (rule as AllocationRule).id });
  };
}

/** 10^-places, made once per number of places. */
const units: Decimal[] = [];
function unitOf(places: number): Decimal {
  let unit = units[places];
  if (!unit) units[places] = unit = new Decimal(10).pow(-places);
  return unit;
}

/**
 * The per-line step of `allocate`, with the rules validated, ordered and compiled once.
 * Same results as `allocate` for one line; a rule with a single split (which validation
 * makes exactly 100 %) gives the whole amount to its node, which is what the exact split
 * yields for an amount of at most 40 significant digits.
 */
export function lineAllocator(
  rules: readonly AllocationRule[],
  unallocatedNodeId: string,
): (
  lineId: string,
  amount: Decimal,
  currency: string,
  tags: Readonly<Record<string, string>> | undefined,
  resourceGroup: string | null | undefined,
  subscriptionId: string | null | undefined,
  meterCategory: string | null | undefined,
) => Allocation[] {
  validateAllocationRules(rules);
  const ordered = rules
    .slice()
    .sort((a, b) => a.priority - b.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((rule) => ({ rule, matches: compileMatcher(rule) }));
  return (lineId, amount, currency, tags, resourceGroup, subscriptionId, meterCategory) => {
    let rule: AllocationRule | undefined;
    for (const r of ordered) {
      if (r.matches(tags, resourceGroup, subscriptionId, meterCategory)) {
        rule = r.rule;
        break;
      }
    }
    if (!rule) return [{ lineId, costNodeId: unallocatedNodeId, ruleId: null, ruleVersion: null, percent: HUNDRED, amount }];
    const only = rule.splits.length === 1 ? rule.splits[0] : undefined;
    if (only && amount.d && amount.d.length <= 5) {
      // ≤ 35 significant digits: × 100 ÷ 100 and the unit rounding are exact, so the one part is the amount.
      minorUnits(currency);
      return [{ lineId, costNodeId: only.costNodeId, ruleId: rule.id, ruleVersion: rule.version, percent: only.percent, amount }];
    }
    const parts = splitExactly(amount, rule.splits, currency);
    const out: Allocation[] = [];
    const { splits } = rule;
    for (let i = 0; i < splits.length; i += 1) {
      const split = splits[i] as AllocationSplit;
      out.push({ lineId, costNodeId: split.costNodeId, ruleId: rule.id, ruleVersion: rule.version, percent: split.percent, amount: parts[i] ?? ZERO });
    }
    return out;
  };
}

/**
 * Sum allocations up a customer's cost-node tree: each node's direct amount and its
 * total including every descendant. Output follows the tree's order.
 * @example rollUp(allocations, [{ id: 'bu', parentId: null }, { id: 'dept', parentId: 'bu' }])
 */
export function rollUp(allocations: readonly Allocation[], tree: readonly CostNode[]): CostNodeTotal[] {
  const nodes = new Map<string, CostNode>();
  for (const node of tree) {
    if (nodes.has(node.id)) throw new EngineError('invalid_cost_tree', `Cost node ${node.id} appears twice in the tree`, { costNodeId: node.id });
    nodes.set(node.id, node);
  }
  for (const node of tree) {
    if (node.parentId !== null && !nodes.has(node.parentId)) {
      throw new EngineError('invalid_cost_tree', `Cost node ${node.id} has unknown parent ${node.parentId}`, { costNodeId: node.id });
    }
    const seen = new Set<string>([node.id]);
    for (let p = node.parentId; p !== null; p = nodes.get(p)?.parentId ?? null) {
      if (seen.has(p)) throw new EngineError('invalid_cost_tree', `Cost node ${node.id} is in a cycle`, { costNodeId: node.id });
      seen.add(p);
    }
  }

  const direct = new Map<string, Decimal>(tree.map((n) => [n.id, ZERO]));
  for (const a of allocations) {
    const current = direct.get(a.costNodeId);
    if (current === undefined) {
      throw new EngineError('invalid_cost_tree', `Allocation of line ${a.lineId} goes to cost node ${a.costNodeId}, which is not in the tree`, {
        costNodeId: a.costNodeId,
        lineId: a.lineId,
      });
    }
    direct.set(a.costNodeId, current.plus(a.amount));
  }

  const total = new Map<string, Decimal>(tree.map((n) => [n.id, ZERO]));
  for (const node of tree) {
    const amount = direct.get(node.id) ?? ZERO;
    for (let id: string | null = node.id; id !== null; id = nodes.get(id)?.parentId ?? null) {
      total.set(id, (total.get(id) ?? ZERO).plus(amount));
    }
  }
  return tree.map((n) => ({ costNodeId: n.id, parentId: n.parentId, direct: direct.get(n.id) ?? ZERO, total: total.get(n.id) ?? ZERO }));
}

/**
 * Share of cost carrying every required tag (key case-insensitive, value non-blank).
 * Amounts count by absolute value, so an untagged credit is untagged spend too.
 * @example tagCompliance(lines, ['costcenter', 'project']) // { share: 0.75, nonCompliantLines: 1, nonCompliantLineIds: ['u3'], ... }
 */
export function tagCompliance(lines: readonly AllocatableLine[], requiredTags: readonly string[]): TagCompliance {
  const acc = startTagCompliance(requiredTags);
  for (const line of lines) acc.add(line.id, line.amount, line.tags);
  return acc.finish();
}

/** tagCompliance over lines that arrive in batches: `add` each line in order, then `finish` (same result). */
export function startTagCompliance(requiredTags: readonly string[]): {
  /** `lineCount`: how many source lines the line stands for (a group whose lines share one sign of amount). */
  add(lineId: string, amount: Decimal, tags: Readonly<Record<string, string>> | undefined, lineCount?: number): void;
  finish(): TagCompliance;
} {
  let totalAmount = ZERO;
  let compliantAmount = ZERO;
  const nonCompliant = new CountedList<string>();
  return {
    add(lineId, amount, tags, lineCount = 1) {
      totalAmount = totalAmount.plus(amount.abs());
      if (requiredTags.every((key) => (tagValue(tags, key) ?? '').trim() !== '')) compliantAmount = compliantAmount.plus(amount.abs());
      else nonCompliant.add(lineId, lineCount);
    },
    finish() {
      return {
        requiredTags: [...requiredTags],
        totalAmount,
        compliantAmount,
        share: totalAmount.isZero() ? null : compliantAmount.div(totalAmount),
        nonCompliantLines: nonCompliant.count,
        nonCompliantLineIds: nonCompliant.items.slice(),
      };
    },
  };
}

/**
 * The distinct tag keys allocation rules match on, in the order the rules list them
 * (keys compare case-insensitively, as matching does; the first spelling is kept): the
 * tags a customer must carry when it names none itself.
 * @example tagKeysOf([{ match: { tag: { key: 'project', value: 'web' } } }, { match: { tag: { key: 'Project' } } }]) // ['project']
 */
export function tagKeysOf(rules: readonly Pick<AllocationRule, 'match'>[]): string[] {
  const seen = new Set<string>();
  const keys: string[] = [];
  for (const rule of rules) {
    if (!('tag' in rule.match)) continue;
    const key = rule.match.tag.key;
    if (seen.has(key.toLowerCase())) continue;
    seen.add(key.toLowerCase());
    keys.push(key);
  }
  return keys;
}
