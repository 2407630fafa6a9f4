/**
 * Fields in COPY's binary format, each with its 4-byte length in front: what
 * PostgreSQL stores, so it has no text to parse (no dates, instants, uuids or
 * decimals to read: a third of a wide row's cost in the text format). Every
 * encoder takes the text the text format would carry, and refuses what the
 * server's input function would refuse rather than store something else.
 */

/** The signature, flags and (empty) header extension that open binary COPY data. */
export const BINARY_HEADER: Buffer = Buffer.concat([Buffer.from('PGCOPY\n', 'latin1'), Buffer.from([0xff, 0x0d, 0x0a, 0x00]), Buffer.alloc(8)]);
/** The field count -1 that closes it. */
export const BINARY_TRAILER: Buffer = Buffer.from([0xff, 0xff]);
/** NULL: length -1, no bytes. */
export const BINARY_NULL: Buffer = Buffer.from([0xff, 0xff, 0xff, 0xff]);

export type BinaryType = 'text' | 'jsonb' | 'numeric' | 'timestamptz' | 'date' | 'uuid' | 'boolean';

/** A field of `type` from its text (null: NULL). */
export function binaryField(type: BinaryType, text: string | null | undefined): Buffer {
  if (text === null || text === undefined) return BINARY_NULL;
  switch (type) {
    case 'text':
      return binaryText(text);
    case 'jsonb':
      return binaryJsonb(text);
    case 'numeric':
      return binaryNumeric(text);
    case 'timestamptz':
      return binaryTimestamptz(text);
    case 'date':
      return binaryDate(text);
    case 'uuid':
      return binaryUuid(text);
    case 'boolean':
      return binaryBoolean(text);
  }
}

export function binaryText(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const field = Buffer.allocUnsafe(4 + length);
  field.writeInt32BE(length, 0);
  field.write(text, 4);
  return field;
}

/** jsonb: a version byte (1), then the JSON text. */
export function binaryJsonb(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const field = Buffer.allocUnsafe(5 + length);
  field.writeInt32BE(length + 1, 0);
  field[4] = 1;
  field.write(text, 5);
  return field;
}

export function binaryBoolean(text: string): Buffer {
  if (text !== 't' && text !== 'f') throw new TypeError(`not a boolean for COPY: ${JSON.stringify(text)}`);
  return Buffer.from([0, 0, 0, 1, text === 't' ? 1 : 0]);
}

export function binaryUuid(text: string): Buffer {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text)) throw new TypeError(`not a uuid: ${JSON.stringify(text)}`);
  const field = Buffer.allocUnsafe(20);
  field.writeInt32BE(16, 0);
  field.write(text.replace(/-/g, ''), 4, 'hex');
  return field;
}

const MS_PER_DAY = 86_400_000;
/** PostgreSQL's epoch for dates and instants: 2000-01-01 UTC. */
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?Z$/;
const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})(?:$|T)/;

/** Days since 1970-01-01 of a proleptic Gregorian day, or undefined when there is no such day (or it is year 0, which PostgreSQL refuses). */
function epochDay(year: number, month: number, day: number): number | undefined {
  if (year < 1 || month < 1 || month > 12 || day < 1) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCMonth() !== month - 1) return undefined;
  return date.getTime() / MS_PER_DAY;
}

/**
 * date: days since 2000-01-01, from 'YYYY-MM-DD' or an instant ('YYYY-MM-DDTHH:MM:SS.sssZ':
 * the date input function keeps its day, as written, and so does this).
 */
export function binaryDate(text: string): Buffer {
  const match = ISO_DAY.exec(text);
  const days = match ? epochDay(Number(match[1]), Number(match[2]), Number(match[3])) : undefined;
  if (days === undefined || (match![0].endsWith('T') && !ISO_INSTANT.test(text))) throw new TypeError(`not a date for COPY: ${JSON.stringify(text)}`);
  const field = Buffer.allocUnsafe(8);
  field.writeInt32BE(4, 0);
  field.writeInt32BE(days - PG_EPOCH_MS / MS_PER_DAY, 4);
  return field;
}

/** timestamptz: microseconds since 2000-01-01 UTC, from an ISO instant in UTC (toISOString's spelling). */
export function binaryTimestamptz(text: string): Buffer {
  const match = ISO_INSTANT.exec(text);
  const days = match ? epochDay(Number(match[1]), Number(match[2]), Number(match[3])) : undefined;
  const [hours, minutes, seconds] = match ? [Number(match[4]), Number(match[5]), Number(match[6])] : [0, 0, 0];
  if (days === undefined || hours > 23 || minutes > 59 || seconds > 59) throw new TypeError(`not an instant for COPY: ${JSON.stringify(text)}`);
  const fraction = BigInt((match![7] ?? '').padEnd(6, '0'));
  const micros = BigInt(days * MS_PER_DAY - PG_EPOCH_MS + ((hours * 60 + minutes) * 60 + seconds) * 1000) * 1000n + fraction;
  const field = Buffer.allocUnsafe(12);
  field.writeInt32BE(8, 0);
  field.writeBigInt64BE(micros, 4);
  return field;
}

const DECIMAL_TEXT = /^([-+]?)(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/;
const NUMERIC_NEG = 0x4000;
/** The largest display scale and base-10000 weight a numeric holds. */
const MAX_DSCALE = 0x3fff;
const MAX_WEIGHT = 0x7fff;

/**
 * numeric: base-10000 digits, weight, sign and display scale, exactly as the numeric
 * input function would store the decimal text (the same scale: '1.50' keeps two places,
 * '1.5e-3' has four; zero is never negative).
 */
export function binaryNumeric(text: string): Buffer {
  const match = DECIMAL_TEXT.exec(text);
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) throw new TypeError(`not a decimal for COPY: ${JSON.stringify(text)}`);
  const negative = match[1] === '-';
  const whole = match[2]!;
  const fraction = match[3] ?? '';
  const exponent = match[4] === undefined ? 0 : Number(match[4]);
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 4 * MAX_WEIGHT) throw new RangeError(`decimal out of range for COPY: ${text}`);
  const dscale = Math.max(0, fraction.length - exponent);
  if (dscale > MAX_DSCALE) throw new RangeError(`decimal out of range for COPY: ${text}`);
  // All the digits, and where the point falls among them once the exponent moves it.
  const digits = whole + fraction;
  const point = whole.length + exponent;
  // Pad to whole groups of four on both sides of the point.
  const lead = ((4 - (point % 4)) % 4 + 4) % 4;
  const padded = '0'.repeat(lead) + digits;
  const pointAt = point + lead;
  const groupsBefore = pointAt / 4;
  const groups: number[] = [];
  for (let at = 0; at < padded.length; at += 4) groups.push(Number(padded.slice(at, at + 4).padEnd(4, '0')));
  // Groups between the digits and the point (a point past the last digit) are zero.
  while (groups.length < groupsBefore) groups.push(0);
  let weight = groupsBefore - 1;
  let first = 0;
  while (first < groups.length && groups[first] === 0) first++;
  let last = groups.length;
  while (last > first && groups[last - 1] === 0) last--;
  weight -= first;
  const kept = groups.slice(first, last);
  // The point may sit before the digits start (0.000123): those groups are leading zeros, already dropped.
  if (kept.length === 0) weight = 0;
  if (weight > MAX_WEIGHT || weight < -MAX_WEIGHT - 1) throw new RangeError(`decimal out of range for COPY: ${text}`);
  const field = Buffer.allocUnsafe(4 + 8 + 2 * kept.length);
  field.writeInt32BE(8 + 2 * kept.length, 0);
  field.writeInt16BE(kept.length, 4);
  field.writeInt16BE(weight, 6);
  field.writeUInt16BE(negative && kept.length > 0 ? NUMERIC_NEG : 0, 8);
  field.writeUInt16BE(dscale, 10);
  for (let i = 0; i < kept.length; i++) field.writeUInt16BE(kept[i]!, 12 + 2 * i);
  return field;
}
