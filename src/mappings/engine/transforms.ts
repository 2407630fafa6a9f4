import { Decimal } from '../../engine/decimal.ts';
import { ExpressionError, evaluate, parseExpression, pathsOf, typeOf, type Node } from './expression.ts';
import { dateIn, localIn, startOfDayIn } from './time-zones.ts';
import type { FieldSpec, FieldType, MappingRule, Rounding, Scalar, Transform, Value } from './types.ts';
import { convertUnit } from './units.ts';
import { coerce, render, ValueError } from './values.ts';

// What each transform reads, what type it yields, and how it runs.

const PLACEHOLDER = /\{([^{}]*)\}/g;

export const ROUNDINGS: Readonly<Record<Rounding, 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8>> = {
  half_up: Decimal.ROUND_HALF_UP,
  half_even: Decimal.ROUND_HALF_EVEN,
  down: Decimal.ROUND_DOWN,
  up: Decimal.ROUND_UP,
  floor: Decimal.ROUND_FLOOR,
  ceil: Decimal.ROUND_CEIL,
};

const expressions = new Map<string, Node>();
/** A parsed expression, kept so a mapping run over many records parses once. */
export function parsedExpression(source: string): Node {
  let node = expressions.get(source);
  if (!node) {
    node = parseExpression(source);
    if (expressions.size > 1000) expressions.clear();
    expressions.set(source, node);
  }
  return node;
}

/** The template's placeholders: the paths it reads, in order. */
export function templatePaths(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!.trim());
}

/** Every path a rule reads. */
export function inputsOf(rule: MappingRule): string[] {
  const t = rule.transform;
  switch (t.type) {
    case 'constant':
      return [];
    case 'template':
      return templatePaths(t.template);
    case 'concat':
      return [...t.sources];
    case 'expression':
      return [...pathsOf(parsedExpression(t.expression))];
    default:
      return rule.source === undefined ? [] : [rule.source];
  }
}

/** Whether the transform reads the rule's `source` (and so needs one). */
export function needsSource(t: Transform): boolean {
  return !['constant', 'template', 'concat', 'expression'].includes(t.type);
}

const text = (v: Value): string => (v === null ? '' : String(render(v)));

function asNumber(v: Value, what: string): Decimal {
  if (v instanceof Decimal) return v;
  if (typeof v === 'string' && /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(v.trim())) return new Decimal(v.trim());
  throw new ValueError(`${what} needs a number, not ${JSON.stringify(render(v))}`);
}

function asInstant(v: Value): Date {
  if (v instanceof Date) return v;
  if (v instanceof Decimal) {
    if (!v.isInteger()) throw new ValueError(`${v.toString()} is not a whole number of milliseconds`);
    return new Date(v.toNumber());
  }
  if (typeof v === 'string') {
    const d = coerce(v, 'datetime');
    if (d instanceof Date) return d;
  }
  throw new ValueError(`${JSON.stringify(render(v))} is not an instant`);
}

/**
 * Runs one rule's transform. `read` gives the value of a path (typed by its schema),
 * `target` is the type written.
 */
export function applyTransform(rule: MappingRule, read: (path: string) => Value, target: FieldSpec): Value {
  const t = rule.transform;
  const input = () => (rule.source === undefined ? null : read(rule.source));
  switch (t.type) {
    case 'copy':
      return input();
    case 'constant':
      return constantAs(t.value, target.type);
    case 'default': {
      const v = input();
      return v === null || v === '' ? constantAs(t.value, target.type) : v;
    }
    case 'lookup': {
      const v = input();
      const key = text(v);
      if (Object.hasOwn(t.table, key)) return constantAs(t.table[key]!, target.type);
      if (t.fallback !== undefined) return constantAs(t.fallback, target.type);
      if (v === null) return null;
      throw new ValueError(`${JSON.stringify(key)} is not in the lookup table and the rule has no fallback`);
    }
    case 'enum': {
      const v = input();
      if (v === null) return null;
      const key = text(v);
      if (!Object.hasOwn(t.map, key)) throw new ValueError(`${JSON.stringify(key)} is not one of the mapped values (${Object.keys(t.map).join(', ')})`);
      return t.map[key]!;
    }
    case 'decimal': {
      const v = input();
      if (v === null) return null;
      return asNumber(v, 'decimal').toDecimalPlaces(t.scale, ROUNDINGS[t.rounding ?? 'half_up']);
    }
    case 'unit': {
      const v = input();
      return v === null ? null : convertUnit(asNumber(v, 'unit'), t.from, t.to);
    }
    case 'datetime': {
      const v = input();
      if (v === null) return null;
      const zone = t.timeZone ?? 'UTC';
      const instant = typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? startOfDayIn(v, zone) : asInstant(v);
      if (t.to === 'date') return dateIn(instant, zone);
      if (t.to === 'local') return localIn(instant, zone);
      if (t.to === 'epoch_ms') return new Decimal(instant.getTime());
      return instant;
    }
    case 'template':
      return t.template.replace(PLACEHOLDER, (_, path: string) => text(read(path.trim())));
    case 'concat':
      return t.sources.map((p) => read(p)).filter((v) => v !== null && v !== '').map(text).join(t.separator ?? '');
    case 'split': {
      const v = input();
      if (v === null) return null;
      const pieces = text(v).split(t.separator);
      const at = t.index < 0 ? pieces.length + t.index : t.index;
      return pieces[at]?.trim() ?? null;
    }
    case 'expression':
      return evaluate(parsedExpression(t.expression), read);
  }
}

function constantAs(value: Scalar, type: FieldType): Value {
  return coerce(value, type);
}

/**
 * The type a rule yields given the types of what it reads, or the reason it cannot run.
 * Constants, tables and defaults are checked against the target type here.
 */
export function outputType(rule: MappingRule, typeOfPath: (path: string) => FieldSpec, target: FieldSpec): FieldType | { problem: string } {
  const t = rule.transform;
  const source = () => typeOfPath(rule.source!);
  const fits = (value: Scalar, what: string): string | undefined => {
    try {
      coerce(value, target.type);
      if (target.enum && typeof value === 'string' && !target.enum.includes(value)) return `${what} ${JSON.stringify(value)} is not one of ${target.enum.join(', ')}`;
      return undefined;
    } catch (error) {
      return `${what} ${(error as Error).message}`;
    }
  };
  switch (t.type) {
    case 'copy':
      return source().type;
    case 'constant': {
      const bad = fits(t.value, 'constant');
      return bad ? { problem: bad } : target.type;
    }
    case 'default': {
      const bad = fits(t.value, 'default');
      return bad ? { problem: bad } : source().type;
    }
    case 'lookup': {
      for (const [key, value] of [...Object.entries(t.table), ...(t.fallback !== undefined ? [['fallback', t.fallback] as const] : [])]) {
        const bad = fits(value, `table value for ${JSON.stringify(key)}:`);
        if (bad) return { problem: bad };
      }
      return target.type;
    }
    case 'enum': {
      const from = source();
      if (from.type !== 'string') return { problem: `enum maps text, but ${rule.source} is ${from.type}` };
      const missing = from.enum?.filter((v) => !Object.hasOwn(t.map, v)) ?? [];
      if (missing.length > 0) return { problem: `enum map leaves ${missing.join(', ')} of ${rule.source} unmapped` };
      for (const [key, value] of Object.entries(t.map)) {
        if (from.enum && !from.enum.includes(key)) return { problem: `enum map names ${JSON.stringify(key)}, which ${rule.source} never holds` };
        if (target.enum && !target.enum.includes(value)) return { problem: `enum map writes ${JSON.stringify(value)}, which is not one of ${target.enum.join(', ')}` };
      }
      return 'string';
    }
    case 'decimal': {
      if (!Number.isInteger(t.scale) || t.scale < 0 || t.scale > 20) return { problem: `scale must be a whole number from 0 to 20, not ${t.scale}` };
      if (t.rounding !== undefined && !Object.hasOwn(ROUNDINGS, t.rounding)) return { problem: `rounding must be one of ${Object.keys(ROUNDINGS).join(', ')}` };
      const from = source().type;
      if (!['decimal', 'integer', 'string'].includes(from)) return { problem: `decimal reads a number or text, but ${rule.source} is ${from}` };
      return t.scale === 0 ? 'integer' : 'decimal';
    }
    case 'unit': {
      const from = source().type;
      if (!['decimal', 'integer', 'string'].includes(from)) return { problem: `unit converts numbers, but ${rule.source} is ${from}` };
      return 'decimal';
    }
    case 'datetime': {
      const from = source().type;
      if (!['date', 'datetime', 'string', 'integer'].includes(from)) return { problem: `datetime reads a date, an instant or epoch milliseconds, but ${rule.source} is ${from}` };
      return t.to === 'date' ? 'date' : t.to === 'datetime' ? 'datetime' : t.to === 'epoch_ms' ? 'integer' : 'string';
    }
    case 'template':
    case 'concat':
    case 'split':
      return 'string';
    case 'expression':
      try {
        const type = typeOf(parsedExpression(t.expression), (path) => typeOfPath(path).type);
        return type === 'null' ? target.type : type;
      } catch (error) {
        if (error instanceof ExpressionError) return { problem: `expression: ${error.message}` };
        throw error;
      }
  }
}
