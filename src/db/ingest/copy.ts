import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** One CSV field for COPY: NULL is an unquoted empty field, everything else is quoted. */
export function csvField(value: string | null | undefined): string {
  if (value === null || value === undefined) return '';
  return `"${value.replace(/"/g, '""')}"`;
}

/** Stream rows into `table (columns)` with COPY … FROM STDIN: the bulk path, never a round-trip per row. */
export async function copyRows(client: pg.PoolClient, table: string, columns: readonly string[], rows: Iterable<(string | null)[]>): Promise<void> {
  const stream = client.query(copyFrom(`copy ${table} (${columns.join(', ')}) from stdin with (format csv)`));
  async function* chunks() {
    let buffer = '';
    for (const row of rows) {
      buffer += row.map(csvField).join(',') + '\n';
      if (buffer.length > 1 << 20) {
        yield buffer;
        buffer = '';
      }
    }
    if (buffer) yield buffer;
  }
  await pipeline(Readable.from(chunks()), stream);
}

const TEXT_SPECIALS = /[\\\t\n\r]/;
const TEXT_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * One field in COPY's text format (the default, and cheaper for PostgreSQL to read
 * than CSV): `\N` for NULL; backslash, tab, newline and carriage return escaped.
 *
 * @example
 * [copyTextField('a\tb'), copyTextField(null)].join('\t') // 'a\\tb\t\\N'
 */
export function copyTextField(value: string | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  return TEXT_SPECIALS.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => TEXT_ESCAPES[c]!) : value;
}

/**
 * Stream data already in COPY's binary format (header to trailer) into `table (columns)`;
 * resolves with the number of rows PostgreSQL stored.
 */
export async function copyBinary(client: pg.PoolClient, table: string, columns: readonly string[], chunks: Iterable<Buffer> | AsyncIterable<Buffer>): Promise<number> {
  const stream = client.query(copyFrom(`copy ${table} (${columns.join(', ')}) from stdin with (format binary)`));
  await pipeline(Readable.from(chunks), stream);
  return stream.rowCount ?? 0;
}

/** Run fn in a transaction on one pooled connection (COPY needs the raw client). */
export async function withClientTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const result = await fn(client);
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
