/**
 * Licence assignment inside each customer's tenant, as Microsoft Graph's `subscribedSkus`
 * reports it: per SKU, seats bought (`prepaidUnits`) from the customer's licence
 * subscriptions (active seats enabled, suspended ones suspended) and seats assigned
 * (`consumedUnits`), by default 85–100 % of those bought. Tests and the demo set a SKU's
 * assigned (and bought) seats through `override` (the control API).
 */
import { Rng, seedFrom } from '../prng.ts';
import { dayOf } from './calendar.ts';
import { statusOn } from './license-lines.ts';
import type { Customer } from './interfaces.ts';
import { quantityOn } from './resources.ts';

/**
 * Graph's SKU of each new-commerce product in the sandbox's catalogue (Microsoft's published
 * "product names and service plan identifiers for licensing" table: string id and GUID).
 */
const GRAPH_SKUS: Readonly<Record<string, { skuId: string; skuPartNumber: string }>> = {
  CFQ7TTC0LH18: { skuId: '3b555118-da6a-4418-894f-7df1e2096870', skuPartNumber: 'O365_BUSINESS_ESSENTIALS' },
  CFQ7TTC0LDPB: { skuId: 'f245ecc8-75af-4f8e-b61f-27d8114de5f3', skuPartNumber: 'O365_BUSINESS_PREMIUM' },
  CFQ7TTC0LCHC: { skuId: 'cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46', skuPartNumber: 'SPB' },
  CFQ7TTC0LFLX: { skuId: '05e9a617-0261-4cee-bb44-138d3ef5d965', skuPartNumber: 'SPE_E3' },
  CFQ7TTC0LFLZ: { skuId: '06ebc4ee-1bb5-47dd-8120-11324bc54e06', skuPartNumber: 'SPE_E5' },
  CFQ7TTC0LF8Q: { skuId: '18181a46-0d4e-45cd-891e-60aabd171b4e', skuPartNumber: 'STANDARDPACK' },
  CFQ7TTC0LF8R: { skuId: '6fd2c87f-b296-42f0-b197-1e91e994b900', skuPartNumber: 'ENTERPRISEPACK' },
  CFQ7TTC0LH16: { skuId: '4b9405b0-7788-4568-add1-99614e613b69', skuPartNumber: 'EXCHANGESTANDARD' },
  CFQ7TTC0L3PB: { skuId: 'f8a1db68-be16-40ed-86d5-cb42ce701560', skuPartNumber: 'POWER_BI_PRO' },
  CFQ7TTC0LHXM: { skuId: 'e43b5b99-8dfb-405f-9987-dc307f34bcbd', skuPartNumber: 'MCOEV' },
};

export interface SubscribedSku {
  skuId: string;
  skuPartNumber: string;
  enabled: number;
  suspended: number;
  consumed: number;
}

/** What a test or the demo may set about one SKU of one customer (by skuPartNumber). */
export interface LicenceOverride {
  consumed?: number;
  enabled?: number;
}

export class LicenceAssignments {
  readonly #seed: number | string;
  readonly #overrides = new Map<string, LicenceOverride>();

  constructor(seed: number | string) {
    this.#seed = seed;
  }

  override(customerId: string, skuPartNumber: string, change: LicenceOverride): void {
    const key = `${customerId}|${skuPartNumber.toUpperCase()}`;
    this.#overrides.set(key, { ...this.#overrides.get(key), ...change });
  }

  /** The customer's SKUs on the business day of `nowMs`. */
  list(customer: Customer, nowMs: number): SubscribedSku[] {
    const today = dayOf(nowMs);
    const bySku = new Map<string, SubscribedSku>();
    for (const sub of customer.licenseSubscriptions) {
      const graph = GRAPH_SKUS[sub.sku.productId];
      if (!graph || sub.startDay > today) continue;
      const status = statusOn(sub, today);
      if (status === 'deleted' || status === 'expired') continue;
      const sku = bySku.get(graph.skuId) ?? { ...graph, enabled: 0, suspended: 0, consumed: 0 };
      if (status === 'suspended') sku.suspended += quantityOn(sub, today);
      else sku.enabled += quantityOn(sub, today);
      bySku.set(graph.skuId, sku);
    }
    return [...bySku.values()].map((sku) => {
      const o = this.#overrides.get(`${customer.id}|${sku.skuPartNumber}`) ?? {};
      const enabled = o.enabled ?? sku.enabled;
      const share = new Rng(seedFrom(this.#seed, 'licences', customer.index, sku.skuPartNumber)).int(85, 100);
      return { ...sku, enabled, consumed: Math.min(enabled, o.consumed ?? Math.floor((enabled * share) / 100)) };
    });
  }
}
