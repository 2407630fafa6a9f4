import type { FileFormat } from './file-records.ts';

const QUOTE = 0x22;
const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * Counts a file's data rows as its bytes arrive, without parsing them, so an upload can
 * be refused for its size before it is stored whole. A CSV row ends at a line break
 * outside double quotes (a quoted field may hold line breaks; an escaped "" toggles the
 * quote state twice); its header row is not a data row. A JSON-lines file has a row per
 * line that is not blank. Rows are counted as readFileRecords numbers them.
 *
 * @example
 *   const rows = new RowCounter('csv');
 *   rows.push(Buffer.from('A,B\r\n1,"x\r\ny"\r\n2,z'));
 *   rows.dataRows(); // 2
 */
export class RowCounter {
  readonly #format: FileFormat;
  #inQuotes = false;
  #lines = 0;
  /** Whether the current line has a byte other than white space (JSON lines) or any byte at all (CSV). */
  #lineHasContent = false;

  constructor(format: FileFormat) {
    this.#format = format;
  }

  push(chunk: Uint8Array): void {
    const csv = this.#format === 'csv';
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (csv && byte === QUOTE) this.#inQuotes = !this.#inQuotes;
      if (byte === NEWLINE && !this.#inQuotes) {
        if (csv || this.#lineHasContent) this.#lines++;
        this.#lineHasContent = false;
      } else if (byte !== CR && (csv || (byte !== 0x20 && byte !== 0x09))) {
        this.#lineHasContent = true;
      }
    }
  }

  /** Data rows so far: for CSV every row after the header (blank ones count, as a spreadsheet numbers them). */
  dataRows(): number {
    const lines = this.#lines + (this.#lineHasContent ? 1 : 0);
    return this.#format === 'csv' ? Math.max(0, lines - 1) : lines;
  }
}
