/**
 * Charge categories: which bucket of the rate card and the invoice summary a
 * Partner Center line belongs to.
 *
 * Precedence (first hit wins): an explicit SKU entry ('ProductId:SkuId'), then a
 * product entry (ProductId, then ProductName), then the line's MeterCategory, then
 * the defaults — a non-Microsoft publisher is marketplace, a licence line is
 * licenses. A line nothing claims is 'other' with `mapped: false`, so the close can
 * count and list it instead of pricing it silently as something it is not.
 */
import type { BillingLine, CategoryMapping, CategoryResult, ChargeCategory } from './types.ts';

export const CHARGE_CATEGORIES: readonly ChargeCategory[] = Object.freeze([
  'compute',
  'storage',
  'networking',
  'databases',
  'licenses',
  'marketplace',
  'support',
  'other',
]);

/** Partner Center MeterCategory values and where they land by default. */
const DEFAULT_METER_CATEGORIES: Record<string, ChargeCategory> = {
  'Virtual Machines': 'compute',
  'Virtual Machines Licenses': 'compute',
  'Azure App Service': 'compute',
  Functions: 'compute',
  'Container Instances': 'compute',
  'Azure Kubernetes Service': 'compute',
  'Cloud Services': 'compute',
  Batch: 'compute',
  'Azure Virtual Desktop': 'compute',
  Storage: 'storage',
  Backup: 'storage',
  'Azure NetApp Files': 'storage',
  'Azure Site Recovery': 'storage',
  Bandwidth: 'networking',
  'Virtual Network': 'networking',
  'Load Balancer': 'networking',
  'VPN Gateway': 'networking',
  'Application Gateway': 'networking',
  'Azure DNS': 'networking',
  'Azure Firewall': 'networking',
  'Azure Front Door Service': 'networking',
  'Content Delivery Network': 'networking',
  ExpressRoute: 'networking',
  'Network Watcher': 'networking',
  'Azure Bastion': 'networking',
  'NAT Gateway': 'networking',
  'SQL Database': 'databases',
  'SQL Managed Instance': 'databases',
  'Azure Cosmos DB': 'databases',
  'Azure Database for PostgreSQL': 'databases',
  'Azure Database for MySQL': 'databases',
  'Redis Cache': 'databases',
  'Azure Synapse Analytics': 'databases',
};

/**
 * The mapping a new MSP starts from. Copy it, add SKU/product entries, and version
 * it like any other rule set.
 */
export const DEFAULT_CATEGORY_MAPPING: CategoryMapping = Object.freeze<CategoryMapping>({
  id: 'default',
  version: 1,
  sku: {},
  product: {},
  meterCategory: DEFAULT_METER_CATEGORIES,
  defaults: {
    thirdPartyPublisher: 'marketplace',
    licenseLines: 'licenses',
    microsoftPublishers: ['Microsoft', 'Microsoft Corporation'],
  },
});

interface CompiledMapping {
  sku: Map<string, ChargeCategory>;
  product: Map<string, ChargeCategory>;
  meterCategory: Map<string, ChargeCategory>;
  microsoftPublishers: Set<string>;
}

const compiled = new WeakMap<CategoryMapping, CompiledMapping>();

function key(value: string): string {
  return value.trim().toLowerCase();
}

function toMap(record: Readonly<Record<string, ChargeCategory>>): Map<string, ChargeCategory> {
  return new Map(Object.entries(record).map(([k, v]) => [key(k), v]));
}

function compile(mapping: CategoryMapping): CompiledMapping {
  let c = compiled.get(mapping);
  if (!c) {
    c = {
      sku: toMap(mapping.sku),
      product: toMap(mapping.product),
      meterCategory: toMap(mapping.meterCategory),
      microsoftPublishers: new Set(mapping.defaults.microsoftPublishers.map(key)),
    };
    compiled.set(mapping, c);
  }
  return c;
}

/**
 * The charge category of a Partner Center line.
 *
 * @example
 *   categorize({ ...line, meterCategory: 'Virtual Machines' }, DEFAULT_CATEGORY_MAPPING)
 *   // { category: 'compute', mapped: true, matchedBy: 'meterCategory', matchedKey: 'virtual machines', ... }
 */
export function categorize(line: BillingLine, mapping: CategoryMapping): CategoryResult {
  const c = compile(mapping);
  const found = (matchedBy: CategoryResult['matchedBy'], matchedKey: string, category: ChargeCategory): CategoryResult => ({
    category,
    mapped: true,
    matchedBy,
    matchedKey,
    mappingId: mapping.id,
    mappingVersion: mapping.version,
  });

  const skuKey = key(`${line.productId}:${line.skuId}`);
  const bySku = c.sku.get(skuKey);
  if (bySku) return found('sku', skuKey, bySku);

  for (const candidate of [line.productId, line.productName]) {
    if (!candidate) continue;
    const byProduct = c.product.get(key(candidate));
    if (byProduct) return found('product', key(candidate), byProduct);
  }

  if (line.kind === 'usage' && line.meterCategory) {
    const byMeter = c.meterCategory.get(key(line.meterCategory));
    if (byMeter) return found('meterCategory', key(line.meterCategory), byMeter);
  }

  const publisher = key(line.publisherName ?? '');
  if (publisher !== '' && !c.microsoftPublishers.has(publisher) && mapping.defaults.thirdPartyPublisher) {
    return found('publisher', publisher, mapping.defaults.thirdPartyPublisher);
  }

  if (line.kind === 'license' && mapping.defaults.licenseLines) {
    return found('lineKind', 'license', mapping.defaults.licenseLines);
  }

  return { category: 'other', mapped: false, matchedBy: null, matchedKey: null, mappingId: mapping.id, mappingVersion: mapping.version };
}
