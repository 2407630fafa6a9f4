import type pg from 'pg';
import type { Db } from '../database.ts';
import { writeAudit, type ActorContext } from '../audit.ts';
import { detectKind, type LineKind } from '../../mappings/partner-center/detect-kind.ts';
import { readFileRecords, type FileFormat, type FileInput } from '../../mappings/partner-center/file-records.ts';
import { mapLicenseLine, mapUsageLine, type LineRow, type MapOptions, type MappedLine } from '../../mappings/partner-center/lines.ts';
import { withClientTransaction } from './copy.ts';
import { resolveCustomers } from './customers.ts';
import { ingestLicenseLines } from './license-lines.ts';
import { ingestUsageLines } from './usage-lines.ts';

export { HeaderError } from '../../mappings/partner-center/detect-kind.ts';
export type { FileFormat, FileInput } from '../../mappings/partner-center/file-records.ts';

/** What an import needs: the database, and its pool for COPY. A HubContext is one. */
export interface ImportContext {
  db: Db;
  pool: pg.Pool;
}

export interface ImportRequest {
  /** The file's content, whole or as a stream (UTF-8, with or without a BOM). */
  text: FileInput;
  format: FileFormat;
  /** The file's name, as the person knows it; recorded on the import. */
  sourceName?: string | null;
  actor: ActorContext;
  /** Lines per batch (each batch is one transaction). */
  batchSize?: number;
}

/** A row the import refused: its row number as a spreadsheet shows it (see FileItem), the column, and why. */
export interface ImportError {
  row: number;
  field: string;
  reason: string;
}

export interface ImportResult {
  importId: string;
  kind: LineKind;
  /** Lines newly stored or revised, late ones included. */
  accepted: number;
  /** Lines already stored with the same values (or repeated later in the same batch of the file). */
  duplicates: number;
  /** Rows refused; each has at least one entry in `errors`. */
  rejected: number;
  /** The first 1,000 problems, in file order. */
  errors: ImportError[];
}

export const MAX_STORED_ERRORS = 1000;
const DEFAULT_BATCH = 5000;

interface Pending {
  row: LineRow;
  tags: Record<string, string>;
  productQualifiers: string[];
}

/**
 * Import a reconciliation file downloaded from the Partner Center portal (daily rated
 * usage or new-commerce licence reconciliation, told apart by the header), as CSV or
 * JSON lines, into the same canonical lines a sync stores. Unknown customers are
 * created from CustomerId and CustomerName and linked, as a sync would. Rows are read
 * as they arrive and stored in batches of a few thousand, each batch its own
 * transaction; a bad row is reported and never blocks the good ones; the same file
 * twice adds nothing the second time.
 *
 * Throws HeaderError (before recording anything) when the header is neither kind.
 *
 * @example
 *   const result = await importPartnerCenterFile(ctx, { text: createReadStream(file), format: 'csv', sourceName: 'usage-oct.csv', actor: { actor: 'cli:ana' } });
 *   // { importId, kind: 'usage', accepted: 1200, duplicates: 0, rejected: 2, errors: [{ row: 7, field: 'Quantity', reason: 'is not a number: "n/a"' }, …] }
 */
export async function importPartnerCenterFile(ctx: ImportContext, request: ImportRequest): Promise<ImportResult> {
  const items = readFileRecords(request.text, request.format);
  try {
    const first = await items.next();
    const columns = !first.done && first.value.type === 'header' ? first.value.columns : [];
    const detected = detectKind(columns);
    const { kind } = detected;
    const options: MapOptions = { percentAsFraction: detected.percentAsFraction };
    const map: (record: Record<string, unknown>, options: MapOptions) => MappedLine = kind === 'usage' ? mapUsageLine : mapLicenseLine;
    const importId = await recordStart(ctx.db, request, kind);

    const tally = { accepted: 0, duplicates: 0, rejected: 0, rows: 0, errorCount: 0, errors: [] as ImportError[] };
    const problem = (error: ImportError) => {
      tally.errorCount++;
      if (tally.errors.length < MAX_STORED_ERRORS) tally.errors.push(error);
    };
    const batchSize = request.batchSize ?? DEFAULT_BATCH;
    let batch: Pending[] = [];

    const flush = async () => {
      if (batch.length === 0) return;
      const lines = batch;
      batch = [];
      await storeBatch(ctx, kind, lines, importId, request.actor.actor, async (client, stored) => {
        tally.accepted += stored;
        tally.duplicates += lines.length - stored;
        await saveProgress(client, importId, tally);
      });
    };

    try {
      for await (const item of items) {
        if (item.type === 'header') continue;
        tally.rows++;
        if (item.type === 'problem') {
          tally.rejected++;
          problem({ row: item.row, field: item.field, reason: item.reason });
          continue;
        }
        const mapped = map(item.record, options);
        if (!mapped.ok) {
          tally.rejected++;
          for (const e of mapped.errors) problem({ row: item.row, field: e.field, reason: e.reason });
          continue;
        }
        batch.push({ row: mapped.row, tags: mapped.tags, productQualifiers: mapped.productQualifiers });
        if (batch.length >= batchSize) await flush();
      }
      await flush();
    } catch (err) {
      await recordEnd(ctx, importId, tally, request.actor, (err as Error).message ?? String(err)).catch(() => {});
      throw err;
    }
    await recordEnd(ctx, importId, tally, request.actor, null);
    return { importId, kind, accepted: tally.accepted, duplicates: tally.duplicates, rejected: tally.rejected, errors: tally.errors };
  } finally {
    await items.return(undefined);
  }
}

/** The file's format from its name: `.csv` is CSV, `.jsonl`/`.ndjson`/`.json` JSON lines; anything else is unknown. */
export function formatFromFileName(name: string): FileFormat | undefined {
  const lower = name.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson') || lower.endsWith('.json')) return 'jsonl';
  return undefined;
}

/**
 * Customers first (created and linked when new, each in its own audited transaction),
 * then the lines and the import's progress in one transaction.
 */
async function storeBatch(
  ctx: ImportContext,
  kind: LineKind,
  lines: Pending[],
  importId: string,
  actor: string,
  progress: (client: pg.PoolClient, stored: number) => Promise<void>,
): Promise<void> {
  const customers = await resolveCustomers(
    ctx.db,
    lines.map((l) => ({ tenantId: l.row.customer_tenant_id!, name: l.row.customer_name ?? null })),
    actor,
  );
  const customerOf = (l: Pending) => customers.get(l.row.customer_tenant_id!)!;
  const source = { source: 'import' as const, connectionId: null, syncRunId: null, importId };
  await withClientTransaction(ctx.pool, async (client) => {
    const counts =
      kind === 'usage'
        ? await ingestUsageLines(client, lines.map((l) => ({ row: l.row, tags: l.tags, customerId: customerOf(l) })), source)
        : await ingestLicenseLines(client, lines.map((l) => ({ row: l.row, productQualifiers: l.productQualifiers, customerId: customerOf(l) })), source);
    await progress(client, counts.inserted + counts.updated + counts.late);
  });
}

interface Tally {
  accepted: number;
  duplicates: number;
  rejected: number;
  rows: number;
  errorCount: number;
  errors: ImportError[];
}

async function recordStart(db: Db, request: ImportRequest, kind: LineKind): Promise<string> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('imports')
      .values({ kind, format: request.format, source_name: request.sourceName ?? null, requested_by: request.actor.actor, status: 'running' })
      .returning(['id', 'kind', 'format', 'source_name', 'status', 'created_at'])
      .executeTakeFirstOrThrow();
    await writeAudit(trx, {
      ...request.actor,
      action: 'import.partner_center',
      entity: 'import',
      entityId: row.id,
      after: { id: row.id, kind, format: row.format, sourceName: row.source_name, status: row.status },
    });
    return row.id;
  });
}

async function saveProgress(client: pg.PoolClient, importId: string, tally: Tally): Promise<void> {
  await client.query(
    `update imports set accepted = $2, duplicates = $3, rejected = $4, rows_total = $5, error_count = $6, errors = $7 where id = $1`,
    [importId, tally.accepted, tally.duplicates, tally.rejected, tally.rows, tally.errorCount, JSON.stringify(tally.errors)],
  );
}

/** The import's final counts and status, audited in the same transaction. */
async function recordEnd(ctx: ImportContext, importId: string, tally: Tally, actor: ActorContext, failure: string | null): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const status = failure === null ? 'completed' : 'failed';
    const before = await trx.selectFrom('imports').select(['status', 'accepted', 'duplicates', 'rejected']).where('id', '=', importId).executeTakeFirstOrThrow();
    await trx
      .updateTable('imports')
      .set({
        accepted: tally.accepted,
        duplicates: tally.duplicates,
        rejected: tally.rejected,
        rows_total: tally.rows,
        error_count: tally.errorCount,
        errors: JSON.stringify(tally.errors),
        status,
        failure,
        finished_at: new Date(),
      })
      .where('id', '=', importId)
      .execute();
    await writeAudit(trx, {
      ...actor,
      action: 'import.partner_center',
      entity: 'import',
      entityId: importId,
      before,
      after: { status, accepted: tally.accepted, duplicates: tally.duplicates, rejected: tally.rejected, rows: tally.rows, errorCount: tally.errorCount, ...(failure ? { failure } : {}) },
    });
  });
}
