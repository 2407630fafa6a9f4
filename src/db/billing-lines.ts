import { createHash } from 'node:crypto';
import { sql } from 'kysely';
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

export type SourceKind = 'usage' | 'license' | 'usage_reversal' | 'license_reversal';

const PREFIX: Record<string, SourceKind> = { u: 'usage', l: 'license', ru: 'usage_reversal', rl: 'license_reversal' };

/** Where an engine line id points. @example sourceOfLineId('u:42') // { kind: 'usage', id: '42' } */
export function sourceOfLineId(lineId: string): { kind: SourceKind; id: string } {
  const colon = lineId.indexOf(':');
  const kind = PREFIX[lineId.slice(0, colon)];
  if (colon < 0 || !kind) throw new Error(`not a billing line id: ${lineId}`);
  return { kind, id: lineId.slice(colon + 1) };
}

/**
 * A usage row as the close reads it: the per-line figures as columns, and everything a
 * customer's lines repeat (product, meter, resource, prices, rate, tags) as one JSON
 * array, `dims`, which is parsed once per distinct value and shared by the lines that
 * carry it: a month has ~30 lines per resource and meter, all alike but for date and amounts.
 */
interface PeriodUsageRow {
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
const PERIOD_USAGE_COLUMNS = `id, revision, usage_date, quantity::text, billing_pre_tax_total::text,
  json_build_array(coalesce(entitlement_id, subscription_id), product_id, sku_id, product_name, sku_name, publisher_name,
    unit_price::text, effective_unit_price::text, pricing_currency, billing_currency, pc_to_bc_exchange_rate::text,
    pc_to_bc_exchange_rate_date, tags, resource_group, meter_id, meter_category, meter_name)::text as dims`;
const USAGE_COLUMNS = sql.raw(`${PERIOD_USAGE_COLUMNS}, customer_id, supersedes_id, to_char(usage_date, 'YYYY-MM') as period`);

const LICENSE_COLUMNS = sql.raw(`id, revision, customer_id, charge_period, subscription_id, product_id, sku_id, product_name, sku_name,
  publisher_name, charge_type, billable_quantity::text, quantity::text, unit_price::text, effective_unit_price::text, pricing_currency,
  currency, pc_to_bc_exchange_rate::text, pc_to_bc_exchange_rate_date, subtotal::text,
  to_char(charge_start_date at time zone 'UTC', 'YYYY-MM-DD') as start_day, to_char(charge_end_date at time zone 'UTC', 'YYYY-MM-DD') as end_day,
  billing_frequency, supersedes_id`);

const ONE_DEC = new Decimal(1);

// Decimals are immutable, so lines share one instance per distinct text of a repetitive
// column (unit prices, rates); the caches are bounded and cleared when full.
const decimals = new Map<string, Decimal>();
const dec = (value: string | null, fallback: Decimal = ZERO): Decimal => {
  if (value === null || value === '') return fallback;
  let d = decimals.get(value);
  if (d === undefined) {
    if (decimals.size >= 50_000) decimals.clear();
    d = new Decimal(value);
    decimals.set(value, d);
  }
  return d;
};

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

// Distinct dims are about a customer's resources × meters (two customers close at a
// time, each with at most a few thousand); the bound keeps a portfolio's worth from
// piling up across customers (each entry holds its JSON text and a parsed line head).
const MAX_PARSED_DIMS = 10_000;
const parsedDims = new Map<string, UsageDims>();
function dimsOf(text: string): UsageDims {
  let dims = parsedDims.get(text);
  if (dims === undefined) {
    const a = JSON.parse(text) as DimsArray;
    const raw = a[12];
    let tags = EMPTY_TAGS;
    if (raw && Object.keys(raw).length > 0) {
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(raw)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
      tags = Object.freeze(out);
    }
    dims = {
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
    if (parsedDims.size >= MAX_PARSED_DIMS) parsedDims.clear();
    parsedDims.set(text, dims);
  }
  return dims;
}
const EMPTY_TAGS: Readonly<Record<string, string>> = Object.freeze({});

function usageLineOf(row: PeriodUsageRow, currency: CurrencyCode, customerId: string, id = `u:${row.id}`, negate = false): UsageLine {
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

export interface PeriodLines {
  lines: BillingLine[];
  usageCount: number;
  licenseCount: number;
  /** sha256 over every line's id, revision and amounts, in id order. */
  digest: string;
}

/**
 * A customer's usage and licence lines of a billing period, as the close froze them:
 * lines stored late (after the period closed) are left for a later close's adjustments.
 *
 * @example const { lines } = await loadPeriodLines(db, customerId, '2026-10', 'USD');
 */
export async function loadPeriodLines(db: Db, customerId: string, period: BillingPeriod, currency: CurrencyCode): Promise<PeriodLines> {
  // The close's own cursor, read to the end: one definition of which lines a period holds.
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const cursor = await openPeriodLines(trx, customerId, period, currency);
      const lines: BillingLine[] = [];
      await cursor.readUsage((batch) => {
        for (const line of batch) lines.push(line);
      });
      for (const line of cursor.licence) lines.push(line);
      return { lines, usageCount: cursor.usageCount(), licenseCount: cursor.licenseCount, digest: cursor.digest() };
    });
}

/**
 * A customer's lines of a billing period, read through a cursor: usage in id order and
 * in batches, so a close holds one batch of rows at a time however many the customer has. Licence lines are
 * few (one or two per subscription) and come whole.
 */
export interface PeriodLineCursor {
  licence: LicenseLine[];
  /**
   * Reads the usage lines in id order, `batchSize` at a time, once: `onBatch` gets each
   * batch (the next is fetched meanwhile) and may return false to stop; `afterBatch` runs
   * once the batch is garbage. A batch lives only while `onBatch` runs: the reader keeps
   * no reference to it or its rows, so neither outlives a young-generation collection or
   * two (held across the wait for the next batch, rows and lines were half of what a
   * close promoted to V8's old generation, which the close's releases must then return).
   */
  readUsage(onBatch: (batch: readonly UsageLine[]) => boolean | void, afterBatch?: () => void): Promise<void>;
  usageCount(): number;
  licenseCount: number;
  /** The input digest (see PeriodLines.digest); known once readUsage() has read every line. */
  digest(): string;
}

let cursors = 0;

/**
 * Open the cursor inside `trx`: run it in a repeatable-read transaction and every batch
 * (and every other read in it) sees the same snapshot, as one query would.
 *
 * @example
 *   const lines = await openPeriodLines(trx, customerId, '2026-10', 'USD');
 *   await lines.readUsage((batch) => close.addLines(batch));
 *   close.addLines(lines.licence);
 */
export async function openPeriodLines(trx: Db, customerId: string, period: BillingPeriod, currency: CurrencyCode, batchSize = 1000): Promise<PeriodLineCursor> {
  const { start, end } = periodBounds(period);
  const licenses = await sql<LicenseRow>`
    select ${LICENSE_COLUMNS} from license_lines
    where customer_id = ${customerId}::uuid and charge_period = ${period} and not late
    order by id`.execute(trx);
  const licence = licenses.rows.map((row) => licenseLineOf(row, currency));
  const cursor = sql.raw(`period_usage_${(cursors += 1)}`);
  // The cursor sorts the customer's month by id: 30,000 rows of ~500 bytes for a large
  // customer, which the default 4 MB of work_mem would spill to disk. For this transaction only.
  await sql`set local work_mem = '64MB'`.execute(trx);
  await sql`declare ${cursor} no scroll cursor for
    select ${sql.raw(PERIOD_USAGE_COLUMNS)} from usage_lines
    where customer_id = ${customerId}::uuid and usage_date >= ${start}::date and usage_date <= ${end}::date and not late
    order by id`.execute(trx);
  const hash = createHash('sha256');
  let usageCount = 0;
  let read = false;
  let done = false;
  let digest: string | null = null;
  const fetch = () => sql<PeriodUsageRow>`fetch forward ${sql.raw(String(batchSize))} from ${cursor}`.execute(trx).then((r) => r.rows);
  return {
    licence,
    licenseCount: licence.length,
    usageCount: () => usageCount,
    async readUsage(onBatch, afterBatch) {
      if (read) throw new Error('the period usage is read once');
      read = true;
      // Sync, so the batch is in no suspended frame: it is garbage when this returns.
      const feed = (rows: PeriodUsageRow[]): boolean => {
        const batch: UsageLine[] = new Array(rows.length);
        for (let i = 0; i < rows.length; i += 1) {
          const row = rows[i] as PeriodUsageRow;
          hash.update(fingerprintOf('u', row.id, row.revision, row.quantity, row.billing_pre_tax_total));
          batch[i] = usageLineOf(row, currency, customerId);
        }
        usageCount += rows.length;
        rows.length = 0;
        return onBatch(batch) !== false;
      };
      let next: Promise<PeriodUsageRow[]> | null = fetch();
      try {
        while (next) {
          const rows: PeriodUsageRow[] = await next;
          next = rows.length === batchSize ? fetch() : null;
          if (rows.length === 0) break;
          if (!feed(rows)) return;
          afterBatch?.();
        }
        done = true;
      } finally {
        // A reader that stops early leaves a fetch in flight: wait for it, so its failure is not unhandled.
        if (next) await next.catch(() => undefined);
      }
    },
    digest() {
      if (!done) throw new Error('the period digest needs every usage line read first');
      if (digest === null) {
        for (const row of licenses.rows) hash.update(fingerprintOf('l', row.id, row.revision, row.billable_quantity ?? row.quantity, row.subtotal));
        digest = hash.digest('hex');
      }
      return digest;
    },
  };
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
