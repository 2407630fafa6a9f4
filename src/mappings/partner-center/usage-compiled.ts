import type { VersionedMapping } from '../checked.ts';
import { applyTransform } from '../engine/transforms.ts';
import type { FieldSpec, MappingRule, Value } from '../engine/types.ts';
import { coerce, render, ValueError } from '../engine/values.ts';
import { fieldIndex, USAGE_LINE_FIELDS } from './fields.ts';
import { columnFor, USAGE_COLUMNS, type CompiledUsageMapping, type LineProblem } from './lines.ts';

export type { CompiledUsageMapping } from './lines.ts';
import { PC_USAGE_LINE_DEFAULT, PC_USAGE_TARGET_COLUMNS } from './usage-mapping.ts';

// A usage line mapping compiled once per sync into the few steps that differ from the
// connector's own reading. An export holds millions of lines and the default rules are
// exactly what the hard-coded column reader (lines.ts) already did, so they compile to
// nothing: with the default mapping in force a line costs what it did before mappings
// were data; each changed rule costs one transform per line.

const COLUMN_AT = new Map(USAGE_COLUMNS.map((c, i) => [c, i]));
const SOURCE_FIELDS = fieldIndex(USAGE_LINE_FIELDS);
const DEFAULT_BY_TARGET = new Map(PC_USAGE_LINE_DEFAULT.map((r) => [r.target, r]));
const TAG_TARGET = 'usage.tags.';
const TAG_SOURCE = 'Tags.';

function columnAt(column: string): number {
  const at = COLUMN_AT.get(column);
  if (at === undefined) throw new Error(`usage column ${column} is not one of USAGE_COLUMNS`);
  return at;
}

/** The column a source path (a documented column name) reads. */
function sourceColumnAt(path: string): number {
  const field = SOURCE_FIELDS.get(path.toLowerCase());
  if (!field) throw new Error(`${path} is not a usage line column`);
  return columnAt(columnFor(field));
}

/** Whether the rule reads exactly what the built-in reading put in its target's column already. */
function isBuiltIn(rule: MappingRule): boolean {
  const builtIn = DEFAULT_BY_TARGET.get(rule.target);
  return builtIn !== undefined && rule.transform.type === 'copy' && rule.source === builtIn.source;
}

interface Step {
  rule: MappingRule;
  spec: FieldSpec;
  /** The column written, or -1 for a tag. */
  column: number;
  tag: string | null;
}

/**
 * The mapping's steps, or null when it is the built-in reading (nothing to do per line).
 * A built-in target no rule writes any more is emptied.
 */
export function compileUsageMapping(mapping: VersionedMapping): CompiledUsageMapping | null {
  const { order, specs } = mapping.checked;
  const written = new Set(order.map((r) => r.target));
  const steps: Step[] = order
    .filter((rule) => !isBuiltIn(rule))
    .map((rule) => ({
      rule,
      spec: specs.get(rule.target)!,
      column: rule.target.startsWith(TAG_TARGET) ? -1 : columnAt(PC_USAGE_TARGET_COLUMNS[rule.target]!.column),
      tag: rule.target.startsWith(TAG_TARGET) ? rule.target.slice(TAG_TARGET.length) : null,
    }));
  const emptied = Object.entries(PC_USAGE_TARGET_COLUMNS)
    .filter(([target]) => !written.has(target))
    .map(([, c]) => columnAt(c.column));
  if (steps.length === 0 && emptied.length === 0) return null;

  // Where each path a step reads comes from, resolved once.
  const readers = new Map<string, (values: (string | null)[], tags: Readonly<Record<string, string>>) => unknown>();
  for (const path of specs.keys()) {
    if (path.startsWith(TAG_SOURCE)) {
      const key = path.slice(TAG_SOURCE.length);
      readers.set(path, (_values, tags) => tags[key]);
    } else if (path.startsWith(TAG_TARGET)) {
      const key = path.slice(TAG_TARGET.length);
      readers.set(path, (_values, tags) => tags[key]);
    } else if (PC_USAGE_TARGET_COLUMNS[path]) {
      const at = columnAt(PC_USAGE_TARGET_COLUMNS[path]!.column);
      readers.set(path, (values) => values[at]);
    } else {
      const at = sourceColumnAt(path);
      readers.set(path, (values) => values[at]);
    }
  }
  const tagSteps = steps.filter((s) => s.tag !== null);
  const results = new Map<string, Value>();
  const outputs: (string | null)[] = steps.map(() => null);
  let lastTagsIn: Readonly<Record<string, string>> | undefined;
  let lastTagValues: (string | null)[] = [];
  let lastTagsOut: Readonly<Record<string, string>> = {};
  const version = mapping.version;

  return {
    version,
    apply(values, tags) {
      results.clear();
      let problems: LineProblem[] | undefined;
      const read = (path: string): Value => {
        if (results.has(path)) return results.get(path)!;
        try {
          return coerce(readers.get(path)!(values, tags), specs.get(path)!.type);
        } catch (error) {
          if (error instanceof ValueError) throw new ValueError(`${path}: ${error.message}`);
          throw error;
        }
      };
      // Every step reads the line as Microsoft sent it (or an earlier step's result): columns are written at the end.
      for (let i = 0; i < steps.length; i++) {
        const { rule, spec } = steps[i]!;
        try {
          const value = applyTransform(rule, read, spec);
          results.set(rule.target, value);
          outputs[i] = value === null ? null : String(render(value));
        } catch (error) {
          if (!(error instanceof ValueError)) throw error;
          (problems ??= []).push({ field: rule.target, reason: `usage line mapping v${version} rule ${rule.id}: ${error.message}` });
        }
      }
      if (problems) return problems;
      for (let i = 0; i < steps.length; i++) if (steps[i]!.column >= 0) values[steps[i]!.column] = outputs[i]!;
      for (const at of emptied) values[at] = null;
      if (tagSteps.length === 0) return tags;
      let same = tags === lastTagsIn;
      for (let i = 0, t = 0; i < steps.length; i++) {
        if (steps[i]!.tag === null) continue;
        if (lastTagValues[t] !== outputs[i]) same = false;
        lastTagValues[t++] = outputs[i]!;
      }
      if (same) return lastTagsOut;
      const out: Record<string, string> = { ...tags };
      for (let i = 0; i < steps.length; i++) {
        const tag = steps[i]!.tag;
        if (tag === null) continue;
        if (outputs[i] === null) delete out[tag];
        else out[tag] = outputs[i]!;
      }
      lastTagsIn = tags;
      lastTagsOut = out;
      return out;
    },
  };
}
