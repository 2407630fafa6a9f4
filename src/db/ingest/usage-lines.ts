import type pg from 'pg';
import type { LineRow } from '../../mappings/partner-center/lines.ts';
import { copyBinary } from './copy.ts';
import { binaryField } from './copy-binary.ts';
import { CANONICAL_USAGE_COLUMNS, copyChunks, encodeUsageLine, lastOfEachInKeyOrder, usageColumnType, USAGE_VENDOR_COLUMNS as VENDOR_COLUMNS, type EncodedUsageLine } from './usage-encoding.ts';

export interface UsageLineInput {
  row: LineRow;
  tags: Record<string, string>;
  customerId: string;
}

export interface IngestSource {
  source: 'billed_export' | 'unbilled_export' | 'usage_api' | 'import';
  connectionId: string | null;
  syncRunId: string | null;
  importId: string | null;
}

export interface IngestCounts {
  /** New lines. */
  inserted: number;
  /** Existing lines whose values changed (open periods only: revised in place). */
  updated: number;
  /** Lines already stored with the same values: a page fetched twice adds nothing. */
  unchanged: number;
  /** New lines, or changed values, for a period already closed: stored as late, never merged. */
  late: number;
}

// Amount-bearing fields: a change in one of these after a close is a late revision.
const AMOUNT_COLUMNS = ['quantity', 'unit_price', 'effective_unit_price', 'billing_pre_tax_total', 'pricing_pre_tax_total', 'pc_to_bc_exchange_rate'];
const SOURCE_COLUMNS = ['connection_id', 'sync_run_id', 'import_id', 'source'];
const STAGE_COLUMNS = [...CANONICAL_USAGE_COLUMNS, 'closed'];

const UNIQUE_VIOLATION = '23505';

function partitionName(month: string): string {
  return `usage_lines_${month.replace('-', '_')}`;
}

/**
 * Monthly partitions of usage_lines, created on first use, under a lock (DDL races
 * otherwise) taken only when one is missing: ingestions of usage lines run side by side.
 */
export async function ensureUsagePartitions(client: pg.PoolClient, months: string[]): Promise<void> {
  if (months.length === 0) return;
  const missing = (month: string[]) =>
    client.query<{ month: string }>(`select m as month from unnest($1::text[]) m where to_regclass('usage_lines_' || replace(m, '-', '_')) is null`, [month]);
  if ((await missing(months)).rows.length === 0) return;
  await client.query('select pg_advisory_xact_lock(7281002)');
  for (const { month } of (await missing(months)).rows) {
    const [y, m] = month.split('-').map(Number) as [number, number];
    const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
    await client.query(`create table if not exists ${partitionName(month)} partition of usage_lines for values from ('${month}-01') to ('${next}-01')`);
  }
}

/**
 * New lines of open periods go straight into usage_lines with one COPY: the common
 * case (a first load, a new day) costs about what a plain COPY of the rows costs plus
 * the indexes. A line already stored makes the unique index refuse the whole COPY;
 * the savepoint undoes it and the caller sorts the lines out. Returns false then.
 */
async function copyNewLines(client: pg.PoolClient, lines: EncodedUsageLine[], source: IngestSource): Promise<boolean> {
  const suffix = Buffer.concat([
    ...[source.connectionId, source.syncRunId, source.importId].map((id) => binaryField('uuid', id)),
    binaryField('text', source.source),
  ]);
  await client.query('savepoint usage_copy');
  try {
    await copyBinary(client, 'usage_lines', [...CANONICAL_USAGE_COLUMNS, ...SOURCE_COLUMNS], copyChunks(lines, SOURCE_COLUMNS.length, () => suffix));
  } catch (err) {
    if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
    await client.query('rollback to savepoint usage_copy');
    await client.query('release savepoint usage_copy');
    return false;
  }
  await client.query('release savepoint usage_copy');
  return true;
}

/** Which of these lines usage_lines already holds (by natural key). */
async function storedKeys(client: pg.PoolClient, lines: EncodedUsageLine[]): Promise<Set<string>> {
  const found = await client.query<{ key: string }>(
    `select k.usage_date::text || '|' || k.line_key as key
     from unnest($1::date[], $2::text[]) as k(usage_date, line_key)
     join usage_lines u on u.usage_date = k.usage_date and u.line_key = k.line_key`,
    [lines.map((l) => l.usageDate), lines.map((l) => l.lineKey)],
  );
  return new Set(found.rows.map((r) => r.key));
}

/**
 * Land a batch of usage lines exactly once, inside the caller's transaction. New
 * lines of open periods are COPYed straight in; the rest (lines already stored, and
 * lines of closed periods) go through a typed staging table and one merge. Open
 * periods take revisions in place; a closed period's lines are never edited: new
 * lines and changed amounts arrive as late lines (a changed one superseding the
 * original) for the next close to pick up.
 *
 * @example
 *   const counts = await withClientTransaction(pool, (client) => ingestUsageLines(client, lines, { source: 'import', connectionId: null, syncRunId: null, importId }));
 *   // { inserted: 9998, updated: 2, unchanged: 0, late: 0 }
 */
export async function ingestUsageLines(client: pg.PoolClient, input: UsageLineInput[], source: IngestSource): Promise<IngestCounts> {
  return ingestEncodedUsageLines(client, input.map((line) => encodeUsageLine(line, line.customerId)), source);
}

/**
 * ingestUsageLines for lines already encoded (encodeUsageLine) and given their
 * customer: a stream encodes each line as it is mapped and keeps the text, not the row.
 */
export async function ingestEncodedUsageLines(client: pg.PoolClient, input: EncodedUsageLine[], source: IngestSource): Promise<IngestCounts> {
  if (input.length === 0) return { inserted: 0, updated: 0, unchanged: 0, late: 0 };
  const lines = lastOfEachInKeyOrder(input);
  const months = [...new Set(lines.map((l) => l.month))];
  await ensureUsagePartitions(client, months);
  const closedRows = await client.query<{ period: string }>(`select period from billing_periods where status = 'closed' and period = any($1::text[])`, [months]);
  const closed = new Set(closedRows.rows.map((r) => r.period));

  const open = closed.size === 0 ? lines : lines.filter((l) => !closed.has(l.month));
  let copied = 0;
  let rest = closed.size === 0 ? [] : lines.filter((l) => closed.has(l.month));
  if (open.length > 0) {
    if (await copyNewLines(client, open, source)) copied = open.length;
    else {
      // Some are stored already: COPY the ones that are not, merge the others.
      const stored = await storedKeys(client, open);
      const isStored = (l: EncodedUsageLine) => stored.has(`${l.usageDate}|${l.lineKey}`);
      const fresh = open.filter((l) => !isStored(l));
      if (fresh.length > 0 && (await copyNewLines(client, fresh, source))) {
        copied = fresh.length;
        rest = rest.concat(open.filter(isStored));
      } else rest = rest.concat(open);
    }
  }
  if (rest.length === 0) return { inserted: copied, updated: 0, unchanged: 0, late: 0 };
  const merged = await mergeThroughStage(client, rest, closed, source);
  return { ...merged, inserted: merged.inserted + copied };
}

/** Lines already stored, or of closed periods: staged, then merged by key. */
async function mergeThroughStage(client: pg.PoolClient, lines: EncodedUsageLine[], closed: Set<string>, source: IngestSource): Promise<IngestCounts> {
  await client.query(`
    create temp table if not exists usage_stage (
      usage_date date, line_key text, tags jsonb,
      ${VENDOR_COLUMNS.map((c) => `${c} ${usageColumnType(c)}`).join(', ')},
      customer_id uuid, closed boolean
    ) on commit drop`);
  // A second batch in the same transaction must not see the first one's rows.
  await client.query('truncate usage_stage');
  const [isClosed, isOpen] = [binaryField('boolean', 't'), binaryField('boolean', 'f')];
  await copyBinary(client, 'usage_stage', STAGE_COLUMNS, copyChunks(lines, 1, (l) => (closed.has(l.month) ? isClosed : isOpen)));

  const insertColumns = ['usage_date', 'line_key', 'customer_id', 'tags', 'connection_id', 'sync_run_id', 'import_id', 'source', 'late', 'late_detected_at', 'supersedes_id', 'revision', ...VENDOR_COLUMNS];
  const params = [source.connectionId, source.syncRunId, source.importId, source.source];
  const vendorValues = VENDOR_COLUMNS.map((c) => `t.${c}`).join(', ');
  const tuple = (alias: string, columns: string[]) => `(${columns.map((c) => `${alias}.${c}`).join(', ')})`;

  // 1. Closed period, changed amounts: a late revision beside the frozen original.
  let lateRevisions = 0;
  if (closed.size > 0) {
    const revisions = await client.query(
      `insert into usage_lines (${insertColumns.join(', ')})
      select t.usage_date, t.line_key || '#' || md5(concat_ws('|', ${AMOUNT_COLUMNS.map((c) => `t.${c}`).join(', ')})), t.customer_id, t.tags,
        $1, $2, $3, $4, true, now(), u.id, u.revision + 1, ${vendorValues}
      from usage_stage t join usage_lines u on u.usage_date = t.usage_date and u.line_key = t.line_key
      where t.closed and ${tuple('u', AMOUNT_COLUMNS)} is distinct from ${tuple('t', AMOUNT_COLUMNS)}
      on conflict (usage_date, line_key) do nothing`,
      params,
    );
    lateRevisions = revisions.rowCount ?? 0;
  }

  // 2. Everything else: insert new lines (late when their period is closed), revise open-period lines in place.
  const compared = [...VENDOR_COLUMNS, 'tags'];
  const merged = await client.query<{ inserted: number; updated: number; late: number }>(
    `with merged as (
      insert into usage_lines (${insertColumns.join(', ')})
      select t.usage_date, t.line_key, t.customer_id, t.tags, $1, $2, $3, $4, t.closed, case when t.closed then now() end, null, 1, ${vendorValues}
      from usage_stage t
      on conflict (usage_date, line_key) do update set
        ${VENDOR_COLUMNS.map((c) => `${c} = excluded.${c}`).join(', ')},
        tags = excluded.tags, customer_id = excluded.customer_id,
        source = excluded.source, sync_run_id = excluded.sync_run_id, connection_id = excluded.connection_id, import_id = excluded.import_id,
        revision = usage_lines.revision + 1, last_seen_at = now()
      where not excluded.late
        -- A billed line is final: an unbilled estimate arriving later (exports finish in any order) never replaces it.
        and not (usage_lines.invoice_number is not null and excluded.invoice_number is null)
        and ${tuple('usage_lines', compared)} is distinct from ${tuple('excluded', compared)}
      returning revision = 1 as inserted, late
    )
    select count(*) filter (where inserted and not late)::int as inserted,
           count(*) filter (where not inserted)::int as updated,
           count(*) filter (where inserted and late)::int as late
    from merged`,
    params,
  );
  const counts = merged.rows[0]!;
  const late = counts.late + lateRevisions;
  return { inserted: counts.inserted, updated: counts.updated, late, unchanged: lines.length - counts.inserted - counts.updated - late };
}
