/**
 * Test helpers for rendered documents: read the text of a PDF (pdfkit's output, Flate
 * compressed or not) page by page, and parse CSV back (RFC 4180).
 */
import { inflateSync } from 'node:zlib';

/** Windows-1252 bytes 0x80–0x9F (the standard fonts' WinAnsiEncoding); other bytes are Latin-1. */
const WIN_ANSI_HIGH: Readonly<Record<number, string>> = {
  0x80: '€', 0x82: '‚', 0x83: 'ƒ', 0x84: '„', 0x85: '…', 0x86: '†', 0x87: '‡', 0x88: 'ˆ', 0x89: '‰', 0x8a: 'Š', 0x8b: '‹', 0x8c: 'Œ',
  0x8e: 'Ž', 0x91: '‘', 0x92: '’', 0x93: '“', 0x94: '”', 0x95: '•', 0x96: '–', 0x97: '—', 0x98: '˜', 0x99: '™', 0x9a: 'š', 0x9b: '›',
  0x9c: 'œ', 0x9e: 'ž', 0x9f: 'Ÿ',
};

function decodeWinAnsi(bytes: number[]): string {
  return bytes.map((b) => WIN_ANSI_HIGH[b] ?? String.fromCharCode(b)).join('');
}

function hexBytes(hex: string): number[] {
  const clean = hex.replace(/\s+/g, '');
  const padded = clean.length % 2 === 1 ? `${clean}0` : clean;
  const bytes: number[] = [];
  for (let i = 0; i < padded.length; i += 2) bytes.push(parseInt(padded.slice(i, i + 2), 16));
  return bytes;
}

function literalBytes(literal: string): number[] {
  const bytes: number[] = [];
  for (let i = 0; i < literal.length; i += 1) {
    const c = literal[i] as string;
    if (c !== '\\') {
      bytes.push(c.charCodeAt(0));
      continue;
    }
    const next = literal[i + 1] ?? '';
    const octal = /^[0-7]{1,3}/.exec(literal.slice(i + 1))?.[0];
    if (octal) {
      bytes.push(parseInt(octal, 8));
      i += octal.length;
      continue;
    }
    const escapes: Record<string, number> = { n: 10, r: 13, t: 9, b: 8, f: 12 };
    bytes.push(escapes[next] ?? next.charCodeAt(0));
    i += 1;
  }
  return bytes;
}

/** The strings a content stream shows (Tj and TJ operators), in drawing order. */
function textRuns(content: string): string[] {
  const runs: string[] = [];
  const ops = /\[((?:<[0-9a-fA-F\s]*>|\((?:\\.|[^\\)])*\)|[^\]])*)\]\s*TJ|<([0-9a-fA-F\s]*)>\s*Tj|\(((?:\\.|[^\\)])*)\)\s*Tj/g;
  for (const m of content.matchAll(ops)) {
    if (m[1] !== undefined) {
      const parts = [...m[1].matchAll(/<([0-9a-fA-F\s]*)>|\(((?:\\.|[^\\)])*)\)/g)];
      runs.push(parts.map((p) => decodeWinAnsi(p[1] !== undefined ? hexBytes(p[1]) : literalBytes(p[2] ?? ''))).join(''));
    } else if (m[2] !== undefined) {
      runs.push(decodeWinAnsi(hexBytes(m[2])));
    } else {
      runs.push(decodeWinAnsi(literalBytes(m[3] ?? '')));
    }
  }
  return runs;
}

interface PdfObject {
  dict: string;
  stream: Buffer | null;
}

function parseObjects(pdf: Buffer): Map<number, PdfObject> {
  const s = pdf.toString('latin1');
  const objects = new Map<number, PdfObject>();
  const header = /(\d+) 0 obj\b/g;
  let pos = 0;
  for (;;) {
    header.lastIndex = pos;
    const m = header.exec(s);
    if (!m) break;
    const start = m.index + m[0].length;
    const end = s.indexOf('endobj', start);
    const streamAt = s.indexOf('stream', start);
    if (end === -1) throw new Error(`object ${m[1]} has no endobj`);
    if (streamAt !== -1 && streamAt < end) {
      const dict = s.slice(start, streamAt);
      const length = Number(/\/Length (\d+)/.exec(dict)?.[1]);
      if (!Number.isInteger(length)) throw new Error(`stream object ${m[1]} has no direct /Length`);
      const dataStart = streamAt + 'stream'.length + (s.startsWith('\r\n', streamAt + 6) ? 2 : 1);
      const raw = pdf.subarray(dataStart, dataStart + length);
      objects.set(Number(m[1]), { dict, stream: /\/FlateDecode/.test(dict) ? inflateSync(raw) : Buffer.from(raw) });
      pos = s.indexOf('endobj', dataStart + length) + 'endobj'.length;
    } else {
      objects.set(Number(m[1]), { dict: s.slice(start, end), stream: null });
      pos = end + 'endobj'.length;
    }
  }
  return objects;
}

/**
 * The text of a PDF, page by page: each page is the list of strings its content
 * stream shows, in drawing order (one pdfkit `text()` call = one string).
 */
export function extractPdfText(pdf: Buffer): { pages: string[][] } {
  const objects = parseObjects(pdf);
  const pagesObject = [...objects.values()].find((o) => /\/Type \/Pages\b/.test(o.dict));
  if (!pagesObject) throw new Error('no /Pages object');
  const kids = [.../\/Kids \[([^\]]*)\]/.exec(pagesObject.dict)?.[1]?.matchAll(/(\d+) 0 R/g) ?? []].map((k) => Number(k[1]));
  const pages = kids.map((id) => {
    const page = objects.get(id);
    const contents = Number(/\/Contents (\d+) 0 R/.exec(page?.dict ?? '')?.[1]);
    const stream = objects.get(contents)?.stream;
    if (!stream) throw new Error(`page ${id} has no content stream`);
    return textRuns(stream.toString('latin1'));
  });
  return { pages };
}

/** Parse RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF rows) into rows of fields. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** CSV rows as objects keyed by the header row. */
export function csvRecords(text: string): Array<Record<string, string>> {
  const [header, ...rows] = parseCsv(text);
  if (!header) return [];
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}
