import type { MappingRule, RuleProblem } from './engine/types.ts';
import { applyMapping } from './engine/apply.ts';
import { checkMapping, type CheckedMapping } from './engine/validate.ts';
import type { MappingObject } from './objects.ts';

/** A mapping that failed its check, with every problem naming its rule. */
export class MappingRefused extends Error {
  readonly problems: RuleProblem[];
  constructor(object: MappingObject, problems: RuleProblem[]) {
    super(`the ${object.provider} ${object.object} mapping is invalid: ${problems.map((p) => `rule ${p.rule} ${p.field}: ${p.reason}`).join('; ')}`);
    this.name = 'MappingRefused';
    this.problems = problems;
  }
}

/** The rules checked against the object's schemas, or MappingRefused. */
export function checkedRules(object: MappingObject, rules: readonly MappingRule[]): CheckedMapping {
  const { problems, checked } = checkMapping({ rules }, object.source, object.target);
  if (!checked) throw new MappingRefused(object, problems);
  return checked;
}

/** A checked mapping and the version it is, as a sync uses it and records it. */
export interface VersionedMapping {
  version: number;
  checked: CheckedMapping;
}

/** The version's rules checked against the object's schemas (MappingRefused naming each rule otherwise). */
export function versionedMapping(object: MappingObject, version: number, rules: readonly MappingRule[]): VersionedMapping {
  return { version, checked: checkedRules(object, rules) };
}

/**
 * An outbound record through a checked mapping: the non-empty text values by target path
 * without its first segment (`invoice.Reference` → `Reference`). A rule that cannot run
 * on the record is an error naming the rule and the mapping version.
 */
export function mappedText(object: MappingObject, mapping: { version: number; checked: CheckedMapping }, record: unknown, what: string): Record<string, string> {
  const result = applyMapping(mapping.checked, object.source, object.target, record);
  if (result.problems.length > 0) {
    throw new Error(`the ${object.provider} ${object.object} mapping (version ${mapping.version}) cannot map ${what}: ${result.problems.map((p) => `rule ${p.rule} ${p.field}: ${p.reason}`).join('; ')}`);
  }
  const values: Record<string, string> = {};
  for (const f of result.fields) if (typeof f.value === 'string' && f.value !== '') values[f.target.slice(f.target.indexOf('.') + 1)] = f.value;
  return values;
}
