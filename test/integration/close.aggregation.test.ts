import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPeriodLines } from '../../src/db/billing-lines.ts';
import { loadCostCheckCandidates } from '../../src/db/usage-groups.ts';
import { DEFAULT_CATEGORY_MAPPING } from '../../src/engine/categories.ts';
import { closeCustomerPeriod, type CustomerCloseInput, type CustomerCloseResult } from '../../src/engine/close.ts';
import { Decimal, sum } from '../../src/engine/decimal.ts';
import { minorUnit } from '../../src/engine/money.ts';
import type { AllocationRule, FxPolicy, MarketRate, RateCard, RateRule, RoundingMode, RoundingScope } from '../../src/engine/types.ts';
import { ingestUsageRecords } from '../helpers/ingest-records.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';
import { withUsageGroups } from '../helpers/usage-groups.ts';
import { usageRecord } from '../helpers/usage-fixtures.ts';
import { seededRandom } from '../unit/engine/fixtures.ts';

// The close prices the period's usage summed into groups by PostgreSQL. Property: on
// generated months (random meters, resource groups, tags, signs, quantities and costs;
// random markups on cost or list, fixed prices, fx by Microsoft's rate, a market table or
// a fixed rate; random allocation splits; both rounding scopes and modes), that close
// equals pricing every source line one by one and summing before rounding — every
// invoice line's exact amount, quantity and rounded amount, the totals, cost, margin and
// tag compliance compared exactly as decimals. Cost-node subtotals are each within one
// minor unit (an allocation splits each priced line exactly at its own last decimal, so
// the exact node sums of a group and of its lines can differ in that last decimal) and
// add up to the same total. Microsoft's rate is used pricing → billing only: its inverse
// (1 ÷ rate) is itself rounded to 40 digits, so lines converted one by one with it differ
// from their sum converted at the 40th digit.

const CASES = 8;
const PERIOD = '2026-10';
const d = (v: string | number) => new Decimal(v);

interface Case {
  tenant: string;
  card: RateCard;
  fx: FxPolicy;
  rules: AllocationRule[];
}

function generate(seed: number): { records: Record<string, unknown>[]; make: (customerId: string) => Case } {
  const rnd = seededRandom(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T,>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const decimal = (max: number, places: number) => (rnd() * max).toFixed(places);
  const tenant = `d4e5f6a7-0000-4000-8000-${String(seed).padStart(12, '0')}`;

  // Currencies: Microsoft prices in USD and bills in USD or EUR; the card is in one of the
  // currencies its fx source can reach.
  const billing = pick(['USD', 'EUR']);
  const source = pick(['microsoft', 'market', 'fixed'] as const);
  const cardCurrency = source === 'microsoft' ? billing : source === 'fixed' && billing === 'USD' ? pick(['EUR', 'JPY']) : pick(['USD', 'EUR', 'JPY']);
  const rates = billing === 'USD' ? ['1'] : ['0.92', '0.9175'];

  const meters = [
    { id: 'm-vm', category: 'Virtual Machines', name: 'D2 v3' },
    { id: 'm-lrs', category: 'Storage', name: 'LRS' },
    { id: 'm-bw', category: 'Bandwidth', name: 'Data Transfer Out' },
  ];
  const records: Record<string, unknown>[] = [];
  let resource = 0;
  for (const meter of meters) {
    for (const rg of ['rg-web', 'rg-data', 'rg-ops']) {
      const tags = pick(['{"project":"web"}', '{"project":"erp","owner":"ann"}', '{}']);
      const unitPrice = decimal(2, pick([3, 5]));
      const effective = d(unitPrice).times('0.85').toDecimalPlaces(6).toString();
      const rate = pick(rates);
      resource += 1;
      for (let day = 1; day <= 31; day += 1) {
        if (rnd() < 0.2) continue;
        const credit = rnd() < 0.12;
        const quantity = d(decimal(30, pick([0, 2, 6]))).times(credit ? -1 : 1);
        const formula = d(effective).times(quantity).times(rate).toDecimalPlaces(2, Decimal.ROUND_DOWN);
        // Now and then Microsoft's figure is not its formula's (a finding), or is a positive
        // charge for a negative quantity (a sign of its own).
        const cost = rnd() < 0.05 ? formula.plus('0.01') : credit && rnd() < 0.4 ? formula.abs() : formula;
        records.push(
          usageRecord({
            CustomerId: tenant,
            CustomerName: `Case ${seed}`,
            UsageDate: `10/${day}/2026 0:00`,
            MeterId: meter.id,
            MeterCategory: meter.category,
            MeterName: meter.name,
            ResourceGroup: rg,
            ResourceURI: `/subscriptions/ent-1/resourceGroups/${rg}/providers/x/r${resource}`,
            Tags: tags,
            UnitPrice: unitPrice,
            EffectiveUnitPrice: effective,
            Quantity: quantity.toString(),
            BillingPreTaxTotal: cost.toString(),
            BillingCurrency: billing,
            PricingCurrency: 'USD',
            PCToBCExchangeRate: rate,
          }),
        );
      }
    }
  }

  const markup = () => d(decimal(80, pick([0, 1, 4]))).minus(20);
  const categoryRule = (id: string, category: 'compute' | 'storage' | 'networking'): RateRule =>
    rnd() < 0.25 ? { id, match: { category }, unitPrice: d(decimal(0.05, 4)) } : { id, match: { category }, basis: pick(['cost', 'list'] as const), markupPercent: markup() };
  const scope = pick<RoundingScope>(['line', 'invoice']);
  const mode = pick<RoundingMode>(['half_up', 'half_even']);
  const card: RateCard = {
    id: `card-${seed}`,
    version: 1,
    currency: cardCurrency,
    rounding: { scope, mode },
    fx: { source },
    minimumMonthly: rnd() < 0.3 ? d(cardCurrency === 'JPY' ? 5000 : 50) : null,
    targetMarginPercent: d(15),
    rules: [categoryRule('compute', 'compute'), categoryRule('storage', 'storage'), { id: 'default', match: { default: true }, basis: 'cost', markupPercent: markup() }],
  };
  const marketTable: MarketRate[] = [];
  for (const date of ['2026-09-30', '2026-10-11', '2026-10-21']) {
    for (const from of ['USD', 'EUR']) {
      if (from !== cardCurrency) marketTable.push({ id: `${from}-${date}`, from, to: cardCurrency, date, rate: d(decimal(cardCurrency === 'JPY' ? 160 : 1.2, 4)).plus(cardCurrency === 'JPY' ? 100 : 0.5) });
    }
  }
  const fx: FxPolicy =
    source === 'microsoft' ? { source } : source === 'market' ? { source, table: marketTable } : { source, id: 'fixed-1', from: 'USD', to: cardCurrency, rate: d('0.9371'), date: '2026-10-01' };

  const split = pick([['33.33', '66.67'], ['50', '50'], ['12.5', '87.5']]);
  return {
    records,
    make: (customerId) => ({
      tenant,
      card,
      fx,
      rules: [
        { id: `${customerId}-web`, version: 1, priority: 1, match: { tag: { key: 'project', value: 'web' } }, splits: [{ costNodeId: 'web', percent: d(split[0]!) }, { costNodeId: 'ops', percent: d(split[1]!) }] },
        { id: `${customerId}-data`, version: 2, priority: 2, match: { resourceGroup: 'rg-data' }, splits: [{ costNodeId: 'data', percent: d(100) }] },
      ],
    }),
  };
}

let hub: TestHub;
const cases: Array<{ seed: number; customerId: string; c: Case }> = [];

beforeAll(async () => {
  hub = await createTestHub();
  const generated = Array.from({ length: CASES }, (_, i) => ({ seed: 9100 + i, ...generate(9100 + i) }));
  await ingestUsageRecords(hub.database, generated.flatMap((g) => g.records));
  for (const g of generated) {
    const tenant = `d4e5f6a7-0000-4000-8000-${String(g.seed).padStart(12, '0')}`;
    const customerId = (await hub.ctx.db.selectFrom('external_links').select('entity_id').where('external_id', '=', tenant).executeTakeFirstOrThrow()).entity_id;
    cases.push({ seed: g.seed, customerId, c: g.make(customerId) });
  }
}, 120_000);

afterAll(async () => {
  await hub?.close();
});

function closeWith(customerId: string, c: Case, lines: CustomerCloseInput['lines'], costCheckLines: CustomerCloseInput['costCheckLines'] = []): CustomerCloseResult {
  return closeCustomerPeriod({
    customerId,
    period: PERIOD,
    lines,
    costCheckLines,
    late: [],
    mapping: DEFAULT_CATEGORY_MAPPING,
    card: c.card,
    fx: c.fx,
    allocationRules: c.rules,
    unallocatedNodeId: 'unallocated',
    requiredTags: ['project'],
  });
}

describe('the close by aggregation', () => {
  it(`equals pricing every source line one by one and summing before rounding (${CASES} generated months)`, async () => {
    expect(cases).toHaveLength(CASES);
    let groupsSeen = 0;
    for (const { seed, customerId, c } of cases) {
      const label = `seed ${seed} (${c.card.currency}, ${c.fx.source}, ${c.card.rounding.scope} ${c.card.rounding.mode})`;
      const rateDates = c.fx.source === 'market' ? [...new Set(c.fx.table.map((r) => r.date))].sort() : [];
      const perLine = closeWith(customerId, c, (await loadPeriodLines(hub.ctx.db, customerId, PERIOD, c.card.currency)).lines);
      const { usage, candidates } = await withUsageGroups(hub.database, customerId, PERIOD, c.card.currency, rateDates, async (db, usage) => ({
        usage,
        candidates: await loadCostCheckCandidates(db, customerId, PERIOD, c.card.currency, usage.costCheckIds),
      }));
      const grouped = closeWith(customerId, c, usage.groups, candidates);
      groupsSeen += usage.groups.length;
      expect(usage.groups.length, label).toBeLessThan(usage.lineCount);

      expect(grouped.held, label).toBeNull();
      const a = grouped.invoice!;
      const b = perLine.invoice!;
      const view = (inv: typeof a) =>
        inv.lines.map((l) => ({ id: l.id, exact: l.exactAmount.toString(), amount: l.amount.toString(), quantity: l.quantity?.toString() ?? null, lines: sum(l.sources.map((s) => new Decimal(s.lineCount))).toString() }));
      expect(view(a), label).toEqual(view(b));
      expect([a.total, a.roundingAdjustment, a.minimumCharge].map(String), label).toEqual([b.total, b.roundingAdjustment, b.minimumCharge].map(String));
      expect(JSON.stringify(a.subtotalsByCategory), label).toBe(JSON.stringify(b.subtotalsByCategory));
      expect(grouped.cost.toString(), label).toBe(perLine.cost.toString());
      expect(JSON.stringify(grouped.margin?.byCustomer), label).toBe(JSON.stringify(perLine.margin?.byCustomer));
      expect(JSON.stringify(grouped.margin?.byCustomerCategory), label).toBe(JSON.stringify(perLine.margin?.byCustomerCategory));
      const tags = (r: CustomerCloseResult) => [r.tagCompliance?.totalAmount.toString(), r.tagCompliance?.compliantAmount.toString(), r.tagCompliance?.nonCompliantLines];
      expect(tags(grouped), label).toEqual(tags(perLine));
      expect(grouped.unmappedLines, label).toBe(perLine.unmappedLines);
      expect(grouped.discrepancies.map((f) => f.lineId), label).toEqual(perLine.discrepancies.map((f) => f.lineId));

      const unit = minorUnit(c.card.currency);
      expect(a.subtotalsByCostNode.map((n) => n.costNodeId), label).toEqual(b.subtotalsByCostNode.map((n) => n.costNodeId));
      a.subtotalsByCostNode.forEach((n, i) => expect(n.amount.minus(b.subtotalsByCostNode[i]!.amount).abs().lessThanOrEqualTo(unit), `${label} node ${n.costNodeId}`).toBe(true));
      expect(sum(a.subtotalsByCostNode.map((n) => n.amount)).toString(), label).toBe(sum(b.subtotalsByCostNode.map((n) => n.amount)).toString());
    }
    expect(groupsSeen).toBeGreaterThan(0);
  });
});
