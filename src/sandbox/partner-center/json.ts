/**
 * JSON text with Decimal values written as JSON numbers digit for digit, so an
 * amount the sandbox computed as 16.28 reaches the wire as 16.28 and never as a
 * binary-float approximation.
 *
 * @example
 *   stringifyWithDecimals({ totalCharges: new Decimal('1234.50') }); // '{"totalCharges":1234.5}'
 */
import { Decimal } from 'decimal.js';

/** Decimal → JSON number token, never in exponent form. */
export function decimalToken(value: Decimal): string {
  const text = value.toFixed();
  return text === '-0' ? '0' : text;
}

export function stringifyWithDecimals(value: unknown): string {
  if (Decimal.isDecimal(value)) return decimalToken(value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => stringifyWithDecimals(v === undefined ? null : v)).join(',')}]`;
  const parts: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    parts.push(`${JSON.stringify(key)}:${stringifyWithDecimals(v)}`);
  }
  return `{${parts.join(',')}}`;
}
