import { parseJsonExact } from '../../connectors/http/exact-json.ts';
import { CsvParser, type CsvRecord } from './csv.ts';

/** How a reconciliation file is written: the portal's CSV, or JSON lines (one line object per line, as the v2 export blobs). */
export type FileFormat = 'csv' | 'jsonl';

/** The file's content: whole (a string or bytes) or as it arrives (a file or request stream). Bytes are UTF-8. */
export type FileInput = string | Uint8Array | AsyncIterable<string | Uint8Array>;

/**
 * What a file holds, in order: its header first (the CSV header row, or the keys of
 * the first JSON line), then one item per data row, either a record keyed by the
 * header's names or a problem with the whole row.
 *
 * Rows are numbered as a person opening the file sees them: in a CSV the header is
 * row 1, so the first data row is row 2 (a quoted line break does not start a new
 * row; a blank line is a row, skipped); in JSON lines a row is its line number, the
 * first line being row 1.
 */
export type FileItem =
  | { type: 'header'; columns: string[] }
  | { type: 'record'; row: number; record: Record<string, unknown> }
  | { type: 'problem'; row: number; field: string; reason: string };

const CHUNK_CHARS = 1 << 20;

/** The text of the input by chunks of about 1 MB: bytes are decoded as they come, a BOM is dropped. */
export async function* textChunks(input: FileInput): AsyncGenerator<string> {
  if (typeof input === 'string') {
    const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
    for (let i = 0; i < text.length; i += CHUNK_CHARS) yield text.slice(i, i + CHUNK_CHARS);
    return;
  }
  // TextDecoder drops a leading BOM and decodes a character split across chunks once it is whole.
  const decoder = new TextDecoder('utf-8');
  if (input instanceof Uint8Array) {
    for (let i = 0; i < input.length; i += CHUNK_CHARS) yield decoder.decode(input.subarray(i, i + CHUNK_CHARS), { stream: true });
  } else {
    let first = true;
    for await (const chunk of input) {
      let text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      if (first && text.length > 0) {
        first = false;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      }
      yield text;
    }
  }
  const rest = decoder.decode();
  if (rest) yield rest;
}

/**
 * Read a reconciliation file row by row, never holding more than a chunk of its text.
 *
 * @example
 *   for await (const item of readFileRecords('CustomerId,Quantity\r\nabc,1\r\n', 'csv')) console.log(item);
 *   // { type: 'header', columns: ['CustomerId', 'Quantity'] }
 *   // { type: 'record', row: 2, record: { CustomerId: 'abc', Quantity: '1' } }
 */
export function readFileRecords(input: FileInput, format: FileFormat): AsyncGenerator<FileItem> {
  return format === 'csv' ? csvItems(input) : jsonLineItems(input);
}

async function* csvItems(input: FileInput): AsyncGenerator<FileItem> {
  const parser = new CsvParser();
  let header: string[] | undefined;
  // Where each named column sits (the first of a repeated name wins), computed once.
  let named: [string, number][] = [];
  let row = 0;
  function* items(records: CsvRecord[]): Generator<FileItem> {
    for (const record of records) {
      row++;
      if (!header) {
        header = record.fields.map((f) => f.trim());
        const seen = new Set<string>();
        named = header.flatMap((name, i): [string, number][] => (name === '' || seen.has(name) ? [] : (seen.add(name), [[name, i]])));
        yield { type: 'header', columns: header };
        continue;
      }
      const item = csvItem(header.length, named, record, row);
      if (item) yield item;
    }
  }
  for await (const chunk of textChunks(input)) yield* items(parser.push(chunk));
  yield* items(parser.end());
  if (!header) yield { type: 'header', columns: [] };
}

/** One data row as a record keyed by the header, a problem, or null for a blank row. */
function csvItem(width: number, named: [string, number][], record: CsvRecord, row: number): FileItem | null {
  const { fields } = record;
  if (record.malformed) return { type: 'problem', row, field: 'row', reason: record.malformed };
  if (fields.every((f) => f === '')) return null;
  // Trailing empty fields beyond the header (a spreadsheet's stray commas) are harmless.
  let count = fields.length;
  while (count > width && fields[count - 1] === '') count--;
  if (count !== width) {
    return { type: 'problem', row, field: 'row', reason: `has ${fields.length} field${fields.length === 1 ? '' : 's'} where the header has ${width}` };
  }
  const out: Record<string, unknown> = {};
  for (const [name, i] of named) out[name] = fields[i];
  return { type: 'record', row, record: out };
}

async function* jsonLineItems(input: FileInput): AsyncGenerator<FileItem> {
  let pending = '';
  let row = 0;
  let headerSent = false;
  // Problems met before the first object (which gives the header) wait for it.
  const early: FileItem[] = [];

  function* line(text: string): Generator<FileItem> {
    row++;
    const trimmed = (text.endsWith('\r') ? text.slice(0, -1) : text).trim();
    if (trimmed === '') return;
    let value: unknown;
    try {
      value = parseJsonExact(trimmed);
    } catch (err) {
      const item: FileItem = { type: 'problem', row, field: 'row', reason: `is not valid JSON: ${(err as Error).message}` };
      if (headerSent) yield item;
      else early.push(item);
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      const item: FileItem = { type: 'problem', row, field: 'row', reason: 'is not a JSON object' };
      if (headerSent) yield item;
      else early.push(item);
      return;
    }
    const record = value as Record<string, unknown>;
    if (!headerSent) {
      headerSent = true;
      yield { type: 'header', columns: Object.keys(record) };
      yield* early.splice(0);
    }
    yield { type: 'record', row, record };
  }

  for await (const chunk of textChunks(input)) {
    pending += chunk;
    let start = 0;
    for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n', start)) {
      yield* line(pending.slice(start, nl));
      start = nl + 1;
    }
    pending = pending.slice(start);
  }
  if (pending !== '') yield* line(pending);
  if (!headerSent) {
    yield { type: 'header', columns: [] };
    yield* early;
  }
}
