/**
 * What the demo's summary says about customers that got no invoice: every customer the
 * hub knows is either invoiced or named with the reason, so a missing invoice never
 * passes unexplained.
 */

export interface RunCustomerOutcome {
  customerId: string;
  outcome: string;
  unpricedLines: number;
  problems: { lineId?: string; reason: string }[];
}

export interface RunForReport {
  customers?: RunCustomerOutcome[];
  errors: { customerId?: string; message: string }[];
}

export interface CustomerWithoutInvoice {
  customer: string;
  reason: string;
}

/**
 * The customers without an invoice for the period, and why.
 *
 * @example
 *   customersWithoutInvoice([{ id: 'c1', name: 'Fourth Coffee AG' }], { customers: [], errors: [] }, new Set(), '2026-11')
 *   // [{ customer: 'Fourth Coffee AG', reason: 'no usage or licence lines for 2026-11 were synced: nothing to bill' }]
 */
export function customersWithoutInvoice(
  customers: readonly { id: string; name: string }[],
  run: RunForReport,
  invoicedCustomerIds: ReadonlySet<string>,
  period: string,
): CustomerWithoutInvoice[] {
  const outcomes = new Map((run.customers ?? []).map((c) => [c.customerId, c]));
  return customers
    .filter((c) => !invoicedCustomerIds.has(c.id))
    .map((c) => ({ customer: c.name, reason: reasonFor(outcomes.get(c.id), run.errors.find((e) => e.customerId === c.id), period) }));
}

function reasonFor(outcome: RunCustomerOutcome | undefined, error: { message: string } | undefined, period: string): string {
  if (!outcome) return `no usage or licence lines for ${period} were synced: nothing to bill`;
  const first = outcome.problems[0]?.reason;
  switch (outcome.outcome) {
    case 'no_rate_card':
      return 'held: no approved rate card covers the period';
    case 'unpriced':
      return `held: ${outcome.unpricedLines} line(s) no rate card rule prices${first ? ` (${first})` : ''}`;
    case 'failed':
      return `failed: ${error?.message ?? first ?? "see the billing run's errors"}`;
    default:
      return `${outcome.outcome}, but no invoice is listed for ${period}`;
  }
}
