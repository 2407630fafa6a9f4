import { USAGE_COLUMNS, type LineRow, type UsageLineValues } from '../../mappings/partner-center/lines.ts';
import { copyTextField } from './copy.ts';
import { BINARY_HEADER, BINARY_NULL, BINARY_TRAILER, binaryField, binaryJsonb, binaryUuid, type BinaryType } from './copy-binary.ts';

/** The vendor's columns, as usage_lines stores them (the usage day leads the key instead). */
export const USAGE_VENDOR_COLUMNS: readonly string[] = USAGE_COLUMNS.filter((c) => c !== 'usage_date');

/**
 * A usage line as the hub stores it, in the order it is COPYed: the natural key, the
 * tags, every vendor field, and last the hub's customer (known only once the batch's
 * tenants are resolved).
 */
export const CANONICAL_USAGE_COLUMNS: readonly string[] = ['usage_date', 'line_key', 'tags', ...USAGE_VENDOR_COLUMNS, 'customer_id'];

/** The type each canonical column has in usage_lines (and in the merge's staging table). */
export function usageColumnType(column: string): BinaryType {
  if (NUMERIC_COLUMNS.has(column)) return 'numeric';
  if (column === 'charge_start_date' || column === 'charge_end_date') return 'timestamptz';
  if (column === 'usage_date' || column === 'pc_to_bc_exchange_rate_date') return 'date';
  if (column === 'tags') return 'jsonb';
  if (column === 'customer_id') return 'uuid';
  return 'text';
}

const NUMERIC_COLUMNS = new Set(['unit_price', 'quantity', 'billing_pre_tax_total', 'pricing_pre_tax_total', 'effective_unit_price', 'pc_to_bc_exchange_rate', 'partner_earned_credit_percentage', 'credit_percentage']);

/**
 * A mapped usage line in COPY's binary format, kept instead of the row while its batch
 * fills: the bytes of every canonical column but customer_id, at `start` to `end` of `block`.
 */
export interface EncodedUsageLine {
  block: Buffer;
  start: number;
  end: number;
  usageDate: string;
  lineKey: string;
  /** keyRank(lineKey): orders most pairs of keys without comparing the strings. */
  keyRank: number;
  /** The billing period (YYYY-MM) of the usage day. */
  month: string;
  tenantId: string;
  customerName: string | null;
  /** The hub's customer: set once the batch's tenants are resolved. */
  customerId: string;
}

/**
 * A number that orders keys as their first three UTF-16 units do (a missing unit counts
 * as the lowest): keys of different ranks compare as their ranks do; keys of one rank
 * must still be compared as strings.
 */
export function keyRank(key: string): number {
  const at = (i: number) => (i < key.length ? key.charCodeAt(i) : 0);
  return (at(0) * 0x10000 + at(1)) * 0x10000 + at(2);
}

// Where each vendor column sits among USAGE_COLUMNS (mapUsageValues' order), and its type.
const VENDOR_AT = USAGE_VENDOR_COLUMNS.map((c) => USAGE_COLUMNS.indexOf(c));
const VENDOR_TYPES = USAGE_VENDOR_COLUMNS.map(usageColumnType);
const DAY_AT = USAGE_COLUMNS.indexOf('usage_date');
const TENANT_AT = USAGE_COLUMNS.indexOf('customer_tenant_id');
const NAME_AT = USAGE_COLUMNS.indexOf('customer_name');

// The encoder's memory of the previous line: per column its value and bytes, and per
// segment of columns their bytes joined. Most columns repeat from one line to the next
// (the same strings, even: mapping hands the previous line's back), so a line costs a
// comparison per column and a copy per segment.
const SEGMENT = 8;
const UNSET = Symbol('unset');
const lastValue: unknown[] = USAGE_VENDOR_COLUMNS.map(() => UNSET);
const segments = Array.from({ length: Math.ceil(USAGE_VENDOR_COLUMNS.length / SEGMENT) }, (_, s) => ({
  from: s * SEGMENT,
  fields: USAGE_VENDOR_COLUMNS.slice(s * SEGMENT, (s + 1) * SEGMENT).map(() => BINARY_NULL),
  joined: BINARY_NULL,
}));
let lastDay = '';
let lastDayField = BINARY_NULL;
let lastMonth = '';
let lastTags: object | undefined;
let lastTagsField = BINARY_NULL;

// A month of lines has thirty days and a few hundred distinct amounts, dates and prices
// that come and go as the resources alternate: each is encoded once (per type: an
// instant's text is a timestamptz in one column and a date in another).
const MEMO_LIMIT = 4096;
const memos = new Map<BinaryType, Map<string, Buffer>>();

function remembered(type: BinaryType, text: string): Buffer {
  let memo = memos.get(type);
  if (memo === undefined) memos.set(type, (memo = new Map()));
  let field = memo.get(text);
  if (field === undefined) {
    field = binaryField(type, text);
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(text, field);
  }
  return field;
}

// Lines are written one after the other into blocks of this size, outside V8's heap.
const BLOCK = 1 << 20;
let block = Buffer.allocUnsafeSlow(BLOCK);
let blockUsed = 0;

/** The line (columns in USAGE_COLUMNS order) for COPY, customer aside. */
function encodeColumns(values: readonly (string | null | undefined)[], tagsField: Buffer, lineKey: string, customerId: string): EncodedUsageLine {
  const usageDate = values[DAY_AT]!;
  if (usageDate !== lastDay) {
    lastDayField = remembered('date', usageDate);
    lastDay = usageDate;
    lastMonth = usageDate.slice(0, 7);
  }
  let size = lastDayField.length + 4 + 3 * lineKey.length + tagsField.length;
  for (let s = 0; s < segments.length; s++) {
    const segment = segments[s]!;
    const { from, fields } = segment;
    let changed = false;
    for (let j = 0; j < fields.length; j++) {
      const value = values[VENDOR_AT[from + j]!];
      if (value !== lastValue[from + j]) {
        // Encoded before it is remembered: a value the encoder refuses is refused again next time.
        const type = VENDOR_TYPES[from + j]!;
        fields[j] = value === null || value === undefined || type === 'text' ? binaryField(type, value) : remembered(type, value);
        lastValue[from + j] = value;
        changed = true;
      }
    }
    if (changed) segment.joined = Buffer.concat(fields);
    size += segment.joined.length;
  }
  if (blockUsed + size > block.length) {
    block = Buffer.allocUnsafeSlow(Math.max(BLOCK, size));
    blockUsed = 0;
  }
  const start = blockUsed;
  let at = start + lastDayField.copy(block, start);
  const keyLength = block.write(lineKey, at + 4);
  block.writeInt32BE(keyLength, at);
  at += 4 + keyLength;
  at += tagsField.copy(block, at);
  for (let s = 0; s < segments.length; s++) at += segments[s]!.joined.copy(block, at);
  blockUsed = at;
  return {
    block,
    start,
    end: at,
    usageDate,
    lineKey,
    keyRank: keyRank(lineKey),
    month: lastMonth,
    tenantId: values[TENANT_AT]!,
    customerName: values[NAME_AT] ?? null,
    customerId,
  };
}

const rowValues: (string | null | undefined)[] = USAGE_COLUMNS.map(() => null);

/**
 * Encode a mapped usage line (mapUsageLine's row and tags) for COPY, customer aside.
 *
 * @example
 *   const line = encodeUsageLine(mapped); // then, the batch's customers resolved:
 *   line.customerId = customers.get(line.tenantId)!;
 */
export function encodeUsageLine(line: { row: LineRow; tags: Record<string, string> }, customerId = ''): EncodedUsageLine {
  const row = line.row;
  for (let j = 0; j < USAGE_COLUMNS.length; j++) rowValues[j] = row[USAGE_COLUMNS[j]!];
  return encodeColumns(rowValues, binaryJsonb(JSON.stringify(line.tags)), row.line_key!, customerId);
}

/**
 * encodeUsageLine for mapUsageValues' answer: no row in between, and the tags' bytes
 * made once for as long as the lines share their tags.
 *
 * @example
 *   const mapped = mapUsageValues(record);
 *   if (mapped.ok) batch.push(encodeUsageValues(mapped));
 */
export function encodeUsageValues(line: UsageLineValues, customerId = ''): EncodedUsageLine {
  if (line.tags !== lastTags) {
    lastTagsField = binaryJsonb(JSON.stringify(line.tags));
    lastTags = line.tags;
  }
  return encodeColumns(line.values, lastTagsField, line.lineKey, customerId);
}

/**
 * A usage line's canonical columns (CANONICAL_USAGE_COLUMNS) as one line of COPY's
 * text format, newline included: what a bare COPY of the line loads.
 */
export function canonicalCopyLine(line: { row: LineRow; tags: Record<string, string> }, customerId: string): string {
  const row = line.row;
  const fields = [row.usage_date, row.line_key, JSON.stringify(line.tags), ...USAGE_VENDOR_COLUMNS.map((c) => row[c]), customerId];
  return `${fields.map(copyTextField).join('\t')}\n`;
}

/**
 * The last occurrence of each line wins, as it would across batches; the survivors come
 * back in key order (usage day, then line key). Writing in one order keeps index inserts
 * local, and two ingestions of overlapping lines take their row locks in the same order,
 * so they wait for each other instead of deadlocking.
 */
export function lastOfEachInKeyOrder(lines: EncodedUsageLine[]): EncodedUsageLine[] {
  // A batch holds a handful of days: sorted day by day, most comparisons are of keys alone.
  const byDay = new Map<string, EncodedUsageLine[]>();
  for (const line of lines) {
    const day = byDay.get(line.usageDate);
    if (day === undefined) byDay.set(line.usageDate, [line]);
    else day.push(line);
  }
  const sorted: EncodedUsageLine[] = [];
  for (const day of [...byDay.keys()].sort()) {
    // The sort is stable: repeats of a key stay in arrival order, and the last is kept.
    const group = byDay.get(day)!.sort(byLineKey);
    for (let i = 0; i < group.length; i++) {
      if (i + 1 === group.length || byLineKey(group[i]!, group[i + 1]!) !== 0) sorted.push(group[i]!);
    }
  }
  return sorted;
}

function byLineKey(a: EncodedUsageLine, b: EncodedUsageLine): number {
  if (a.keyRank !== b.keyRank) return a.keyRank - b.keyRank;
  return a.lineKey < b.lineKey ? -1 : a.lineKey > b.lineKey ? 1 : 0;
}

/** Bytes per COPY message. */
const COPY_CHUNK = 1 << 20;

/**
 * COPY data (binary format) for many lines: each line's canonical columns, then its
 * customer, then `extraFields` more fields (`extra`'s bytes), in buffers of about
 * 1 MiB made as the COPY takes them. A buffer is what one turn of the event loop hands
 * the socket: big enough to keep PostgreSQL busy while mapping goes on, and outside
 * V8's heap, so it costs no collection.
 */
export function* copyChunks(lines: EncodedUsageLine[], extraFields: number, extra: (line: EncodedUsageLine) => Buffer): Generator<Buffer> {
  const fieldCount = CANONICAL_USAGE_COLUMNS.length + extraFields;
  const customers = new Map<string, Buffer>();
  let chunk = Buffer.allocUnsafeSlow(COPY_CHUNK);
  let used = BINARY_HEADER.copy(chunk, 0);
  for (const line of lines) {
    let customer = customers.get(line.customerId);
    if (customer === undefined) customers.set(line.customerId, (customer = binaryUuid(line.customerId)));
    const tail = extra(line);
    const size = 2 + (line.end - line.start) + customer.length + tail.length;
    if (used + size > chunk.length) {
      yield chunk.subarray(0, used);
      chunk = Buffer.allocUnsafeSlow(Math.max(COPY_CHUNK, size));
      used = 0;
    }
    used = chunk.writeInt16BE(fieldCount, used);
    used += line.block.copy(chunk, used, line.start, line.end);
    used += customer.copy(chunk, used);
    used += tail.copy(chunk, used);
  }
  if (used + BINARY_TRAILER.length > chunk.length) {
    yield chunk.subarray(0, used);
    chunk = Buffer.allocUnsafeSlow(BINARY_TRAILER.length);
    used = 0;
  }
  used += BINARY_TRAILER.copy(chunk, used);
  yield chunk.subarray(0, used);
}
