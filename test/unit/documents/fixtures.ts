/**
 * Real invoices for the document tests, built the way the close builds them:
 * categorize → rateLines → allocate → buildInvoice (see test/unit/engine/pipeline.test.ts).
 */
import { expect } from 'vitest';
import { allocate } from '../../../src/engine/allocation.ts';
import { DEFAULT_CATEGORY_MAPPING, categorize } from '../../../src/engine/categories.ts';
import { Decimal } from '../../../src/engine/decimal.ts';
import { buildInvoice } from '../../../src/engine/invoice.ts';
import { rateLines } from '../../../src/engine/rating.ts';
import type {
  AllocationRule,
  BillingLine,
  CategoryMapping,
  CostNode,
  Invoice,
  InvoiceSourceLine,
  RateCard,
  RoundingMode,
  RoundingScope,
} from '../../../src/engine/types.ts';
import type { InvoiceHeader } from '../../../src/documents/invoice-view.ts';
import { licenseLine, usageLine } from '../engine/fixtures.ts';

export const d = (value: string | number): Decimal => new Decimal(value);

/** The default mapping plus a product entry that makes support plans 'support'. */
export const MAPPING: CategoryMapping = {
  ...DEFAULT_CATEGORY_MAPPING,
  id: 'docs-test',
  product: { 'Azure Standard Support': 'support' },
};

export const COST_NODES: CostNode[] = [
  { id: 'contoso', parentId: null, name: 'Contoso' },
  { id: 'finance', parentId: 'contoso', name: 'Finance' },
  { id: 'ops', parentId: 'contoso', name: 'Operations' },
  { id: 'unallocated', parentId: null, name: 'Unallocated' },
];

export const ALLOCATION_RULES: AllocationRule[] = [
  { id: 'fin-tag', version: 1, priority: 1, match: { tag: { key: 'costcenter', value: 'FIN' } }, splits: [{ costNodeId: 'finance', percent: d('100') }] },
  { id: 'erp-rg', version: 1, priority: 2, match: { resourceGroup: 'rg-erp-prod' }, splits: [{ costNodeId: 'finance', percent: d('50') }, { costNodeId: 'ops', percent: d('50') }] },
  { id: 'm365-sub', version: 1, priority: 3, match: { subscriptionId: 'nce-sub-1' }, splits: [{ costNodeId: 'ops', percent: d('100') }] },
];

export function rateCard(currency: string, scope: RoundingScope, mode: RoundingMode, seatPrice: string, extra: Partial<RateCard> = {}): RateCard {
  return {
    id: `card-${currency.toLowerCase()}`,
    version: 1,
    currency,
    rounding: { scope, mode },
    fx: { source: 'microsoft' },
    rules: [
      { id: 'compute', match: { category: 'compute' }, basis: 'cost', markupPercent: d('15') },
      { id: 'storage', match: { category: 'storage' }, basis: 'cost', markupPercent: d('20') },
      { id: 'm365-bs', match: { sku: 'CFQ7TTC0LDPB:0001' }, unitPrice: d(seatPrice) },
      { id: 'default', match: { default: true }, basis: 'cost', markupPercent: d('10') },
    ],
    ...extra,
  };
}

interface MonthInput {
  currency: string;
  card: RateCard;
  lines: BillingLine[];
  late?: BillingLine[];
  rules?: AllocationRule[];
}

/** Price, allocate and invoice one customer's November 2026 (late lines: October 2026). */
export function invoiceMonth({ currency, card, lines, late = [], rules = ALLOCATION_RULES }: MonthInput): Invoice {
  const price = (source: BillingLine[]): InvoiceSourceLine[] => {
    const categorized = source.map((line) => ({ ...line, category: categorize(line, MAPPING).category }));
    const { priced, unpriced } = rateLines(categorized, card, { source: 'microsoft' });
    expect(unpriced).toEqual([]);
    const allocations = allocate(
      priced.map((p) => ({ id: p.lineId, amount: p.price, currency: p.currency, tags: p.tags, resourceGroup: p.resourceGroup, subscriptionId: p.subscriptionId, meterCategory: p.meterCategory })),
      rules,
      'unallocated',
    );
    return priced.map((p) => ({ ...p, allocations: allocations.filter((a) => a.lineId === p.lineId) }));
  };
  return buildInvoice({
    customerId: 'c1',
    period: '2026-11',
    currency,
    card,
    pricedLines: price(lines),
    adjustments: late.length > 0 ? [{ id: 'adj-2026-10', originalPeriod: '2026-10', label: 'Late usage', lines: price(late) }] : [],
  });
}

/** The month every currency test uses: six categories, two subscriptions, three cost nodes, one late line. */
function month(currency: string, cost: Record<'vm' | 'storage' | 'bandwidth' | 'sql' | 'm365' | 'saas' | 'late', string>): { lines: BillingLine[]; late: BillingLine[] } {
  const money = { billingCurrency: currency, pricingCurrency: currency };
  return {
    lines: [
      usageLine({ id: 'u1', ...money, cost: d(cost.vm), tags: { costcenter: 'FIN' } }),
      usageLine({ id: 'u2', ...money, cost: d(cost.storage), quantity: d('5120'), meterId: 'meter-lrs', meterCategory: 'Storage', meterName: 'LRS Data Stored', productName: 'Storage' }),
      usageLine({ id: 'u3', ...money, cost: d(cost.bandwidth), quantity: d('812.5'), meterId: 'meter-bw', meterCategory: 'Bandwidth', meterName: 'Data Transfer Out', productName: 'Bandwidth', resourceGroup: 'rg-web' }),
      usageLine({ id: 'u4', ...money, cost: d(cost.sql), quantity: d('720'), meterId: 'meter-sql', meterCategory: 'SQL Database', meterName: 'vCore', productName: 'SQL Database General Purpose' }),
      usageLine({
        id: 'u5', ...money, cost: d(cost.saas), quantity: d('1'), subscriptionId: 'azure-sub-2', resourceGroup: 'rg-apps', meterId: 'meter-saas',
        meterCategory: 'SaaS', meterName: 'Backup Pro', productName: 'Contoso Backup Pro', publisherName: 'Contoso Software Ltd',
      }),
      licenseLine({ id: 'l1', ...money, cost: d(cost.m365), quantity: d('10'), chargeDays: { days: 30, daysInCycle: 30 } }),
    ],
    late: [usageLine({ id: 'late-1', ...money, cost: d(cost.late), date: '2026-10-30', quantity: d('96') })],
  };
}

/**
 * USD, rounded per line (half-up):
 *   u1 VM 1,234.56 × 1.15 = 1,419.744 → 1,419.74   u2 storage 310.00 × 1.20 = 372.00
 *   u3 bandwidth 85.05 × 1.10 = 93.555 → 93.56      u4 SQL 2,000.00 × 1.10 = 2,200.00
 *   u5 marketplace 50.00 × 1.10 = 55.00             l1 M365 10 seats × 14.00 = 140.00
 *   charges 4,280.30; late usage (Oct) VM 100.00 × 1.15 = 115.00; total 4,395.30
 */
export function usdInvoice(extra: Partial<RateCard> = {}): Invoice {
  const { lines, late } = month('USD', { vm: '1234.56', storage: '310.00', bandwidth: '85.05', sql: '2000.00', m365: '120.00', saas: '50.00', late: '100.00' });
  return invoiceMonth({ currency: 'USD', card: rateCard('USD', 'line', 'half_up', '14.00', extra), lines, late });
}

/**
 * JPY, rounded once per invoice (half-up), so a rounding line appears:
 *   u1 123,456 × 1.15 = 141,974.4 (shown 141,974)   u2 31,001 × 1.20 = 37,201.2 (37,201)
 *   u3 8,500 × 1.10 = 9,350                         u4 200,000 × 1.10 = 220,000
 *   u5 5,000 × 1.10 = 5,500                         l1 10 × 1,870 = 18,700
 *   late 10,000 × 1.15 = 11,500
 *   exact 444,225.6 → 444,226; shown lines 444,225; rounding line +1; total 444,226
 */
export function jpyInvoice(): Invoice {
  const { lines, late } = month('JPY', { vm: '123456', storage: '31001', bandwidth: '8500', sql: '200000', m365: '16000', saas: '5000', late: '10000' });
  return invoiceMonth({ currency: 'JPY', card: rateCard('JPY', 'invoice', 'half_up', '1870'), lines, late });
}

/**
 * BHD, rounded per line (half-even, 3 places):
 *   u1 1,234.567 × 1.15 = 1,419.75205 → 1,419.752   u2 310.000 × 1.20 = 372.000
 *   u3 85.055 × 1.10 = 93.5605 → 93.560 (tie to even) u4 2,000.000 × 1.10 = 2,200.000
 *   u5 50.000 × 1.10 = 55.000                       l1 10 × 5.250 = 52.500
 *   charges 4,192.812; late 100.000 × 1.15 = 115.000; total 4,307.812
 */
export function bhdInvoice(): Invoice {
  const { lines, late } = month('BHD', { vm: '1234.567', storage: '310.000', bandwidth: '85.055', sql: '2000.000', m365: '45.000', saas: '50.000', late: '100.000' });
  return invoiceMonth({ currency: 'BHD', card: rateCard('BHD', 'line', 'half_even', '5.250'), lines, late });
}

export function header(overrides: Partial<InvoiceHeader> = {}): InvoiceHeader {
  return {
    invoiceNumber: 'INV-2026-0042',
    issuedAt: '2026-12-01',
    dueDate: '2026-12-31',
    seller: { name: 'Northwind MSP Ltd', addressLines: ['1 Harbour Road', 'Leeds LS1 4AP', 'United Kingdom'], taxId: 'GB123456789' },
    customer: { name: 'Smith & Sons <Ltd>', billingEmail: 'ap@smith.example', addressLines: ['22 Mill Lane', 'York YO1 7HH'] },
    notes: ['Payment by bank transfer to IBAN GB00 NWBK 0000 0000 0000 00 within 30 days.'],
    subscriptionNames: { 'azure-sub-1': 'Production', 'nce-sub-1': 'Microsoft 365' },
    costNodes: COST_NODES,
    units: { 'meter-d2s-v3': '1 Hour', 'meter-lrs': '1 GB/Month', 'meter-bw': '1 GB', 'meter-sql': '1 Hour', 'CFQ7TTC0LDPB:0001': 'Licenses' },
    ...overrides,
  };
}

const CATEGORY_SOURCES: Array<{ meterCategory: string | null; productName: string; publisherName: string; kind: 'usage' | 'license' }> = [
  { meterCategory: 'Virtual Machines', productName: 'Virtual Machines', publisherName: 'Microsoft', kind: 'usage' },
  { meterCategory: 'Storage', productName: 'Storage', publisherName: 'Microsoft', kind: 'usage' },
  { meterCategory: 'Bandwidth', productName: 'Bandwidth', publisherName: 'Microsoft', kind: 'usage' },
  { meterCategory: 'SQL Database', productName: 'SQL Database', publisherName: 'Microsoft', kind: 'usage' },
  { meterCategory: null, productName: 'Microsoft 365 Business Premium', publisherName: 'Microsoft Corporation', kind: 'license' },
  { meterCategory: 'SaaS', productName: 'Contoso Backup Pro', publisherName: 'Contoso Software Ltd', kind: 'usage' },
  { meterCategory: 'Support', productName: 'Azure Standard Support', publisherName: 'Microsoft', kind: 'usage' },
  { meterCategory: 'Azure Monitor', productName: 'Azure Monitor', publisherName: 'Microsoft', kind: 'usage' },
];

/**
 * A busy SMB month in USD: all 8 categories, `linesPerCategory` meters each, spread over
 * 10 cost nodes by a tag, plus late usage, all rounded per line.
 */
export function smbInvoice(linesPerCategory = 3): Invoice {
  const nodes = Array.from({ length: 10 }, (_, i) => `node-${String(i + 1).padStart(2, '0')}`);
  const rules: AllocationRule[] = nodes.map((node, i) => ({
    id: `tag-${node}`, version: 1, priority: i + 1, match: { tag: { key: 'project', value: node } }, splits: [{ costNodeId: node, percent: d('100') }],
  }));
  const lines: BillingLine[] = [];
  CATEGORY_SOURCES.forEach((source, c) => {
    for (let k = 0; k < linesPerCategory; k += 1) {
      const n = c * linesPerCategory + k;
      const common = {
        id: `s${n}`, billingCurrency: 'USD', pricingCurrency: 'USD', productName: source.productName, publisherName: source.publisherName,
        cost: d(String(1000 + n * 37)).div(4), tags: { project: nodes[n % nodes.length] as string },
      };
      lines.push(
        source.kind === 'license'
          ? licenseLine({ ...common, subscriptionId: `nce-sub-${k}`, productId: `CFQ7TTC0LCH${k}`, skuId: '0002', quantity: d(String(5 + k)) })
          : usageLine({ ...common, meterId: `meter-${c}-${k}`, meterCategory: source.meterCategory, meterName: `${source.productName} ${k}`, quantity: d(String(10 + n)) }),
      );
    }
  });
  const late = [usageLine({ id: 'late-1', billingCurrency: 'USD', pricingCurrency: 'USD', cost: d('42.00'), date: '2026-10-31', tags: { project: 'node-01' } })];
  return invoiceMonth({ currency: 'USD', card: rateCard('USD', 'line', 'half_up', '22.00'), lines, late, rules });
}

export const SMB_COST_NODES: CostNode[] = Array.from({ length: 10 }, (_, i) => ({
  id: `node-${String(i + 1).padStart(2, '0')}`,
  parentId: null,
  name: `Project ${['Apollo', 'Borealis', 'Cascade', 'Delta', 'Ember', 'Fjord', 'Granite', 'Harbour', 'Iris', 'Juniper'][i]}`,
}));

/** An enterprise month in USD with `count` distinct meters over 3 subscriptions × 5 resource groups. */
export function enterpriseInvoice(count: number): Invoice {
  const lines: BillingLine[] = Array.from({ length: count }, (_, i) =>
    usageLine({
      id: `e${i}`,
      billingCurrency: 'USD',
      pricingCurrency: 'USD',
      subscriptionId: `azure-sub-${(i % 3) + 1}`,
      resourceGroup: `rg-${['erp', 'web', 'data', 'ai', 'shared'][i % 5]}-prod`,
      meterId: `meter-${String(i).padStart(4, '0')}`,
      meterName: `D${(i % 16) + 2}s v5`,
      meterCategory: ['Virtual Machines', 'Storage', 'Bandwidth', 'SQL Database'][i % 4] as string,
      quantity: d(String(100 + i * 3)),
      cost: d(String(1000 + i * 1234)).div(100),
      tags: i % 2 === 0 ? { costcenter: 'FIN' } : {},
    }),
  );
  return invoiceMonth({ currency: 'USD', card: rateCard('USD', 'line', 'half_up', '14.00'), lines });
}
