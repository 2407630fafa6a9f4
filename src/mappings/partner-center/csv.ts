/**
 * An incremental RFC 4180 reader for the reconciliation files the Partner Center portal
 * exports: comma-separated, fields quoted when they hold a comma, a quote or a line
 * break, quotes doubled inside a quoted field, CRLF line ends (LF or a lone CR are
 * accepted too), and a UTF-8 byte order mark before the header.
 *
 * Text goes in by chunks of any size (a chunk may end inside a field, inside a quoted
 * line break or between a CR and its LF); complete records come out. A 100 MB file is
 * never one string.
 *
 * Lenient where spreadsheets are: a quote inside an unquoted field is kept as a
 * character, and text after a closing quote is appended. A quoted field still open at
 * the end of the text is reported on its record as `malformed`.
 *
 * @example
 *   const parser = new CsvParser();
 *   parser.push('\uFEFFa,"b ""x"", c"\r\n1,');
 *   // → [{ fields: ['a', 'b "x", c'] }]
 *   parser.end(); // → [{ fields: ['1', ''] }]
 */

export interface CsvRecord {
  fields: string[];
  /** Why the record is not well-formed, when it is not. */
  malformed?: string;
}

const COMMA = 44;
const QUOTE = 34;
const CR = 13;
const LF = 10;

const STATE = { start: 0, unquoted: 1, quoted: 2, quoteInQuoted: 3 } as const;
type State = (typeof STATE)[keyof typeof STATE];

export class CsvParser {
  #state: State = STATE.start;
  #field = '';
  #fields: string[] = [];
  #skipLf = false;
  #first = true;

  /** Feed the next piece of text; answers the records it completed. */
  push(text: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    let i = 0;
    if (this.#first && text.length > 0) {
      this.#first = false;
      if (text.charCodeAt(0) === 0xfeff) i = 1;
    }
    if (this.#skipLf && i < text.length) {
      this.#skipLf = false;
      if (text.charCodeAt(i) === LF) i++;
    }
    const n = text.length;
    while (i < n) {
      switch (this.#state) {
        case STATE.start: {
          const c = text.charCodeAt(i);
          if (c === QUOTE) {
            this.#state = STATE.quoted;
            i++;
          } else if (c === COMMA) {
            this.#fields.push('');
            i++;
          } else if (c === CR || c === LF) {
            // The empty last field after a comma, or an empty line (one empty field).
            this.#fields.push('');
            out.push(this.#endRecord());
            i = this.#afterLineEnd(text, i);
          } else {
            this.#state = STATE.unquoted;
          }
          break;
        }
        case STATE.unquoted: {
          let j = i;
          let c = 0;
          while (j < n) {
            c = text.charCodeAt(j);
            if (c === COMMA || c === CR || c === LF) break;
            j++;
          }
          this.#field += text.slice(i, j);
          if (j === n) {
            i = n;
            break;
          }
          this.#fields.push(this.#field);
          this.#field = '';
          this.#state = STATE.start;
          if (c === COMMA) {
            i = j + 1;
          } else {
            out.push(this.#endRecord());
            i = this.#afterLineEnd(text, j);
          }
          break;
        }
        case STATE.quoted: {
          const q = text.indexOf('"', i);
          if (q === -1) {
            this.#field += text.slice(i);
            i = n;
          } else {
            this.#field += text.slice(i, q);
            this.#state = STATE.quoteInQuoted;
            i = q + 1;
          }
          break;
        }
        case STATE.quoteInQuoted: {
          const c = text.charCodeAt(i);
          if (c === QUOTE) {
            this.#field += '"';
            this.#state = STATE.quoted;
            i++;
          } else if (c === COMMA) {
            this.#fields.push(this.#field);
            this.#field = '';
            this.#state = STATE.start;
            i++;
          } else if (c === CR || c === LF) {
            this.#fields.push(this.#field);
            this.#field = '';
            out.push(this.#endRecord());
            i = this.#afterLineEnd(text, i);
          } else {
            // Text after a closing quote: keep it, as spreadsheets do.
            this.#state = STATE.unquoted;
          }
          break;
        }
      }
    }
    return out;
  }

  /** No more text: answers the last record, if the text did not end with a line break. */
  end(): CsvRecord[] {
    this.#skipLf = false;
    const state = this.#state;
    if (state === STATE.start && this.#fields.length === 0) return [];
    if (state === STATE.start) this.#fields.push('');
    else this.#fields.push(this.#field);
    this.#field = '';
    const record = this.#endRecord();
    if (state === STATE.quoted) record.malformed = 'a quoted field is not closed before the end of the file';
    return [record];
  }

  #endRecord(): CsvRecord {
    const record = { fields: this.#fields };
    this.#fields = [];
    this.#state = STATE.start;
    return record;
  }

  /** Index after a line end at i (CR, LF or CRLF); a CR ending a chunk may have its LF in the next. */
  #afterLineEnd(text: string, i: number): number {
    if (text.charCodeAt(i) === CR) {
      if (i + 1 === text.length) {
        this.#skipLf = true;
        return i + 1;
      }
      if (text.charCodeAt(i + 1) === LF) return i + 2;
    }
    return i + 1;
  }
}

/** Every record of a whole text (small files and tests; large ones go through CsvParser by chunks). */
export function parseCsv(text: string): CsvRecord[] {
  const parser = new CsvParser();
  return [...parser.push(text), ...parser.end()];
}
