/**
 * Partner Center REST resources (Customer, Subscription, AzureEntitlement,
 * Invoice) as the v1 API shapes them, built from portfolio entities at a given
 * business instant.
 */
import type { Decimal } from 'decimal.js';
import { AZURE_PLAN } from './catalog.ts';
import { addMonths, DAY_MS, dayOf, firstDayOfMonth, isoDay, isoInstant, lastDayOfMonth } from './calendar.ts';
import { BILLING_PROVIDER, LICENSE_LINE_API_ITEM_TYPE, USAGE_LINE_API_ITEM_TYPE } from '../../mappings/partner-center/fields.ts';
import { cycleBounds, statusOn, termMonths } from './license-lines.ts';
import type { Customer, Invoice, LicenseSubscription } from './interfaces.ts';

/** Partner Center's `Link`. */
export function link(uri: string, headers: Array<{ key: string; value: string }> = []): { uri: string; method: string; headers: Array<{ key: string; value: string }> } {
  return { uri, method: 'GET', headers };
}

export function customerResource(c: Customer, detailed: boolean): Record<string, unknown> {
  const base: Record<string, unknown> = {
    id: c.id,
    commerceId: c.commerceId,
    companyProfile: { tenantId: c.id, domain: c.domain, companyName: c.companyName, attributes: { objectType: 'CustomerCompanyProfile' } },
  };
  if (detailed) {
    base.billingProfile = {
      id: c.commerceId,
      email: `billing@${c.domain.replace('.onmicrosoft.com', '.example')}`,
      culture: c.geography.culture,
      language: c.geography.culture.slice(0, 2),
      companyName: c.companyName,
      defaultAddress: { country: c.geography.country, city: c.city, addressLine1: `${(c.index % 90) + 10} Main Street`, postalCode: String(10000 + c.index) },
      attributes: { objectType: 'CustomerBillingProfile' },
    };
    base.allowDelegatedAccess = true;
  }
  return {
    ...base,
    relationshipToPartner: 'reseller',
    links: { self: link(`/customers/${c.id}`) },
    attributes: { objectType: 'Customer' },
  };
}

/** Seats on `day`: the last seat change on or before it wins. */
export function quantityOn(sub: LicenseSubscription, day: number): number {
  let q = sub.initialQuantity;
  for (const change of sub.seatChanges) if (change.day <= day) q = change.quantity;
  return q;
}

export function licenseSubscriptionResource(c: Customer, sub: LicenseSubscription, nowMs: number): Record<string, unknown> {
  const today = dayOf(nowMs);
  let cycle = 0;
  while (cycleBounds(sub, cycle + 1).start <= today) cycle++;
  const months = termMonths(sub);
  let term = 0;
  while (addMonths(sub.startDay, (term + 1) * months) <= today) term++;
  const termStart = addMonths(sub.startDay, term * months);
  const termEnd = sub.lifecycle.kind === 'trial' ? sub.lifecycle.trialEndDay : addMonths(sub.startDay, (term + 1) * months) - 1;
  const status = statusOn(sub, today);
  // The 7-day cancellation window restarts at purchase, renewal and every seat add.
  const windowStarts = [termStart, ...sub.seatChanges.filter((s) => s.chargeType === 'addQuantity' && s.day <= today).map((s) => s.day)];
  const lastWindowStart = Math.max(...windowStarts);
  const refundOptions: Array<{ type: string; expiresAfter: string }> = [];
  if (nowMs < (lastWindowStart + 1) * DAY_MS) refundOptions.push({ type: 'Full', expiresAfter: isoInstant((lastWindowStart + 1) * DAY_MS) });
  if (nowMs < (lastWindowStart + 7) * DAY_MS) refundOptions.push({ type: 'Partial', expiresAfter: isoInstant((lastWindowStart + 7) * DAY_MS) });
  return {
    id: sub.id,
    offerId: `${sub.sku.productId}:${sub.sku.skuId}:${sub.sku.availabilityId}`,
    offerName: sub.sku.productName,
    friendlyName: sub.friendlyName,
    productType: { id: 'OnlineServicesNCE', displayName: 'OnlineServicesNCE' },
    quantity: quantityOn(sub, today),
    unitType: 'Licenses',
    hasPurchasableAddons: false,
    creationDate: isoDay(sub.startDay),
    effectiveStartDate: isoDay(sub.startDay),
    commitmentEndDate: isoDay(termEnd),
    commitmentEndDateTime: isoInstant((termEnd + 1) * DAY_MS - 1000),
    status,
    autoRenewEnabled: sub.autoRenewEnabled,
    isTrial: sub.lifecycle.kind === 'trial',
    billingType: 'license',
    billingCycle: sub.billingCycle,
    termDuration: sub.termDuration,
    renewalTermDuration: sub.termDuration,
    refundOptions,
    isMicrosoftProduct: true,
    partnerId: '',
    contractType: 'subscription',
    publisherName: 'Microsoft Corporation',
    orderId: sub.orderId,
    promotionId: '',
    suspensionReasons: status === 'suspended' ? ['PartnerInitiated'] : [],
    cancellationAllowedUntilDate: isoInstant((lastWindowStart + 7) * DAY_MS),
    billingCycleEndDate: isoDay(cycleBounds(sub, cycle).end),
    links: {
      self: link(`/customers/${c.id}/subscriptions/${sub.id}`),
      product: link(`/products/${sub.sku.productId}?country=${c.geography.country}`),
      sku: link(`/products/${sub.sku.productId}/skus/${sub.sku.skuId}?country=${c.geography.country}`),
      availability: link(`/products/${sub.sku.productId}/skus/${sub.sku.skuId}/availabilities/${sub.sku.availabilityId}?country=${c.geography.country}`),
    },
    attributes: { etag: `"${sub.id.slice(0, 8)}-${quantityOn(sub, today)}"`, objectType: 'Subscription' },
  };
}

export function azurePlanResource(c: Customer): Record<string, unknown> | undefined {
  const plan = c.azurePlan;
  if (!plan) return undefined;
  return {
    id: plan.id,
    offerId: `${AZURE_PLAN.productId}:${AZURE_PLAN.skuId}:${AZURE_PLAN.availabilityId}`,
    offerName: AZURE_PLAN.name,
    friendlyName: AZURE_PLAN.name,
    productType: { id: 'Azure', displayName: 'Azure' },
    quantity: 1,
    unitType: 'Usage-based',
    hasPurchasableAddons: false,
    creationDate: isoDay(plan.startDay),
    effectiveStartDate: isoDay(plan.startDay),
    // Not auto-renewable: Microsoft reports a date far in the future.
    commitmentEndDate: '9999-12-14T00:00:00Z',
    status: 'active',
    autoRenewEnabled: false,
    isTrial: false,
    billingType: 'usage',
    billingCycle: 'monthly',
    refundOptions: [],
    isMicrosoftProduct: true,
    partnerId: '',
    contractType: 'subscription',
    publisherName: 'Microsoft Corporation',
    orderId: plan.orderId,
    suspensionReasons: [],
    links: {
      self: link(`/customers/${c.id}/subscriptions/${plan.id}`),
      azureEntitlements: link(`/customers/${c.id}/subscriptions/${plan.id}/azureEntitlements`),
    },
    attributes: { etag: `"${plan.id.slice(0, 8)}"`, objectType: 'Subscription' },
  };
}

export function subscriptionsOf(c: Customer, nowMs: number): Array<Record<string, unknown>> {
  const today = dayOf(nowMs);
  const out = c.licenseSubscriptions.filter((s) => s.startDay <= today).map((s) => licenseSubscriptionResource(c, s, nowMs));
  const plan = azurePlanResource(c);
  if (plan && (c.azurePlan?.startDay ?? 0) <= today) out.push(plan);
  return out;
}

const CURRENCY_SYMBOLS: Readonly<Record<string, string>> = { USD: '$', EUR: '€', GBP: '£' };

export function invoiceResource(inv: Invoice, totalCharges: Decimal, detailed: boolean): Record<string, unknown> {
  const detail = (itemType: string, queryType: string): Record<string, unknown> => ({
    invoiceLineItemType: itemType,
    billingProvider: BILLING_PROVIDER,
    links: { self: link(`/invoices/${inv.id}/lineitems?provider=onetime&invoicelineitemtype=${queryType}&size=2000`) },
    attributes: { objectType: 'InvoiceDetail' },
  });
  return {
    id: inv.id,
    invoiceDate: isoInstant(inv.readyAtMs),
    billingPeriodStartDate: isoDay(firstDayOfMonth(inv.monthIndex)),
    billingPeriodEndDate: isoDay(lastDayOfMonth(inv.monthIndex)),
    totalCharges,
    paidAmount: 0,
    currencyCode: inv.currency,
    currencySymbol: CURRENCY_SYMBOLS[inv.currency] ?? inv.currency,
    ...(detailed ? { pdfDownloadLink: `/invoices/${inv.id}/documents/statement` } : {}),
    invoiceDetails: [detail(LICENSE_LINE_API_ITEM_TYPE, 'billinglineitems'), detail(USAGE_LINE_API_ITEM_TYPE, 'usagelineitems')],
    amendments: [],
    documentType: 'invoice',
    invoiceType: 'Recurring',
    links: { self: link(`/invoices/${inv.id}`) },
    attributes: { objectType: 'Invoice' },
  };
}
