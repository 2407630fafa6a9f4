/**
 * The invoice as a document: a plain, serialisable view model built from the engine's
 * `Invoice` plus the header facts the engine does not know (number, dates, parties).
 *
 * One `InvoiceDocument` carries both layouts a renderer may need:
 * - `detailed` (enterprise clients): the current period's charges, then one section per
 *   late-usage adjustment (labelled with the period it belongs to), each grouped
 *   subscription → resource group → meter with quantity, unit, effective unit price,
 *   amount, category and cost node;
 * - `summary` (SMB clients): one row per charge category, one per adjustment;
 * and, for both, the subtotals per cost node and the totals block (charges, each
 * adjustment, the minimum-charge top-up, the rounding difference, the total due).
 *
 * Every figure is a `Figure` (`value` for machines, `display` for people), formatted in
 * the currency's minor unit. Nothing is recomputed or re-rounded: the document shows
 * the engine's amounts, and `toInvoiceDocument` refuses to build a document whose rows
 * would not add up to the invoice's total exactly.
 */
import { CHARGE_CATEGORIES } from '../engine/categories.ts';
import { Decimal, HUNDRED, ZERO, sum } from '../engine/decimal.ts';
import { toDayNumber } from '../engine/dates.ts';
import { minorUnits } from '../engine/money.ts';
import type { BillingPeriod, ChargeCategory, CostNode, CurrencyCode, Invoice, InvoiceLine, IsoDate } from '../engine/types.ts';
import { DocumentError } from './errors.ts';
import { type Figure, formatDate, formatMoney, formatPercent, formatPeriod, formatQuantity, formatUnitPrice } from './format.ts';

export type { Figure } from './format.ts';

/** `detailed`: per subscription, resource group and meter. `summary`: per charge category. */
export type DocumentFormat = 'detailed' | 'summary';
/** The file a document is rendered to. */
export type DocumentType = 'pdf' | 'html' | 'csv';

export const DOCUMENT_FORMATS: readonly DocumentFormat[] = Object.freeze(['detailed', 'summary']);
export const DOCUMENT_TYPES: readonly DocumentType[] = Object.freeze(['pdf', 'html', 'csv']);

/** How each charge category is named on a document. */
export const CATEGORY_LABELS: Readonly<Record<ChargeCategory, string>> = Object.freeze({
  compute: 'Compute',
  storage: 'Storage',
  networking: 'Networking',
  databases: 'Databases',
  licenses: 'Licenses',
  marketplace: 'Marketplace',
  support: 'Support',
  other: 'Other',
});

// ─── Input: the header facts the engine does not know ──────────────────────────

export interface InvoiceParty {
  name: string;
  addressLines?: readonly string[];
  taxId?: string | null;
}

export interface InvoiceCustomer extends InvoiceParty {
  billingEmail?: string | null;
}

export interface InvoiceHeader {
  invoiceNumber: string;
  /** Issue date 'YYYY-MM-DD'; also the PDF's creation date, so the same input renders the same bytes. */
  issuedAt: IsoDate;
  dueDate?: IsoDate | null;
  /** 1 for the first issue; a reissue of the same invoice number counts up. Default 1. */
  revision?: number;
  seller: InvoiceParty;
  customer: InvoiceCustomer;
  notes?: readonly string[];
  /** Display names of subscriptions by id (e.g. 'Production'); the id is shown when absent. */
  subscriptionNames?: Readonly<Record<string, string>>;
  /** The customer's cost-node tree, to name nodes by their path ('Contoso › Finance'). */
  costNodes?: readonly CostNode[];
  /** Unit of measure by meter id or 'ProductId:SkuId' (e.g. '1 Hour', 'Licenses'); blank when absent. */
  units?: Readonly<Record<string, string>>;
}

// ─── Output: the view model ────────────────────────────────────────────────────

export interface DocumentParty {
  name: string;
  addressLines: string[];
  taxId: string | null;
  billingEmail: string | null;
}

export interface DocumentCostShare {
  costNodeId: string;
  label: string;
  /** Share of the line, percent to two decimals ('60', '33.33'); null on a zero line. */
  percent: string | null;
}

/** One detailed line: one meter (licences: one SKU) of one resource group of one subscription. */
export interface DetailLine {
  /** The engine's invoice line id (its lineage key). */
  id: string;
  kind: 'charge' | 'adjustment';
  category: ChargeCategory | null;
  categoryLabel: string;
  subscriptionId: string | null;
  resourceGroup: string | null;
  /** Meter id, or 'ProductId:SkuId' when the line has no meter (licences). */
  meter: string | null;
  description: string;
  costNodes: DocumentCostShare[];
  /** 'Finance', or 'Finance 60% / Operations 40%' when the line is split. */
  costNodeLabel: string;
  quantity: Figure | null;
  unit: string | null;
  /** Effective unit price: amount ÷ quantity (null when the quantity is zero). */
  unitPrice: Figure | null;
  amount: Figure;
  /** Partner Center lines (usage or licence) behind this line. */
  sourceLineCount: number;
}

export interface ResourceGroupBlock {
  resourceGroup: string | null;
  label: string;
  subtotal: Figure;
  lines: DetailLine[];
}

export interface SubscriptionBlock {
  subscriptionId: string;
  name: string | null;
  label: string;
  subtotal: Figure;
  resourceGroups: ResourceGroupBlock[];
}

/** The current period's charges, or one late-usage adjustment. */
export interface DetailSection {
  kind: 'charges' | 'adjustment';
  adjustmentId: string | null;
  /** 'Charges for November 2026', 'Late usage (October 2026)'. */
  title: string;
  /** The invoice's period, or the earlier period the adjustment's lines belong to. */
  period: BillingPeriod;
  subtotal: Figure;
  subscriptions: SubscriptionBlock[];
}

/** One summary row: a charge category of this period, or one adjustment. */
export interface SummaryRow {
  kind: 'charge' | 'adjustment';
  category: ChargeCategory | null;
  adjustmentId: string | null;
  label: string;
  period: BillingPeriod;
  amount: Figure;
  /** Detailed lines this row adds up. */
  lineCount: number;
  sourceLineCount: number;
}

export interface CostNodeRow {
  costNodeId: string;
  label: string;
  amount: Figure;
}

/** One engagement's PSA labour: billable hours × each entry's own rate, one invoice line. */
export interface LabourRow {
  lineId: string;
  /** The engagement's cost node (the unallocated node for work outside any project). */
  costNodeId: string;
  /** 'Labour, Migration: 12.5 h' */
  label: string;
  hours: Figure;
  /** Effective hourly rate: amount ÷ hours. */
  unitPrice: Figure | null;
  amount: Figure;
  /** PSA time entries billed on the line. */
  entryCount: number;
}

/** One engagement (cost node) of a combined invoice: its infrastructure and labour, with their subtotal. */
export interface EngagementRow {
  costNodeId: string;
  label: string;
  /** Microsoft charges and adjustments allocated to the node. */
  infrastructure: Figure;
  labour: Figure;
  subtotal: Figure;
}

/** One row of the totals block; the rows add up to `total`. */
export interface TotalRow {
  kind: 'charges' | 'adjustment' | 'labour' | 'minimum' | 'rounding';
  label: string;
  period: BillingPeriod;
  amount: Figure;
}

export interface InvoiceDocument {
  invoiceNumber: string;
  revision: number;
  issuedAt: IsoDate;
  issuedAtLabel: string;
  dueDate: IsoDate | null;
  dueDateLabel: string | null;
  period: { code: BillingPeriod; label: string; from: IsoDate; to: IsoDate; range: string };
  currency: CurrencyCode;
  /** Decimal places of the currency's minor unit (JPY 0, USD 2, BHD 3). */
  minorUnits: number;
  seller: DocumentParty;
  customer: DocumentParty;
  notes: string[];
  /** Detailed layout: this period's charges first, then each adjustment. */
  detailed: DetailSection[];
  /** Summary layout: categories in the engine's order, then each adjustment. */
  summary: SummaryRow[];
  /** Charges and adjustments per cost node (the minimum top-up is not allocated). */
  costNodes: CostNodeRow[];
  costNodesTotal: Figure;
  /** PSA labour per engagement (empty when the invoice carries none). */
  labour: LabourRow[];
  /** Per engagement: infrastructure, labour and their subtotal; empty when the invoice carries no labour (then `costNodes` says it all). */
  engagements: EngagementRow[];
  /** Charges this period, each adjustment, minimum top-up, rounding: they add up to `total`. */
  totals: TotalRow[];
  total: Figure;
}

// ─── Building it ───────────────────────────────────────────────────────────────

function bad(message: string, details: Record<string, unknown> = {}): DocumentError {
  return new DocumentError(message, details);
}

function text(value: string | null | undefined): string {
  return (value ?? '').trim();
}

function checkDate(date: string, field: string): void {
  try {
    toDayNumber(date);
  } catch {
    throw bad(`The ${field} "${date}" is not a calendar date (YYYY-MM-DD)`, { field, value: date });
  }
}

function validateHeader(header: InvoiceHeader): void {
  if (text(header.invoiceNumber) === '') throw bad('The invoice number is blank', { field: 'invoiceNumber' });
  checkDate(header.issuedAt, 'issuedAt');
  if (header.dueDate) {
    checkDate(header.dueDate, 'dueDate');
    if (header.dueDate < header.issuedAt) {
      throw bad(`The due date ${header.dueDate} is before the issue date ${header.issuedAt}`, { field: 'dueDate', value: header.dueDate });
    }
  }
  const revision = header.revision ?? 1;
  if (!Number.isInteger(revision) || revision < 1) throw bad(`The revision must be a whole number from 1, got ${revision}`, { field: 'revision', value: revision });
  if (text(header.seller?.name) === '') throw bad("The seller's name is blank", { field: 'seller.name' });
  if (text(header.customer?.name) === '') throw bad("The customer's name is blank", { field: 'customer.name' });
}

function party(p: InvoiceCustomer): DocumentParty {
  return {
    name: text(p.name),
    addressLines: (p.addressLines ?? []).map(text).filter((l) => l !== ''),
    taxId: text(p.taxId) || null,
    billingEmail: text(p.billingEmail) || null,
  };
}

/** Names cost nodes by their path in the tree: 'Contoso › Finance › Payroll'. Unknown ids are shown as they are. */
function costNodeLabeller(nodes: readonly CostNode[]): (id: string) => string {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const cache = new Map<string, string>();
  return (id) => {
    const cached = cache.get(id);
    if (cached !== undefined) return cached;
    const names: string[] = [];
    const seen = new Set<string>();
    let node = byId.get(id);
    if (!node) names.push(id);
    while (node && !seen.has(node.id)) {
      seen.add(node.id);
      names.unshift(text(node.name) || node.id);
      node = node.parentId === null ? undefined : byId.get(node.parentId);
    }
    const label = names.join(' › ');
    cache.set(id, label);
    return label;
  };
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const categoryRank = (category: ChargeCategory | null): number => (category === null ? CHARGE_CATEGORIES.length : CHARGE_CATEGORIES.indexOf(category));

/**
 * Build the document of an invoice.
 *
 * @example
 *   const doc = toInvoiceDocument(invoice, {
 *     invoiceNumber: 'INV-2026-0042', issuedAt: '2026-12-01', dueDate: '2026-12-31',
 *     seller: { name: 'Northwind MSP', addressLines: ['1 Harbour Road', 'Leeds'] },
 *     customer: { name: 'Smith & Sons <Ltd>', billingEmail: 'ap@smith.example' },
 *   });
 *   doc.total.display; // '1,234.56' — exactly invoice.total
 */
export function toInvoiceDocument(invoice: Invoice, header: InvoiceHeader): InvoiceDocument {
  validateHeader(header);
  const currency = invoice.currency;
  const places = minorUnits(currency);
  const money = (amount: Decimal): Figure => formatMoney(amount, currency);
  const period = formatPeriod(invoice.period);
  const costNodeLabel = costNodeLabeller(header.costNodes ?? []);
  const subscriptionNames = header.subscriptionNames ?? {};
  const units = header.units ?? {};

  for (const line of invoice.lines) {
    if (line.kind === 'adjustment' && !line.adjustment) throw bad(`Adjustment line ${line.id} names no adjustment`, { lineId: line.id });
  }
  const adjustmentTitle = (a: { label: string; originalPeriod: BillingPeriod }): string => `${a.label} (${formatPeriod(a.originalPeriod).label})`;

  // Detailed: sections (charges, then each adjustment in the invoice's order) → subscription → resource group → line.
  const detailLine = (line: InvoiceLine): DetailLine => {
    const byNode = new Map<string, Decimal>();
    for (const source of line.sources) {
      for (const a of source.allocations) byNode.set(a.costNodeId, (byNode.get(a.costNodeId) ?? ZERO).plus(a.amount));
    }
    const costNodes = [...byNode]
      .sort(([ida, a], [idb, b]) => b.comparedTo(a) || compare(ida, idb))
      .map(([costNodeId, amount]) => ({
        costNodeId,
        label: costNodeLabel(costNodeId),
        percent: line.exactAmount.isZero() ? null : formatPercent(amount.div(line.exactAmount).times(HUNDRED)),
      }));
    const prefix = line.adjustment ? `${line.adjustment.label} (${line.adjustment.originalPeriod}): ` : '';
    const description = prefix && line.description.startsWith(prefix) ? line.description.slice(prefix.length) : line.description;
    const meter = line.meterId ?? line.sku;
    return {
      id: line.id,
      kind: line.kind === 'adjustment' ? 'adjustment' : 'charge',
      category: line.category,
      categoryLabel: line.category ? CATEGORY_LABELS[line.category] : '',
      subscriptionId: line.subscriptionId,
      resourceGroup: line.resourceGroup,
      meter,
      description,
      costNodes,
      costNodeLabel: costNodes.length === 1 ? (costNodes[0]?.label ?? '') : costNodes.map((n) => (n.percent === null ? n.label : `${n.label} ${n.percent}%`)).join(' / '),
      quantity: line.quantity === null ? null : formatQuantity(line.quantity),
      unit: (line.meterId ? units[line.meterId] : undefined) ?? (line.sku ? units[line.sku] : undefined) ?? null,
      unitPrice: formatUnitPrice(line.amount, line.quantity, currency),
      amount: money(line.amount),
      sourceLineCount: line.sources.length,
    };
  };

  const section = (kind: DetailSection['kind'], lines: InvoiceLine[], adjustment: InvoiceLine['adjustment']): { section: DetailSection; amount: Decimal } => {
    const subscriptions = new Map<string, Map<string, InvoiceLine[]>>();
    for (const line of lines) {
      const subscriptionId = line.subscriptionId ?? '';
      const groups = subscriptions.get(subscriptionId) ?? new Map<string, InvoiceLine[]>();
      const rg = line.resourceGroup ?? '\u0000none';
      groups.set(rg, [...(groups.get(rg) ?? []), line]);
      subscriptions.set(subscriptionId, groups);
    }
    const blocks: SubscriptionBlock[] = [...subscriptions].map(([subscriptionId, groups]) => {
      const name = text(subscriptionNames[subscriptionId]) || null;
      const resourceGroups: ResourceGroupBlock[] = [...groups.values()]
        .map((rgLines) => {
          const resourceGroup = rgLines[0]?.resourceGroup ?? null;
          const sorted = rgLines
            .map((l) => ({ l, view: detailLine(l) }))
            .sort(
              (a, b) =>
                categoryRank(a.l.category) - categoryRank(b.l.category) ||
                compare(a.view.description, b.view.description) ||
                compare(a.view.meter ?? '', b.view.meter ?? '') ||
                compare(a.l.id, b.l.id),
            );
          return {
            resourceGroup,
            label: resourceGroup ?? 'No resource group',
            subtotal: money(sum(rgLines.map((l) => l.amount))),
            lines: sorted.map((s) => s.view),
          };
        })
        .sort((a, b) => (a.resourceGroup === null ? 1 : 0) - (b.resourceGroup === null ? 1 : 0) || compare(a.label, b.label));
      const all = [...groups.values()].flat();
      return {
        subscriptionId,
        name,
        label: name ? `${name} (${subscriptionId})` : subscriptionId || 'No subscription',
        subtotal: money(sum(all.map((l) => l.amount))),
        resourceGroups,
      };
    });
    blocks.sort((a, b) => compare(a.label, b.label) || compare(a.subscriptionId, b.subscriptionId));
    const amount = sum(lines.map((l) => l.amount));
    return {
      amount,
      section: {
        kind,
        adjustmentId: adjustment?.id ?? null,
        title: adjustment ? adjustmentTitle(adjustment) : `Charges for ${period.label}`,
        period: adjustment?.originalPeriod ?? invoice.period,
        subtotal: money(amount),
        subscriptions: blocks,
      },
    };
  };

  const chargeLines = invoice.lines.filter((l) => l.kind === 'charge');
  const adjustments = new Map<string, { adjustment: NonNullable<InvoiceLine['adjustment']>; lines: InvoiceLine[] }>();
  for (const line of invoice.lines) {
    if (line.kind !== 'adjustment' || !line.adjustment) continue;
    const entry = adjustments.get(line.adjustment.id) ?? { adjustment: line.adjustment, lines: [] };
    entry.lines.push(line);
    adjustments.set(line.adjustment.id, entry);
  }
  const charges = section('charges', chargeLines, null);
  const adjustmentSections = [...adjustments.values()].map(({ adjustment, lines }) => ({ adjustment, ...section('adjustment', lines, adjustment) }));
  const detailed = [...(chargeLines.length > 0 ? [charges.section] : []), ...adjustmentSections.map((s) => s.section)];

  // Summary: the engine's per-category and per-adjustment lines.
  const linesById = new Map(invoice.lines.map((l) => [l.id, l]));
  const summary: SummaryRow[] = [];
  for (const row of invoice.summary) {
    if (row.kind !== 'charge' && row.kind !== 'adjustment') continue;
    const adjustment = row.adjustmentId ? adjustments.get(row.adjustmentId)?.adjustment : undefined;
    if (row.kind === 'adjustment' && !adjustment) throw bad(`Summary row for adjustment ${row.adjustmentId ?? ''} has no detailed lines`);
    summary.push({
      kind: row.kind,
      category: row.category,
      adjustmentId: row.adjustmentId,
      label: adjustment ? adjustmentTitle(adjustment) : row.category ? CATEGORY_LABELS[row.category] : row.description,
      period: adjustment?.originalPeriod ?? invoice.period,
      amount: money(row.amount),
      lineCount: row.lineIds.length,
      sourceLineCount: row.lineIds.reduce((n, id) => n + (linesById.get(id)?.sources.length ?? 0), 0),
    });
  }

  // Totals block: charges, each adjustment, minimum, rounding.
  const special = (kind: 'minimum' | 'rounding'): InvoiceLine[] => invoice.lines.filter((l) => l.kind === kind);
  const totalParts: Array<{ row: Omit<TotalRow, 'amount'>; amount: Decimal }> = [];
  if (chargeLines.length > 0) totalParts.push({ row: { kind: 'charges', label: `Charges for ${period.label}`, period: invoice.period }, amount: charges.amount });
  for (const s of adjustmentSections) {
    totalParts.push({ row: { kind: 'adjustment', label: s.section.title, period: s.adjustment.originalPeriod }, amount: s.amount });
  }
  const labourLines = invoice.lines.filter((l) => l.kind === 'labour');
  const labourTotal = sum(labourLines.map((l) => l.amount));
  if (labourLines.length > 0) totalParts.push({ row: { kind: 'labour', label: `Labour for ${period.label}`, period: invoice.period }, amount: labourTotal });
  for (const kind of ['minimum', 'rounding'] as const) {
    for (const line of special(kind)) totalParts.push({ row: { kind, label: line.description, period: invoice.period }, amount: line.amount });
  }
  const totals: TotalRow[] = totalParts.map((p) => ({ ...p.row, amount: money(p.amount) }));

  // The figures shown must be the invoice's, exactly.
  const shownTotal = sum(totalParts.map((p) => p.amount));
  const summaryTotal = sum(invoice.summary.map((s) => s.amount));
  const unexplained = invoice.lines.filter((l) => !['charge', 'adjustment', 'labour', 'minimum', 'rounding'].includes(l.kind));
  if (unexplained.length > 0 || !shownTotal.equals(invoice.total) || !summaryTotal.equals(invoice.total) || !sum(invoice.lines.map((l) => l.amount)).equals(invoice.total)) {
    throw bad(`Invoice ${header.invoiceNumber}: the document's rows add up to ${shownTotal.toFixed(places)}, not the invoice total ${invoice.total.toString()}; refusing to render it`, {
      shown: shownTotal.toString(),
      total: invoice.total.toString(),
    });
  }

  const costNodes = invoice.subtotalsByCostNode
    .map((n) => ({ costNodeId: n.costNodeId, label: costNodeLabel(n.costNodeId), amount: n.amount }))
    .sort((a, b) => compare(a.label, b.label) || compare(a.costNodeId, b.costNodeId));

  // Labour: one row per engagement line; its cost node is where the engine allocated it.
  const labourNode = (line: InvoiceLine): string => {
    const node = line.sources.flatMap((s) => s.allocations)[0]?.costNodeId;
    if (!node) throw bad(`Labour line ${line.id} names no engagement`, { lineId: line.id });
    return node;
  };
  const labour: LabourRow[] = labourLines.map((l) => ({
    lineId: l.id,
    costNodeId: labourNode(l),
    label: l.description,
    hours: formatQuantity(l.quantity ?? ZERO),
    unitPrice: formatUnitPrice(l.amount, l.quantity, currency),
    amount: money(l.amount),
    entryCount: l.sources.length,
  }));
  const labourOnNode = new Map<string, Decimal>();
  for (const l of labourLines) labourOnNode.set(labourNode(l), (labourOnNode.get(labourNode(l)) ?? ZERO).plus(l.amount));
  const engagements: EngagementRow[] =
    labourLines.length === 0
      ? []
      : costNodes.map((n) => {
          const onNode = labourOnNode.get(n.costNodeId) ?? ZERO;
          return { costNodeId: n.costNodeId, label: n.label, infrastructure: money(n.amount.minus(onNode)), labour: money(onNode), subtotal: money(n.amount) };
        });

  return {
    invoiceNumber: text(header.invoiceNumber),
    revision: header.revision ?? 1,
    issuedAt: header.issuedAt,
    issuedAtLabel: formatDate(header.issuedAt),
    dueDate: header.dueDate ?? null,
    dueDateLabel: header.dueDate ? formatDate(header.dueDate) : null,
    period,
    currency,
    minorUnits: places,
    seller: party(header.seller),
    customer: party(header.customer),
    notes: (header.notes ?? []).map(text).filter((n) => n !== ''),
    detailed,
    summary,
    costNodes: costNodes.map((n) => ({ costNodeId: n.costNodeId, label: n.label, amount: money(n.amount) })),
    costNodesTotal: money(sum(costNodes.map((n) => n.amount))),
    labour,
    engagements,
    totals,
    total: money(invoice.total),
  };
}
