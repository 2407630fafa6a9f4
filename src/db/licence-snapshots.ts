import { sql } from 'kysely';
import { GRAPH_SKU_PRODUCTS } from '../connectors/partner-center/graph-skus.ts';
import { Decimal } from '../engine/decimal.ts';
import type { LicenceSnapshot } from '../engine/licence-anomaly.ts';
import type { Db } from './database.ts';

export interface SeenSku {
  skuId: string;
  skuPartNumber: string;
  enabled: number;
  consumed: number;
  suspended: number;
  warning: number;
  capabilityStatus: string;
  appliesTo: string | null;
}

/** One day's licence snapshot of a customer's tenant; a second read the same day replaces the first. */
export async function saveLicenceSnapshots(db: Db, input: { customerId: string; connectionId: string | null; observedOn: string }, skus: readonly SeenSku[]): Promise<number> {
  if (skus.length === 0) return 0;
  await db
    .insertInto('licence_snapshots')
    .values(
      skus.map((s) => ({
        customer_id: input.customerId,
        connection_id: input.connectionId,
        sku_id: s.skuId.toLowerCase(),
        sku_part_number: s.skuPartNumber,
        observed_on: input.observedOn,
        enabled: s.enabled,
        consumed: s.consumed,
        suspended: s.suspended,
        warning: s.warning,
        capability_status: s.capabilityStatus,
        applies_to: s.appliesTo,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['customer_id', 'sku_id', 'observed_on']).doUpdateSet((eb) => ({
        connection_id: eb.ref('excluded.connection_id'),
        sku_part_number: eb.ref('excluded.sku_part_number'),
        enabled: eb.ref('excluded.enabled'),
        consumed: eb.ref('excluded.consumed'),
        suspended: eb.ref('excluded.suspended'),
        warning: eb.ref('excluded.warning'),
        capability_status: eb.ref('excluded.capability_status'),
        applies_to: eb.ref('excluded.applies_to'),
      })),
    )
    .execute();
  return skus.length;
}

export interface SkuSeries {
  skuId: string;
  skuPartNumber: string;
  snapshots: LicenceSnapshot[];
}

/** A customer's snapshots up to `to`, per SKU (user-assignable SKUs only: company-wide ones have no seats to assign). */
export async function loadLicenceSeries(db: Db, customerId: string, to: string): Promise<SkuSeries[]> {
  const rows = await db
    .selectFrom('licence_snapshots')
    .select(['sku_id', 'sku_part_number', sql<string>`observed_on::text`.as('day'), 'enabled', 'consumed'])
    .where('customer_id', '=', customerId)
    .where('observed_on', '<=', to)
    .where((eb) => eb.or([eb('applies_to', 'is', null), eb('applies_to', '=', 'User')]))
    .orderBy('sku_id')
    .orderBy('observed_on')
    .execute();
  const bySku = new Map<string, SkuSeries>();
  for (const r of rows) {
    const series = bySku.get(r.sku_id) ?? { skuId: r.sku_id, skuPartNumber: r.sku_part_number, snapshots: [] };
    series.skuPartNumber = r.sku_part_number;
    series.snapshots.push({ date: r.day, enabled: r.enabled, consumed: r.consumed });
    bySku.set(r.sku_id, series);
  }
  return [...bySku.values()];
}

const CYCLE_MONTHS: Readonly<Record<string, number>> = { monthly: 1, annual: 12, triennial: 36 };

/**
 * A seat's price per month in the customer's billing currency: the unit price of the
 * customer's latest licence charge for the SKU's product (a purchase, renewal or cycle
 * charge: Microsoft's price per billing cycle, in the pricing currency) × the line's
 * pricing-to-billing exchange rate ÷ the months in its billing cycle. Null when the hub
 * has no such line.
 */
export async function loadMonthlySeatPrice(db: Db, customerId: string, skuId: string): Promise<{ monthlyUnitPrice: Decimal; currency: string } | null> {
  const product = GRAPH_SKU_PRODUCTS[skuId.toLowerCase()];
  if (!product) return null;
  const line = await db
    .selectFrom('license_lines')
    .select(['unit_price', 'pc_to_bc_exchange_rate', 'billing_frequency', 'currency'])
    .where('customer_id', '=', customerId)
    .where('product_id', '=', product.productId)
    .where('charge_type', 'in', ['new', 'renew', 'cycleCharge', 'convert'])
    .where('unit_price', 'is not', null)
    .where('currency', 'is not', null)
    .orderBy('charge_start_date', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  const months = CYCLE_MONTHS[(line?.billing_frequency ?? '').toLowerCase()];
  if (!line?.unit_price || !line.currency || months === undefined) return null;
  const rate = new Decimal(line.pc_to_bc_exchange_rate ?? 1);
  return { monthlyUnitPrice: new Decimal(line.unit_price).times(rate).div(months), currency: line.currency };
}
