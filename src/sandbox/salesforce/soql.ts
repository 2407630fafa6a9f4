import { FIELDS, type SObjectType, type SRecord } from './org.ts';

// The part of SOQL the sandbox understands: SELECT plain fields FROM one object, WHERE
// conditions joined by AND (a field compared with =, !=, <, <=, >, >= to a quoted string,
// true, false, null, a number, or a date or date-time literal; or IN a list of strings),
// ORDER BY one field, LIMIT. Anything else is refused the way Salesforce refuses a query
// it cannot parse.

export interface SoqlError {
  errorCode: 'MALFORMED_QUERY' | 'INVALID_FIELD' | 'INVALID_TYPE';
  message: string;
}

export interface ParsedQuery {
  object: SObjectType;
  fields: string[];
  conditions: Condition[];
  orderBy: { field: string; descending: boolean } | null;
  limit: number | null;
}

const QUERY = /^\s*SELECT\s+(.+?)\s+FROM\s+(\w+)(?:\s+WHERE\s+(.+?))?(?:\s+ORDER\s+BY\s+(\w+)(?:\s+(ASC|DESC))?)?(?:\s+LIMIT\s+(\d+))?\s*$/is;
type Operator = '=' | '!=' | '<' | '<=' | '>' | '>=';
type Literal = string | number | boolean | null | { at: number };
export interface Condition {
  field: string;
  op: Operator;
  values: Literal[];
}

const COMPARE = /^(\w+)\s*(=|!=|<=|>=|<|>)\s*('(?:[^'\\]|\\.)*'|true|false|null|\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))?|-?\d+(?:\.\d+)?)$/i;
const DATE_LITERAL = /^\d{4}-\d{2}-\d{2}/;

/** A date or date-time as epoch ms: Salesforce writes offsets as +0000, which Date.parse wants as +00:00. */
const instant = (text: string) => Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));

function literal(token: string): Literal {
  if (token.startsWith("'")) return unquote(token.slice(1, -1));
  const lower = token.toLowerCase();
  if (lower === 'true' || lower === 'false') return lower === 'true';
  if (lower === 'null') return null;
  if (DATE_LITERAL.test(token)) return { at: instant(token) };
  return Number(token);
}
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
    const compare = COMPARE.exec(clause);
    const inList = IN_LIST.exec(clause);
    if (!compare && !inList) return { errorCode: 'MALFORMED_QUERY', message: `unexpected token: '${clause}'` };
    const field = canonical((compare ?? inList)![1]!);
    if (typeof field !== 'string') return field;
    if (compare) conditions.push({ field, op: compare[2] as Operator, values: [literal(compare[3]!)] });
    else conditions.push({ field, op: '=', values: [...inList![2]!.matchAll(/'((?:[^'\\]|\\.)*)'/g)].map((v) => unquote(v[1]!)) });
  }
  let orderBy: ParsedQuery['orderBy'] = null;
  if (m[4]) {
    const field = canonical(m[4]);
    if (typeof field !== 'string') return field;
    orderBy = { field, descending: (m[5] ?? '').toUpperCase() === 'DESC' };
  }
  return { object, fields, conditions, orderBy, limit: m[6] ? Number(m[6]) : null };
}

/** Whether a record's value satisfies one condition's operator and literal; id fields match their 15- or 18-character form, as in Salesforce. */
function matches(value: unknown, op: Operator, wanted: Literal, isId: boolean): boolean {
  if (wanted === null) return op === '=' ? value === null || value === undefined : op === '!=' ? value !== null && value !== undefined : false;
  if (value === null || value === undefined) return op === '!=';
  let left: string | number | boolean = value as string | number | boolean;
  let right: string | number | boolean;
  if (typeof wanted === 'object') {
    left = instant(String(value));
    right = wanted.at;
  } else if (typeof wanted === 'string' && isId && wanted.length === 15) {
    left = String(value).slice(0, 15);
    right = wanted;
  } else {
    right = wanted;
    if (typeof wanted === 'string') left = String(value);
  }
  switch (op) {
    case '=':
      return left === right;
    case '!=':
      return left !== right;
    case '<':
      return left < right;
    case '<=':
      return left <= right;
    case '>':
      return left > right;
    case '>=':
      return left >= right;
  }
}

/** The records a parsed query selects, with only the selected fields. */
export function runQuery(query: ParsedQuery, records: SRecord[]): SRecord[] {
  let rows = records.filter((r) => query.conditions.every((c) => c.values.some((v) => matches(r[c.field], c.op, v, c.field === 'Id' || c.field.endsWith('Id')))));
  if (query.orderBy) {
    const { field, descending } = query.orderBy;
    rows = [...rows].sort((a, b) => (a[field]! < b[field]! ? -1 : a[field]! > b[field]! ? 1 : 0) * (descending ? -1 : 1));
  }
  if (query.limit !== null) rows = rows.slice(0, query.limit);
  return rows.map((r) => Object.fromEntries(query.fields.map((f) => [f, r[f] ?? null])));
}
