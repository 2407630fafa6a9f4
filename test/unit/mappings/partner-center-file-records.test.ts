import { describe, expect, it } from 'vitest';
import { readFileRecords, type FileInput, type FileItem } from '../../../src/mappings/partner-center/file-records.ts';

async function all(input: FileInput, format: 'csv' | 'jsonl'): Promise<FileItem[]> {
  const out: FileItem[] = [];
  for await (const item of readFileRecords(input, format)) out.push(item);
  return out;
}

async function* bytesInPieces(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('readFileRecords', () => {
  it('numbers CSV rows as a spreadsheet does: header row 1, a quoted line break stays in its row, blank rows count', async () => {
    const text = '\uFEFFCustomerId,CustomerName\r\nt1,"Fabrikam,\r\nLtd"\r\n\r\nt2,Contoso\r\nt3\r\n';
    expect(await all(text, 'csv')).toEqual([
      { type: 'header', columns: ['CustomerId', 'CustomerName'] },
      { type: 'record', row: 2, record: { CustomerId: 't1', CustomerName: 'Fabrikam,\r\nLtd' } },
      { type: 'record', row: 4, record: { CustomerId: 't2', CustomerName: 'Contoso' } },
      { type: 'problem', row: 5, field: 'row', reason: 'has 1 field where the header has 2' },
    ]);
  });

  it('decodes UTF-8 bytes split anywhere (a BOM, a character cut in two)', async () => {
    const text = '\uFEFFCustomerId,CustomerName\r\nt1,Société Générale\r\n';
    expect(await all(bytesInPieces(text, 1), 'csv')).toEqual(await all(text, 'csv'));
    expect(await all(new TextEncoder().encode(text), 'csv')).toContainEqual({ type: 'record', row: 2, record: { CustomerId: 't1', CustomerName: 'Société Générale' } });
  });

  it('reads JSON lines with numbers as exact text, the header from the first object, and reports bad lines by line number', async () => {
    const text = 'not json\n{"CustomerId":"t1","Quantity":0.737586206896551724137931}\r\n\n[1]\n{"CustomerId":"t2"}';
    expect(await all(bytesInPieces(text, 4), 'jsonl')).toEqual([
      { type: 'header', columns: ['CustomerId', 'Quantity'] },
      { type: 'problem', row: 1, field: 'row', reason: expect.stringContaining('is not valid JSON') },
      { type: 'record', row: 2, record: { CustomerId: 't1', Quantity: '0.737586206896551724137931' } },
      { type: 'problem', row: 4, field: 'row', reason: 'is not a JSON object' },
      { type: 'record', row: 5, record: { CustomerId: 't2' } },
    ]);
  });

  it('answers an empty header for an empty file', async () => {
    expect(await all('', 'csv')).toEqual([{ type: 'header', columns: [] }]);
    expect(await all('\n\n', 'jsonl')).toEqual([{ type: 'header', columns: [] }]);
  });
});
