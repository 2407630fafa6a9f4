import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readJsonLines } from '../../../src/connectors/partner-center/json-lines.ts';

const badLine = ({ line }: { line: number }) => new Error(`bad line ${line}`);
const badData = () => new Error('bad gzip');

async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function read(source: AsyncIterable<Uint8Array>) {
  const out: Record<string, unknown>[] = [];
  for await (const line of readJsonLines(source, badLine, badData)) out.push(line);
  return out;
}

describe('readJsonLines', () => {
  const text = '{"CustomerName":"Zürich AG","Quantity":1.5}\n{"CustomerName":"Ålesund AS","Quantity":2}\n';

  it('reassembles lines and multi-byte characters split across chunks (plain)', async () => {
    // 3-byte chunks cut through "ü" and "Å" (two bytes each in UTF-8) and through lines.
    expect(await read(chunked(Buffer.from(text), 3))).toEqual([
      { CustomerName: 'Zürich AG', Quantity: '1.5' },
      { CustomerName: 'Ålesund AS', Quantity: '2' },
    ]);
  });

  it('detects gzip even when the first chunk holds a single byte', async () => {
    expect(await read(chunked(gzipSync(text), 1))).toHaveLength(2);
  });

  it('skips a byte-order mark and blank lines', async () => {
    expect(await read(chunked(Buffer.from(`\uFEFF{"a":1}\n\n   \n{"a":2}`), 64))).toEqual([{ a: '1' }, { a: '2' }]);
  });

  it('yields nothing for an empty blob', async () => {
    expect(await read(chunked(Buffer.alloc(0), 8))).toEqual([]);
  });

  it('rejects a line that is JSON but not an object', async () => {
    await expect(read(chunked(Buffer.from('{"a":1}\n[1,2]\n'), 64))).rejects.toThrow('bad line 2');
  });

  it('stops reading the source when the consumer stops early', async () => {
    let finished = false;
    async function* source(): AsyncGenerator<Uint8Array> {
      try {
        for (let i = 0; ; i++) yield Buffer.from(`{"i":${i}}\n`);
      } finally {
        finished = true;
      }
    }

    for await (const line of readJsonLines(source(), badLine, badData)) if (line.i === '3') break;

    expect(finished).toBe(true);
  });
});
