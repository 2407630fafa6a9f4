import { sql, type RawBuilder } from 'kysely';
import type { BillingPeriod, CurrencyCode, UsageLine } from '../engine/types.ts';
import { PERIOD_USAGE_DIMS, periodUsageFilter, usageDigest, usageLineOf, type PeriodUsageRow } from './billing-lines.ts';
import type { Db } from './database.ts';
import { STAGED_USAGE_COLUMNS, type RunStage } from './run-usage-stage.ts';

// A customer's usage of a billing period, summed in PostgreSQL into the groups the engine
// prices: lines that agree on every column pricing, fx, allocation and the invoice line
// read (subscription, product, SKU, names, publisher, prices, currencies, Microsoft's rate
// and its date, tags, resource group, meter) and on the sign of their cost and of their
// quantity. Pricing is linear in cost and quantity, and a credit is priced on |amount| with
// the line's sign, so a group whose lines share both signs prices as the sum of its lines.
// Under market fx a line's date picks its rate: lines also agree on the latest rate date
// on or before their own (`rateDates`, every date of the frozen table), so a group's
// earliest date finds the rate each of its lines would.
//
// A group's key is the md5 of those columns as text, spelled by one expression per line
// (groupKey), so the lineage insert finds exactly a group's lines again without sending
// their ids through Node.
//
// A close reads its lines once: stagePeriodUsage copies the period's lines (the columns
// read here, and each line's key) into a temporary table of the close's session, and the
// groups, the cost-check candidates, the input digest and the lineage all read that. It
// copies them from the billing run's staged copy (src/db/run-usage-stage.ts), which read
// usage_lines once for all the run's customers: a customer's lines are spread over as
// many heap pages as it has lines, so reading usage_lines per customer costs about as
// much as reading the whole month once per customer.

/** The group key of a usage_lines row (see the module notes); rateDates: the market table's dates, or none. */
function groupKey(rateDates: readonly string[]): RawBuilder<string> {
  const rateFrom = rateDates.length === 0 ? sql`null::date` : sql`(select max(d) from unnest(${[...rateDates]}::date[]) d where d <= usage_date)`;
  return sql<string>`md5(row(coalesce(entitlement_id, subscription_id), product_id, sku_id, product_name, sku_name, publisher_name,
    unit_price, effective_unit_price, pricing_currency, billing_currency, pc_to_bc_exchange_rate, pc_to_bc_exchange_rate_date,
    tags, resource_group, meter_id, meter_category, meter_name, sign(billing_pre_tax_total), sign(quantity), ${rateFrom})::text)`;
}

/** The session's copy of the period's usage (see the module notes). */
const STAGED = sql.raw('pg_temp.close_period_usage');

/**
 * Copy the period's usage lines, with their group keys, into this session's temporary
 * table (replacing any earlier copy). Run it inside the close's snapshot, on the one
 * connection that then reads the groups and writes the lineage. `from`: the billing
 * run's staged copy of the customer's lines (src/db/run-usage-stage.ts), used when it
 * yields the number of lines the run counted into it (an unlogged copy comes back empty
 * after a crash); else usage_lines are read.
 */
export async function stagePeriodUsage(db: Db, customerId: string, period: BillingPeriod, rateDates: readonly string[], from: RunStage | null = null): Promise<void> {
  await dropStagedUsage(db);
  const columns = sql.raw(STAGED_USAGE_COLUMNS);
  await sql`create temporary table close_period_usage as select ${columns}, ${groupKey(rateDates)} as key from usage_lines with no data`.execute(db);
  const copy = (source: RawBuilder<unknown>) => db.executeQuery(sql`insert into ${STAGED} select ${columns}, ${groupKey(rateDates)} from ${source}`.compile(db));
  if (from) {
    const copied = await copy(from.partition);
    if (copied.numAffectedRows === from.lineCount) return;
    await sql`truncate ${STAGED}`.execute(db);
  }
  await copy(sql`usage_lines where ${periodUsageFilter(customerId, period)}`);
}

/** Drop this session's copy of a period's usage, if any. */
export async function dropStagedUsage(db: Db): Promise<void> {
  await sql`drop table if exists ${STAGED}`.execute(db);
}

interface GroupRow extends PeriodUsageRow {
  key: string;
  line_count: number;
}

export interface UsageGroups {
  /** One UsageLine per group, its `group` set; in the order of their first lines. */
  groups: UsageLine[];
  /** How many source lines they sum. */
  lineCount: number;
}

/**
 * The staged period's usage as groups (see the module notes): a customer's month of ~30
 * daily lines per resource and meter comes back as one line per meter, tags and sign.
 *
 * @example
 *   await stagePeriodUsage(trx, customerId, '2026-10', []);
 *   const { groups } = await loadUsageGroups(trx, customerId, 'USD');
 */
export async function loadUsageGroups(db: Db, customerId: string, currency: CurrencyCode): Promise<UsageGroups> {
  const rows = await sql<GroupRow>`
    with groups as (
      select key, min(id) as first_id, count(*)::int as line_count, sum(quantity) as quantity,
        sum(billing_pre_tax_total) as billing_pre_tax_total, min(usage_date) as usage_date
      from ${STAGED} group by key
    )
    select g.key, g.line_count, g.first_id as id, l.revision, to_char(g.usage_date, 'YYYY-MM-DD') as usage_date,
      g.quantity::text as quantity, g.billing_pre_tax_total::text as billing_pre_tax_total, ${sql.raw(PERIOD_USAGE_DIMS)}
    from groups g join ${STAGED} l on l.id = g.first_id
    order by g.first_id`.execute(db);
  let lineCount = 0;
  const groups = rows.rows.map((row) => {
    lineCount += row.line_count;
    return { ...usageLineOf(row, currency, customerId), group: { key: row.key, lineCount: row.line_count } };
  });
  return { groups, lineCount };
}

/**
 * The staged period's usage lines whose BillingPreTaxTotal differs from Microsoft's
 * formula FLOOR(EffectiveUnitPrice × Quantity × PCToBCExchangeRate, 2), computed exactly
 * in `numeric` (trunc is ROUNDDOWN toward zero): the few lines the engine's cost check
 * (src/engine/cost-check.ts, which decides and words the finding) needs to see, where a
 * group's sums cannot be checked. Missing figures read as the engine reads them (0, rate 1).
 */
export async function loadCostCheckCandidates(db: Db, customerId: string, currency: CurrencyCode): Promise<UsageLine[]> {
  const rows = await sql<PeriodUsageRow>`
    select id, revision, to_char(usage_date, 'YYYY-MM-DD') as usage_date, quantity::text, billing_pre_tax_total::text, ${sql.raw(PERIOD_USAGE_DIMS)}
    from ${STAGED}
    where coalesce(billing_pre_tax_total, 0) <> trunc(coalesce(effective_unit_price, 0) * coalesce(quantity, 0) * coalesce(pc_to_bc_exchange_rate, 1), 2)
    order by id`.execute(db);
  return rows.rows.map((row) => usageLineOf(row, currency, customerId));
}

/** The staged period's usage count and digest (see usageDigest). */
export async function stagedUsageDigest(db: Db): Promise<{ count: number; digest: string }> {
  return usageDigest(db, sql`${STAGED}`);
}

/** One grouped lineage row to insert: the invoice_line_sources columns, and the groups whose lines it traces. */
export interface GroupedLineageRow {
  columns: Record<string, unknown>;
  groupKeys: readonly string[];
  /** Σ of the groups' line counts, checked against the lines found. */
  lineCount: number;
}

/**
 * Insert lineage rows whose source lines are groups of the staged period's usage: each
 * row's usage_line_ids are the ids of its groups' lines, found and aggregated by one
 * INSERT … SELECT (the ids never pass through Node). Run it on the session that staged
 * them. Throws when a row finds other than the lines its groups counted (a group key the
 * staged lines do not have): nothing is saved.
 */
export async function insertGroupedLineage(db: Db, rows: readonly GroupedLineageRow[]): Promise<void> {
  if (rows.length === 0) return;
  const wanted = rows.flatMap((r, idx) => r.groupKeys.map((key) => ({ idx, key })));
  const payload = rows.map((r, idx) => ({ idx, expected: r.lineCount, ...r.columns }));
  const result = await sql<{ idx: number; expected: number; found: number }>`
    with wanted as (
      select * from jsonb_to_recordset(${JSON.stringify(wanted)}::jsonb) as w(idx int, key text)
    ), found as (
      select w.idx, array_agg(l.id order by l.id) as ids from wanted w join ${STAGED} l on l.key = w.key group by w.idx
    ), r as (
      select * from jsonb_to_recordset(${JSON.stringify(payload)}::jsonb) as r(
        idx int, expected int, invoice_line_id uuid, source_kind text, rate_rule_id text, rate_card_id uuid, rate_card_version int,
        basis text, markup_percent numeric, unit_price numeric, fx jsonb, cost_fx jsonb, allocation_rule_id uuid,
        allocation_rule_version int, cost_node_id uuid, percent numeric, rounding jsonb, quantity numeric, cost numeric,
        unrounded_price numeric, price numeric, allocated_amount numeric)
    ), inserted as (
      insert into invoice_line_sources (invoice_line_id, source_kind, rate_rule_id, rate_card_id, rate_card_version, basis, markup_percent,
        unit_price, fx, cost_fx, allocation_rule_id, allocation_rule_version, cost_node_id, percent, rounding, usage_line_ids, license_line_ids,
        line_count, quantity, cost, unrounded_price, price, allocated_amount)
      select r.invoice_line_id, r.source_kind, r.rate_rule_id, r.rate_card_id, r.rate_card_version, r.basis, r.markup_percent,
        r.unit_price, r.fx, r.cost_fx, r.allocation_rule_id, r.allocation_rule_version, r.cost_node_id, r.percent, r.rounding,
        coalesce(f.ids, '{}'), null, coalesce(cardinality(f.ids), 0), r.quantity, r.cost, r.unrounded_price, r.price, r.allocated_amount
      from r left join found f on f.idx = r.idx
      returning line_count
    )
    select r.idx, r.expected, coalesce(cardinality(f.ids), 0)::int as found from r left join found f on f.idx = r.idx
    where r.expected <> coalesce(cardinality(f.ids), 0)`.execute(db);
  const mismatch = result.rows[0];
  if (mismatch) {
    throw new Error(`A lineage row's usage groups counted ${mismatch.expected} lines, but ${mismatch.found} were found under their keys`);
  }
}
