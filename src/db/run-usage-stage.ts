import { sql, type RawBuilder } from 'kysely';
import { periodBounds } from '../engine/dates.ts';
import type { BillingPeriod } from '../engine/types.ts';
import type { Db } from './database.ts';

// A billing run reads the period's usage once, in one sequential pass, when it fans out
// (stageRunUsage): the rows the close reads are copied into one partition per customer
// of an unlogged table in a schema of the run's own. A customer's daily lines arrive
// interleaved with every other customer's, so its rows lie about one per heap page of
// usage_lines; reading them customer by customer costs about as much as reading the
// whole month once per customer batch, while a customer's partition is contiguous.
//
// Unlogged tables come back empty after a PostgreSQL crash, so the run also records how
// many lines each customer's partition got, in close_run_stage_counts (logged): a close
// that copies another number reads usage_lines itself (see stagePeriodUsage).

/** The columns a close reads from a usage line (the staged copy's columns, before its group key). */
export const STAGED_USAGE_COLUMNS = `id, revision, usage_date, quantity, billing_pre_tax_total, entitlement_id, subscription_id, product_id, sku_id, product_name,
  sku_name, publisher_name, unit_price, effective_unit_price, pricing_currency, billing_currency, pc_to_bc_exchange_rate,
  pc_to_bc_exchange_rate_date, tags, resource_group, meter_id, meter_category, meter_name`;

const hex = (uuid: string): string => {
  const h = uuid.replace(/-/g, '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(h)) throw new Error(`not a uuid: ${uuid}`);
  return h;
};
const schemaOf = (runId: string): string => `close_run_${hex(runId)}`;
const partitionOf = (runId: string, customerId: string): RawBuilder<unknown> => sql.raw(`${schemaOf(runId)}.c_${hex(customerId)}`);

/**
 * Copy the period's usage lines of the run's customers into one partition per customer
 * (see the module notes), inside the fan-out's transaction: the copy and the customer
 * jobs commit together or not at all.
 */
export async function stageRunUsage(db: Db, runId: string, period: BillingPeriod, customerIds: readonly string[]): Promise<void> {
  if (customerIds.length === 0) return;
  const schema = sql.raw(schemaOf(runId));
  const { start, end } = periodBounds(period);
  await sql`drop schema if exists ${schema} cascade`.execute(db);
  await sql`create schema ${schema}`.execute(db);
  // The columns (types only, no constraints) of the rows the close reads; the parent holds no rows, its partitions are unlogged.
  await sql`create table ${schema}.shape as select customer_id, ${sql.raw(STAGED_USAGE_COLUMNS)} from usage_lines with no data`.execute(db);
  await sql`create table ${schema}.usage (like ${schema}.shape) partition by list (customer_id)`.execute(db);
  await sql`drop table ${schema}.shape`.execute(db);
  for (const customerId of customerIds) {
    await sql`create unlogged table ${partitionOf(runId, customerId)} partition of ${schema}.usage for values in (${sql.lit(customerId)})`.execute(db);
  }
  const columns = sql.raw(`customer_id, ${STAGED_USAGE_COLUMNS}`);
  await sql`insert into ${schema}.usage (${columns})
    select ${columns} from usage_lines
    where usage_date >= ${start}::date and usage_date <= ${end}::date and not late and customer_id = any(${[...customerIds]}::uuid[])`.execute(db);
  await sql`insert into close_run_stage_counts (billing_run_id, customer_id, line_count)
    select ${runId}::uuid, customer_id, count(*) from ${schema}.usage group by customer_id`.execute(db);
}

/** A customer's part of a run's staged usage, and how many lines the run put there. */
export interface RunStage {
  partition: RawBuilder<unknown>;
  lineCount: bigint;
}

/**
 * The run's staged copy of a customer's usage, if the run made one, with the number of
 * lines the run counted into it (none: a customer without lines). The close checks its
 * own copy against that number (stagePeriodUsage), so the partition is read once.
 */
export async function runStageOf(db: Db, runId: string, customerId: string): Promise<RunStage | null> {
  const found = await sql<{ staged: string | null; expected: string | null }>`
    select to_regclass(${`${schemaOf(runId)}.c_${hex(customerId)}`})::text as staged,
      (select line_count::text from close_run_stage_counts where billing_run_id = ${runId}::uuid and customer_id = ${customerId}::uuid) as expected`.execute(db);
  const row = found.rows[0];
  if (!row?.staged) return null;
  return { partition: partitionOf(runId, customerId), lineCount: BigInt(row.expected ?? '0') };
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
