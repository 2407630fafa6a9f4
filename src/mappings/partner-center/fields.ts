/**
 * Field names of Partner Center billing lines, as data: one row per documented
 * reconciliation-file column, with the name the v1 REST API uses for it and the
 * key the v2 (Microsoft Graph) export blobs use. The sandbox writes payloads from
 * these rows and the hub's importers (REST, blob, CSV) read them back with the same
 * rows, so the names live in exactly one place.
 *
 * Sources: Partner Center "daily rated usage reconciliation file" and "new commerce
 * invoice reconciliation file" column lists; v1 names from the `DailyRatedUsageLineItem`
 * and `OneTimeInvoiceLineItem` JSON examples; v2 names and the basic/full split from
 * Graph's partners-billing-attributeset page (PascalCase; blob keys should still be
 * matched case-insensitively, Microsoft's own sample does). The v2 names differ from the
 * file's in two places (BenefitOrderID, BenefitID) and it has no PCToBCExchangeRateDate.
 *
 * @example
 *   USAGE_LINE_FIELDS.find((f) => f.column === 'Unit')?.api; // 'unitOfMeasure'
 */

/**
 * How a value is written. 'percent' holds a percentage in files and v2 blobs
 * (15) but a fraction in the v1 API (0.15, `rateOfPartnerEarnedCredit`).
 */
export type FieldType = 'string' | 'decimal' | 'date' | 'percent' | 'list';

export interface FieldMapping {
  /** Column name in Microsoft's reconciliation file (CSV header). */
  column: string;
  /** Property name in the v1 REST API JSON. */
  api: string;
  /** Key in the v2 export's JSON lines; null for a column the v2 export does not carry. */
  blob: string | null;
  type: FieldType;
  /** Present in the v2 export with attributeSet=basic. */
  basic: boolean;
}

function field(column: string, type: FieldType, basic: boolean, api?: string, blob: string | null = column): FieldMapping {
  return { column, api: api ?? lowerCamel(column), blob, type, basic };
}

/** 'PCToBCExchangeRate' → 'pcToBCExchangeRate', 'ResourceURI' → 'resourceURI'. */
function lowerCamel(column: string): string {
  const leadingCaps = /^[A-Z]+(?=[A-Z][a-z])|^[A-Z]/.exec(column)?.[0] ?? '';
  return leadingCaps.toLowerCase() + column.slice(leadingCaps.length);
}

/** Daily rated usage line (Azure plan), in the documented column order. */
export const USAGE_LINE_FIELDS: readonly FieldMapping[] = [
  field('PartnerId', 'string', true),
  field('PartnerName', 'string', true),
  field('CustomerId', 'string', true),
  field('CustomerName', 'string', true),
  field('CustomerDomainName', 'string', false),
  field('CustomerCountry', 'string', false),
  field('MpnId', 'string', false),
  field('Tier2MpnId', 'string', false, 'resellerMpnId'),
  field('InvoiceNumber', 'string', true),
  field('ProductId', 'string', true),
  field('SkuId', 'string', true),
  field('AvailabilityId', 'string', false),
  field('SkuName', 'string', true),
  field('ProductName', 'string', false),
  field('PublisherName', 'string', true),
  field('PublisherId', 'string', false),
  field('SubscriptionDescription', 'string', false),
  field('SubscriptionId', 'string', true),
  field('ChargeStartDate', 'date', true),
  field('ChargeEndDate', 'date', true),
  field('UsageDate', 'date', true),
  field('MeterType', 'string', false),
  field('MeterCategory', 'string', false),
  field('MeterId', 'string', false),
  field('MeterSubCategory', 'string', false),
  field('MeterName', 'string', false),
  field('MeterRegion', 'string', false),
  field('Unit', 'string', false, 'unitOfMeasure'),
  field('ResourceLocation', 'string', false),
  field('ConsumedService', 'string', false),
  field('ResourceGroup', 'string', false),
  field('ResourceURI', 'string', true, 'resourceUri'),
  field('ChargeType', 'string', true),
  field('UnitPrice', 'decimal', true),
  field('Quantity', 'decimal', true),
  field('UnitType', 'string', true),
  field('BillingPreTaxTotal', 'decimal', true),
  field('BillingCurrency', 'string', true),
  field('PricingPreTaxTotal', 'decimal', true),
  field('PricingCurrency', 'string', true),
  field('ServiceInfo1', 'string', false),
  field('ServiceInfo2', 'string', false),
  field('Tags', 'string', false),
  field('AdditionalInfo', 'string', true),
  field('EffectiveUnitPrice', 'decimal', true),
  field('PCToBCExchangeRate', 'decimal', true),
  // The file and the v1 API carry the rate's date; the v2 export does not.
  field('PCToBCExchangeRateDate', 'date', false, undefined, null),
  field('EntitlementId', 'string', true),
  field('EntitlementDescription', 'string', false),
  field('PartnerEarnedCreditPercentage', 'percent', false, 'rateOfPartnerEarnedCredit'),
  field('CreditPercentage', 'percent', true, 'rateOfCredit'),
  field('CreditType', 'string', true),
  // The v2 export spells these with a capital D.
  field('BenefitOrderId', 'string', true, undefined, 'BenefitOrderID'),
  field('BenefitId', 'string', false, undefined, 'BenefitID'),
  field('BenefitType', 'string', true),
];

/** New-commerce licence (seat) reconciliation line, in the documented column order. */
export const LICENSE_LINE_FIELDS: readonly FieldMapping[] = [
  field('PartnerId', 'string', true),
  field('CustomerId', 'string', true),
  field('CustomerName', 'string', true),
  field('CustomerDomainName', 'string', true),
  field('CustomerCountry', 'string', true),
  field('InvoiceNumber', 'string', true),
  field('MpnId', 'string', true),
  field('ResellerMpnId', 'string', true),
  field('OrderId', 'string', true),
  field('OrderDate', 'date', true),
  field('ProductId', 'string', true),
  field('SkuId', 'string', true),
  field('AvailabilityId', 'string', true),
  field('SkuName', 'string', true),
  field('ProductName', 'string', true),
  field('ChargeType', 'string', true),
  field('UnitPrice', 'decimal', true),
  field('Quantity', 'decimal', true),
  field('Subtotal', 'decimal', true),
  field('TaxTotal', 'decimal', true),
  field('TotalForCustomer', 'decimal', true),
  field('Currency', 'string', true),
  field('PriceAdjustmentDescription', 'string', true),
  field('PublisherName', 'string', true),
  field('PublisherId', 'string', true),
  field('SubscriptionDescription', 'string', true),
  field('SubscriptionId', 'string', true),
  field('ChargeStartDate', 'date', true),
  field('ChargeEndDate', 'date', true),
  field('TermAndBillingCycle', 'string', true),
  field('EffectiveUnitPrice', 'decimal', true),
  field('UnitType', 'string', true),
  field('AlternateId', 'string', true),
  field('BillableQuantity', 'decimal', true),
  field('BillingFrequency', 'string', true),
  field('PricingCurrency', 'string', true),
  field('PCToBCExchangeRate', 'decimal', true),
  field('PCToBCExchangeRateDate', 'date', true),
  field('MeterDescription', 'string', true),
  field('ReservationOrderId', 'string', true),
  field('CreditReasonCode', 'string', true),
  field('SubscriptionStartDate', 'date', true),
  field('SubscriptionEndDate', 'date', true),
  field('ReferenceId', 'string', true),
  field('ProductQualifiers', 'list', true),
  field('PromotionId', 'string', true),
  field('ProductCategory', 'string', true),
];

/** Extra properties the v1 API puts on every usage line, after the mapped fields. */
export const USAGE_LINE_API_OBJECT_TYPE = 'DailyRatedUsageLineItem';
export const USAGE_LINE_API_ITEM_TYPE = 'usage_line_items';
/** Extra properties the v1 API puts on every licence line. */
export const LICENSE_LINE_API_OBJECT_TYPE = 'OneTimeInvoiceLineItem';
export const LICENSE_LINE_API_ITEM_TYPE = 'billing_line_items';
/** New commerce is the `onetime` provider for every product. */
export const BILLING_PROVIDER = 'one_time';

/** Case-insensitive lookup from any of the three names to the mapping row. */
export function fieldIndex(fields: readonly FieldMapping[]): Map<string, FieldMapping> {
  const index = new Map<string, FieldMapping>();
  for (const f of fields) {
    index.set(f.column.toLowerCase(), f);
    index.set(f.api.toLowerCase(), f);
    if (f.blob !== null) index.set(f.blob.toLowerCase(), f);
  }
  return index;
}
