import type { HubContext } from '../../context.ts';
import { kyselyOnClient } from '../../db/database.ts';
import { resolveCustomers } from '../../db/ingest/customers.ts';
import { withClientTransaction } from '../../db/ingest/copy.ts';
import { ingestUsageLines, type UsageLineInput } from '../../db/ingest/usage-lines.ts';
import { mapUsageLine, type MappedLine } from '../../mappings/partner-center/lines.ts';
import { partnerCenterClientFor } from './client-for-connection.ts';
import { addProgress, readCursor, recordRunError, writeCursor } from './run-progress.ts';
import type { RunPayload } from './task.ts';

export interface UsageBlobPayload extends RunPayload {
  connectionId: string;
  url: string;
  blobName: string;
  sourceKind: 'billed' | 'unbilled';
}

const ACTOR = 'system:partner_center.usage_blob';

/**
 * Stream one export blob into usage_lines in batches. Each batch commits together
 * with the blob offset it reaches, so a worker killed mid-blob resumes after the last
 * committed batch: no line is skipped, and none is stored twice.
 */
export async function ingestUsageBlob(payload: UsageBlobPayload, ctx: HubContext): Promise<void> {
  const scope = `run:${payload.runId}:blob:${payload.blobName}`;
  const saved = (await readCursor<{ committed: number; done?: boolean }>(ctx.db, payload.connectionId, scope)) ?? { committed: 0 };
  if (saved.done) return;
  let retries = 0;
  const client = await partnerCenterClientFor(ctx, payload.connectionId, { onRetry: () => retries++, correlationId: payload.runId });
  const source = { source: payload.sourceKind === 'billed' ? 'billed_export' : 'unbilled_export', connectionId: payload.connectionId, syncRunId: payload.runId, importId: null } as const;

  let index = 0;
  let batch: { line: number; mapped: MappedLine }[] = [];
  const flush = async (reached: number, last: boolean) => {
    const rejected = batch.filter((b) => !b.mapped.ok);
    for (const r of rejected.slice(0, 5)) {
      if (!r.mapped.ok) {
        await recordRunError(ctx.db, payload.runId, {
          job: 'partner_center:usage_blob',
          message: `${payload.blobName} line ${r.line}: ${r.mapped.errors.map((e) => `${e.field} ${e.reason}`).join('; ')}`,
        });
      }
    }
    const good = batch.flatMap((b) => (b.mapped.ok ? [b.mapped] : []));
    const customers = await resolveCustomers(ctx.db, good.map((m) => ({ tenantId: m.row.customer_tenant_id!, name: m.row.customer_name ?? null })), ACTOR);
    const inputs: UsageLineInput[] = good.map((m) => ({ row: m.row, tags: m.tags, customerId: customers.get(m.row.customer_tenant_id!)! }));
    await withClientTransaction(ctx.pool, async (pgClient) => {
      await ingestUsageLines(pgClient, inputs, source);
      const tx = kyselyOnClient(pgClient);
      await writeCursor(tx, payload.connectionId, scope, last ? { committed: reached, done: true } : { committed: reached });
      await addProgress(tx, payload.runId, { lines: good.length, retries, ...(last ? { pendingJobs: -1 } : {}) });
    });
    retries = 0;
    batch = [];
  };

  for await (const record of client.streamUsageBlob(payload.url)) {
    index++;
    if (index <= saved.committed) continue;
    batch.push({ line: index, mapped: mapUsageLine(record) });
    if (batch.length >= ctx.config.ingestBatchLines) await flush(index, false);
  }
  await flush(index, true);
}
