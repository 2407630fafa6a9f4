import type { FieldSpec, MappingRule, RecordSchema } from '../engine/types.ts';
import { copyRule, expressionRule } from '../rules.ts';

// A Partner Center subscription as a mapping source, the canonical subscription fields
// the hub keeps, and the connector's reading of them as the default mapping. Dates stay
// text here: the hub reads Partner Center's ISO dates itself after mapping.

const text = (description?: string): FieldSpec => (description ? { type: 'string', description } : { type: 'string' });

export const PC_SUBSCRIPTION_SOURCE: RecordSchema = {
  name: 'partner center subscription',
  fields: {
    id: text(),
    offerId: text('ProductId:SkuId[:AvailabilityId] for new commerce'),
    offerName: text(),
    friendlyName: text(),
    quantity: { type: 'integer' },
    unitType: text(),
    status: text('active, suspended, deleted, expired, pending or disabled'),
    creationDate: text(),
    effectiveStartDate: text(),
    commitmentEndDate: text(),
    autoRenewEnabled: { type: 'boolean' },
    billingType: text('license, usage or none'),
    billingCycle: text('monthly, annual, triennial, one_time, none'),
    termDuration: text('ISO 8601 duration: P1M, P1Y, P3Y'),
    isTrial: { type: 'boolean' },
    orderId: text(),
    entitlementId: text(),
    publisherName: text(),
    productType: text(),
    '*': text("Any other top-level field Partner Center sends, as text"),
  },
};

export const PC_SUBSCRIPTION_TARGET: RecordSchema = {
  name: 'subscription as the hub keeps it',
  fields: {
    'subscription.offerId': text(),
    'subscription.offerName': text(),
    'subscription.friendlyName': text(),
    'subscription.skuId': text(),
    'subscription.quantity': { type: 'integer', description: 'Seats; a change is a seat event' },
    'subscription.unitType': text(),
    'subscription.status': text('A change to suspended, deleted, expired or disabled is a billing event'),
    'subscription.billingType': { type: 'string', enum: ['license', 'usage', 'none'] },
    'subscription.billingCycle': text(),
    'subscription.termDuration': text(),
    'subscription.autoRenew': { type: 'boolean' },
    'subscription.isTrial': { type: 'boolean' },
    'subscription.creationDate': text('ISO 8601'),
    'subscription.effectiveStartDate': text('ISO 8601'),
    'subscription.commitmentEndDate': text('ISO 8601'),
    'subscription.orderId': text(),
  },
};

/** What the connector did before subscription mappings were data, as data. */
export const PC_SUBSCRIPTION_DEFAULT: readonly MappingRule[] = [
  copyRule('offer-id', 'offerId', 'subscription.offerId'),
  copyRule('offer-name', 'offerName', 'subscription.offerName'),
  copyRule('friendly-name', 'friendlyName', 'subscription.friendlyName'),
  { id: 'sku-id', source: 'offerId', target: 'subscription.skuId', transform: { type: 'split', separator: ':', index: 1 } },
  expressionRule('quantity', 'coalesce(quantity, 0)', 'subscription.quantity'),
  copyRule('unit-type', 'unitType', 'subscription.unitType'),
  expressionRule('status', "coalesce(status, 'active')", 'subscription.status'),
  { id: 'billing-type', source: 'billingType', target: 'subscription.billingType', transform: { type: 'lookup', table: { license: 'license', usage: 'usage' }, fallback: 'none' } },
  copyRule('billing-cycle', 'billingCycle', 'subscription.billingCycle'),
  copyRule('term-duration', 'termDuration', 'subscription.termDuration'),
  copyRule('auto-renew', 'autoRenewEnabled', 'subscription.autoRenew'),
  expressionRule('is-trial', 'coalesce(isTrial, false)', 'subscription.isTrial'),
  copyRule('creation-date', 'creationDate', 'subscription.creationDate'),
  copyRule('effective-start-date', 'effectiveStartDate', 'subscription.effectiveStartDate'),
  copyRule('commitment-end-date', 'commitmentEndDate', 'subscription.commitmentEndDate'),
  copyRule('order-id', 'orderId', 'subscription.orderId'),
];
