import { describe, expect, it } from 'vitest';
import { RowCounter } from '../../../src/mappings/partner-center/row-counter.ts';

function count(format: 'csv' | 'jsonl', text: string, pieceSize = 1): number {
  const rows = new RowCounter(format);
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += pieceSize) rows.push(bytes.subarray(i, i + pieceSize));
  return rows.dataRows();
}

describe('RowCounter', () => {
  it('counts CSV data rows after the header, a quoted line break staying in its row, however the bytes arrive', () => {
    const text = '\uFEFFCustomerId,CustomerName\r\nt1,"Fabrikam,\r\nLtd"\r\nt2,"Say ""hi""\nthere"\r\nt3,Contoso\r\n';
    for (const size of [1, 3, 1000]) expect(count('csv', text, size)).toBe(3);
    expect(count('csv', 'A,B\r\n1,2')).toBe(1);
    expect(count('csv', 'A,B\r\n')).toBe(0);
    expect(count('csv', '')).toBe(0);
  });

  it('counts JSON lines that are not blank', () => {
    expect(count('jsonl', '{"a":1}\n\n  \r\n{"a":2}\r\n{"a":"x\\ny"}')).toBe(3);
    expect(count('jsonl', '\n\n')).toBe(0);
  });
});
