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
  const unit = new Decimal(10).pow(-places);
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
  validateAllocationRules(rules);
  const ordered = rules.slice().sort((a, b) => a.priority - b.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const allocations: Allocation[] = [];
  for (const line of lines) {
    const rule = ordered.find((r) => ruleMatches(r, line));
    if (!rule) {
      allocations.push({ lineId: line.id, costNodeId: unallocatedNodeId, ruleId: null, ruleVersion: null, percent: HUNDRED, amount: line.amount });
      continue;
    }
    const parts = splitExactly(line.amount, rule.splits, line.currency);
    rule.splits.forEach((split, i) => {
      allocations.push({
        lineId: line.id,
        costNodeId: split.costNodeId,
        ruleId: rule.id,
        ruleVersion: rule.version,
        percent: split.percent,
        amount: parts[i] ?? ZERO,
      });
    });
  }
  return allocations;
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
 * @example tagCompliance(lines, ['costcenter', 'project']) // { share: 0.75, nonCompliantLineIds: ['u3'], ... }
 */
export function tagCompliance(lines: readonly AllocatableLine[], requiredTags: readonly string[]): TagCompliance {
  let totalAmount = ZERO;
  let compliantAmount = ZERO;
  const nonCompliantLineIds: string[] = [];
  for (const line of lines) {
    const amount = line.amount.abs();
    totalAmount = totalAmount.plus(amount);
    const compliant = requiredTags.every((key) => (tagValue(line.tags, key) ?? '').trim() !== '');
    if (compliant) compliantAmount = compliantAmount.plus(amount);
    else nonCompliantLineIds.push(line.id);
  }
  return {
    requiredTags: [...requiredTags],
    totalAmount,
    compliantAmount,
    share: totalAmount.isZero() ? null : compliantAmount.div(totalAmount),
    // nonCompliantLines was added to TagCompliance after this copy was frozen: here, by its definition, every id is listed.
    nonCompliantLines: nonCompliantLineIds.length,
    nonCompliantLineIds,
  };
}
