type SourceReviver = (key: string, value: unknown, context: { source?: string }) => unknown;

// JSON.parse source text access (Node 22+): a number's reviver context carries its
// literal text, so a price like 0.12345678901234567890 survives instead of being
// rounded to the nearest double.
const numbersAsText: SourceReviver = (_key, value, context) =>
  typeof value === 'number' && context.source !== undefined ? context.source : value;

function parseWithReviver(text: string): unknown {
  return JSON.parse(text, numbersAsText as (key: string, value: unknown) => unknown);
}

/**
 * Parses JSON with every number returned as the exact text the vendor sent, ready
 * for `new Decimal(...)`. Money must never pass through a JS number.
 *
 * A flat object (the shape of every billing line) takes a fast path: a plain
 * JSON.parse, then each number's text is read back from the source. A reviver
 * costs a call per value, and a usage line has sixty; this is several times faster
 * and returns the same thing. Anything else (nesting, arrays, unusual spelling)
 * goes through the reviver, after a wasted plain parse that costs a fraction of it.
 *
 * @example
 * parseJsonExact('{"unitPrice":0.737586206896551724}') // { unitPrice: '0.737586206896551724' }
 */
export function parseJsonExact(text: string): unknown {
  const value = JSON.parse(text) as unknown;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value !== 'object' || Array.isArray(value)) return parseWithReviver(text);
  const record = value as Record<string, unknown>;
  // Keys come back in source order, so each search starts where the last one ended.
  let from = 0;
  for (const key in record) {
    const v = record[key];
    if (typeof v === 'number') {
      const source = key === '__proto__' ? undefined : numberText(text, key, v, from);
      if (source === undefined) return parseWithReviver(text);
      record[key] = source.text;
      from = source.end;
    } else if (typeof v === 'object' && v !== null) return parseWithReviver(text);
  }
  return record;
}

const needles = new Map<string, string>();

function needleFor(key: string): string {
  let needle = needles.get(key);
  if (needle === undefined) {
    needle = `"${key}":`;
    if (needles.size < 1000) needles.set(key, needle);
  }
  return needle;
}

/**
 * The literal text of the number `value` under `key`, searching from `from`, or
 * undefined when it cannot be told for certain (the caller then falls back to the
 * reviver). In valid JSON, `"key":` can only be a key: a quote inside a string is
 * escaped, and an escaped quote right before the needle means the tail of a longer
 * key, so we give up. The text found must also be the value JSON.parse kept, which
 * rules out a key met in another spelling (escaped, or repeated: RFC 8259 leaves
 * duplicate names undefined; JSON.parse keeps the last).
 */
function numberText(text: string, key: string, value: number, from: number): { text: string; end: number } | undefined {
  const needle = needleFor(key);
  const at = text.indexOf(needle, from);
  if (at <= 0 || text.charCodeAt(at - 1) === 0x5c) return undefined;
  const start = at + needle.length;
  let end = start;
  for (;;) {
    const c = text.charCodeAt(end);
    // digits, '-', '+', '.', 'e', 'E': JSON.parse has already checked the grammar
    if ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45) end++;
    else break;
  }
  if (end === start) return undefined;
  const literal = text.slice(start, end);
  return Number(literal) === value ? { text: literal, end } : undefined;
}
