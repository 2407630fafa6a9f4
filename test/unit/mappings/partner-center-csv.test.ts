import { describe, expect, it } from 'vitest';
import { CsvParser, parseCsv } from '../../../src/mappings/partner-center/csv.ts';

const fieldsOf = (text: string) => parseCsv(text).map((r) => r.fields);

/** Feed the text one piece at a time, cut at every position given, and collect the records. */
function inPieces(text: string, size: number) {
  const parser = new CsvParser();
  const out = [];
  for (let i = 0; i < text.length; i += size) out.push(...parser.push(text.slice(i, i + size)));
  out.push(...parser.end());
  return out;
}

describe('CsvParser (RFC 4180, as the Partner Center portal writes it)', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, CRLF line ends and a BOM', () => {
    const text = '\uFEFFCustomerName,Tags,Note\r\n"Fabrikam, Ltd","{""costCenter"":""CC-100""}","two\r\nlines"\r\nplain,,x\r\n';
    expect(fieldsOf(text)).toEqual([
      ['CustomerName', 'Tags', 'Note'],
      ['Fabrikam, Ltd', '{"costCenter":"CC-100"}', 'two\r\nlines'],
      ['plain', '', 'x'],
    ]);
  });

  it('accepts LF and lone CR line ends, an empty last field, and a last line without a line break', () => {
    expect(fieldsOf('a,b\nc,\rd,"e"')).toEqual([['a', 'b'], ['c', ''], ['d', 'e']]);
  });

  it('keeps a blank line as a record of one empty field, so row numbers match a spreadsheet', () => {
    expect(fieldsOf('h\r\n\r\nx\r\n')).toEqual([['h'], [''], ['x']]);
  });

  it('gives the same records whatever the chunk boundaries (inside quotes, between CR and LF, after a comma)', () => {
    const text = '\uFEFFa,"b ""q"", c",\r\n"x\r\ny",2,"3"\r\n,,\r\nlast,"",z';
    const whole = parseCsv(text);
    for (const size of [1, 2, 3, 5, 7, 11]) expect(inPieces(text, size), `chunks of ${size}`).toEqual(whole);
    expect(whole.map((r) => r.fields)).toEqual([
      ['a', 'b "q", c', ''],
      ['x\r\ny', '2', '3'],
      ['', '', ''],
      ['last', '', 'z'],
    ]);
  });

  it('is lenient where spreadsheets are, and reports a quote left open at the end', () => {
    expect(fieldsOf('ab"c,"d"e\r\n')).toEqual([['ab"c', 'de']]);
    const [record] = parseCsv('a,"never closed\r\nb,c');
    expect(record).toEqual({ fields: ['a', 'never closed\r\nb,c'], malformed: 'a quoted field is not closed before the end of the file' });
  });

  it('answers nothing for an empty text', () => {
    expect(parseCsv('')).toEqual([]);
    expect(parseCsv('\uFEFF')).toEqual([]);
  });
});
