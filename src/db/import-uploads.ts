import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from './database.ts';
import { RowCounter } from '../mappings/partner-center/row-counter.ts';
import type { FileFormat } from '../mappings/partner-center/file-records.ts';

/** About a megabyte per stored chunk: few rows per file, little memory per upload. */
const CHUNK_BYTES = 1024 * 1024;

export interface UploadLimits {
  maxBytes: number;
  maxRows: number;
}

/** An upload refused for its size, naming the limit it broke (the route answers 413 or 400 with it). */
export class UploadLimitError extends Error {
  readonly limit: 'HUB_IMPORT_MAX_BYTES' | 'HUB_IMPORT_MAX_ROWS';
  readonly max: number;
  constructor(limit: 'HUB_IMPORT_MAX_BYTES' | 'HUB_IMPORT_MAX_ROWS', max: number) {
    super(limit === 'HUB_IMPORT_MAX_BYTES' ? `the file is larger than ${max} bytes (HUB_IMPORT_MAX_BYTES)` : `the file has more than ${max} data rows (HUB_IMPORT_MAX_ROWS)`);
    this.limit = limit;
    this.max = max;
  }
}

export interface StoredUpload {
  bytes: number;
  rows: number;
  /** The file's first chunk (at least its header, unless the file is shorter), to tell its kind by. */
  head: Buffer;
  /** SHA-256 of every byte, hex: what a retried upload with the same Idempotency-Key must match. */
  sha256: string;
}

/**
 * Store an uploaded file in PostgreSQL as it arrives, a chunk at a time, counting its
 * bytes and data rows; past either limit it stops reading, deletes what it stored and
 * throws UploadLimitError. Any worker process can then read the file back (readUpload).
 *
 * @example
 *   const stored = await storeUpload(db, importId, request.raw, 'csv', { maxBytes: 100e6, maxRows: 1e6 });
 */
export async function storeUpload(db: Db, importId: string, body: AsyncIterable<Uint8Array>, format: FileFormat, limits: UploadLimits): Promise<StoredUpload> {
  const rows = new RowCounter(format);
  const hash = createHash('sha256');
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let bytes = 0;
  let seq = 0;
  let head: Buffer | undefined;
  const flush = async () => {
    if (pendingBytes === 0) return;
    const chunk = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    head ??= chunk;
    await db.insertInto('import_uploads').values({ import_id: importId, seq: seq++, bytes: chunk }).execute();
  };
  try {
    for await (const piece of body) {
      bytes += piece.length;
      if (bytes > limits.maxBytes) throw new UploadLimitError('HUB_IMPORT_MAX_BYTES', limits.maxBytes);
      rows.push(piece);
      if (rows.dataRows() > limits.maxRows) throw new UploadLimitError('HUB_IMPORT_MAX_ROWS', limits.maxRows);
      hash.update(piece);
      pending.push(Buffer.from(piece.buffer, piece.byteOffset, piece.length));
      pendingBytes += piece.length;
      if (pendingBytes >= CHUNK_BYTES) await flush();
    }
    await flush();
  } catch (err) {
    await deleteUpload(db, importId);
    throw err;
  }
  return { bytes, rows: rows.dataRows(), head: head ?? Buffer.alloc(0), sha256: hash.digest('hex') };
}

/** The stored file's bytes in order, one chunk in memory at a time. */
export async function* readUpload(db: Db, importId: string): AsyncGenerator<Uint8Array> {
  for (let seq = 0; ; seq++) {
    const row = await db.selectFrom('import_uploads').select('bytes').where('import_id', '=', importId).where('seq', '=', seq).executeTakeFirst();
    if (!row) return;
    yield row.bytes;
  }
}

export async function deleteUpload(db: Db, importId: string): Promise<void> {
  await db.deleteFrom('import_uploads').where('import_id', '=', importId).execute();
}

/**
 * Delete stored chunks no import will read: those of an import that has finished, and
 * those of an upload that never became an import (its process died mid-upload) once its
 * newest chunk is older than `idleMs`. An upload still arriving writes a chunk every
 * megabyte, so only one idle for that long is taken. Returns the uploads deleted.
 */
export async function sweepOrphanUploads(db: Db, idleMs: number): Promise<number> {
  const { rows } = await sql<{ import_id: string }>`
    with stale as (
      select u.import_id
        from import_uploads u
        left join imports i on i.id = u.import_id
       group by u.import_id, i.status
      having i.status in ('completed', 'failed')
          or (i.status is null and max(u.stored_at) < now() - make_interval(secs => ${idleMs / 1000}))
    )
    delete from import_uploads u using stale where u.import_id = stale.import_id
    returning u.import_id`.execute(db);
  return new Set(rows.map((r) => r.import_id)).size;
}
