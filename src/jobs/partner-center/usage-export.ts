import type { BillingExportSource } from '../../connectors/partner-center/index.ts';
import type { HubContext } from '../../context.ts';
import { enqueueJob } from '../enqueue.ts';
import { partnerCenterClientFor } from './client-for-connection.ts';
import { addProgress, readCursor, recordRunError, writeCursor } from './run-progress.ts';
import type { RunPayload } from './task.ts';

export interface UsageExportPayload extends RunPayload {
  connectionId: string;
  source: BillingExportSource;
  key: string;
}

interface ExportCursor {
  operationId?: string;
  enqueued?: boolean;
}

/**
 * Microsoft's asynchronous daily-rated-usage export: request it once (the operation id
 * is saved, so a retry polls the same export instead of starting another), wait for
 * it, then fan out one ingestion job per blob of the manifest.
 */
export async function exportUsage(payload: UsageExportPayload, ctx: HubContext): Promise<void> {
  const scope = `run:${payload.runId}:usage-export:${payload.key}`;
  const saved = (await readCursor<ExportCursor>(ctx.db, payload.connectionId, scope)) ?? {};
  if (saved.enqueued) return;
  let retries = 0;
  const client = await partnerCenterClientFor(ctx, payload.connectionId, { onRetry: () => retries++, correlationId: payload.runId });
  let operationId = saved.operationId;
  if (!operationId) {
    operationId = await client.exportUsage(payload.source, { attributeSet: 'full' });
    await writeCursor(ctx.db, payload.connectionId, scope, { operationId });
  }
  const result = await client.pollOperation(operationId);
  const blobs: { url: string; name: string }[] = [];
  if (result.status === 'succeeded') {
    const manifest = await client.readManifest(result.manifestUrl || result.manifestId);
    client.blobUrls(manifest).forEach((url, i) => blobs.push({ url, name: `${manifest.id}:${manifest.blobs[i]?.name ?? i}` }));
  } else if (String(result.error.code) !== '5000') {
    // Code 5000, "No data available", is an empty month, not a failure.
    await recordRunError(ctx.db, payload.runId, { job: 'partner_center:usage_export', message: `export ${payload.key} failed: ${result.error.code} ${result.error.message}` });
  }
  await ctx.db.transaction().execute(async (trx) => {
    for (const blob of blobs) {
      await enqueueJob(
        trx,
        'partner_center:usage_blob',
        { runId: payload.runId, connectionId: payload.connectionId, url: blob.url, blobName: blob.name, sourceKind: payload.source.kind },
        { jobKey: `pc:blob:${payload.runId}:${blob.name}`, maxAttempts: 8 },
      );
    }
    await writeCursor(trx, payload.connectionId, scope, { operationId, enqueued: true });
    await addProgress(trx, payload.runId, { pendingJobs: blobs.length - 1, pages: 1, retries });
  });
}
