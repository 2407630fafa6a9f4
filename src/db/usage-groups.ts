import { sql, type RawBuilder } from 'kysely';
import { periodBounds } from '../engine/dates.ts';
import type { BillingPeriod, CurrencyCode, FxPolicy, UsageLine } from '../engine/types.ts';
import { LINE_DIGEST, PERIOD_USAGE_COLUMNS, PERIOD_USAGE_DIMS, periodUsageFilter, usageDigestOf, usageLineOf, type PeriodUsageRow } from './billing-lines.ts';
import type { Db } from './database.ts';

// A customer's usage of a billing period, summed in PostgreSQL into the groups the engine
// prices: lines that agree on every column pricing, fx, allocation and the invoice line
// read (subscription, product, SKU, names, publisher, prices, currencies, Microsoft's rate
// and its date, tags, resource group, meter) and on the sign of their cost and of their
// quantity. Pricing is linear in cost and quantity, and a credit is priced on |amount| with
// the line's sign, so a group whose lines share both signs prices as the sum of its lines.
// Under market fx a line's date picks its rate: lines also agree on the latest date within
// the period on or before their own on which a rate of the card's table starts (its
// splits), so a group's earliest date finds the rate each of its lines would.
//
// The grouping is one pass (groupedUsage) that writes groups, never lines: per group the
// sums, the line count, its first (lowest) id, which is the group's key, the ids of its
// lines (lineage), the ids of those whose cost differs from Microsoft's formula (the cost
// check's candidates) and its lines' part of the usage digest. A billing run groups every
// customer of the period at once when it fans out (src/db/run-usage-stage.ts); a close
// uses its customer's groups from there, or groups usage_lines itself into a temporary
// table when the run's groups are gone (an unlogged table after a crash) or were split by
// other rate dates than its card's (loadUsageGroups); the lineage insert reads the same.

/** Everything a group's lines agree on (see the module notes), but the rate split. */
const GROUPED_BY = sql.raw(`coalesce(entitlement_id, subscription_id), product_id, sku_id, product_name, sku_name, publisher_name,
  unit_price, effective_unit_price, pricing_currency, billing_currency, pc_to_bc_exchange_rate, pc_to_bc_exchange_rate_date,
  tags, resource_group, meter_id, meter_category, meter_name, sign(billing_pre_tax_total), sign(quantity)`);

/**
 * A line whose BillingPreTaxTotal differs from Microsoft's formula FLOOR(EffectiveUnitPrice ×
 * Quantity × PCToBCExchangeRate, 2), computed exactly in `numeric` (trunc is ROUNDDOWN
 * toward zero): one the engine's cost check (src/engine/cost-check.ts, which decides and
 * words the finding) needs to see, where a group's sums cannot be checked. Missing figures
 * read as the engine reads them (0, rate 1).
 */
const COST_DIFFERS = sql.raw(`coalesce(billing_pre_tax_total, 0) <> trunc(coalesce(effective_unit_price, 0) * coalesce(quantity, 0) * coalesce(pc_to_bc_exchange_rate, 1), 2)`);

/**
 * The groups of the usage lines `from … where` selects (see the module notes), one row per
 * customer and group. `rateFrom`: the line's rate split, when some line's card has any.
 */
export function groupedUsage(from: RawBuilder<unknown>, where: RawBuilder<unknown>, rateFrom: RawBuilder<unknown> | null): RawBuilder<unknown> {
  return sql`
    select customer_id, ${sql.raw(PERIOD_USAGE_DIMS)}, min(id) as first_id, count(*)::int as line_count,
      sum(quantity) as quantity, sum(billing_pre_tax_total) as billing_pre_tax_total, min(usage_date) as usage_date,
      array_agg(id) as ids, array_agg(id) filter (where ${COST_DIFFERS}) as cost_check_ids, sum(${sql.raw(LINE_DIGEST)}) as digest
    from ${from} where ${where}
    group by customer_id, ${GROUPED_BY}${rateFrom ? sql`, ${rateFrom}` : sql``}`;
}

/** Every date of a market fx table (under market fx), else none. */
export function marketRateDates(fx: FxPolicy | null): string[] {
  return fx?.source === 'market' ? [...new Set(fx.table.map((r) => r.date))].sort() : [];
}

/**
 * The dates within the period on which a rate of the table starts, after its first day:
 * the only days on which a line's rate can differ from the day before's.
 * @example rateSplits(['2026-09-30', '2026-10-11'], '2026-10') // ['2026-10-11']
 */
export function rateSplits(rateDates: readonly string[], period: BillingPeriod): string[] {
  const { start, end } = periodBounds(period);
  return [...new Set(rateDates.filter((d) => d > start && d <= end))].sort();
}

/** A customer's part of a billing run's groups (src/db/run-usage-stage.ts): where they are, how many lines the run counted into them, its rate splits. */
export interface RunStage {
  groups: RawBuilder<unknown>;
  lineCount: bigint;
  rateSplits: string[];
}

/** The table a close groups its customer's lines into when it cannot use the run's groups (see loadUsageGroups). */
const OWN_GROUPS = sql.raw('pg_temp.close_usage_groups');

interface GroupRow {
  id: number;
  line_count: number;
  usage_date: string;
  quantity: string | null;
  billing_pre_tax_total: string | null;
  dims: string;
  cost_check_ids: number[] | null;
  digest: string;
}

export interface UsageGroups {
  /** One UsageLine per group, its `group` set; in the order of their first lines. */
  groups: UsageLine[];
  /** How many source lines they sum. */
  lineCount: number;
  /** The usage digest of those lines (see usageDigestOf). */
  digest: string;
  /** The lines whose cost differs from Microsoft's formula (see COST_DIFFERS). */
  costCheckIds: number[];
  /** Where the groups are, for the lineage insert on the same session (insertGroupedLineage). */
  source: RawBuilder<unknown>;
}

async function readGroups(db: Db, source: RawBuilder<unknown>, customerId: string, currency: CurrencyCode): Promise<UsageGroups> {
  const { rows } = await sql<GroupRow>`
    select first_id as id, line_count, to_char(usage_date, 'YYYY-MM-DD') as usage_date, quantity::text as quantity,
      billing_pre_tax_total::text as billing_pre_tax_total, dims, cost_check_ids, digest::text as digest
    from ${source} g order by first_id`.execute(db);
  let lineCount = 0;
  let digest = 0n;
  const costCheckIds: number[] = [];
  const groups = rows.map((row) => {
    lineCount += row.line_count;
    digest += BigInt(row.digest);
    if (row.cost_check_ids) costCheckIds.push(...row.cost_check_ids.map(Number));
    return { ...usageLineOf(row, currency, customerId), group: { key: String(row.id), lineCount: row.line_count } };
  });
  return { groups, lineCount, digest: usageDigestOf(lineCount, digest.toString()), costCheckIds: costCheckIds.sort((a, b) => a - b), source };
}

/**
 * A customer's usage of the period summed into groups (see the module notes): a month of
 * ~30 daily lines per resource and meter comes back as one line per meter, tags and sign.
 * `run`: the billing run's groups, used when the run split them by the same rate dates and
 * they hold the number of lines the run counted into them (an unlogged table comes back
 * empty after a crash); else this session groups usage_lines into a temporary table
 * (dropped by dropStagedUsage). rateDates: the card's market table's dates, or none.
 * Run it inside the close's snapshot, on the connection that then writes the lineage.
 *
 * @example const { groups } = await loadUsageGroups(trx, customerId, '2026-10', 'USD', []);
 */
export async function loadUsageGroups(db: Db, customerId: string, period: BillingPeriod, currency: CurrencyCode, rateDates: readonly string[], run: RunStage | null = null): Promise<UsageGroups> {
  const splits = rateSplits(rateDates, period);
  if (run && run.rateSplits.join() === splits.join()) {
    const usage = await readGroups(db, sql`(select * from ${run.groups} where customer_id = ${customerId}::uuid)`, customerId, currency);
    if (BigInt(usage.lineCount) === run.lineCount) return usage;
  }
  await dropStagedUsage(db);
  const rateFrom = splits.length === 0 ? null : sql`(select max(d) from unnest(${splits}::date[]) d where d <= usage_date)`;
  await sql`create temporary table close_usage_groups as ${groupedUsage(sql`usage_lines`, periodUsageFilter(customerId, period), rateFrom)}`.execute(db);
  return readGroups(db, OWN_GROUPS, customerId, currency);
}

/** Drop this session's own groups of a period's usage, if any. */
export async function dropStagedUsage(db: Db): Promise<void> {
  await sql`drop table if exists ${OWN_GROUPS}`.execute(db);
}

/** The usage lines the grouping found to differ from Microsoft's formula (UsageGroups.costCheckIds), one by one for the engine's cost check. */
export async function loadCostCheckCandidates(db: Db, customerId: string, period: BillingPeriod, currency: CurrencyCode, ids: readonly number[]): Promise<UsageLine[]> {
  if (ids.length === 0) return [];
  const rows = await sql<PeriodUsageRow>`
    select ${sql.raw(PERIOD_USAGE_COLUMNS)} from usage_lines
    where ${periodUsageFilter(customerId, period)} and id = any(${[...ids]}::bigint[])
    order by id`.execute(db);
  return rows.rows.map((row) => usageLineOf(row, currency, customerId));
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
 * row's usage_line_ids are the ids of its groups' lines, gathered by one INSERT … SELECT
 * (the ids never pass through Node). `source`: UsageGroups.source, on the session that
 * read them. Throws when
 * a row finds other than the lines its groups counted (a group key the staged groups do
 * not have): nothing is saved.
 */
export async function insertGroupedLineage(db: Db, source: RawBuilder<unknown>, rows: readonly GroupedLineageRow[]): Promise<void> {
  if (rows.length === 0) return;
  const wanted = rows.flatMap((r, idx) => r.groupKeys.map((key) => ({ idx, key })));
  const payload = rows.map((r, idx) => ({ idx, expected: r.lineCount, ...r.columns }));
  const result = await sql<{ idx: number; expected: number; found: number }>`
    with wanted as (
      select * from jsonb_to_recordset(${JSON.stringify(wanted)}::jsonb) as w(idx int, key bigint)
    ), found as (
      select w.idx, array_agg(i order by i) as ids from wanted w join ${source} g on g.first_id = w.key cross join unnest(g.ids) i group by w.idx
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
