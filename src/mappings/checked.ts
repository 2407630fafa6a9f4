import type { MappingRule, RuleProblem } from './engine/types.ts';
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
