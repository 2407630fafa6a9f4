import Type from 'typebox';
import { invalidFields, type FieldError } from './problem.ts';

// Shapes the route schemas share. Money, rates and percentages travel as decimal
// strings ("15", "36.00", "-2.5"), never JSON numbers, and are stored as numeric.

const DECIMAL = '^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$';
const UNSIGNED_DECIMAL = '^(0|[1-9][0-9]*)(\\.[0-9]+)?$';

/** A signed decimal string, e.g. "15" or "-2.5". */
export const DecimalString = (options: { description?: string; examples?: string[] } = {}) =>
  Type.String({ pattern: DECIMAL, maxLength: 40, ...options });

/** A decimal string that is zero or more, e.g. "36.00". */
export const UnsignedDecimalString = (options: { description?: string; examples?: string[] } = {}) =>
  Type.String({ pattern: UNSIGNED_DECIMAL, maxLength: 40, ...options });

export const Uuid = Type.String({ format: 'uuid' });
export const IsoDate = Type.String({ format: 'date', description: 'Calendar date YYYY-MM-DD', examples: ['2026-01-01'] });
export const CurrencyCode = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code', examples: ['USD'] });
export const Timestamp = Type.String({ format: 'date-time' });
export const Justification = Type.String({ minLength: 1, maxLength: 2000, description: 'Why: kept with the change in the audit trail' });

const DECIMAL_PATTERNS = new Set([DECIMAL, UNSIGNED_DECIMAL]);

interface SchemaNode {
  type?: unknown;
  pattern?: unknown;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
}

function numericDecimals(schema: SchemaNode, value: unknown, path: string[], found: string[]): void {
  if (schema.type === 'string' && DECIMAL_PATTERNS.has(schema.pattern as string)) {
    if (typeof value === 'number') found.push(path.join('.'));
    return;
  }
  for (const option of schema.anyOf ?? []) numericDecimals(option, value, path, found);
  if (schema.properties && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, sub] of Object.entries(schema.properties)) {
      if (key in value) numericDecimals(sub, (value as Record<string, unknown>)[key], [...path, key], found);
    }
  }
  if (schema.items && Array.isArray(value)) value.forEach((item, i) => numericDecimals(schema.items!, item, [...path, String(i)], found));
}

/**
 * A preValidation hook refusing a JSON number where the body schema wants a decimal
 * string. The app's validator coerces numbers to strings, but by then JSON.parse has
 * already made the amount a binary float: "0.1" is exact, 0.1 is not.
 *
 * @example r.post('/v1/fx-rates', { preValidation: decimalStringsOnly(Body), schema: { body: Body } }, handler)
 */
export function decimalStringsOnly(schema: object) {
  return async (request: { body: unknown }): Promise<void> => {
    const found: string[] = [];
    numericDecimals(schema as SchemaNode, request.body, [], found);
    if (found.length === 0) return;
    const errors: FieldError[] = found.map((field) => ({ field, reason: 'must be a decimal string such as "15", not a JSON number' }));
    throw invalidFields(errors);
  };
}
