import type pg from 'pg';
import type { Db } from '../database.ts';
import { mapUsageLine, type LineProblem, type MapOptions, type MappedLine } from '../../mappings/partner-center/lines.ts';
import { withClientTransaction } from './copy.ts';
import { resolveCustomers } from './customers.ts';
import { ingestUsageLines, type IngestCounts, type IngestSource, type UsageLineInput } from './usage-lines.ts';

/** Lines mapped between two turns of the event loop while a batch is being stored. */
const YIELD_EVERY = 256;

export interface RejectedUsageLine {
  /** 1-based position in the stream. */
  line: number;
  errors: LineProblem[];
}

export interface UsageStreamBatch {
  /** Position of the batch's last line: what a resumable cursor saves. */
  reached: number;
  /** The stream's final batch (possibly empty): a cursor can say the stream is done. */
  last: boolean;
  /** Lines mapped and handed to ingestUsageLines (rejected ones excluded). */
  lines: number;
  rejected: RejectedUsageLine[];
  counts: IngestCounts;
}

export interface UsageStreamOptions {
  source: IngestSource;
  /** Audit actor for customers first met in the stream. */
  actor: string;
  /** Lines per batch; each batch is one transaction. */
  batchLines: number;
  /** Lines an earlier attempt committed: read past, not stored again. */
  skip?: number;
  mapOptions?: MapOptions;
  /** Runs in each batch's transaction after its lines are stored (a cursor, progress), so both commit together. */
  onBatch?: (client: pg.PoolClient, batch: UsageStreamBatch) => Promise<void>;
}

export interface UsageStreamTotals extends IngestCounts {
  /** Lines read, skipped ones included. */
  read: number;
  rejected: number;
}

/**
 * Stream parsed usage records (v2 export lines, v1 items, file rows) into usage_lines
 * in batches, one transaction per batch, in order. While PostgreSQL stores one batch,
 * the next is read and mapped, and the one after that is encoded and waiting on a
 * second connection: JavaScript and PostgreSQL work at once, on different cores,
 * instead of taking turns. Batches still commit one after another in stream order (a
 * batch waits for the previous one's commit, and rolls back if it failed), so a cursor
 * saved by `onBatch` never runs ahead of the lines it covers.
 *
 * @example
 *   const totals = await ingestUsageStream(ctx, client.streamUsageBlob(url), {
 *     source, actor: 'system:partner_center.usage_blob', batchLines: 10_000,
 *     onBatch: (pg, batch) => writeCursor(kyselyOnClient(pg), connectionId, scope, { committed: batch.reached }),
 *   });
 */
export async function ingestUsageStream(
  handle: { db: Db; pool: pg.Pool },
  records: AsyncIterable<Record<string, unknown>>,
  options: UsageStreamOptions,
): Promise<UsageStreamTotals> {
  const totals: UsageStreamTotals = { read: 0, rejected: 0, inserted: 0, updated: 0, unchanged: 0, late: 0 };
  const skip = options.skip ?? 0;
  let mapped: MappedLine[] = [];
  let rejected: RejectedUsageLine[] = [];
  // The batch committing, and the one behind it (encoded, waiting for the lock the first holds).
  let committing: Promise<void> | undefined;
  let queued: Promise<void> | undefined;

  const store = async (lines: MappedLine[], problems: RejectedUsageLine[], reached: number, last: boolean, before: Promise<void> | undefined) => {
    const good: Extract<MappedLine, { ok: true }>[] = [];
    for (const m of lines) if (m.ok) good.push(m);
    const customers = await resolveCustomers(handle.db, good.map((m) => ({ tenantId: m.row.customer_tenant_id!, name: m.row.customer_name ?? null })), options.actor);
    const inputs: UsageLineInput[] = good.map((m) => ({ row: m.row, tags: m.tags, customerId: customers.get(m.row.customer_tenant_id!)! }));
    await withClientTransaction(handle.pool, async (client) => {
      // ingestUsageLines encodes, then waits in PostgreSQL for the advisory lock the
      // previous batch's transaction holds until it commits: its COPY follows at once.
      const counts = await ingestUsageLines(client, inputs, options.source);
      // Never commit ahead of an earlier batch, nor after one that failed.
      await before;
      await options.onBatch?.(client, { reached, last, lines: inputs.length, rejected: problems, counts });
      totals.inserted += counts.inserted;
      totals.updated += counts.updated;
      totals.unchanged += counts.unchanged;
      totals.late += counts.late;
    });
    totals.rejected += problems.length;
  };

  // At most two batches at the database: one committing, one ready behind it.
  const handOver = async (last: boolean) => {
    const lines = mapped;
    const problems = rejected;
    mapped = [];
    rejected = [];
    if (committing) await committing;
    committing = queued;
    queued = store(lines, problems, totals.read, last, committing);
    // Surfaced when awaited; never an unhandled rejection meanwhile.
    queued.catch(() => {});
  };

  try {
    for await (const record of records) {
      totals.read++;
      if (totals.read <= skip) continue;
      const line = mapUsageLine(record, options.mapOptions);
      if (!line.ok) rejected.push({ line: totals.read, errors: line.errors });
      mapped.push(line);
      if (mapped.length >= options.batchLines) await handOver(false);
      // Mapping is synchronous: let the stored batches' replies and COPY writes through now and then.
      else if (queued && mapped.length % YIELD_EVERY === 0) await new Promise(setImmediate);
    }
    await handOver(true);
    await committing;
    await queued;
  } finally {
    // Never return (or throw) with a transaction still running on a pooled connection.
    await committing?.catch(() => {});
    await queued?.catch(() => {});
  }
  return totals;
}
