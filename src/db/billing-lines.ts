import { createHash } from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import { Decimal, ZERO } from '../engine/decimal.ts';
import { addDays, addMonthsClamped, daysInclusive, periodBounds } from '../engine/dates.ts';
import type { BillingLine, BillingPeriod, CurrencyCode, IsoDate, LicenseLine, UsageLine } from '../engine/types.ts';
import type { Db } from './database.ts';

// Reads a customer's canonical Partner Center lines as the billing engine's lines: only
// the columns the engine needs, numerics as Decimal, one customer at a time (a close
// never holds more than one customer's month in memory).
//
// Engine line ids say where a line came from, so lineage can be written back:
//   'u:<usage_lines.id>', 'l:<license_lines.id>', and for a late revision the reversal of
//   the frozen line it supersedes: 'ru:<usage_lines.id>' / 'rl:<license_lines.id>'.

/**
 * labour: one version of a PSA time entry (a labour_lines row), billed on a combined
 * invoice; labour_reversal: a billed version a late change takes back ('rpl:<id>').
 */
export type SourceKind = 'usage' | 'license' | 'usage_reversal' | 'license_reversal' | 'labour' | 'labour_reversal';

const PREFIX: Record<string, SourceKind> = { u: 'usage', l: 'license', ru: 'usage_reversal', rl: 'license_reversal', pl: 'labour', rpl: 'labour_reversal' };

/** Where an engine line id points. @example sourceOfLineId('u:42') // { kind: 'usage', id: '42' } */
export function sourceOfLineId(lineId: string): { kind: SourceKind; id: string } {
  const colon = lineId.indexOf(':');
  const kind = PREFIX[lineId.slice(0, colon)];
  if (colon < 0 || !kind) throw new Error(`not a billing line id: ${lineId}`);
  return { kind, id: lineId.slice(colon + 1) };
}

/**
 * A usage row as the close reads it (a line, or a group of lines: src/db/usage-groups.ts):
 * the figures as columns, and everything pricing reads besides (product, meter, resource,
 * prices, rate, tags) as one JSON array, `dims`.
 */
export interface PeriodUsageRow {
  id: number;
  revision: number;
  usage_date: string;
  quantity: string | null;
  billing_pre_tax_total: string | null;
  dims: string;
}

/** A late usage row also says which customer, which frozen line it revises and which period it is for. */
interface UsageRow extends PeriodUsageRow {
  customer_id: string;
  supersedes_id: number | null;
  period: string;
}

interface LicenseRow {
  id: string;
  revision: number;
  customer_id: string;
  charge_period: string;
  subscription_id: string | null;
  product_id: string | null;
  sku_id: string | null;
  product_name: string | null;
  sku_name: string | null;
  publisher_name: string | null;
  charge_type: string | null;
  billable_quantity: string | null;
  quantity: string | null;
  unit_price: string | null;
  effective_unit_price: string | null;
  pricing_currency: string | null;
  currency: string | null;
  pc_to_bc_exchange_rate: string | null;
  pc_to_bc_exchange_rate_date: string | null;
  subtotal: string | null;
  start_day: string | null;
  end_day: string | null;
  billing_frequency: string | null;
  supersedes_id: string | null;
}

// Numerics travel as JSON strings (exact); the subscription is EntitlementId, else SubscriptionId.
export const PERIOD_USAGE_DIMS = `json_build_array(coalesce(entitlement_id, subscription_id), product_id, sku_id, product_name, sku_name, publisher_name,
    unit_price::text, effective_unit_price::text, pricing_currency, billing_currency, pc_to_bc_exchange_rate::text,
    pc_to_bc_exchange_rate_date, tags, resource_group, meter_id, meter_category, meter_name)::text as dims`;
export const PERIOD_USAGE_COLUMNS = `id, revision, usage_date, quantity::text, billing_pre_tax_total::text, ${PERIOD_USAGE_DIMS}`;
const USAGE_COLUMNS = sql.raw(`${PERIOD_USAGE_COLUMNS}, customer_id, supersedes_id, to_char(usage_date, 'YYYY-MM') as period`);

const LICENSE_COLUMNS = sql.raw(`id, revision, customer_id, charge_period, subscription_id, product_id, sku_id, product_name, sku_name,
  publisher_name, charge_type, billable_quantity::text, quantity::text, unit_price::text, effective_unit_price::text, pricing_currency,
  currency, pc_to_bc_exchange_rate::text, pc_to_bc_exchange_rate_date, subtotal::text,
  to_char(charge_start_date at time zone 'UTC', 'YYYY-MM-DD') as start_day, to_char(charge_end_date at time zone 'UTC', 'YYYY-MM-DD') as end_day,
  billing_frequency, supersedes_id`);

const ONE_DEC = new Decimal(1);

const dec = (value: string | null, fallback: Decimal = ZERO): Decimal => (value === null || value === '' ? fallback : new Decimal(value));

type DimsArray = [
  subscriptionId: string | null,
  productId: string | null,
  skuId: string | null,
  productName: string | null,
  skuName: string | null,
  publisherName: string | null,
  unitPrice: string | null,
  effectiveUnitPrice: string | null,
  pricingCurrency: string | null,
  billingCurrency: string | null,
  rate: string | null,
  rateDate: string | null,
  tags: Record<string, unknown> | null,
  resourceGroup: string | null,
  meterId: string | null,
  meterCategory: string | null,
  meterName: string | null,
];

/** What a usage line takes from its `dims`; currencies and the rate date stay raw (a line falls back on its own). */
type UsageDims = Pick<
  UsageLine,
  'subscriptionId' | 'productId' | 'skuId' | 'productName' | 'skuName' | 'publisherName' | 'unitPrice' | 'effectiveUnitPrice' | 'tags' | 'resourceGroup' | 'meterId' | 'meterCategory' | 'meterName'
> & { pricingCurrency: string | null; billingCurrency: string | null; rate: Decimal; rateDate: string | null };

function dimsOf(text: string): UsageDims {
  const a = JSON.parse(text) as DimsArray;
  const raw = a[12];
  let tags = EMPTY_TAGS;
  if (raw && Object.keys(raw).length > 0) {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
    tags = Object.freeze(out);
  }
  return {
    subscriptionId: a[0] ?? '',
    productId: a[1] ?? '',
    skuId: a[2] ?? '',
    productName: a[3],
    skuName: a[4],
    publisherName: a[5],
    unitPrice: dec(a[6]),
    effectiveUnitPrice: dec(a[7]),
    pricingCurrency: a[8],
    billingCurrency: a[9],
    rate: dec(a[10], ONE_DEC),
    rateDate: a[11],
    tags,
    resourceGroup: a[13],
    meterId: a[14],
    meterCategory: a[15],
    meterName: a[16],
  };
}
const EMPTY_TAGS: Readonly<Record<string, string>> = Object.freeze({});

export function usageLineOf(row: Omit<PeriodUsageRow, 'revision'>, currency: CurrencyCode, customerId: string, id = `u:${row.id}`, negate = false): UsageLine {
  const d = dimsOf(row.dims);
  const billingCurrency = d.billingCurrency || d.pricingCurrency || currency;
  const quantity = dec(row.quantity);
  const cost = dec(row.billing_pre_tax_total);
  return {
    kind: 'usage',
    id,
    customerId,
    subscriptionId: d.subscriptionId,
    productId: d.productId,
    skuId: d.skuId,
    productName: d.productName,
    skuName: d.skuName,
    publisherName: d.publisherName,
    date: row.usage_date,
    quantity: negate ? quantity.negated() : quantity,
    unitPrice: d.unitPrice,
    effectiveUnitPrice: d.effectiveUnitPrice,
    pricingCurrency: d.pricingCurrency || billingCurrency,
    billingCurrency,
    pcToBCExchangeRate: d.rate,
    pcToBCExchangeRateDate: d.rateDate ?? row.usage_date,
    cost: negate ? cost.negated() : cost,
    tags: d.tags,
    resourceGroup: d.resourceGroup,
    meterId: d.meterId,
    meterCategory: d.meterCategory,
    meterName: d.meterName,
  };
}

/**
 * The share of its charge cycle a licence line bills: ChargeStartDate..ChargeEndDate
 * (inclusive) over the cycle ending on ChargeEndDate (a month, or a year for annual
 * billing). A line without dates counts as a full cycle.
 */
export function chargeDaysOf(startDay: IsoDate | null, endDay: IsoDate | null, billingFrequency: string | null): { days: number; daysInCycle: number } {
  if (!startDay || !endDay || endDay < startDay) return { days: 1, daysInCycle: 1 };
  const months = /annual|year/i.test(billingFrequency ?? '') ? 12 : /trienn/i.test(billingFrequency ?? '') ? 36 : 1;
  const cycleStart = addMonthsClamped(addDays(endDay, 1), -months);
  const daysInCycle = daysInclusive(cycleStart, endDay);
  return { days: Math.min(daysInclusive(startDay, endDay), daysInCycle), daysInCycle };
}

function licenseLineOf(row: LicenseRow, currency: CurrencyCode, id = `l:${row.id}`, negate = false): LicenseLine {
  const billingCurrency = row.currency || row.pricing_currency || currency;
  const quantity = dec(row.billable_quantity ?? row.quantity);
  const cost = dec(row.subtotal);
  const date = row.start_day ?? periodBounds(row.charge_period).start;
  return {
    kind: 'license',
    id,
    customerId: row.customer_id,
    subscriptionId: row.subscription_id ?? '',
    productId: row.product_id ?? '',
    skuId: row.sku_id ?? '',
    productName: row.product_name,
    skuName: row.sku_name,
    publisherName: row.publisher_name,
    date,
    quantity: negate ? quantity.negated() : quantity,
    unitPrice: dec(row.unit_price),
    effectiveUnitPrice: dec(row.effective_unit_price),
    pricingCurrency: row.pricing_currency || billingCurrency,
    billingCurrency,
    pcToBCExchangeRate: dec(row.pc_to_bc_exchange_rate, ONE_DEC),
    pcToBCExchangeRateDate: row.pc_to_bc_exchange_rate_date ?? date,
    cost: negate ? cost.negated() : cost,
    tags: {},
    pricingModel: /usage/i.test(row.charge_type ?? '') ? 'usage' : 'seat',
    chargeType: row.charge_type ?? '',
    chargeDays: chargeDaysOf(row.start_day, row.end_day, row.billing_frequency),
  };
}

/** A line's identity for the input fingerprint: which row, which revision, which amounts. */
function fingerprintOf(kind: string, id: string | number, revision: number, quantity: string | null, cost: string | null): string {
  return `${kind}:${id}:${revision}:${quantity ?? ''}:${cost ?? ''}\n`;
}

/** Lines of the period a close bills: the customer's, dated in the period, not stored late. */
export function periodUsageFilter(customerId: string, period: BillingPeriod): RawBuilder<unknown> {
  const { start, end } = periodBounds(period);
  return sql`customer_id = ${customerId}::uuid and usage_date >= ${start}::date and usage_date <= ${end}::date and not late`;
}

/** This period's licence lines (few: one or two per subscription), and their part of the input fingerprint. */
export async function loadPeriodLicences(db: Db, customerId: string, period: BillingPeriod, currency: CurrencyCode): Promise<{ lines: LicenseLine[]; fingerprint: string }> {
  const rows = await sql<LicenseRow>`
    select ${LICENSE_COLUMNS} from license_lines
    where customer_id = ${customerId}::uuid and charge_period = ${period} and not late
    order by id`.execute(db);
  return {
    lines: rows.rows.map((row) => licenseLineOf(row, currency)),
    fingerprint: rows.rows.map((row) => fingerprintOf('l', row.id, row.revision, row.billable_quantity ?? row.quantity, row.subtotal)).join(''),
  };
}

/**
 * A usage line's part of the usage digest: a hash of its id and revision (every change to
 * a stored line's vendor columns or tags raises its revision). The digest sums these, so
 * it is the same whether the lines are summed one by one or group by group.
 */
export const LINE_DIGEST = 'hashint8extended(id, revision)';

/** Usage lines for the input fingerprint: sha256 over how many there are and the sum of their LINE_DIGEST. */
export function usageDigestOf(count: number, digestSum: string): string {
  return createHash('sha256').update(`${count}:${digestSum}`).digest('hex');
}

/** The period's input digest: its usage digest and its licence lines' fingerprints. */
export function periodDigest(usageDigest: string, licenceFingerprint: string): string {
  return createHash('sha256').update(`usage:${usageDigest}\n`).update(licenceFingerprint).digest('hex');
}

export interface PeriodLines {
  lines: BillingLine[];
  usageCount: number;
  licenseCount: number;
  /** The period's input digest (see periodDigest). */
  digest: string;
}

/**
 * A customer's usage and licence lines of a billing period, one engine line per source
 * line, as the close freezes them: lines stored late (after the period closed) are left
 * for a later close's adjustments. The close itself reads the usage summed into groups
 * (loadUsageGroups); this is the line-by-line view of the same lines.
 *
 * @example const { lines } = await loadPeriodLines(db, customerId, '2026-10', 'USD');
 */
export async function loadPeriodLines(db: Db, customerId: string, period: BillingPeriod, currency: CurrencyCode): Promise<PeriodLines> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const usage = await sql<PeriodUsageRow>`
        select ${sql.raw(PERIOD_USAGE_COLUMNS)} from usage_lines where ${periodUsageFilter(customerId, period)} order by id`.execute(trx);
      const licences = await loadPeriodLicences(trx, customerId, period, currency);
      const sums = await sql<{ count: number; digest: string }>`
        select count(*)::int as count, coalesce(sum(${sql.raw(LINE_DIGEST)}), 0)::text as digest from usage_lines where ${periodUsageFilter(customerId, period)}`.execute(trx);
      const digest = usageDigestOf(sums.rows[0]!.count, sums.rows[0]!.digest);
      const lines: BillingLine[] = usage.rows.map((row) => usageLineOf(row, currency, customerId));
      for (const line of licences.lines) lines.push(line);
      return { lines, usageCount: usage.rows.length, licenseCount: licences.lines.length, digest: periodDigest(digest, licences.fingerprint) };
    });
}

export interface LateGroup {
  /** The earlier, closed period the lines belong to. */
  period: BillingPeriod;
  /** Late lines, and the reversal of each frozen line a late revision supersedes. */
  lines: BillingLine[];
  usageIds: number[];
  licenseIds: string[];
}

export interface LateLines {
  groups: LateGroup[];
  count: number;
  digest: string;
}

/**
 * Late lines a close of `period` bills as adjustments: lines stored late for earlier
 * (closed) periods that no close has picked up yet, or that an earlier run of this same
 * period picked up (a re-run keeps them). A late revision of a frozen line comes with
 * the reversal of that line, so the adjustment is the difference.
 */
export async function loadLateLines(db: Db, customerId: string, period: BillingPeriod, currency: CurrencyCode): Promise<LateLines> {
  const { start } = periodBounds(period);
  const pickedBySamePeriod = sql`picked_up_by_run in (select id from billing_runs where period = ${period})`;
  const usage = await sql<UsageRow>`
    select ${USAGE_COLUMNS} from usage_lines
    where customer_id = ${customerId}::uuid and late and usage_date < ${start}::date
      and (picked_up_by_run is null or ${pickedBySamePeriod})
    order by id`.execute(db);
  const licenses = await sql<LicenseRow>`
    select ${LICENSE_COLUMNS} from license_lines
    where customer_id = ${customerId}::uuid and late and charge_period < ${period}
      and (picked_up_by_run is null or ${pickedBySamePeriod})
    order by id`.execute(db);

  const supersededUsage = usage.rows.filter((r) => r.supersedes_id !== null).map((r) => r.supersedes_id as number);
  const supersededLicense = licenses.rows.filter((r) => r.supersedes_id !== null).map((r) => r.supersedes_id as string);
  const frozenUsage = supersededUsage.length
    ? (await sql<UsageRow>`select ${USAGE_COLUMNS} from usage_lines where id = any(${supersededUsage}::bigint[]) and customer_id = ${customerId}::uuid`.execute(db)).rows
    : [];
  const frozenLicense = supersededLicense.length
    ? (await sql<LicenseRow>`select ${LICENSE_COLUMNS} from license_lines where id = any(${supersededLicense}::uuid[])`.execute(db)).rows
    : [];
  const frozenUsageById = new Map(frozenUsage.map((r) => [r.id, r]));
  const frozenLicenseById = new Map(frozenLicense.map((r) => [r.id, r]));

  const hash = createHash('sha256');
  const groups = new Map<string, LateGroup>();
  const groupOf = (p: string): LateGroup => {
    let g = groups.get(p);
    if (!g) groups.set(p, (g = { period: p, lines: [], usageIds: [], licenseIds: [] }));
    return g;
  };
  for (const row of usage.rows) {
    const g = groupOf(row.period);
    hash.update(fingerprintOf('u', row.id, row.revision, row.quantity, row.billing_pre_tax_total));
    g.usageIds.push(row.id);
    g.lines.push(usageLineOf(row, currency, customerId));
    const frozen = row.supersedes_id === null ? undefined : frozenUsageById.get(row.supersedes_id);
    if (frozen) {
      hash.update(fingerprintOf('ru', frozen.id, frozen.revision, frozen.quantity, frozen.billing_pre_tax_total));
      g.lines.push(usageLineOf(frozen, currency, frozen.customer_id, `ru:${frozen.id}`, true));
    }
  }
  for (const row of licenses.rows) {
    const g = groupOf(row.charge_period);
    hash.update(fingerprintOf('l', row.id, row.revision, row.billable_quantity ?? row.quantity, row.subtotal));
    g.licenseIds.push(row.id);
    g.lines.push(licenseLineOf(row, currency));
    const frozen = row.supersedes_id === null ? undefined : frozenLicenseById.get(row.supersedes_id);
    if (frozen) {
      hash.update(fingerprintOf('rl', frozen.id, frozen.revision, frozen.billable_quantity ?? frozen.quantity, frozen.subtotal));
      g.lines.push(licenseLineOf(frozen, currency, `rl:${frozen.id}`, true));
    }
  }
  return {
    groups: [...groups.values()].sort((a, b) => (a.period < b.period ? -1 : 1)),
    count: usage.rows.length + licenses.rows.length,
    digest: hash.digest('hex'),
  };
}

/**
 * A customer's lines as they stand now between two dates (`to` excluded), whatever period
 * or close they fell in: usage lines by usage date, licence charges by the day their
 * charge starts; of a revised line only its newest revision. For what a customer has
 * spent over a stretch of days (a trial), not for a close, which freezes its period.
 */
export async function loadCurrentLinesBetween(db: Db, customerId: string, from: IsoDate, to: IsoDate, currency: CurrencyCode): Promise<BillingLine[]> {
  const usage = await sql<PeriodUsageRow>`
    select ${sql.raw(PERIOD_USAGE_COLUMNS)} from usage_lines u
    where u.customer_id = ${customerId}::uuid and u.usage_date >= ${from}::date and u.usage_date < ${to}::date
      and not exists (select 1 from usage_lines n where n.supersedes_id = u.id)
      and not exists (select 1 from usage_lines n where u.supersedes_id is not null and n.supersedes_id = u.supersedes_id and n.id > u.id)
    order by u.id`.execute(db);
  const licences = await sql<LicenseRow>`
    select ${LICENSE_COLUMNS} from license_lines l
    where l.customer_id = ${customerId}::uuid
      and coalesce(to_char(l.charge_start_date at time zone 'UTC', 'YYYY-MM-DD'), l.charge_period || '-01') >= ${from}
      and coalesce(to_char(l.charge_start_date at time zone 'UTC', 'YYYY-MM-DD'), l.charge_period || '-01') < ${to}
      and not exists (select 1 from license_lines n where n.supersedes_id = l.id)
    order by l.id`.execute(db);
  return [...usage.rows.map((row) => usageLineOf(row, currency, customerId)), ...licences.rows.map((row) => licenseLineOf(row, currency))];
}
