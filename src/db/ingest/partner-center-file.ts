import type pg from 'pg';
import type { Db } from '../database.ts';
import { writeAudit, type ActorContext } from '../audit.ts';
import { detectKind, type LineKind } from '../../mappings/partner-center/detect-kind.ts';
import { readFileRecords, type FileFormat, type FileInput } from '../../mappings/partner-center/file-records.ts';
import { mapLicenseLine, mapUsageLine, type LineRow, type MapOptions, type MappedLine } from '../../mappings/partner-center/lines.ts';
import { withClientTransaction } from './copy.ts';
import { customerOfTenant, resolveCustomers } from './customers.ts';
import { deleteUpload, readUpload, type StoredUpload } from '../import-uploads.ts';
import { enqueueJob } from '../../jobs/enqueue.ts';
import { ingestLicenseLines } from './license-lines.ts';
import { ingestUsageLines } from './usage-lines.ts';

export { HeaderError } from '../../mappings/partner-center/detect-kind.ts';
export type { FileFormat, FileInput } from '../../mappings/partner-center/file-records.ts';

/** What an import needs: the database, and its pool for COPY. A HubContext is one. */
export interface ImportContext {
  db: Db;
  pool: pg.Pool;
}

/** An upload stored with storeUpload, to register as an import. */
export interface ImportRegistration {
  importId: string;
  kind: LineKind;
  format: FileFormat;
  /** The file's name, as the person knows it; recorded on the import. */
  sourceName?: string | null;
  /** Create customers for CustomerIds the hub does not know; otherwise their rows are rejected. */
  createCustomers: boolean;
  bytes: number;
  rows: number;
  actor: ActorContext;
}

export interface RunOptions {
  /** Lines per batch (each batch is one transaction). */
  batchSize?: number;
  /** The id of the request that uploaded the file, for the audit trail. */
  requestId?: string | null;
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

/** The file's kind (usage or licence) from its header; throws HeaderError when it is neither. */
export async function detectFileKind(head: FileInput, format: FileFormat): Promise<{ kind: LineKind; options: MapOptions }> {
  const items = readFileRecords(head, format);
  try {
    const first = await items.next();
    const detected = detectKind(!first.done && first.value.type === 'header' ? first.value.columns : []);
    return { kind: detected.kind, options: { percentAsFraction: detected.percentAsFraction } };
  } finally {
    await items.return(undefined);
  }
}

/**
 * Register a file stored with storeUpload as a queued import of the kind its header
 * says, and enqueue its job. A header of neither kind deletes the upload and throws
 * HeaderError, recording nothing.
 */
export async function registerUpload(db: Db, importId: string, stored: StoredUpload, request: Omit<ImportRegistration, 'importId' | 'kind' | 'bytes' | 'rows'>): Promise<{ kind: LineKind }> {
  let kind: LineKind;
  try {
    ({ kind } = await detectFileKind(stored.head, request.format));
  } catch (err) {
    await deleteUpload(db, importId);
    throw err;
  }
  await registerImport(db, { ...request, importId, kind, bytes: stored.bytes, rows: stored.rows });
  return { kind };
}

/** The job that imports a registered file. */
export const IMPORT_TASK = 'imports:partner_center';

/**
 * Record a stored upload as a queued import and enqueue the job that imports it, in one
 * audited transaction: the job exists if and only if the import does.
 */
async function registerImport(db: Db, upload: ImportRegistration): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('imports')
      .values({
        id: upload.importId,
        kind: upload.kind,
        format: upload.format,
        source_name: upload.sourceName ?? null,
        requested_by: upload.actor.actor,
        status: 'queued',
        create_customers: upload.createCustomers,
        bytes: upload.bytes,
        expected_rows: upload.rows,
      })
      .returning(['id', 'kind', 'format', 'source_name', 'status'])
      .executeTakeFirstOrThrow();
    await writeAudit(trx, {
      ...upload.actor,
      action: 'import.partner_center',
      entity: 'import',
      entityId: row.id,
      after: { id: row.id, kind: row.kind, format: row.format, sourceName: row.source_name, status: row.status, createCustomers: upload.createCustomers, bytes: upload.bytes, rows: upload.rows },
    });
    // The request's id goes with the job, so the import's closing audit entry carries it too.
    await enqueueJob(trx, IMPORT_TASK, { importId: row.id, requestId: upload.actor.requestId ?? null }, { jobKey: `import:${row.id}`, maxAttempts: 3 });
  });
}

/**
 * Import a registered reconciliation file (daily rated usage or new-commerce licence
 * reconciliation, told apart by the header; CSV or JSON lines) into the same canonical
 * lines a sync stores: what the job does. Rows are read from the stored upload as they
 * come and stored in batches of a few thousand, each batch its own transaction that also
 * records the import's progress; a bad row is reported and never blocks the good ones;
 * the same file twice adds nothing the second time. A CustomerId the hub does not know
 * becomes a customer (created and linked, as a sync would) only when the import asked for
 * it; otherwise its rows are rejected. Runs again from the start if the job is retried.
 *
 * @example
 *   const result = await runImport(ctx, importId);
 *   // { importId, kind: 'usage', accepted: 1200, duplicates: 0, rejected: 2, errors: [{ row: 7, field: 'Quantity', reason: 'is not a number: "n/a"' }, …] }
 */
export async function runImport(ctx: ImportContext, importId: string, run: RunOptions = {}): Promise<ImportResult> {
  const record = await ctx.db.selectFrom('imports').select(['kind', 'format', 'create_customers', 'requested_by']).where('id', '=', importId).executeTakeFirstOrThrow();
  const kind = record.kind as LineKind;
  const actor: ActorContext = { actor: record.requested_by ?? 'system:import', ...(run.requestId ? { requestId: run.requestId } : {}) };
  await ctx.db.updateTable('imports').set({ status: 'running', failure: null }).where('id', '=', importId).execute();
  const items = readFileRecords(readUpload(ctx.db, importId), record.format as FileFormat);
  const tally = { accepted: 0, duplicates: 0, rejected: 0, rows: 0, errorCount: 0, errors: [] as ImportError[] };
  try {
    const first = await items.next();
    const detected = detectKind(!first.done && first.value.type === 'header' ? first.value.columns : []);
    const options: MapOptions = { percentAsFraction: detected.percentAsFraction };
    const map: (record: Record<string, unknown>, options: MapOptions) => MappedLine = kind === 'usage' ? mapUsageLine : mapLicenseLine;
    const isKnown = record.create_customers ? undefined : knownTenants(ctx.db);
    const problem = (error: ImportError) => {
      tally.errorCount++;
      if (tally.errors.length < MAX_STORED_ERRORS) tally.errors.push(error);
    };
    const batchSize = run.batchSize ?? DEFAULT_BATCH;
    let batch: Pending[] = [];

    const flush = async () => {
      if (batch.length === 0) return;
      const lines = batch;
      batch = [];
      await storeBatch(ctx, kind, lines, importId, actor.actor, async (client, stored) => {
        tally.accepted += stored;
        tally.duplicates += lines.length - stored;
        await saveProgress(client, importId, tally);
      });
    };

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
      const tenant = mapped.row.customer_tenant_id!;
      if (isKnown && !(await isKnown(tenant))) {
        tally.rejected++;
        problem({ row: item.row, field: 'CustomerId', reason: `is not a customer the hub knows: ${tenant} (import with createCustomers=true to create it)` });
        continue;
      }
      batch.push({ row: mapped.row, tags: mapped.tags, productQualifiers: mapped.productQualifiers });
      if (batch.length >= batchSize) await flush();
    }
    await flush();
  } catch (err) {
    await recordEnd(ctx, importId, tally, actor, (err as Error).message ?? String(err)).catch(() => {});
    throw err;
  } finally {
    await items.return(undefined);
  }
  await recordEnd(ctx, importId, tally, actor, null);
  return { importId, kind, accepted: tally.accepted, duplicates: tally.duplicates, rejected: tally.rejected, errors: tally.errors };
}

/** Whether the hub knows a Partner Center tenant as a customer; each tenant is looked up once per import. */
function knownTenants(db: Db): (tenantId: string) => Promise<boolean> {
  const seen = new Map<string, boolean>();
  return async (tenantId) => {
    let known = seen.get(tenantId);
    if (known === undefined) {
      known = (await customerOfTenant(db, tenantId)) !== undefined;
      seen.set(tenantId, known);
    }
    return known;
  };
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

async function saveProgress(client: pg.PoolClient, importId: string, tally: Tally): Promise<void> {
  await client.query(
    `update imports set accepted = $2, duplicates = $3, rejected = $4, rows_total = $5, error_count = $6, errors = $7 where id = $1`,
    [importId, tally.accepted, tally.duplicates, tally.rejected, tally.rows, tally.errorCount, JSON.stringify(tally.errors)],
  );
}

/** The import's final counts and status, audited in the same transaction; a completed import's stored file goes with it. */
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
    if (status === 'completed') await trx.deleteFrom('import_uploads').where('import_id', '=', importId).execute();
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
