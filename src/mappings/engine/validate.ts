import { ExpressionError, parseExpression } from './expression.ts';
import { fieldOf, isPath } from './paths.ts';
import { isTimeZone } from './time-zones.ts';
import { inputsOf, needsSource, outputType, templatePaths } from './transforms.ts';
import type { FieldSpec, Mapping, MappingRule, RecordSchema, RuleProblem } from './types.ts';
import { unitProblem } from './units.ts';
import { assignable } from './values.ts';

// A mapping is checked before it is stored or run: every rule names paths the schemas
// know, yields the type its target holds, and no rule depends on itself through others.

const RULE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export interface CheckedMapping {
  /** Rules in an order where every rule runs after the rules whose targets it reads. */
  order: MappingRule[];
  /** Spec of every path a rule reads or writes. */
  specs: Map<string, FieldSpec>;
}

function structureProblem(rule: MappingRule): string | undefined {
  const t = rule.transform;
  switch (t.type) {
    case 'unit':
      return unitProblem(t.from, t.to);
    case 'datetime':
      if (!['date', 'datetime', 'epoch_ms', 'local'].includes(t.to)) return `datetime "to" must be date, datetime, epoch_ms or local, not ${t.to}`;
      if (t.timeZone !== undefined && !isTimeZone(t.timeZone)) return `time zone ${t.timeZone} is not an IANA time zone`;
      return undefined;
    case 'template':
      if (templatePaths(t.template).length === 0) return 'template names no {path}';
      return undefined;
    case 'concat':
      return t.sources.length === 0 ? 'concat needs at least one source' : undefined;
    case 'split':
      if (t.separator === '') return 'split needs a separator';
      return Number.isInteger(t.index) ? undefined : 'split index must be a whole number';
    case 'expression':
      try {
        parseExpression(t.expression);
        return undefined;
      } catch (error) {
        if (error instanceof ExpressionError) return `expression: ${error.message}`;
        throw error;
      }
    default:
      return undefined;
  }
}

/**
 * Checks a mapping from `source` records to `target` records. Returns the problems, each
 * naming its rule and field, or the rules in run order.
 *
 * A rule may read the target of another rule (a canonical path): that makes an order,
 * and a cycle of such reads is refused naming every rule on it.
 *
 * @example
 *   checkMapping({ rules: [{ id: 'budget', source: 'deal.properties.azure_budget', target: 'quote.azureMonthlyBudget', transform: { type: 'decimal', scale: 2 } }] }, hubspotDeal, quote)
 */
export function checkMapping(mapping: Mapping, source: RecordSchema, target: RecordSchema): { problems: RuleProblem[]; checked?: CheckedMapping } {
  const problems: RuleProblem[] = [];
  const specs = new Map<string, FieldSpec>();
  const byTarget = new Map<string, MappingRule>();
  const ids = new Set<string>();
  const add = (rule: MappingRule, field: string, reason: string) => problems.push({ rule: rule.id, field, reason });

  for (const rule of mapping.rules) {
    if (!RULE_ID.test(rule.id)) add(rule, 'id', 'must be 1 to 64 letters, digits, _ . or -, starting with a letter or digit');
    else if (ids.has(rule.id)) add(rule, 'id', 'is used by another rule');
    ids.add(rule.id);
    const spec = fieldOf(target, rule.target);
    if (!spec) add(rule, 'target', `${rule.target} is not a field of ${target.name}`);
    else {
      specs.set(rule.target, spec);
      const earlier = byTarget.get(rule.target);
      if (earlier) add(rule, 'target', `${rule.target} is already written by rule ${earlier.id}: one rule per field`);
      else byTarget.set(rule.target, rule);
    }
  }
  if (problems.length > 0) return { problems };

  const reads = new Map<string, string[]>();
  for (const rule of mapping.rules) {
    if (needsSource(rule.transform) && rule.source === undefined) {
      add(rule, 'source', `a ${rule.transform.type} rule needs a source path`);
      continue;
    }
    const structure = structureProblem(rule);
    if (structure) {
      add(rule, 'transform', structure);
      continue;
    }
    const inputs = inputsOf(rule);
    let known = true;
    for (const path of inputs) {
      const fromTarget = fieldOf(target, path);
      const fromSource = fieldOf(source, path);
      if (fromTarget && byTarget.has(path)) specs.set(path, fromTarget);
      else if (fromSource) specs.set(path, fromSource);
      else {
        const field = needsSource(rule.transform) ? 'source' : 'transform';
        add(rule, field, fromTarget ? `reads ${path}, a field of ${target.name} that no rule writes` : `${path} is not a field of ${source.name}`);
        known = false;
      }
    }
    reads.set(rule.id, inputs.filter((p) => byTarget.has(p)).map((p) => byTarget.get(p)!.id));
    if (!known) continue;
    const targetSpec = specs.get(rule.target)!;
    const produced = outputType(rule, (path) => specs.get(path)!, targetSpec);
    if (typeof produced === 'object') add(rule, 'transform', produced.problem);
    else if (!assignable(produced, targetSpec.type)) {
      add(rule, 'target', `${rule.target} holds ${targetSpec.type}, but the rule yields ${produced}${produced === 'string' && targetSpec.type !== 'string' ? ` (read text as ${targetSpec.type} with a decimal, datetime or expression transform)` : ''}`);
    }
  }
  if (problems.length > 0) return { problems };

  const order = runOrder(mapping.rules, reads, problems);
  return problems.length > 0 ? { problems } : { problems, checked: { order, specs } };
}

/** Rules sorted so each runs after the rules it reads; a cycle is a problem naming its rules. */
function runOrder(rules: readonly MappingRule[], reads: Map<string, string[]>, problems: RuleProblem[]): MappingRule[] {
  const byId = new Map(rules.map((r) => [r.id, r]));
  const state = new Map<string, 'visiting' | 'done'>();
  const order: MappingRule[] = [];
  const visit = (id: string, trail: string[]): boolean => {
    if (state.get(id) === 'done') return true;
    if (state.get(id) === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(id)), id];
      problems.push({ rule: id, field: 'source', reason: `rules form a cycle: ${cycle.join(' → ')}` });
      return false;
    }
    state.set(id, 'visiting');
    for (const dep of reads.get(id) ?? []) if (!visit(dep, [...trail, id])) return false;
    state.set(id, 'done');
    order.push(byId.get(id)!);
    return true;
  };
  for (const rule of rules) if (!visit(rule.id, [])) break;
  return order;
}
