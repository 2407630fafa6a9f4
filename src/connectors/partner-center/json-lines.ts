import { pipeline } from 'node:stream';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parseJsonExact } from '../http/exact-json.ts';

export type JsonLine = Record<string, unknown>;

/** Bytes decoded at a time (V8 allocates strings over 128 KiB outside its young generation). */
const DECODE_SLICE = 64 * 1024;

export interface JsonLinesErrorContext {
  /** 1-based line number in the decompressed blob. */
  line: number;
  text: string;
  cause: unknown;
}

/**
 * Parses a (gzipped) JSON Lines stream one object at a time, so a blob of millions
 * of usage lines never sits in memory. Numbers come back as their exact text.
 * Gzip is detected from the magic bytes: a server (or `fetch`, honouring
 * `Content-Encoding: gzip`) may already have inflated it.
 *
 * @example
 * for await (const line of readJsonLines(blobStream, ({ line }) => new Error(`bad line ${line}`))) save(line);
 */
export async function* readJsonLines(
  source: AsyncIterable<Uint8Array | string>,
  onBadLine: (context: JsonLinesErrorContext) => Error,
  onBadData: (cause: unknown) => Error,
): AsyncGenerator<JsonLine> {
  const decoder = new TextDecoder('utf-8');
  let pending = '';
  let lineNumber = 0;

  function parse(text: string): JsonLine | undefined {
    lineNumber++;
    const line = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (line.trim() === '') return undefined;
    let value: unknown;
    try {
      value = parseJsonExact(line);
    } catch (cause) {
      throw onBadLine({ line: lineNumber, text: line, cause });
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw onBadLine({ line: lineNumber, text: line, cause: new TypeError('a JSON line must be an object') });
    }
    return value as JsonLine;
  }

  for await (const chunk of inflated(source, onBadData)) {
    // Decoded in slices small enough for V8's young generation: a bigger string goes
    // straight to the old one, and a blob's worth of them swells the heap between collections.
    for (let at = 0; at < chunk.length; at += DECODE_SLICE) {
      pending += decoder.decode(chunk.subarray(at, at + DECODE_SLICE), { stream: true });
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const value = parse(line);
        if (value !== undefined) yield value;
      }
    }
  }
  pending += decoder.decode();
  if (pending !== '') {
    const value = parse(pending);
    if (value !== undefined) yield value;
  }
}

async function* inflated(
  source: AsyncIterable<Uint8Array | string>,
  onBadData: (cause: unknown) => Error,
): AsyncGenerator<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  // Two bytes decide: 1f 8b is a gzip member.
  let head = Buffer.alloc(0);
  let exhausted = false;
  while (head.length < 2) {
    const next = await iterator.next();
    if (next.done) {
      exhausted = true;
      break;
    }
    head = Buffer.concat([head, Buffer.from(next.value)]);
  }
  const rest = async function* (): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (exhausted) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield Buffer.from(next.value);
    }
  };

  try {
    if (!(head[0] === 0x1f && head[1] === 0x8b)) {
      yield* rest();
      return;
    }
    // Export blobs inflate about 30-fold: 256 KiB output chunks cost a tenth of the
    // per-chunk overhead of the 16 KiB default.
    const gunzip = createGunzip({ chunkSize: 256 * 1024 });
    // pipeline destroys every stage with the first error, so a failed download
    // surfaces from the gunzip iterator below with its own (typed) error.
    pipeline(Readable.from(rest()), gunzip, () => undefined);
    try {
      for await (const chunk of gunzip) yield chunk as Buffer;
    } catch (error) {
      throw isZlibError(error) ? onBadData(error) : error;
    } finally {
      gunzip.destroy();
    }
  } finally {
    // Stopped early or failed: release the download rather than leave it half-read.
    await iterator.return?.();
  }
}

function isZlibError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}
