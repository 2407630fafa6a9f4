import Type, { type Static } from 'typebox';
import type { InvoiceLineRow, InvoiceRow } from '../db/invoices.ts';
import { Decimal } from '../engine/decimal.ts';
import { Uuid } from './wire-types.ts';

// Invoices on the wire, two ways. A client sees its prices, quantities, periods and what
// they are for (PortalInvoice); never what the MSP paid Microsoft, its markup or margin,
// nor the internals a cost could be worked back from (rate rules, unrounded sums). The
// MSP's staff see that and more (Invoice). Separate schemas, so an integration partner
// building a client portal sees the difference in the OpenAPI document.

export const Money = Type.String({ pattern: '^-?[0-9]+(\\.[0-9]+)?$', description: 'Decimal string', examples: ['1234.56'] });
export const Period = Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', description: 'Billing month, YYYY-MM', examples: ['2026-10'] });
export const Nullable = <T extends Type.TSchema>(t: T) => Type.Union([t, Type.Null()]);

/** An amount already rounded to the currency's minor unit, written with all its places ("744.90", not "744.9"). */
export function atPlaces(value: string, places: number): string {
  return new Decimal(value).toFixed(places);
}

const PortalInvoiceLine = Type.Object({
  id: Uuid,
  position: Type.Integer(),
  kind: Type.String({ description: 'charge, adjustment (late usage of an earlier period), labour (one engagement of PSA labour), minimum or rounding' }),
  description: Type.String(),
  category: Nullable(Type.String()),
  subscriptionId: Nullable(Type.String()),
  resourceGroup: Nullable(Type.String()),
  meterId: Nullable(Type.String()),
  sku: Nullable(Type.String()),
  adjustment: Nullable(Type.Object({ id: Type.String(), period: Period, label: Type.String() })),
  quantity: Nullable(Money),
  amount: Money,
});

export const PortalInvoice = Type.Object(
  {
    id: Uuid,
    number: Type.String({ examples: ['INV-2026-10-1A2B3C4D-r1'] }),
    customerId: Uuid,
    customerName: Type.String(),
    period: Period,
    revision: Type.Integer({ description: '1 for the first issue; a changed input issues the next revision and supersedes this one' }),
    status: Type.String({ description: 'issued, or superseded (kept, never edited)' }),
    supersededBy: Nullable(Uuid),
    currency: Type.String(),
    totals: Type.Object(
      { charges: Money, adjustments: Money, labour: Money, minimum: Money, rounding: Money, total: Money },
      { description: "Tax-free; total = charges + adjustments + labour + minimum + rounding = Σ lines[].amount exactly. labour: the PSA's billable hours × each entry's rate, per engagement" },
    ),
    subtotalsByCategory: Type.Record(Type.String(), Money, { description: "This period's charges per charge category" }),
    subtotalsByCostNode: Type.Array(Type.Object({ costNodeId: Uuid, name: Nullable(Type.String()), amount: Money }), {
      description: "Charges and adjustments per node of the client's own hierarchy (the minimum top-up is not allocated)",
    }),
    issuedAt: Type.String({ format: 'date-time' }),
    lines: Type.Optional(Type.Array(PortalInvoiceLine)),
  },
  { $id: 'PortalInvoice', description: 'An invoice as its client sees it: no cost, markup, margin or lineage' },
);
type PortalInvoiceType = Static<typeof PortalInvoice>;

const InvoiceLineView = Type.Object({
  ...PortalInvoiceLine.properties,
  key: Type.String({ description: "The engine's deterministic key of the group the line stands for" }),
  exactAmount: Type.String({ description: 'The exact sum of the source lines’ prices before display rounding' }),
  cost: Type.String({ description: "Microsoft's cost of the source lines, in the invoice currency, full precision" }),
  rateRuleId: Nullable(Type.String()),
  rateCardVersion: Type.Integer(),
  sourceCount: Type.Integer({ description: 'Partner Center lines behind this line' }),
});

const LabourEntryRef = Type.Object({
  labourLineId: Uuid,
  system: Type.String({ examples: ['connectwise'] }),
  entryId: Type.String({ description: "The PSA's time entry id" }),
  version: Type.Integer({ description: 'The version of the entry that was read (an edit makes the next one)' }),
});

const LabourReport = Type.Object(
  {
    total: Money,
    engagements: Type.Array(
      Type.Object({
        costNodeId: Nullable(Uuid),
        name: Nullable(Type.String()),
        lineKey: Nullable(Type.String({ description: "Key of the labour line charging it; null when it had only non-billable hours" })),
        billableHours: Type.String(),
        nonBillableHours: Type.String({ description: 'Reported, never charged' }),
        amount: Money,
        billableEntries: Type.Array(LabourEntryRef),
        nonBillableEntries: Type.Array(LabourEntryRef),
      }),
    ),
  },
  { description: "The PSA labour of the period per engagement (project cost node; null: outside any project): what was billed and the non-billable hours only reported, with each entry's version" },
);

export const InvoiceView = Type.Object(
  {
    ...PortalInvoice.properties,
    labour: Nullable(LabourReport),
    billingRunId: Uuid,
    rateCard: Type.Object({ id: Uuid, version: Type.Integer(), versionId: Uuid }),
    rounding: Type.Object({ scope: Type.String(), mode: Type.String(), places: Type.Integer() }),
    cost: Type.String({ description: "Microsoft's cost of every priced line, in the invoice currency" }),
    lines: Type.Optional(Type.Array(InvoiceLineView)),
  },
  { $id: 'Invoice', description: "An invoice as the MSP's staff see it: with Microsoft's cost and the rate card that priced it" },
);
type InvoiceViewType = Static<typeof InvoiceView>;

export function toPortalInvoice(row: InvoiceRow & { customer_name: string }): Omit<PortalInvoiceType, 'lines'> {
  const places = row.minor_units;
  return {
    id: row.id,
    number: row.number,
    customerId: row.customer_id,
    customerName: row.customer_name,
    period: row.period,
    revision: row.revision,
    status: row.status,
    supersededBy: row.superseded_by,
    currency: row.currency,
    totals: {
      charges: atPlaces(row.charges_total, places),
      adjustments: atPlaces(row.adjustments_total, places),
      labour: atPlaces(row.labour_total, places),
      minimum: atPlaces(row.minimum_charge, places),
      rounding: atPlaces(row.rounding_adjustment, places),
      total: atPlaces(row.total, places),
    },
    subtotalsByCategory: Object.fromEntries(Object.entries(row.subtotals_by_category as Record<string, string>).map(([k, v]) => [k, atPlaces(v, places)])),
    subtotalsByCostNode: (row.subtotals_by_cost_node as PortalInvoiceType['subtotalsByCostNode']).map((n) => ({
      costNodeId: n.costNodeId,
      name: n.name,
      amount: atPlaces(n.amount, places),
    })),
    issuedAt: row.issued_at.toISOString(),
  };
}

export function toPortalLine(l: InvoiceLineRow, places: number): Static<typeof PortalInvoiceLine> {
  return {
    id: l.id,
    position: l.position,
    kind: l.kind,
    description: l.description,
    category: l.category,
    subscriptionId: l.subscription_id,
    resourceGroup: l.resource_group,
    meterId: l.meter_id,
    sku: l.sku,
    adjustment: l.adjustment_id ? { id: l.adjustment_id, period: l.adjustment_period!, label: l.adjustment_label! } : null,
    quantity: l.quantity,
    amount: atPlaces(l.amount, places),
  };
}

export function toInvoiceView(row: InvoiceRow & { customer_name: string }): Omit<InvoiceViewType, 'lines'> {
  return {
    ...toPortalInvoice(row),
    billingRunId: row.billing_run_id,
    rateCard: { id: row.rate_card_id, version: row.rate_card_version, versionId: row.rate_card_version_id },
    rounding: { scope: row.rounding_scope, mode: row.rounding_mode, places: row.minor_units },
    cost: row.cost,
    labour: (row.labour ?? null) as Static<typeof LabourReport> | null,
  };
}

export function toInvoiceLine(l: InvoiceLineRow, places: number): Static<typeof InvoiceLineView> {
  return {
    ...toPortalLine(l, places),
    key: l.line_key,
    exactAmount: l.exact_amount,
    cost: l.cost,
    rateRuleId: l.rate_rule_id,
    rateCardVersion: l.rate_card_version,
    sourceCount: l.source_count,
  };
}
