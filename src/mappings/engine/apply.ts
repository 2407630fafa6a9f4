import { Decimal } from '../../engine/decimal.ts';
import { fieldOf, readPath, writePath } from './paths.ts';
import { applyTransform } from './transforms.ts';
import type { CheckedMapping } from './validate.ts';
import type { FieldSpec, JsonRecord, RecordSchema, RuleProblem, Scalar, Value } from './types.ts';
import { coerce, render, ValueError } from './values.ts';

// Running a checked mapping over one record.

export interface MappedField {
  rule: string;
  target: string;
  value: Scalar;
}

export interface MappingResult {
  /** The target record as JSON: decimals as strings, instants as ISO 8601. */
  output: JsonRecord;
  /** Typed values by target path, for callers that compute with them. */
  values: Map<string, Value>;
  fields: MappedField[];
  /** Rules that could not run on this record, and why; their targets are left out. */
  problems: RuleProblem[];
}

function toTarget(value: Value, spec: FieldSpec): Value {
  if (value === null) return null;
  if (spec.type === 'string' && typeof value !== 'string') return String(render(value));
  if (spec.type === 'integer' && value instanceof Decimal && !value.isInteger()) throw new ValueError(`${value.toString()} is not a whole number`);
  if (spec.enum && typeof value === 'string' && !spec.enum.includes(value)) throw new ValueError(`${JSON.stringify(value)} is not one of ${spec.enum.join(', ')}`);
  return value;
}

/**
 * Applies a checked mapping to one source record. A rule that fails (a value that is
 * not a number, a missing lookup) is reported and its target left out; rules reading
 * that target fail in turn, naming it.
 *
 * @example applyMapping(checked, sourceSchema, targetSchema, { deal: { properties: { azure_budget: '8000' } } }).output
 *   // { quote: { azureMonthlyBudget: '8000' } }
 */
export function applyMapping(checked: CheckedMapping, source: RecordSchema, target: RecordSchema, record: unknown): MappingResult {
  const values = new Map<string, Value>();
  const failed = new Set<string>();
  const output: JsonRecord = {};
  const fields: MappedField[] = [];
  const problems: RuleProblem[] = [];
  class Unavailable extends Error {}
  for (const rule of checked.order) {
    const read = (path: string): Value => {
      if (fieldOf(target, path) && (values.has(path) || failed.has(path))) {
        if (failed.has(path)) throw new Unavailable(`reads ${path}, which its rule could not map`);
        return values.get(path)!;
      }
      const spec = checked.specs.get(path) ?? fieldOf(source, path)!;
      try {
        const value = coerce(readPath(record, path), spec.type);
        if (spec.enum && typeof value === 'string' && !spec.enum.includes(value)) throw new ValueError(`${JSON.stringify(value)} is not one of ${spec.enum.join(', ')}`);
        return value;
      } catch (error) {
        if (error instanceof ValueError) throw new ValueError(`${path}: ${error.message}`);
        throw error;
      }
    };
    try {
      const value = toTarget(applyTransform(rule, read, checked.specs.get(rule.target)!), checked.specs.get(rule.target)!);
      values.set(rule.target, value);
      writePath(output, rule.target, render(value));
      fields.push({ rule: rule.id, target: rule.target, value: render(value) });
    } catch (error) {
      if (!(error instanceof ValueError) && !(error instanceof Unavailable)) throw error;
      failed.add(rule.target);
      problems.push({ rule: rule.id, field: rule.target, reason: error.message });
    }
  }
  return { output, values, fields, problems };
}
