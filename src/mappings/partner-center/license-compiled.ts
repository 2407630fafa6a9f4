import type { VersionedMapping } from '../checked.ts';
import { applyTransform } from '../engine/transforms.ts';
import type { MappingRule, Value } from '../engine/types.ts';
import { coerce, render, ValueError } from '../engine/values.ts';
import { fieldIndex, LICENSE_LINE_FIELDS } from './fields.ts';
import { columnFor, type CompiledLicenseMapping, type LineProblem } from './lines.ts';
import { PC_LICENSE_LINE_DEFAULT, PC_LICENSE_TARGET_COLUMNS } from './license-mapping.ts';

export type { CompiledLicenseMapping } from './lines.ts';

// A licence line mapping compiled once per sync job into the rules that differ from the
// connector's own reading. The default rules are exactly what the column reader
// (lines.ts) already did, so they compile to nothing and a line costs what it did before
// mappings were data; each changed rule costs one transform per line.

const SOURCE_FIELDS = fieldIndex(LICENSE_LINE_FIELDS);
const DEFAULT_BY_TARGET = new Map(PC_LICENSE_LINE_DEFAULT.map((r) => [r.target, r]));

function isBuiltIn(rule: MappingRule): boolean {
  const builtIn = DEFAULT_BY_TARGET.get(rule.target);
  return builtIn !== undefined && rule.transform.type === 'copy' && rule.source === builtIn.source;
}

/** The row column a path reads: a target's column (an earlier step may have written it) or a documented source column. */
function columnOf(path: string): string {
  const target = PC_LICENSE_TARGET_COLUMNS[path];
  if (target) return target.column;
  const field = SOURCE_FIELDS.get(path.toLowerCase());
  if (!field) throw new Error(`${path} is not a licence line column`);
  return columnFor(field);
}

/**
 * The mapping's steps, or null when it is the built-in reading (nothing to do per line).
 * A built-in target no rule writes any more is emptied.
 */
export function compileLicenseMapping(mapping: VersionedMapping): CompiledLicenseMapping | null {
  const { order, specs } = mapping.checked;
  const written = new Set(order.map((r) => r.target));
  const steps = order.filter((rule) => !isBuiltIn(rule)).map((rule) => ({ rule, spec: specs.get(rule.target)!, column: PC_LICENSE_TARGET_COLUMNS[rule.target]!.column }));
  const emptied = Object.entries(PC_LICENSE_TARGET_COLUMNS)
    .filter(([target]) => !written.has(target))
    .map(([, c]) => c.column);
  if (steps.length === 0 && emptied.length === 0) return null;
  const columns = new Map([...specs.keys()].map((path) => [path, columnOf(path)]));
  const version = mapping.version;

  return {
    version,
    apply(row) {
      const results = new Map<string, Value>();
      let problems: LineProblem[] | undefined;
      const read = (path: string): Value => {
        if (results.has(path)) return results.get(path)!;
        try {
          return coerce(row[columns.get(path)!] ?? null, specs.get(path)!.type);
        } catch (error) {
          if (error instanceof ValueError) throw new ValueError(`${path}: ${error.message}`);
          throw error;
        }
      };
      // Every step reads the line as Microsoft sent it (or an earlier step's result): columns are written at the end.
      const outputs: (string | null)[] = [];
      for (const { rule, spec } of steps) {
        try {
          const value = applyTransform(rule, read, spec);
          results.set(rule.target, value);
          outputs.push(value === null ? null : String(render(value)));
        } catch (error) {
          if (!(error instanceof ValueError)) throw error;
          (problems ??= []).push({ field: rule.target, reason: `licence line mapping v${version} rule ${rule.id}: ${error.message}` });
        }
      }
      if (problems) return problems;
      steps.forEach((step, i) => (row[step.column] = outputs[i]!));
      for (const column of emptied) row[column] = null;
      return null;
    },
  };
}
