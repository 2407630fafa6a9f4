import { randomInt } from 'node:crypto';
import type pg from 'pg';
import type { Db } from '../database.ts';
import { mapUsageValues, type LineProblem, type MapOptions } from '../../mappings/partner-center/lines.ts';
import { withClientTransaction } from './copy.ts';
import { resolveCustomers } from './customers.ts';
import { encodeUsageValues, lastOfEachInKeyOrder, type EncodedUsageLine } from './usage-encoding.ts';
import { ensureUsagePartitions, ingestEncodedUsageLines, type IngestCounts, type IngestSource } from './usage-lines.ts';

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
 * in batches, one transaction per batch. While PostgreSQL stores two batches side by
 * side (two connections: two of its processes), the next is read, mapped and encoded:
 * JavaScript and PostgreSQL keep both cores busy instead of taking turns. Batches still
 * commit in stream order (a batch waits for the previous one's commit, and rolls back
 * if it failed), so a cursor saved by `onBatch` never runs ahead of the lines it covers;
 * a line in two neighbouring batches is written by the later one after the earlier commits.
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
  let encoded: EncodedUsageLine[] = [];
  let rejected: RejectedUsageLine[] = [];
  // The batch committing, and the one COPYing beside it.
  let committing: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  let queuedStarted: Promise<void> = Promise.resolve();
  let queuedKeys: KeysInOrder = { days: [], ranks: [], keys: [] };
  let batchIndex = 0;
  // Each batch holds an advisory lock (stream, index) from the start of its transaction
  // to its end, and the next one takes that lock before committing: it waits for the
  // previous batch where PostgreSQL sees the wait, so a cycle with another session's
  // row locks is a deadlock it detects and breaks, never a silent hang.
  const streamKey = randomInt(-(2 ** 31), 2 ** 31);
  // Months whose partition this stream has made sure of (a blob is one or two months).
  const partitioned = new Set<string>();

  const store = async (
    batch: { arrived: EncodedUsageLine[]; lines: EncodedUsageLine[]; problems: RejectedUsageLine[]; reached: number; last: boolean; index: number; overlaps: boolean },
    previous: { done: Promise<void> | undefined; started: Promise<void> },
    started: () => void,
  ) => {
    const { arrived, lines, problems, index } = batch;
    try {
      // Tenants in the order they arrived: new customers are created in that order.
      const customers = await resolveCustomers(handle.db, arrived.map((l) => ({ tenantId: l.tenantId, name: l.customerName })), options.actor);
      for (const line of lines) line.customerId = customers.get(line.tenantId)!;
      // A month's first lines create its partition, in a transaction of its own: DDL in a
      // batch's transaction would hold its locks until the batch commits (the new
      // partition's, and for its foreign key one on billing_runs, which a close writes).
      const months = [...new Set(lines.map((l) => l.month))].filter((m) => !partitioned.has(m));
      if (months.length > 0) {
        await withClientTransaction(handle.pool, (client) => ensureUsagePartitions(client, months));
        for (const m of months) partitioned.add(m);
      }
      // The previous batch must hold its lock before this one may wait for it (else this
      // one could take it first, and wait forever); and it waits with no connection of
      // the pool in hand, so a busy pool can never leave the previous batch without one.
      await previous.started;
      await withClientTransaction(handle.pool, async (client) => {
        await client.query('select pg_advisory_xact_lock($1, $2)', [streamKey, index]);
        started();
        // A line in both batches: this one must write after the other commits (it wins).
        if (batch.overlaps) await previous.done;
        const counts = await ingestEncodedUsageLines(client, lines, options.source);
        // Never commit ahead of the previous batch, nor after it failed.
        if (index > 0) await client.query('select pg_advisory_xact_lock($1, $2)', [streamKey, index - 1]);
        await previous.done;
        await options.onBatch?.(client, { reached: batch.reached, last: batch.last, lines: arrived.length, rejected: problems, counts });
        totals.inserted += counts.inserted;
        totals.updated += counts.updated;
        totals.unchanged += counts.unchanged;
        totals.late += counts.late;
      });
      totals.rejected += problems.length;
    } finally {
      // Failed before taking its lock: the next batch must not wait for that.
      started();
    }
  };

  // Two batches at the database at once, in two transactions: one committing (or
  // finishing its COPY), the next COPYing beside it, on another core.
  const handOver = async (last: boolean) => {
    const lines = encoded;
    const problems = rejected;
    encoded = [];
    rejected = [];
    if (committing) await committing;
    // In key order (as they are stored), the batch is compared with the one before in one pass.
    const sorted = lastOfEachInKeyOrder(lines);
    const overlaps = sharesAKey(sorted, queuedKeys);
    let started!: () => void;
    const startedNow = new Promise<void>((resolve) => (started = resolve));
    committing = queued;
    queued = store({ arrived: lines, lines: sorted, problems, reached: totals.read, last, index: batchIndex++, overlaps }, { done: committing, started: queuedStarted }, started);
    queuedStarted = startedNow;
    // Only the keys are kept: the lines leave memory once stored.
    queuedKeys = { days: sorted.map((l) => l.usageDate), ranks: sorted.map((l) => l.keyRank), keys: sorted.map((l) => l.lineKey) };
    // Surfaced when awaited; never an unhandled rejection meanwhile.
    queued.catch(() => {});
  };

  try {
    for await (const record of records) {
      totals.read++;
      if (totals.read <= skip) continue;
      const line = mapUsageValues(record, options.mapOptions);
      // Kept as its COPY bytes, made at once from the mapped columns: no row in between.
      if (line.ok) encoded.push(encodeUsageValues(line));
      else rejected.push({ line: totals.read, errors: line.errors });
      if (encoded.length + rejected.length >= options.batchLines) await handOver(false);
      // Mapping is synchronous: let the stored batches' replies and COPY writes through now and then.
      else if (queued && (encoded.length + rejected.length) % YIELD_EVERY === 0) await new Promise(setImmediate);
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

/** A batch's natural keys in its order (usage day, then line key). */
interface KeysInOrder {
  days: string[];
  ranks: number[];
  keys: string[];
}

/** Whether lines in key order (lastOfEachInKeyOrder's) and keys in that order share one. */
function sharesAKey(lines: EncodedUsageLine[], other: KeysInOrder): boolean {
  const { days, ranks, keys } = other;
  let i = 0;
  let j = 0;
  while (i < lines.length && j < keys.length) {
    const line = lines[i]!;
    const day = days[j]!;
    if (line.usageDate !== day) {
      if (line.usageDate < day) i++;
      else j++;
      continue;
    }
    const rank = ranks[j]!;
    if (line.keyRank !== rank) {
      if (line.keyRank < rank) i++;
      else j++;
      continue;
    }
    const key = keys[j]!;
    if (line.lineKey === key) return true;
    if (line.lineKey < key) i++;
    else j++;
  }
  return false;
}
