import type { BillingExportSource } from '../../connectors/partner-center/index.ts';
import { isVendorCallError } from '../../connectors/http/errors.ts';
import type { Transaction } from 'kysely';
import type { HubContext } from '../../context.ts';
import type { Database } from '../../db/types.ts';
import { enqueueJob } from '../enqueue.ts';
import { partnerCenterClientFor } from './client-for-connection.ts';
import { addProgress, readCursor, recordRunError, writeCursor } from './run-progress.ts';
import { DATA_JOB_PRIORITY, ingestQueue, type RunPayload } from './task.ts';

export interface UsageExportPayload extends RunPayload {
  connectionId: string;
  source: BillingExportSource;
  key: string;
}

interface ExportCursor {
  operationId?: string;
  /** When the export was requested (ms): it is given up after EXPORT_TIMEOUT_MS. */
  requestedAt?: number;
  /** Status reads so far (the client's backoff when Microsoft sends no Retry-After). */
  polls?: number;
  enqueued?: boolean;
  /** Exports requested again because Microsoft had expired the one before (410 Gone). */
  resubmits?: number;
}

/**
 * Microsoft expires an export operation's and its manifest's links (410 Gone: "submit a
 * new request"). A run that waited past that, a worker down for a day, say, asks for a
 * new export; one that keeps expiring is a failure, not a loop.
 */
const MAX_RESUBMITS = 3;

/** Microsoft's exports run for minutes; one still running after this long has failed. */
const EXPORT_TIMEOUT_MS = 2 * 60 * 60_000;

export function usageExportJobKey(runId: string, key: string): string {
  return `pc:usage:${runId}:${key}`;
}

/**
 * Microsoft's asynchronous daily-rated-usage export: request it once (the operation id
 * is saved, so a retry polls the same export instead of starting another), read its
 * status, then fan out one ingestion job per blob of the manifest. While it runs, the
 * job schedules itself again for when Microsoft's Retry-After says instead of sleeping:
 * a sleeping job holds a worker, and five exports waiting on Microsoft held all four of
 * a default worker's slots while customer jobs queued behind them (bench/pc-sync).
 */
export async function exportUsage(payload: UsageExportPayload, ctx: HubContext): Promise<void> {
  const scope = `run:${payload.runId}:usage-export:${payload.key}`;
  const saved = (await readCursor<ExportCursor>(ctx.db, payload.connectionId, scope)) ?? {};
  if (saved.enqueued) return;
  let retries = 0;
  const client = await partnerCenterClientFor(ctx, payload.connectionId, { onRetry: () => retries++, correlationId: payload.runId });
  let { operationId, requestedAt = Date.now(), polls = 0 } = saved;
  const resubmits = saved.resubmits ?? 0;
  if (!operationId) {
    operationId = await client.exportUsage(payload.source, { attributeSet: 'full' });
    requestedAt = Date.now();
    await writeCursor(ctx.db, payload.connectionId, scope, { operationId, requestedAt, polls, resubmits });
  }
  let result: Awaited<ReturnType<typeof client.operationStatus>>;
  const blobs: { url: string; name: string }[] = [];
  try {
    result = await client.operationStatus(operationId, { polls: ++polls });
    if (result.status === 'succeeded') {
      const manifest = await client.readManifest(result.manifestUrl || result.manifestId);
      client.blobUrls(manifest).forEach((url, i) => blobs.push({ url, name: `${manifest.id}:${manifest.blobs[i]?.name ?? i}` }));
    }
  } catch (err) {
    if (!(isVendorCallError(err) && err.status === 410)) throw err;
    if (resubmits >= MAX_RESUBMITS) throw new Error(`export ${payload.key}: Microsoft expired the export (410 Gone) ${resubmits + 1} times; giving up`, { cause: err });
    ctx.logger.warn({ runId: payload.runId, key: payload.key, operationId, resubmits: resubmits + 1 }, 'export expired (410 Gone): requesting a new one');
    await ctx.db.transaction().execute(async (trx) => {
      await writeCursor(trx, payload.connectionId, scope, { resubmits: resubmits + 1 });
      await enqueueJob(trx, 'partner_center:usage_export', { ...payload }, { jobKey: usageExportJobKey(payload.runId, payload.key), maxAttempts: 5, priority: DATA_JOB_PRIORITY });
      await addProgress(trx, payload.runId, { retries: retries + 1 });
    });
    return;
  }
  if (result.status === 'running') {
    const runAt = Date.now() + result.retryAfterMs;
    if (runAt - requestedAt > EXPORT_TIMEOUT_MS) {
      throw new Error(`export ${payload.key} (operation ${operationId}) still ${result.reported || 'pending'} after ${polls} polls over ${Math.round((Date.now() - requestedAt) / 60_000)} min`);
    }
    await ctx.db.transaction().execute(async (trx) => {
      await writeCursor(trx, payload.connectionId, scope, { operationId, requestedAt, polls, resubmits });
      // The same job key: this running job hands its place (and its pending count) to the next read.
      await enqueueJob(trx, 'partner_center:usage_export', { ...payload }, { jobKey: usageExportJobKey(payload.runId, payload.key), runAt: new Date(runAt), maxAttempts: 5, priority: DATA_JOB_PRIORITY });
      if (retries > 0) await addProgress(trx, payload.runId, { retries });
    });
    return;
  }
  if (result.status === 'failed' && String(result.error.code) !== '5000') {
    // Code 5000, "No data available", is an empty month, not a failure.
    await recordRunError(ctx.db, payload.runId, { job: 'partner_center:usage_export', message: `export ${payload.key} failed: ${result.error.code} ${result.error.message}` });
  }
  await ctx.db.transaction().execute(async (trx) => {
    for (const blob of blobs) {
      await enqueueJob(
        trx,
        'partner_center:usage_blob',
        { runId: payload.runId, connectionId: payload.connectionId, url: blob.url, blobName: blob.name, sourceKind: payload.source.kind, export: { payload, operationId } },
        { jobKey: `pc:blob:${payload.runId}:${blob.name}`, maxAttempts: 8, priority: DATA_JOB_PRIORITY, queueName: ingestQueue(payload.connectionId) },
      );
    }
    await writeCursor(trx, payload.connectionId, scope, { operationId, enqueued: true, resubmits });
    await addProgress(trx, payload.runId, { pendingJobs: blobs.length - 1, pages: 1, retries });
  });
}

/**
 * A blob's download link (its SAS) expired before the blob job got to it: a worker down
 * or a long queue. The blob job gives its place to a new export of the same key, once per
 * expired operation however many of its blobs notice: the export's cursor row is locked,
 * and only the job whose operation is still the cursor's resets it. Lines already stored
 * from the old export are not lost; the new export's copies merge onto them unchanged.
 */
export async function reexportAfterExpiredBlob(
  ctx: HubContext,
  exportPayload: UsageExportPayload,
  operationId: string,
  cause: unknown,
  /** Writes, in the same transaction, that the blob is finished with. */
  retireBlob: (trx: Transaction<Database>) => Promise<void>,
): Promise<void> {
  const scope = `run:${exportPayload.runId}:usage-export:${exportPayload.key}`;
  await ctx.db.transaction().execute(async (trx) => {
    await retireBlob(trx);
    const row = await trx
      .selectFrom('sync_cursors')
      .select('cursor')
      .where('connection_id', '=', exportPayload.connectionId)
      .where('scope', '=', scope)
      .forUpdate()
      .executeTakeFirst();
    const cursor = (row?.cursor ?? {}) as ExportCursor;
    if (cursor.operationId === operationId && cursor.enqueued) {
      const resubmits = (cursor.resubmits ?? 0) + 1;
      if (resubmits > MAX_RESUBMITS) throw new Error(`export ${exportPayload.key}: its blob links expired ${resubmits} times; giving up`, { cause });
      ctx.logger.warn({ runId: exportPayload.runId, key: exportPayload.key, operationId, resubmits }, 'export blob link expired (403): requesting a new export');
      await writeCursor(trx, exportPayload.connectionId, scope, { resubmits });
      await enqueueJob(trx, 'partner_center:usage_export', { ...exportPayload }, { jobKey: usageExportJobKey(exportPayload.runId, exportPayload.key), maxAttempts: 5, priority: DATA_JOB_PRIORITY });
      // The new export job takes over this blob's pending count.
      await addProgress(trx, exportPayload.runId, { retries: 1 });
    } else {
      await addProgress(trx, exportPayload.runId, { pendingJobs: -1 });
    }
  });
}
