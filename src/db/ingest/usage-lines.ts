import type pg from 'pg';
import { USAGE_COLUMNS, type LineRow } from '../../mappings/partner-center/lines.ts';
import { copyRows } from './copy.ts';

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
const VENDOR_COLUMNS = USAGE_COLUMNS.filter((c) => c !== 'usage_date');
const STAGE_COLUMNS = ['usage_date', 'line_key', 'customer_id', 'tags', ...VENDOR_COLUMNS];

function monthsOf(lines: UsageLineInput[]): string[] {
  return [...new Set(lines.map((l) => l.row.usage_date!.slice(0, 7)))].sort();
}

/** Monthly partitions of usage_lines, created on first use (under a lock: DDL races otherwise). */
export async function ensureUsagePartitions(client: pg.PoolClient, months: string[]): Promise<void> {
  if (months.length === 0) return;
  await client.query('select pg_advisory_xact_lock(7281002)');
  for (const month of months) {
    const [y, m] = month.split('-').map(Number) as [number, number];
    const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
    const name = `usage_lines_${month.replace('-', '_')}`;
    await client.query(`create table if not exists ${name} partition of usage_lines for values from ('${month}-01') to ('${next}-01')`);
  }
}

const NUMERIC_COLUMNS = new Set(['unit_price', 'quantity', 'billing_pre_tax_total', 'pricing_pre_tax_total', 'effective_unit_price', 'pc_to_bc_exchange_rate', 'partner_earned_credit_percentage', 'credit_percentage']);
const TIMESTAMP_COLUMNS = new Set(['charge_start_date', 'charge_end_date']);

function sqlType(column: string): string {
  if (NUMERIC_COLUMNS.has(column)) return 'numeric';
  if (TIMESTAMP_COLUMNS.has(column)) return 'timestamptz';
  if (column === 'pc_to_bc_exchange_rate_date') return 'date';
  return 'text';
}

/** The last occurrence of each line wins within a batch, as it would across batches. */
function lastOfEachKey(lines: UsageLineInput[]): UsageLineInput[] {
  const byKey = new Map<string, UsageLineInput>();
  for (const line of lines) {
    const key = `${line.row.usage_date}|${line.row.line_key}`;
    byKey.delete(key);
    byKey.set(key, line);
  }
  return byKey.size === lines.length ? lines : [...byKey.values()];
}

/**
 * Land a batch of usage lines exactly once, inside the caller's transaction: COPY into
 * a typed staging table, then one merge. Open periods take revisions in place; a closed
 * period's lines are never edited: new lines and changed amounts arrive as late lines
 * (a changed one superseding the original) for the next close to pick up.
 */
export async function ingestUsageLines(client: pg.PoolClient, input: UsageLineInput[], source: IngestSource): Promise<IngestCounts> {
  if (input.length === 0) return { inserted: 0, updated: 0, unchanged: 0, late: 0 };
  const lines = lastOfEachKey(input);
  const months = monthsOf(lines);
  await ensureUsagePartitions(client, months);
  const closedRows = await client.query<{ period: string }>(`select period from billing_periods where status = 'closed' and period = any($1::text[])`, [months]);
  const closed = closedRows.rows.map((r) => r.period);

  await client.query(`
    create temp table if not exists usage_stage (
      usage_date date, line_key text, customer_id uuid, tags jsonb, closed boolean,
      ${VENDOR_COLUMNS.map((c) => `${c} ${sqlType(c)}`).join(', ')}
    ) on commit drop`);
  const closedSet = new Set(closed);
  await copyRows(
    client,
    'usage_stage',
    [...STAGE_COLUMNS, 'closed'],
    (function* () {
      for (const l of lines) {
        yield [
          l.row.usage_date!,
          l.row.line_key!,
          l.customerId,
          JSON.stringify(l.tags),
          ...VENDOR_COLUMNS.map((c) => l.row[c] ?? null),
          closedSet.has(l.row.usage_date!.slice(0, 7)) ? 't' : 'f',
        ];
      }
    })(),
  );

  const insertColumns = ['usage_date', 'line_key', 'customer_id', 'tags', 'connection_id', 'sync_run_id', 'import_id', 'source', 'late', 'late_detected_at', 'supersedes_id', 'revision', ...VENDOR_COLUMNS];
  const params = [source.connectionId, source.syncRunId, source.importId, source.source];
  const vendorValues = VENDOR_COLUMNS.map((c) => `t.${c}`).join(', ');
  const tuple = (alias: string, columns: string[]) => `(${columns.map((c) => `${alias}.${c}`).join(', ')})`;

  // 1. Closed period, changed amounts: a late revision beside the frozen original.
  let lateRevisions = 0;
  if (closed.length > 0) {
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
