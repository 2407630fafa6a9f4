import { FIELDS, type SObjectType, type SRecord } from './org.ts';

// The part of SOQL the sandbox understands: SELECT plain fields FROM one object, WHERE
// equality (or IN) conditions joined by AND, ORDER BY one field, LIMIT. Anything else is
// refused the way Salesforce refuses a query it cannot parse.

export interface SoqlError {
  errorCode: 'MALFORMED_QUERY' | 'INVALID_FIELD' | 'INVALID_TYPE';
  message: string;
}

export interface ParsedQuery {
  object: SObjectType;
  fields: string[];
  conditions: { field: string; values: string[] }[];
  orderBy: { field: string; descending: boolean } | null;
  limit: number | null;
}

const QUERY = /^\s*SELECT\s+(.+?)\s+FROM\s+(\w+)(?:\s+WHERE\s+(.+?))?(?:\s+ORDER\s+BY\s+(\w+)(?:\s+(ASC|DESC))?)?(?:\s+LIMIT\s+(\d+))?\s*$/is;
const EQUALS = /^(\w+)\s*=\s*'((?:[^'\\]|\\.)*)'$/;
const IN_LIST = /^(\w+)\s+IN\s*\(\s*('(?:[^'\\]|\\.)*'(?:\s*,\s*'(?:[^'\\]|\\.)*')*)\s*\)$/i;

const unquote = (s: string) => s.replace(/\\(.)/g, '$1');

export function parseSoql(soql: string): ParsedQuery | SoqlError {
  const m = QUERY.exec(soql);
  if (!m) return { errorCode: 'MALFORMED_QUERY', message: `unexpected token: '${soql.trim().split(/\s+/)[0] ?? ''}'` };
  const object = (Object.keys(FIELDS) as SObjectType[]).find((o) => o.toLowerCase() === m[2]!.toLowerCase());
  if (!object) return { errorCode: 'INVALID_TYPE', message: `\n${soql}\n^\nERROR at Row:1:Column:1\nsObject type '${m[2]}' is not supported.` };
  const canonical = (name: string): string | SoqlError =>
    FIELDS[object].find((f) => f.toLowerCase() === name.toLowerCase()) ?? {
      errorCode: 'INVALID_FIELD',
      message: `\n${soql}\n^\nERROR at Row:1:Column:1\nNo such column '${name}' on entity '${object}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name.`,
    };
  const fields: string[] = [];
  for (const name of m[1]!.split(',').map((f) => f.trim())) {
    const field = canonical(name);
    if (typeof field !== 'string') return field;
    fields.push(field);
  }
  const conditions: ParsedQuery['conditions'] = [];
  for (const clause of m[3] ? m[3].split(/\s+AND\s+/i).map((c) => c.trim()) : []) {
    const eq = EQUALS.exec(clause);
    const inList = IN_LIST.exec(clause);
    if (!eq && !inList) return { errorCode: 'MALFORMED_QUERY', message: `unexpected token: '${clause}'` };
    const field = canonical((eq ?? inList)![1]!);
    if (typeof field !== 'string') return field;
    const values = eq ? [unquote(eq[2]!)] : [...inList![2]!.matchAll(/'((?:[^'\\]|\\.)*)'/g)].map((v) => unquote(v[1]!));
    conditions.push({ field, values });
  }
  let orderBy: ParsedQuery['orderBy'] = null;
  if (m[4]) {
    const field = canonical(m[4]);
    if (typeof field !== 'string') return field;
    orderBy = { field, descending: (m[5] ?? '').toUpperCase() === 'DESC' };
  }
  return { object, fields, conditions, orderBy, limit: m[6] ? Number(m[6]) : null };
}

/** Id fields match their 15- or 18-character form, as in Salesforce. */
function matches(value: unknown, wanted: string, isId: boolean): boolean {
  if (value === null || value === undefined) return false;
  const text = String(value);
  return isId && wanted.length === 15 ? text.slice(0, 15) === wanted : text === wanted;
}

/** The records a parsed query selects, with only the selected fields. */
export function runQuery(query: ParsedQuery, records: SRecord[]): SRecord[] {
  let rows = records.filter((r) => query.conditions.every((c) => c.values.some((v) => matches(r[c.field], v, c.field === 'Id' || c.field.endsWith('Id')))));
  if (query.orderBy) {
    const { field, descending } = query.orderBy;
    rows = [...rows].sort((a, b) => (a[field]! < b[field]! ? -1 : a[field]! > b[field]! ? 1 : 0) * (descending ? -1 : 1));
  }
  if (query.limit !== null) rows = rows.slice(0, query.limit);
  return rows.map((r) => Object.fromEntries(query.fields.map((f) => [f, r[f] ?? null])));
}
