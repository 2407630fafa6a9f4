type SourceReviver = (key: string, value: unknown, context: { source?: string }) => unknown;

// JSON.parse source text access (Node 22+): a number's reviver context carries its
// literal text, so a price like 0.12345678901234567890 survives instead of being
// rounded to the nearest double.
const numbersAsText: SourceReviver = (_key, value, context) =>
  typeof value === 'number' && context.source !== undefined ? context.source : value;

/**
 * Parses JSON with every number returned as the exact text the vendor sent, ready
 * for `new Decimal(...)`. Money must never pass through a JS number.
 *
 * @example
 * parseJsonExact('{"unitPrice":0.737586206896551724}') // { unitPrice: '0.737586206896551724' }
 */
export function parseJsonExact(text: string): unknown {
  return JSON.parse(text, numbersAsText as (key: string, value: unknown) => unknown);
}
