import { sql, type RawBuilder } from 'kysely';
import { EngineError } from '../engine/errors.ts';
import { periodBounds } from '../engine/dates.ts';
import type { BillingPeriod } from '../engine/types.ts';
import type { Db } from './database.ts';
import { loadEffectiveRateCard, loadFxPolicy } from './rate-cards.ts';
import { groupedUsage, marketRateDates, rateSplits, type RunStage } from './usage-groups.ts';

// A billing run reads the period's usage once, in one pass, when it fans out
// (stageRunUsage): PostgreSQL groups every customer's lines as its close prices them
// (src/db/usage-groups.ts) into one unlogged table in a schema of the run's own, so the
// lines are read once and written nowhere, and each close reads only its own groups.
// A customer's daily lines lie interleaved with every other customer's, about one per
// heap page of usage_lines, so reading them customer by customer would cost about as
// much as reading the whole month once per customer.
//
// Under market fx a group also splits at the dates its card's rates start within the
// period; the run reads each customer's card for them, and a close whose card (read in
// its own snapshot) splits elsewhere groups its lines itself.
//
// Unlogged tables come back empty after a PostgreSQL crash, so the run also records how
// many lines each customer's groups hold, in close_run_stage_counts (logged): a close
// that finds another number groups usage_lines itself (see stageUsageGroups).

const hex = (uuid: string): string => {
  const h = uuid.replace(/-/g, '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(h)) throw new Error(`not a uuid: ${uuid}`);
  return h;
};
const schemaOf = (runId: string): string => `close_run_${hex(runId)}`;

// The grouping runs as one hash aggregation, in parallel where the server allows: the
// planner, which expects far more groups than a month has, would otherwise sort every
// line by twenty columns. Its hash tables (a few hundred bytes and the line ids per
// group) may use up to this much memory per process before they spill to disk.
const GROUPING_SETTINGS = { work_mem: '256MB', enable_sort: 'off', enable_incremental_sort: 'off', enable_indexscan: 'off', enable_bitmapscan: 'off' };

/** Run `fn` with these server settings, local to the transaction, then put back the ones it had. */
async function withSettings<T>(db: Db, settings: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const names = Object.keys(settings);
  const before = await sql<{ name: string; value: string }>`select n as name, current_setting(n) as value from unnest(${names}::text[]) n`.execute(db);
  const apply = async (values: Array<[string, string]>) => {
    await sql`select set_config(s.name, s.value, true) from jsonb_to_recordset(${JSON.stringify(values.map(([name, value]) => ({ name, value })))}::jsonb) as s(name text, value text)`.execute(db);
  };
  await apply(Object.entries(settings));
  const result = await fn();
  // (A statement that fails aborts the transaction, and its local settings go with it.)
  await apply(before.rows.map((r) => [r.name, r.value]));
  return result;
}

/** Each customer's rate splits (see rateSplits), for the customers whose card prices the period at market rates. */
async function customerRateSplits(db: Db, period: BillingPeriod, customerIds: readonly string[]): Promise<Map<string, string[]>> {
  const splits = new Map<string, string[]>();
  const { start, end } = periodBounds(period);
  const market = await sql<{ any: boolean }>`
    select exists (select 1 from fx_rates where source = 'market' and rate_date > ${start}::date and rate_date <= ${end}::date) as any`.execute(db);
  if (!market.rows[0]?.any) return splits;
  for (const customerId of customerIds) {
    try {
      const card = await loadEffectiveRateCard(db, customerId, end);
      const dates = card ? rateSplits(marketRateDates(await loadFxPolicy(db, card, period)), period) : [];
      if (dates.length > 0) splits.set(customerId, dates);
    } catch (err) {
      // A card the close cannot use either: its own close reports why.
      if (!(err instanceof EngineError)) throw err;
    }
  }
  return splits;
}

/**
 * Group the period's usage lines of the run's customers (see the module notes), inside the
 * fan-out's transaction: the groups and the customer jobs commit together or not at all.
 */
export async function stageRunUsage(db: Db, runId: string, period: BillingPeriod, customerIds: readonly string[]): Promise<void> {
  if (customerIds.length === 0) return;
  const schema = sql.raw(schemaOf(runId));
  const { start, end } = periodBounds(period);
  await sql`drop schema if exists ${schema} cascade`.execute(db);
  await sql`create schema ${schema}`.execute(db);
  const splits = await customerRateSplits(db, period, customerIds);
  await sql`create unlogged table ${schema}.rate_splits (customer_id uuid primary key, dates date[] not null)`.execute(db);
  let from = sql`usage_lines`;
  let rateFrom: RawBuilder<unknown> | null = null;
  if (splits.size > 0) {
    const rows = [...splits].map(([customerId, dates]) => ({ customerId, dates }));
    await sql`insert into ${schema}.rate_splits select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r("customerId" uuid, dates date[])`.execute(db);
    // Each day's split, for the customers that have any.
    await sql`create unlogged table ${schema}.rate_days as
      select s.customer_id, d::date as usage_date, (select max(x) from unnest(s.dates) x where x <= d::date) as rate_from
      from ${schema}.rate_splits s cross join generate_series(${start}::date, ${end}::date, '1 day') d`.execute(db);
    from = sql`usage_lines left join ${schema}.rate_days using (customer_id, usage_date)`;
    rateFrom = sql`rate_from`;
  }
  const where = sql`usage_date >= ${start}::date and usage_date <= ${end}::date and not late and customer_id = any(${[...customerIds]}::uuid[])`;
  await withSettings(db, GROUPING_SETTINGS, () => sql`create unlogged table ${schema}.groups as ${groupedUsage(from, where, rateFrom)}`.execute(db));
  await sql`create index on ${schema}.groups (customer_id)`.execute(db);
  await sql`insert into close_run_stage_counts (billing_run_id, customer_id, line_count)
    select ${runId}::uuid, customer_id, sum(line_count) from ${schema}.groups group by customer_id`.execute(db);
}

/**
 * The run's groups of a customer's usage, if the run made them, with the number of lines
 * the run counted into them (none: a customer without lines) and the rate splits they
 * were grouped by. The close checks them against both (stageUsageGroups).
 */
export async function runStageOf(db: Db, runId: string, customerId: string): Promise<RunStage | null> {
  const schema = schemaOf(runId);
  if (!(await sql<{ found: string | null }>`select to_regclass(${`${schema}.groups`})::text as found`.execute(db)).rows[0]?.found) return null;
  const found = await sql<{ expected: string | null; splits: string[] | null }>`
    select (select line_count::text from close_run_stage_counts where billing_run_id = ${runId}::uuid and customer_id = ${customerId}::uuid) as expected,
      (select array(select to_char(d, 'YYYY-MM-DD') from unnest(dates) d order by d) from ${sql.raw(schema)}.rate_splits where customer_id = ${customerId}::uuid) as splits`.execute(db);
  const row = found.rows[0];
  return { groups: sql.raw(`${schema}.groups`), lineCount: BigInt(row?.expected ?? '0'), rateSplits: row?.splits ?? [] };
}

/** Drop a run's staged usage (when it finishes) and its counts. */
export async function dropRunUsage(db: Db, runId: string): Promise<void> {
  await sql`drop schema if exists ${sql.raw(schemaOf(runId))} cascade`.execute(db);
  await sql`delete from close_run_stage_counts where billing_run_id = ${runId}::uuid`.execute(db);
}

/** Drop what runs that are no longer queued or running left staged (a run that failed or was interrupted). */
export async function dropStaleRunUsage(db: Db): Promise<void> {
  const { rows } = await sql<{ id: string }>`
    select r.id from billing_runs r
    where r.status not in ('queued', 'running')
      and (exists (select 1 from close_run_stage_counts c where c.billing_run_id = r.id)
        or exists (select 1 from pg_namespace n where n.nspname = 'close_run_' || replace(r.id::text, '-', '')))`.execute(db);
  for (const { id } of rows) await dropRunUsage(db, id);
}
