import { isVendorCallError } from '../../connectors/http/errors.ts';
import type { HubContext } from '../../context.ts';
import { kyselyOnClient } from '../../db/database.ts';
import { ingestUsageStream } from '../../db/ingest/usage-stream.ts';
import { partnerCenterClientFor } from './client-for-connection.ts';
import { addProgress, readCursor, recordRunError, writeCursor } from './run-progress.ts';
import type { RunPayload } from './task.ts';
import { recordMappingUse } from '../../db/mapping-uses.ts';
import { mappingObject } from '../../mappings/objects.ts';
import { compileUsageMapping } from '../../mappings/partner-center/usage-compiled.ts';
import { checkedMappingInForce } from '../mapping-in-force.ts';
import { reexportAfterExpiredBlob, type UsageExportPayload } from './usage-export.ts';

export interface UsageBlobPayload extends RunPayload {
  connectionId: string;
  url: string;
  blobName: string;
  sourceKind: 'billed' | 'unbilled';
  /** The export the blob came from, so an expired link can ask for that export again. */
  export?: { payload: UsageExportPayload; operationId: string };
}

const ACTOR = 'system:partner_center.usage_blob';
const USAGE_LINE = mappingObject('partner-center', 'usage_line')!;

/**
 * Stream one export blob into usage_lines in batches (ingestUsageStream: mapping in
 * JavaScript while PostgreSQL stores the batches before). Each batch commits together
 * with the blob offset it reaches, so a worker killed mid-blob resumes after the last
 * committed batch: no line is skipped, and none is stored twice. Lines are read through
 * the connection's usage line mapping, compiled once for the blob (the built-in mapping
 * compiles to nothing), and each batch records the version with its lines.
 */
export async function ingestUsageBlob(payload: UsageBlobPayload, ctx: HubContext): Promise<void> {
  const scope = `run:${payload.runId}:blob:${payload.blobName}`;
  const saved = (await readCursor<{ committed: number; done?: boolean }>(ctx.db, payload.connectionId, scope)) ?? { committed: 0 };
  if (saved.done) return;
  let retries = 0;
  const client = await partnerCenterClientFor(ctx, payload.connectionId, { onRetry: () => retries++, correlationId: payload.runId });

  const source = { source: payload.sourceKind === 'billed' ? 'billed_export' : 'unbilled_export', connectionId: payload.connectionId, syncRunId: payload.runId, importId: null } as const;
  const mapping = await checkedMappingInForce(ctx.db, payload.connectionId, USAGE_LINE);
  try {
    const totals = await ingestUsageStream(ctx, client.streamUsageBlob(payload.url), {
      source,
      actor: ACTOR,
      batchLines: ctx.config.ingestBatchLines,
      skip: saved.committed,
      mapOptions: { usageMapping: compileUsageMapping(mapping) },
      onBatch: async (pgClient, batch) => {
        const tx = kyselyOnClient(pgClient);
        await recordMappingUse(tx, { connectionId: payload.connectionId, object: USAGE_LINE.object, version: mapping.version, records: batch.lines + batch.rejected.length });
        // A few examples of refused lines per batch, with the reason, for the person watching the run.
        for (const r of batch.rejected.slice(0, 5)) {
          await recordRunError(tx, payload.runId, {
            job: 'partner_center:usage_blob',
            message: `${payload.blobName} line ${r.line}: ${r.errors.map((e) => `${e.field} ${e.reason}`).join('; ')}`,
          });
        }
        await writeCursor(tx, payload.connectionId, scope, batch.last ? { committed: batch.reached, done: true } : { committed: batch.reached });
        await addProgress(tx, payload.runId, { lines: batch.lines, retries, ...(batch.last ? { pendingJobs: -1 } : {}) });
        retries = 0;
      },
    });
    ctx.logger.debug({ runId: payload.runId, blob: payload.blobName, ...totals }, 'usage blob ingested');
  } catch (err) {
    // Azure Storage answers 403 AuthenticationFailed once a blob's SAS is past its expiry.
    if (!(payload.export && isVendorCallError(err) && err.status === 403)) throw err;
    await reexportAfterExpiredBlob(ctx, payload.export.payload, payload.export.operationId, err, (trx) =>
      writeCursor(trx, payload.connectionId, scope, { committed: saved.committed, done: true, linkExpired: true }),
    );
  }
}
