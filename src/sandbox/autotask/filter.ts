/**
 * The sandbox's reading of Autotask's JSON query filters: field names case-insensitive,
 * the documented operators, `and`/`or` groups; a top-level array is an `and`.
 * Dates compare as instants, numbers as numbers, the rest as text.
 */
import type { Json } from './account.ts';

type Filter = { op?: string; field?: string; value?: unknown; items?: Filter[]; udf?: boolean };

const OPS = new Set(['eq', 'noteq', 'gt', 'gte', 'lt', 'lte', 'beginswith', 'endswith', 'contains', 'exist', 'notexist', 'in', 'notin', 'and', 'or']);
const ISO = /^\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?$/;

function read(record: Json, field: string): unknown {
  const key = Object.keys(record).find((k) => k.toLowerCase() === field.toLowerCase());
  return key === undefined ? undefined : record[key];
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'string' && typeof b === 'string' && ISO.test(a) && ISO.test(b)) {
    const at = (s: string) => Date.parse(/Z$|^\d{4}-\d{2}-\d{2}$/.test(s) ? s : `${s}Z`);
    return at(a) - at(b);
  }
  if ((typeof a === 'number' || typeof a === 'string') && (typeof b === 'number' || typeof b === 'string') && a !== '' && b !== '' && !Number.isNaN(Number(a)) && !Number.isNaN(Number(b))) return Number(a) - Number(b);
  return String(a).localeCompare(String(b));
}

/** Throws with the reason when the filter is malformed (the API answers 500 with it). */
export function validate(filter: unknown, path = 'filter'): void {
  const list = Array.isArray(filter) ? filter : [filter];
  list.forEach((f: Filter, i) => {
    const at = Array.isArray(filter) ? `${path}[${i}]` : path;
    if (!f || typeof f !== 'object' || typeof f.op !== 'string' || !OPS.has(f.op.toLowerCase())) throw new Error(`${at}: unknown operator ${JSON.stringify(f?.op)}`);
    const op = f.op.toLowerCase();
    if (op === 'and' || op === 'or') {
      if (!Array.isArray(f.items) || f.items.length === 0) throw new Error(`${at}: ${op} needs items`);
      validate(f.items, `${at}.items`);
    } else if (typeof f.field !== 'string') throw new Error(`${at}: field is required`);
    else if ((op === 'in' || op === 'notin') && !Array.isArray(f.value)) throw new Error(`${at}: ${op} needs an array value`);
  });
}

export function matches(record: Json, filter: unknown): boolean {
  if (Array.isArray(filter)) return filter.every((f) => matches(record, f));
  const f = filter as Filter;
  const op = f.op!.toLowerCase();
  if (op === 'and') return f.items!.every((i) => matches(record, i));
  if (op === 'or') return f.items!.some((i) => matches(record, i));
  const v = read(record, f.field!);
  const present = v !== null && v !== undefined && v !== '';
  switch (op) {
    case 'exist':
      return present;
    case 'notexist':
      return !present;
    case 'in':
      return present && (f.value as unknown[]).some((x) => compare(v, x) === 0);
    case 'notin':
      return !present || !(f.value as unknown[]).some((x) => compare(v, x) === 0);
    case 'eq':
      return present ? compare(v, f.value) === 0 : f.value === null;
    case 'noteq':
      return !present || compare(v, f.value) !== 0;
    case 'beginswith':
      return present && String(v).toLowerCase().startsWith(String(f.value).toLowerCase());
    case 'endswith':
      return present && String(v).toLowerCase().endsWith(String(f.value).toLowerCase());
    case 'contains':
      return present && String(v).toLowerCase().includes(String(f.value).toLowerCase());
    default: {
      if (!present) return false;
      const c = compare(v, f.value);
      return op === 'gt' ? c > 0 : op === 'gte' ? c >= 0 : op === 'lt' ? c < 0 : c <= 0;
    }
  }
}
