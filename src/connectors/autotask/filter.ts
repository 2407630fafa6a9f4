/**
 * Autotask's query filter: JSON objects `{ op, field, value }`, grouped by
 * `{ op: 'and' | 'or', items: [...] }`. Built by functions so field names are checked,
 * dates are sent as UTC ISO text and `in` lists are never empty.
 *
 * @example
 * and(gte('lastModifiedDateTime', new Date('2026-01-01T00:00:00Z')), gt('id', 700))
 * // { op: 'and', items: [{ op: 'gte', field: 'lastModifiedDateTime', value: '2026-01-01T00:00:00Z' }, { op: 'gt', field: 'id', value: 700 }] }
 */

export type FilterValue = string | number | boolean;
export type Comparison = 'eq' | 'noteq' | 'gt' | 'gte' | 'lt' | 'lte' | 'beginsWith' | 'endsWith' | 'contains';
export type Condition =
  | { readonly op: Comparison; readonly field: string; readonly value: FilterValue }
  | { readonly op: 'in' | 'notIn'; readonly field: string; readonly value: readonly FilterValue[] }
  | { readonly op: 'exist' | 'notExist'; readonly field: string }
  | { readonly op: 'and' | 'or'; readonly items: readonly Condition[] };

const FIELD = /^[A-Za-z][A-Za-z0-9_]*$/;

function field(name: string): string {
  if (!FIELD.test(name)) throw new RangeError(`not an Autotask field name: ${JSON.stringify(name)}`);
  return name;
}

/** Dates as UTC ISO text without milliseconds (Autotask reads every date as UTC). */
export function value(v: FilterValue | Date): FilterValue {
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) throw new RangeError('invalid date in a filter');
    return v.toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  if (typeof v === 'number' && !Number.isFinite(v)) throw new RangeError(`not a finite number: ${v}`);
  return v;
}

const compare = (op: Comparison) => (name: string, v: FilterValue | Date): Condition => ({ op, field: field(name), value: value(v) });

export const eq = compare('eq');
export const noteq = compare('noteq');
export const gt = compare('gt');
export const gte = compare('gte');
export const lt = compare('lt');
export const lte = compare('lte');
export const contains = compare('contains');

/** At most 500 values, as Autotask allows that many alternatives in one condition. */
export function isIn(name: string, values: readonly (FilterValue | Date)[]): Condition {
  if (values.length === 0) throw new RangeError(`${name} in []: an empty list matches nothing`);
  if (values.length > 500) throw new RangeError(`${name} in [...]: at most 500 values, got ${values.length}`);
  return { op: 'in', field: field(name), value: values.map(value) };
}

export const exist = (name: string): Condition => ({ op: 'exist', field: field(name) });

function group(op: 'and' | 'or', items: readonly Condition[]): Condition {
  if (items.length === 0) throw new RangeError(`${op} of no conditions`);
  return items.length === 1 ? items[0]! : { op, items };
}

export const and = (...items: Condition[]): Condition => group('and', items);
export const or = (...items: Condition[]): Condition => group('or', items);
