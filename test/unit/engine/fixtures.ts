/**
 * Builders and assertions shared by the engine's unit tests. Every builder starts
 * from a neutral line (USD priced and billed, rate 1) so a test states only the
 * fields its hand computation uses.
 */
import { expect } from 'vitest';
import { Decimal } from '../../../src/engine/decimal.ts';
import type {
  Allocation,
  CategorizedLine,
  ChargeCategory,
  InvoiceSourceLine,
  LicenseLine,
  PricedLine,
  RateCard,
  UsageLine,
} from '../../../src/engine/types.ts';

export const d = (value: string | number): Decimal => new Decimal(value);

/** Exact equality of decimals, with both values printed on failure. */
export function expectDecimal(actual: Decimal | null | undefined, expected: string): void {
  expect(actual, 'expected a Decimal').toBeDefined();
  expect(actual?.toString()).toBe(new Decimal(expected).toString());
}

/** Equality at 10 decimal places, for amounts that are repeating fractions (e.g. 3000 ÷ 31). */
export function expectAmount(actual: Decimal | null | undefined, expected: string): void {
  expect(actual, 'expected a Decimal').toBeDefined();
  expect(actual?.toDecimalPlaces(10).toString()).toBe(new Decimal(expected).toString());
}

/** A deterministic PRNG (mulberry32) for property-style checks with a fixed seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function usageLine(overrides: Partial<UsageLine> = {}): UsageLine {
  return {
    kind: 'usage',
    id: 'u1',
    customerId: 'c1',
    subscriptionId: 'azure-sub-1',
    resourceGroup: 'rg-erp-prod',
    meterId: 'meter-d2s-v3',
    meterCategory: 'Virtual Machines',
    meterName: 'D2s v3',
    productId: 'DZH318Z0BQPS',
    skuId: '00TF',
    productName: 'Virtual Machines Dv3 Series',
    skuName: 'D2s v3',
    publisherName: 'Microsoft',
    date: '2026-11-20',
    quantity: d('1200'),
    unitPrice: d('0.10'),
    effectiveUnitPrice: d('0.0833333'),
    pricingCurrency: 'USD',
    billingCurrency: 'USD',
    pcToBCExchangeRate: d('1'),
    pcToBCExchangeRateDate: '2026-11-01',
    cost: d('100.00'),
    tags: {},
    ...overrides,
  };
}

export function licenseLine(overrides: Partial<LicenseLine> = {}): LicenseLine {
  return {
    kind: 'license',
    id: 'l1',
    customerId: 'c1',
    subscriptionId: 'nce-sub-1',
    productId: 'CFQ7TTC0LDPB',
    skuId: '0001',
    productName: 'Microsoft 365 Business Standard',
    skuName: 'Microsoft 365 Business Standard',
    publisherName: 'Microsoft Corporation',
    pricingModel: 'seat',
    chargeType: 'cycleCharge',
    chargeDays: { days: 30, daysInCycle: 30 },
    date: '2026-11-01',
    quantity: d('10'),
    unitPrice: d('12.00'),
    effectiveUnitPrice: d('12.00'),
    pricingCurrency: 'USD',
    billingCurrency: 'USD',
    pcToBCExchangeRate: d('1'),
    pcToBCExchangeRateDate: '2026-11-01',
    cost: d('120.00'),
    tags: {},
    ...overrides,
  };
}

export function categorized<L extends UsageLine | LicenseLine>(line: L, category: ChargeCategory): CategorizedLine {
  return { ...line, category };
}

export function card(overrides: Partial<RateCard> = {}): RateCard {
  return {
    id: 'card-std',
    version: 3,
    currency: 'USD',
    rounding: { scope: 'line', mode: 'half_up' },
    fx: { source: 'microsoft' },
    rules: [{ id: 'r-default', match: { default: true }, basis: 'cost', markupPercent: d('10') }],
    ...overrides,
  };
}

/**
 * A priced line as rating would produce it, for invoice and margin tests that need
 * exact control of price and cost.
 */
export function pricedLine(overrides: Partial<PricedLine> & { lineId: string; price: Decimal }): PricedLine {
  const identity = { from: 'USD', to: 'USD', rate: d(1), source: 'identity' as const, rateDate: '2026-11-20', rateId: null };
  return {
    status: 'priced',
    kind: 'usage',
    customerId: 'c1',
    subscriptionId: 'azure-sub-1',
    resourceGroup: 'rg-erp-prod',
    meterId: 'meter-d2s-v3',
    meterCategory: 'Virtual Machines',
    sku: 'DZH318Z0BQPS:00TF',
    description: 'D2s v3',
    category: 'compute',
    tags: {},
    date: '2026-11-20',
    quantity: d('1'),
    currency: 'USD',
    cardId: 'card-std',
    cardVersion: 3,
    ruleId: 'r-default',
    matchedBy: 'default',
    basis: 'cost',
    markupPercent: d('10'),
    unitPrice: null,
    basisAmount: null,
    cost: d('0'),
    fx: identity,
    costFx: identity,
    rounding: { scope: 'line', mode: 'half_up', places: 2 },
    lineCount: 1,
    groupKey: null,
    ...overrides,
  };
}

/** Attach allocations: the whole price to one node (or the given allocations). */
export function allocated(line: PricedLine, costNodeId = 'unallocated', allocations?: Allocation[]): InvoiceSourceLine {
  return {
    ...line,
    allocations: allocations ?? [{ lineId: line.lineId, costNodeId, ruleId: null, ruleVersion: null, percent: d(100), amount: line.price }],
  };
}
