import { Decimal } from '../../engine/decimal.ts';
import type { FieldType, Scalar, Value } from './types.ts';

// Reading a raw vendor value as its declared type, and writing a value back as JSON.

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Raised when a value cannot be read as its type: the message says what and why. */
export class ValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValueError';
  }
}

function describe(raw: unknown): string {
  return typeof raw === 'string' ? JSON.stringify(raw) : String(raw);
}

/** A calendar date is valid when it survives a round trip through UTC (no 31 February). */
export function isIsoDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === text;
}

/**
 * A raw value (vendor JSON: text, number, boolean) as `type`. Empty text and null are null.
 * Throws ValueError naming the value and the type.
 *
 * @example coerce('1150.00', 'decimal') // Decimal 1150
 */
export function coerce(raw: unknown, type: FieldType): Value {
  if (raw === undefined || raw === null) return null;
  if (raw instanceof Decimal || raw instanceof Date) return coerceValue(raw, type);
  if (typeof raw === 'string' && raw.trim() === '' && type !== 'string') return null;
  const text = typeof raw === 'string' ? raw.trim() : raw;
  switch (type) {
    case 'string':
      if (typeof raw === 'string') return raw;
      if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
      break;
    case 'decimal':
    case 'integer': {
      const source = typeof text === 'number' && Number.isFinite(text) ? String(text) : text;
      if (typeof source === 'string' && DECIMAL.test(source)) {
        const d = new Decimal(source);
        if (type === 'integer' && !d.isInteger()) throw new ValueError(`${describe(raw)} is not a whole number`);
        return d;
      }
      break;
    }
    case 'boolean':
      if (typeof text === 'boolean') return text;
      if (text === 'true' || text === 'false') return text === 'true';
      break;
    case 'date':
      if (typeof text === 'string' && isIsoDate(text)) return text;
      break;
    case 'datetime':
      if (typeof text === 'string' && DATETIME.test(text) && !Number.isNaN(Date.parse(text))) return new Date(text);
      if (typeof text === 'string' && isIsoDate(text)) return new Date(`${text}T00:00:00Z`);
      break;
  }
  throw new ValueError(`${describe(raw)} is not a${type === 'integer' ? 'n' : ''} ${type}`);
}

function coerceValue(value: Decimal | Date, type: FieldType): Value {
  if (value instanceof Decimal) {
    if (type === 'decimal') return value;
    if (type === 'integer' && value.isInteger()) return value;
    if (type === 'string') return value.toString();
  } else {
    if (type === 'datetime') return value;
    if (type === 'string') return value.toISOString();
  }
  throw new ValueError(`${render(value)} is not a${type === 'integer' ? 'n' : ''} ${type}`);
}

/** The type a runtime value has. */
export function typeOfValue(value: Value): FieldType | null {
  if (value === null) return null;
  if (value instanceof Decimal) return value.isInteger() ? 'integer' : 'decimal';
  if (value instanceof Date) return 'datetime';
  if (typeof value === 'boolean') return 'boolean';
  return 'string';
}

/** A value as JSON: decimals as plain strings ("1234.56"), instants as ISO 8601 UTC. */
export function render(value: Value): Scalar {
  if (value instanceof Decimal) return value.toString();
  if (value instanceof Date) return value.toISOString();
  return value;
}

/**
 * Whether a value of type `from` may be written to a field of type `to` without a
 * transform that says how: the same type, a whole number into a decimal, anything into text.
 */
export function assignable(from: FieldType, to: FieldType): boolean {
  return from === to || to === 'string' || (from === 'integer' && to === 'decimal');
}
