/**
 * ConnectWise's `conditions` query syntax, built by functions so values are always
 * quoted the documented way: strings in double quotes, numbers bare, booleans
 * True/False, datetimes in square brackets. URL-encoding is left to the URL builder.
 *
 * @example
 * and(gte('lastUpdated', new Date('2026-01-01T00:00:00Z')), eq('company/id', 250))
 * // 'lastUpdated>=[2026-01-01T00:00:00Z] AND company/id=250'
 */

export type ConditionValue = string | number | boolean | Date | null;
export type Condition = { readonly text: string };

const FIELD = /^[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*$/;

function field(name: string): string {
  if (!FIELD.test(name)) throw new RangeError(`not a ConnectWise field reference: ${JSON.stringify(name)}`);
  return name;
}

/** A value as ConnectWise reads it. A `[` inside a string is written `[[]`; a `"` cannot be escaped, so it is refused. */
export function literal(value: ConditionValue): string {
  if (value === null) return 'null';
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new RangeError('invalid date in a condition');
    return `[${value.toISOString().replace(/\.\d{3}Z$/, 'Z')}]`;
  }
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
    return String(value);
  }
  if (value.includes('"')) throw new RangeError(`a double quote cannot be used in a ConnectWise condition string: ${JSON.stringify(value)}`);
  return `"${value.replace(/\[/g, '[[]')}"`;
}

const compare = (op: string) => (name: string, value: ConditionValue): Condition => ({ text: `${field(name)}${op}${literal(value)}` });

export const eq = compare('=');
export const ne = compare('!=');
export const gt = compare('>');
export const gte = compare('>=');
export const lt = compare('<');
export const lte = compare('<=');

export function contains(name: string, value: string): Condition {
  return { text: `${field(name)} contains ${literal(value)}` };
}

export function isIn(name: string, values: readonly (string | number)[]): Condition {
  if (values.length === 0) throw new RangeError(`${name} in (): an empty list matches nothing`);
  return { text: `${field(name)} in (${values.map(literal).join(',')})` };
}

function join(op: 'AND' | 'OR', parts: readonly Condition[]): Condition {
  if (parts.length === 0) throw new RangeError(`${op} of no conditions`);
  if (parts.length === 1) return parts[0]!;
  return { text: parts.map((p) => (/ (AND|OR) /.test(p.text) ? `(${p.text})` : p.text)).join(` ${op} `) };
}

export const and = (...parts: Condition[]): Condition => join('AND', parts);
export const or = (...parts: Condition[]): Condition => join('OR', parts);
