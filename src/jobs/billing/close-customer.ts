import { createHash, randomUUID } from 'node:crypto';
import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { HubContext } from '../../context.ts';
import { loadAllocationRules } from '../../db/allocation-rules.ts';
import { writeAudit } from '../../db/audit.ts';
import { queueInvoiceDelivery } from '../../db/invoice-deliveries.ts';
import { loadLateLines, loadPeriodLicences, periodDigest, sourceOfLineId } from '../../db/billing-lines.ts';
import { loadCategoryMapping } from '../../db/charge-categories.ts';
import { kyselyOnClient, type Db } from '../../db/database.ts';
import { loadEffectiveRateCard, loadFxPolicy, type EffectiveRateCard } from '../../db/rate-cards.ts';
import { loadSeatSubscriptions } from '../../db/seat-subscriptions.ts';
import { runStageOf } from '../../db/run-usage-stage.ts';
import { dropStagedUsage, loadCostCheckCandidates, loadUsageGroups, marketRateDates } from '../../db/usage-groups.ts';
import type { Database } from '../../db/types.ts';
import { tagKeysOf } from '../../engine/allocation.ts';
import { closeCustomerPeriod, type CustomerCloseResult, type LateAdjustmentInput } from '../../engine/close.ts';
import { addLabour, addLateLabour, labourCurrencyProblem, type EngagementReport } from '../../engine/labour-invoice.ts';
import { loadLateLabour, loadPeriodLabour, type LateLabour, type PeriodLabour } from '../../db/period-labour.ts';
import { periodBounds } from '../../engine/dates.ts';
import type { CostDiscrepancy, FxPolicy, SeatFinding, TagCompliance } from '../../engine/types.ts';
import { lateAdjustmentsToHold, requestLateApprovals, type HeldLateAdjustment } from './late-approval.ts';
import { addCloseProgress, recordCloseError } from './run-progress.ts';
import { saveInvoice, supersede } from './save-invoice.ts';

export interface CloseCustomerPayload {
  runId: string;
  customerId: string;
}

const ACTOR = { actor: 'system:billing:close_customer' };
const MAX_PROBLEMS = 100;

/** INV-2026-10-1A2B3C4D-r2: stable per customer, period and revision. */
export function invoiceNumber(customerId: string, period: string, revision: number): string {
  return `INV-${period}-${customerId.replace(/-/g, '').slice(0, 8).toUpperCase()}-r${revision}`;
}

function fxJson(fx: FxPolicy): unknown {
  if (fx.source === 'market') return { source: 'market', rates: fx.table.map((r) => ({ id: r.id ?? null, from: r.from, to: r.to, date: r.date, rate: r.rate.toString() })) };
  if (fx.source === 'fixed') return { source: 'fixed', id: fx.id ?? null, from: fx.from, to: fx.to, date: fx.date, rate: fx.rate.toString() };
  return { source: 'microsoft', note: "each line's own PCToBCExchangeRate" };
}

/**
 * `billing_run_customers.tag_compliance`: the share of the period's usage cost (Microsoft's
 * BillingPreTaxTotal, in the lines' billing currency) carrying every required tag.
 * source: where the required tags came from — the customer's own list, the tag keys its
 * allocation rules match on (the default), or none (nothing to check: share null).
 */
export interface StoredTagCompliance {
  requiredTags: string[];
  source: 'customer' | 'allocation_rules' | 'none';
  /** Billing currency of the usage lines; null when there are none (or, never expected, several). */
  currency: string | null;
  totalCost: string;
  /** null when nothing is required. */
  compliantCost: string | null;
  /** compliantCost ÷ totalCost to 6 decimals; null when nothing is required or there is no cost. */
  share: string | null;
  nonCompliantLines: number;
}

function storedTagCompliance(c: TagCompliance, source: StoredTagCompliance['source'], currency: string | null): StoredTagCompliance {
  const none = c.requiredTags.length === 0;
  return {
    requiredTags: c.requiredTags,
    source,
    currency,
    totalCost: c.totalAmount.toString(),
    compliantCost: none ? null : c.compliantAmount.toString(),
    share: c.share === null ? null : c.share.toDecimalPlaces(6).toString(),
    nonCompliantLines: c.nonCompliantLines,
  };
}

interface Loaded {
  customer: { id: string; name: string; billing_currency: string; billing_email: string | null };
  period: string;
  card: EffectiveRateCard | undefined;
  result: CustomerCloseResult;
  usageCount: number;
  /** Where the usage groups are, for the lineage insert (UsageGroups.source). */
  usageGroups: RawBuilder<unknown>;
  licenseCount: number;
  late: { usageIds: number[]; licenseIds: string[]; count: number };
  costNodeNames: Map<string, string>;
  unallocatedNodeId: string;
  inputs: Record<string, unknown>;
  fingerprint: string;
  cards: EffectiveRateCard[];
  /** Late adjustments above the threshold left for a later close until approved. */
  held: HeldLateAdjustment[];
  /** Billing currency (Microsoft's figures are in it) of each line with a cost finding. */
  discrepancyCurrency: Map<string, string>;
  tagCompliance: StoredTagCompliance | null;
  labour: PeriodLabour;
  /** Changes to entries of closed periods, billed as late-labour adjustments. */
  lateLabour: LateLabour;
  /** The invoice's labour per engagement (null when no invoice was built). */
  labourReport: { engagements: EngagementReport[]; total: string } | null;
  /** Why labour held the invoice back (see labourCurrencyProblem). */
  labourProblem: string | null;
}

/**
 * Load one customer's inputs and run the pure close over them, in one repeatable-read
 * transaction (every read sees the same snapshot). It writes nothing but this session's
 * own grouping of the period's usage when it cannot use the run's (loadUsageGroups): a
 * customer's month is a few thousand rows in Node however many lines it has.
 */
async function loadAndClose(db: Db, runId: string, customerId: string, period: string): Promise<Loaded> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute((trx) => loadAndCloseIn(trx, runId, customerId, period));
}

async function loadAndCloseIn(db: Db, runId: string, customerId: string, period: string): Promise<Loaded> {
  const customer = await db.selectFrom('customers').select(['id', 'name', 'billing_currency', 'billing_email', 'required_tags']).where('id', '=', customerId).executeTakeFirstOrThrow();
  const { end } = periodBounds(period);
  const card = await loadEffectiveRateCard(db, customerId, end);
  const fx = card ? await loadFxPolicy(db, card, period) : null;
  const currency = card?.currency ?? customer.billing_currency;
  const mapping = await loadCategoryMapping(db);
  const allocationRules = await loadAllocationRules(db, customerId, end);
  const nodes = await db.selectFrom('cost_nodes').select(['id', 'parent_id', 'name', 'kind']).where('customer_id', '=', customerId).orderBy('id').execute();
  const unallocated = nodes.find((n) => n.kind === 'unallocated');
  if (!unallocated) throw new Error(`customer ${customerId} has no unallocated cost node`);
  const usage = await loadUsageGroups(db, customerId, period, currency, marketRateDates(fx), await runStageOf(db, runId, customerId));
  const costCheckLines = await loadCostCheckCandidates(db, customerId, period, currency, usage.costCheckIds);
  const licences = await loadPeriodLicences(db, customerId, period, currency);
  const labour = await loadPeriodLabour(db, customerId, period);
  let lateLabour = await loadLateLabour(db, customerId, period);
  const lateLines = await loadLateLines(db, customerId, period, currency);
  // The hub's own seat events, checked against this period's licence lines (reported, never applied).
  const seatSubscriptions = await loadSeatSubscriptions(db, customerId, period, licences.lines);

  // Late lines are priced with the card that priced their own period, when it is in the same currency.
  const cards: EffectiveRateCard[] = card ? [card] : [];
  let late: LateAdjustmentInput[] = [];
  if (card && fx) {
    for (const group of lateLines.groups) {
      const original = await loadEffectiveRateCard(db, customerId, periodBounds(group.period).end);
      const useOriginal = original && original.currency === card.currency;
      const groupCard = useOriginal ? original : card;
      const groupFx = useOriginal ? await loadFxPolicy(db, original, group.period) : fx;
      if (!cards.some((c) => c.id === groupCard.id && c.version === groupCard.version)) cards.push(groupCard);
      late.push({ originalPeriod: group.period, lines: group.lines, card: groupCard, fx: groupFx });
    }
  }

  // Required tags: the customer's own list (even an empty one), else the tag keys its rules allocate by.
  const ruleTags = tagKeysOf(allocationRules);
  const requiredTags = customer.required_tags ?? ruleTags;
  const tagSource: StoredTagCompliance['source'] = customer.required_tags ? 'customer' : ruleTags.length > 0 ? 'allocation_rules' : 'none';

  const closeInput = {
    customerId,
    period,
    lines: [...usage.groups, ...licences.lines],
    costCheckLines,
    seatSubscriptions,
    requiredTags,
    late,
    mapping,
    card: card ?? null,
    fx,
    allocationRules,
    unallocatedNodeId: unallocated.id,
  };
  let result = closeCustomerPeriod(closeInput);
  // Late adjustments above the approval threshold wait for finance: priced again without them.
  const held = result.invoice ? await lateAdjustmentsToHold(db, customerId, result.invoice) : [];
  const heldPeriods = new Set(held.map((h) => h.period));
  if (held.length > 0) {
    late = late.filter((g) => !heldPeriods.has(g.originalPeriod));
    result = closeCustomerPeriod({ ...closeInput, late });
  }
  // Labour goes on the same invoice; in a currency the card does not invoice in, it holds the invoice.
  const lateEntries = lateLabour.changes.flatMap((c) => (c.billed ? [c.current, c.billed] : [c.current]));
  const labourProblem = result.invoice ? labourCurrencyProblem([...labour.entries, ...lateEntries], customer.billing_currency, result.invoice.currency) : null;
  let labourReport: Loaded['labourReport'] = null;
  let heldLabour: HeldLateAdjustment[] = [];
  if (labourProblem) result = { ...result, invoice: null, margin: null, held: 'unpriced' };
  else if (result.invoice) {
    const names = new Map(nodes.map((n) => [n.id, n.name]));
    const withLabour = addLabour(result.invoice, labour.entries, unallocated.id, names);
    // A closed period's labour changed since: an adjustment here, the closed invoice untouched.
    let withLate = addLateLabour(withLabour.invoice, lateLabour.changes, unallocated.id, names);
    // Late labour above the approval threshold waits for finance too: its entries stay unbilled, not picked up.
    heldLabour = await lateAdjustmentsToHold(db, customerId, withLate.invoice, 'late_labour');
    if (heldLabour.length > 0) {
      const waiting = new Set(heldLabour.map((h) => h.period));
      const changes = lateLabour.changes.filter((c) => !waiting.has(c.period));
      const kept = new Set([...waiting].flatMap((p) => lateLabour.pickUpByPeriod.get(p) ?? []));
      lateLabour = { ...lateLabour, changes, pickUp: lateLabour.pickUp.filter((id) => !kept.has(id)) };
      withLate = addLateLabour(withLabour.invoice, changes, unallocated.id, names);
    }
    result = { ...result, invoice: withLate.invoice };
    labourReport = { engagements: withLabour.engagements, total: withLabour.total.toString() };
  }
  const billedLateGroups = lateLines.groups.filter((g) => !heldPeriods.has(g.period));
  const usageCurrencies = new Set(usage.groups.map((l) => l.billingCurrency));
  const currencyOfLine = new Map<string, string>();
  for (const l of [...costCheckLines, ...licences.lines, ...late.flatMap((g) => g.lines)]) currencyOfLine.set(l.id, l.billingCurrency);
  const discrepancyCurrency = new Map<string, string>();
  for (const f of result.discrepancies) {
    const c = currencyOfLine.get(f.lineId);
    if (c !== undefined) discrepancyCurrency.set(f.lineId, c);
  }
  const digest = periodDigest(usage.digest, licences.fingerprint);

  const inputs = {
    rateCard: card
      ? { id: card.id, version: card.version, versionId: card.versionId, effectiveFrom: card.effectiveFrom, effectiveTo: card.effectiveTo, template: card.template, currency: card.currency }
      : null,
    fx: fx ? fxJson(fx) : null,
    adjustmentRateCards: late.map((g) => ({ period: g.originalPeriod, id: g.card.id, version: g.card.version, fx: g.fx.source })),
    allocationRules: allocationRules.map((r) => ({ id: r.id, version: r.version })),
    categoryMapping: { id: mapping.id, version: mapping.version },
    costNodes: nodes.map((n) => ({ id: n.id, parentId: n.parent_id })),
    lines: { usage: usage.lineCount, license: licences.lines.length, late: lateLines.count, digest, lateDigest: lateLines.digest, labour: labour.entries.length, labourDigest: labour.digest, lateLabour: lateLabour.changes.length, lateLabourDigest: lateLabour.digest },
    heldLateAdjustments: [...held, ...heldLabour],
  };
  const fingerprint = createHash('sha256')
    .update(
      JSON.stringify({
        period,
        card: card ? [card.versionId, card.template?.versionId ?? null] : null,
        fx: fx ? fxJson(fx) : null,
        adjustmentCards: cards.map((c) => c.versionId),
        rules: allocationRules,
        mapping: [mapping.id, mapping.version],
        nodes: inputs.costNodes,
        unallocated: unallocated.id,
        lines: digest,
        late: lateLines.digest,
        labour: labour.digest,
        lateLabour: lateLabour.digest,
        held: [...held, ...heldLabour],
      }),
    )
    .digest('hex');

  return {
    customer,
    period,
    card,
    result,
    usageCount: usage.lineCount,
    usageGroups: usage.source,
    licenseCount: licences.lines.length,
    late: {
      usageIds: billedLateGroups.flatMap((g) => g.usageIds),
      licenseIds: billedLateGroups.flatMap((g) => g.licenseIds),
      count: held.length === 0 ? lateLines.count : billedLateGroups.reduce((n, g) => n + g.usageIds.length + g.licenseIds.length, 0),
    },
    held: [...held, ...heldLabour],
    costNodeNames: new Map(nodes.map((n) => [n.id, n.name])),
    unallocatedNodeId: unallocated.id,
    inputs,
    fingerprint,
    cards,
    discrepancyCurrency,
    labour,
    lateLabour,
    labourReport,
    labourProblem,
    tagCompliance: result.tagCompliance ? storedTagCompliance(result.tagCompliance, tagSource, usageCurrencies.size === 1 ? [...usageCurrencies][0]! : null) : null,
  };
}

async function saveDiscrepancies(trx: Transaction<Database>, runId: string, customerId: string, period: string, findings: readonly CostDiscrepancy[], currencyOf: (lineId: string) => string | null): Promise<void> {
  for (let i = 0; i < findings.length; i += 500) {
    const rows = findings.slice(i, i + 500).map((f) => {
      const { kind, id } = sourceOfLineId(f.lineId);
      return {
        billing_run_id: runId,
        customer_id: customerId,
        period,
        line_kind: kind,
        usage_line_id: kind === 'usage' ? Number(id) : null,
        license_line_id: kind === 'license' ? id : null,
        field: f.field,
        formula: f.formula,
        microsoft: f.microsoft.toString(),
        recomputed: f.recomputed.toString(),
        difference: f.difference.toString(),
        currency: currencyOf(f.lineId),
      };
    });
    await trx.insertInto('cost_discrepancies').values(rows).execute();
  }
}

/** The seat check's findings (see src/engine/seat-check.ts): one row per subscription that differs. */
async function saveSeatDiscrepancies(trx: Transaction<Database>, runId: string, customerId: string, period: string, findings: readonly SeatFinding[]): Promise<void> {
  for (let i = 0; i < findings.length; i += 500) {
    const rows = findings.slice(i, i + 500).map((f) => ({
      billing_run_id: runId,
      customer_id: customerId,
      period,
      subscription_id: f.subscriptionId,
      partner_center_subscription_id: f.partnerCenterId,
      kind: f.kind,
      expected_seat_days: f.expectedSeatDays?.toString() ?? null,
      billed_seat_days: f.billedSeatDays.toString(),
      expected_amount: f.expectedAmount?.toString() ?? null,
      billed_amount: f.billedAmount.toString(),
      currency: f.currency,
      license_line_ids: f.lineIds.map((id) => sourceOfLineId(id)).filter((s) => s.kind === 'license').map((s) => s.id),
      message: f.message,
    }));
    await trx.insertInto('seat_discrepancies').values(rows).execute();
  }
}

async function markLatePickedUp(trx: Transaction<Database>, runId: string, customerId: string, period: string, late: Loaded['late']): Promise<void> {
  const { start } = periodBounds(period);
  if (late.usageIds.length > 0) {
    await sql`update usage_lines set picked_up_by_run = ${runId}::uuid
      where customer_id = ${customerId}::uuid and usage_date < ${start}::date and late and id = any(${late.usageIds}::bigint[])`.execute(trx);
  }
  if (late.licenseIds.length > 0) {
    await sql`update license_lines set picked_up_by_run = ${runId}::uuid where id = any(${late.licenseIds}::uuid[])`.execute(trx);
  }
}

/**
 * `billing:close_customer`: one customer's close. Loads its month (and late lines),
 * runs the pure engine, and in one transaction stores the cost findings and either a
 * new invoice revision (superseding the previous one), the unchanged current revision
 * (same input fingerprint), or why no invoice was issued; then counts the customer
 * done. A second execution for the same run and customer changes nothing.
 */
export async function closeCustomer(payload: CloseCustomerPayload, ctx: HubContext): Promise<void> {
  const run = await ctx.db.selectFrom('billing_runs').select(['id', 'period', 'status', 'requested_by']).where('id', '=', payload.runId).executeTakeFirst();
  if (!run) return;
  const already = await ctx.db
    .selectFrom('billing_run_customers')
    .select('outcome')
    .where('billing_run_id', '=', run.id)
    .where('customer_id', '=', payload.customerId)
    .executeTakeFirst();
  if (already) return;

  // One connection for the whole close: usage groups it made itself are this session's (see loadUsageGroups).
  const client = await ctx.pool.connect();
  let broken: Error | undefined;
  try {
    const db = kyselyOnClient(client);
    try {
      await closeOn(db, run, payload, { deliver: ctx.config.invoiceDelivery === 'auto' && ctx.config.smtpUrl !== null });
    } finally {
      await dropStagedUsage(db).catch((error: Error) => (broken = error));
    }
  } finally {
    client.release(broken);
  }
}

/** The close of one customer on one connection: load and price, then save in one transaction. */
async function closeOn(db: Db, run: { id: string; period: string; requested_by: string | null }, payload: CloseCustomerPayload, options: { deliver: boolean }): Promise<void> {
  const loaded = await loadAndClose(db, run.id, payload.customerId, run.period);
  const { result, card } = loaded;
  const lineCurrency = loaded.discrepancyCurrency;

  await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`invoice:${payload.customerId}:${run.period}`}))`.execute(trx);
    const done = await trx
      .selectFrom('billing_run_customers')
      .select('outcome')
      .where('billing_run_id', '=', run.id)
      .where('customer_id', '=', payload.customerId)
      .executeTakeFirst();
    if (done) return;

    if (loaded.held.length > 0) await requestLateApprovals(trx, payload.customerId, run.requested_by, loaded.held);
    await saveDiscrepancies(trx, run.id, payload.customerId, run.period, result.discrepancies, (id) => lineCurrency.get(id) ?? null);
    await saveSeatDiscrepancies(trx, run.id, payload.customerId, run.period, result.seatFindings);

    let outcome: 'issued' | 'reused' | 'unpriced' | 'no_rate_card';
    let invoiceId: string | null = null;
    const problems: unknown[] = [];
    if (result.held === 'no_rate_card') {
      outcome = 'no_rate_card';
      problems.push({ reason: `no approved rate card prices ${periodBounds(run.period).end} for this customer` });
    } else if (result.held === 'unpriced' || !result.invoice || !result.margin || !card) {
      outcome = 'unpriced';
      if (loaded.labourProblem) problems.push({ reason: loaded.labourProblem });
      for (const u of result.unpriced.slice(0, MAX_PROBLEMS)) problems.push({ lineId: u.lineId, reason: u.reason });
    } else {
      const current = await trx
        .selectFrom('invoices')
        .select(['id', 'fingerprint', 'revision', 'number', 'total'])
        .where('customer_id', '=', payload.customerId)
        .where('period', '=', run.period)
        .where('status', '=', 'issued')
        .executeTakeFirst();
      if (current && current.fingerprint === loaded.fingerprint) {
        outcome = 'reused';
        invoiceId = current.id;
      } else {
        outcome = 'issued';
        const last = await trx
          .selectFrom('invoices')
          .select((eb) => eb.fn.max('revision').as('revision'))
          .where('customer_id', '=', payload.customerId)
          .where('period', '=', run.period)
          .executeTakeFirst();
        const revision = (last?.revision ?? 0) + 1;
        invoiceId = randomUUID();
        if (current) await supersede(trx, current.id, invoiceId, ACTOR);
        const number = invoiceNumber(payload.customerId, run.period, revision);
        await saveInvoice(trx, {
          id: invoiceId,
          runId: run.id,
          customerId: payload.customerId,
          period: run.period,
          revision,
          number,
          card,
          cards: loaded.cards,
          invoice: result.invoice,
          margin: result.margin,
          cost: result.cost,
          fingerprint: loaded.fingerprint,
          inputs: loaded.inputs,
          costNodeNames: loaded.costNodeNames,
          labour: loaded.labourReport,
          labourVersions: loaded.labour.versions,
          usageGroups: loaded.usageGroups,
        });
        await markLatePickedUp(trx, run.id, payload.customerId, run.period, loaded.late);
        if (loaded.lateLabour.pickUp.length > 0) await trx.updateTable('labour_lines').set({ picked_up_by_run: run.id }).where('id', 'in', loaded.lateLabour.pickUp).execute();
        await writeAudit(trx, {
          ...ACTOR,
          action: 'invoice.issue',
          entity: 'invoice',
          entityId: invoiceId,
          after: { number, revision, period: run.period, customerId: payload.customerId, currency: result.invoice.currency, total: result.invoice.total.toString(), billingRunId: run.id, supersedes: current?.id ?? null },
        });
        // The e-mail goes with the invoice: queued in the transaction that issues it.
        if (options.deliver && loaded.customer.billing_email) await queueInvoiceDelivery(trx, { invoiceId }, ACTOR);
      }
    }

    const unallocated = result.invoice?.subtotalsByCostNode.find((n) => n.costNodeId === loaded.unallocatedNodeId)?.amount ?? null;
    await trx
      .insertInto('billing_run_customers')
      .values({
        billing_run_id: run.id,
        customer_id: payload.customerId,
        outcome,
        invoice_id: invoiceId,
        currency: card?.currency ?? null,
        usage_lines: loaded.usageCount,
        license_lines: loaded.licenseCount,
        late_lines: loaded.late.count,
        unpriced_lines: result.unpriced.length,
        unmapped_lines: result.unmappedLines,
        discrepancies: result.discrepancies.length,
        seat_discrepancies: result.seatFindings.length,
        cost: result.invoice ? result.cost.toString() : null,
        price: result.invoice ? result.invoice.total.toString() : null,
        unallocated: result.invoice ? (unallocated?.toString() ?? '0') : null,
        rate_card_version_id: card?.versionId ?? null,
        inputs: JSON.stringify(loaded.inputs),
        fingerprint: loaded.fingerprint,
        problems: JSON.stringify(problems),
        tag_compliance: loaded.tagCompliance ? JSON.stringify(loaded.tagCompliance) : null,
      })
      .execute();
    await addCloseProgress(trx, run.id, { customersDone: 1, pendingJobs: -1 });
  });
}

/**
 * On the last failed attempt the customer is recorded as failed on the run and counted
 * done, so one broken customer never leaves the run hanging or fails the others.
 */
export async function recordCustomerFailure(ctx: HubContext, payload: CloseCustomerPayload, message: string): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('billing_run_customers')
      .values({ billing_run_id: payload.runId, customer_id: payload.customerId, outcome: 'failed', problems: JSON.stringify([{ reason: message }]) })
      .onConflict((oc) => oc.columns(['billing_run_id', 'customer_id']).doNothing())
      .returning('outcome')
      .executeTakeFirst();
    if (!inserted) return;
    await recordCloseError(trx, payload.runId, { job: 'billing:close_customer', customerId: payload.customerId, message });
    await addCloseProgress(trx, payload.runId, { customersDone: 1, pendingJobs: -1 });
  });
}
