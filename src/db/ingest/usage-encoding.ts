import { USAGE_COLUMNS, type LineRow } from '../../mappings/partner-center/lines.ts';
import { copyTextField } from './copy.ts';

/** The vendor's columns, as usage_lines stores them (the usage day leads the key instead). */
export const USAGE_VENDOR_COLUMNS: readonly string[] = USAGE_COLUMNS.filter((c) => c !== 'usage_date');

/**
 * A usage line as the hub stores it, in the order it is COPYed: the natural key, the
 * tags, every vendor field, and last the hub's customer (known only once the batch's
 * tenants are resolved).
 */
export const CANONICAL_USAGE_COLUMNS: readonly string[] = ['usage_date', 'line_key', 'tags', ...USAGE_VENDOR_COLUMNS, 'customer_id'];

/** A mapped usage line in COPY's text format, kept instead of the row while its batch fills. */
export interface EncodedUsageLine {
  /** Every canonical column but customer_id, tab-separated, no newline. */
  text: string;
  usageDate: string;
  lineKey: string;
  /** The billing period (YYYY-MM) of the usage day. */
  month: string;
  tenantId: string;
  customerName: string | null;
  /** The hub's customer: set once the batch's tenants are resolved. */
  customerId: string;
}

// encodeUsageLine's memory of the previous line: per column its value and COPY text,
// and per segment of columns their joined text. Most columns repeat from one line to
// the next (the same strings, even: mapping hands the previous line's back), so a line
// costs a comparison per column and a join of the few segments that changed.
const SEGMENT = 8;
const UNSET = Symbol('unset');
const lastValue: unknown[] = USAGE_VENDOR_COLUMNS.map(() => UNSET);
const segments = Array.from({ length: Math.ceil(USAGE_VENDOR_COLUMNS.length / SEGMENT) }, (_, s) => ({
  from: s * SEGMENT,
  texts: USAGE_VENDOR_COLUMNS.slice(s * SEGMENT, (s + 1) * SEGMENT).map(() => ''),
  joined: '',
}));
const parts: string[] = new Array<string>(3 + segments.length);
let lastDate = '';
let lastMonth = '';

/**
 * Encode a mapped usage line (mapUsageLine's row and tags) for COPY, customer aside.
 *
 * @example
 *   const line = encodeUsageLine(mapped); // then, the batch's customers resolved:
 *   line.customerId = customers.get(line.tenantId)!;
 */
export function encodeUsageLine(line: { row: LineRow; tags: Record<string, string> }, customerId = ''): EncodedUsageLine {
  const row = line.row;
  const usageDate = row.usage_date!;
  const lineKey = row.line_key!;
  parts[0] = copyTextField(usageDate);
  parts[1] = copyTextField(lineKey);
  parts[2] = copyTextField(JSON.stringify(line.tags));
  for (let s = 0; s < segments.length; s++) {
    const segment = segments[s]!;
    const { from, texts } = segment;
    let changed = false;
    for (let j = 0; j < texts.length; j++) {
      const value = row[USAGE_VENDOR_COLUMNS[from + j]!];
      if (value !== lastValue[from + j]) {
        lastValue[from + j] = value;
        texts[j] = copyTextField(value);
        changed = true;
      }
    }
    if (changed) segment.joined = texts.join('\t');
    parts[3 + s] = segment.joined;
  }
  if (usageDate !== lastDate) {
    lastDate = usageDate;
    lastMonth = usageDate.slice(0, 7);
  }
  return {
    // One join makes one flat string; concatenation would build a deep rope to flatten later.
    text: parts.join('\t'),
    usageDate,
    lineKey,
    month: lastMonth,
    tenantId: row.customer_tenant_id!,
    customerName: row.customer_name ?? null,
    customerId,
  };
}

/**
 * A usage line's canonical columns (CANONICAL_USAGE_COLUMNS) as one line of COPY text,
 * newline included: what a bare COPY of the line loads.
 */
export function canonicalCopyLine(line: EncodedUsageLine): string {
  return `${line.text}\t${copyTextField(line.customerId)}\n`;
}

/**
 * The last occurrence of each line wins, as it would across batches; the survivors come
 * back in key order (usage day, then line key). Writing in one order keeps index inserts
 * local, and two ingestions of overlapping lines take their row locks in the same order,
 * so they wait for each other instead of deadlocking.
 */
export function lastOfEachInKeyOrder(lines: EncodedUsageLine[]): EncodedUsageLine[] {
  // The sort is stable: repeats of a key stay in arrival order, and the last is kept.
  const sorted = lines.slice().sort(byNaturalKey);
  let kept = 0;
  for (let i = 0; i < sorted.length; i++) {
    const line = sorted[i]!;
    if (i + 1 === sorted.length || byNaturalKey(line, sorted[i + 1]!) !== 0) sorted[kept++] = line;
  }
  sorted.length = kept;
  return sorted;
}

/** Usage day, then line key: the order of usage_lines' unique index. */
export function byNaturalKey(a: EncodedUsageLine, b: EncodedUsageLine): number {
  if (a.usageDate !== b.usageDate) return a.usageDate < b.usageDate ? -1 : 1;
  return a.lineKey < b.lineKey ? -1 : a.lineKey > b.lineKey ? 1 : 0;
}

/** Bytes per COPY message. */
const COPY_CHUNK = 1 << 20;

/**
 * COPY data for many lines: each line's canonical text, then `extra` (more columns, tab
 * first; may be empty), then a newline, in buffers of about 1 MiB made as the COPY takes
 * them. A buffer is what one turn of the event loop hands the socket: big enough to keep
 * PostgreSQL busy while mapping goes on, and outside V8's heap, so it costs no collection.
 */
export function* copyChunks(lines: EncodedUsageLine[], extra: (line: EncodedUsageLine) => string): Generator<Buffer> {
  let chunk = Buffer.allocUnsafeSlow(COPY_CHUNK);
  let used = 0;
  for (const line of lines) {
    const end = `\t${copyTextField(line.customerId)}${extra(line)}\n`;
    const size = Buffer.byteLength(line.text) + Buffer.byteLength(end);
    if (used + size > chunk.length) {
      if (used > 0) yield chunk.subarray(0, used);
      chunk = Buffer.allocUnsafeSlow(Math.max(COPY_CHUNK, size));
      used = 0;
    }
    used += chunk.write(line.text, used);
    used += chunk.write(end, used);
  }
  if (used > 0) yield chunk.subarray(0, used);
}
