import { Decimal, ZERO, sum } from './decimal.ts';
import { roundToMinorUnit } from './money.ts';
import type { CurrencyCode, RoundingMode } from './types.ts';

/** A labour line as the pricing needs it (see migrations/0013_psa.ts). */
export interface LabourEntry {
  entryId: string;
  /** The engagement (project cost node); null for work outside any project. */
  costNodeId: string | null;
  billable: boolean;
  hoursWorked: Decimal;
  hoursBillable: Decimal;
  rate: Decimal | null;
}

export interface EngagementLabour {
  costNodeId: string | null;
  billableHours: Decimal;
  /** Hours of non-billable entries: reported, never charged. */
  nonBillableHours: Decimal;
  /** Σ billable hours × the entry's rate, full precision. */
  exactAmount: Decimal;
  /** exactAmount rounded once to the currency's minor unit. */
  amount: Decimal;
  /** Lineage: the PSA entries charged, and those only reported. */
  billableEntryIds: string[];
  nonBillableEntryIds: string[];
}

export interface LabourCharges {
  engagements: EngagementLabour[];
  total: Decimal;
}

/**
 * Labour priced per engagement: each billable entry's hours × its own rate, added up per
 * cost node at full precision and rounded once per engagement, so the total is the sum of
 * the engagement subtotals. Non-billable entries add hours to the report and nothing to
 * the amount. Engagements in cost node order, the one outside any project last.
 *
 * @example
 * priceLabour([{ entryId: '1', costNodeId: 'n1', billable: true, hoursWorked: new Decimal(10), hoursBillable: new Decimal(10), rate: new Decimal(150) }], 'USD')
 * // { engagements: [{ costNodeId: 'n1', amount: 1500.00, billableEntryIds: ['1'], ... }], total: 1500 }
 */
export function priceLabour(entries: readonly LabourEntry[], currency: CurrencyCode, mode: RoundingMode = 'half_up'): LabourCharges {
  const byNode = new Map<string | null, LabourEntry[]>();
  for (const e of entries) byNode.set(e.costNodeId, [...(byNode.get(e.costNodeId) ?? []), e]);
  const order = [...byNode.keys()].sort((a, b) => (a === null ? 1 : b === null ? -1 : a < b ? -1 : a > b ? 1 : 0));
  const engagements = order.map((costNodeId) => {
    const lines = byNode.get(costNodeId)!;
    const billable = lines.filter((l) => l.billable);
    const unbilled = lines.filter((l) => !l.billable);
    const exactAmount = sum(
      billable.map((l) => {
        if (l.rate === null) throw new Error(`labour entry ${l.entryId} is billable but has no rate`);
        return l.hoursBillable.times(l.rate);
      }),
    );
    return {
      costNodeId,
      billableHours: billable.reduce((s, l) => s.plus(l.hoursBillable), ZERO),
      nonBillableHours: unbilled.reduce((s, l) => s.plus(l.hoursWorked), ZERO),
      exactAmount,
      amount: roundToMinorUnit(exactAmount, currency, mode),
      billableEntryIds: billable.map((l) => l.entryId),
      nonBillableEntryIds: unbilled.map((l) => l.entryId),
    };
  });
  return { engagements, total: sum(engagements.map((e) => e.amount)) };
}

