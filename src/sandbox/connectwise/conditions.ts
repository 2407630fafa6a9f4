/**
 * Reads the part of ConnectWise's `conditions` syntax the sandbox serves: comparisons
 * (= != < <= > >=) of a field reference with a quoted string, a number, True/False,
 * null or a [datetime], joined by AND. Anything else is refused with a 400, as the
 * vendor refuses what it cannot parse.
 */

type Value = string | number | boolean | null | { date: number };
export interface Comparison {
  field: string;
  op: '=' | '!=' | '<' | '<=' | '>' | '>=';
  value: Value;
}

const COMPARISON = /^\s*([A-Za-z_][\w/]*)\s*(!=|<=|>=|=|<|>)\s*("(?:[^"])*"|\[[^\]]+\]|-?\d+(?:\.\d+)?|True|False|null)\s*$/;

export function parseConditions(text: string): Comparison[] {
  return text.split(/\s+AND\s+/).map((part) => {
    const m = COMPARISON.exec(part);
    if (!m) throw new Error(`cannot parse condition: ${part}`);
    const raw = m[3]!;
    let value: Value;
    if (raw.startsWith('"')) value = raw.slice(1, -1).replace(/\[\[\]/g, '[');
    else if (raw.startsWith('[')) {
      const date = Date.parse(raw.slice(1, -1));
      if (Number.isNaN(date)) throw new Error(`bad datetime ${raw}`);
      value = { date };
    } else if (raw === 'True' || raw === 'False') value = raw === 'True';
    else if (raw === 'null') value = null;
    else value = Number(raw);
    return { field: m[1]!, op: m[2] as Comparison['op'], value };
  });
}

/** A field reference on a record: `company/id`; `lastUpdated` is read from `_info`, as ConnectWise does. */
function resolve(record: Record<string, unknown>, field: string): unknown {
  if (field === 'lastUpdated') return (record._info as Record<string, unknown> | undefined)?.lastUpdated;
  let value: unknown = record;
  for (const key of field.split('/')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

export function matches(record: Record<string, unknown>, conditions: readonly Comparison[]): boolean {
  return conditions.every(({ field, op, value }) => {
    const actual = resolve(record, field);
    let a: unknown = actual;
    let b: unknown = value;
    if (value !== null && typeof value === 'object') {
      a = typeof actual === 'string' ? Date.parse(actual) : NaN;
      b = value.date;
    }
    switch (op) {
      case '=':
        return a === b || (a == null && b === null);
      case '!=':
        return a !== b;
      case '<':
        return (a as number) < (b as number);
      case '<=':
        return (a as number) <= (b as number);
      case '>':
        return (a as number) > (b as number);
      default:
        return (a as number) >= (b as number);
    }
  });
}
