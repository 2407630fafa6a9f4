import type { HubContext } from './context.ts';
import { Decimal } from './engine/decimal.ts';
import { reconcileConnectWiseSeats } from './jobs/connectwise/seat-reconcile.ts';
import { syncConnectWiseTime } from './jobs/connectwise/time-sync.ts';
import { AGREEMENTS, COMPANIES, PRODUCTS, PROJECTS, startConnectWiseSandbox, type ConnectWiseSandbox } from './sandbox/connectwise/index.ts';
import type { PartnerCenterSandbox } from './sandbox/partner-center/index.ts';

// The demo's PSA: the sandbox ConnectWise's three companies are three of the demo's
// customers, their projects are engagements (cost nodes) those customers already have,
// and last month's time entries are synced before the close, so the close bills labour
// and infrastructure on one invoice. One agreement lags Microsoft by a few seats, so the
// seat reconciliation has an increase for a person to approve.

type Call = <T = any>(method: string, path: string, body?: unknown, key?: string) => Promise<T>;

const CONNECTION_NAME = 'ConnectWise (sandbox)';
/** The engagement each sandbox project lands on, in the order of the sandbox's projects. */
const ENGAGEMENTS = ['apollo', 'atlas', 'hermes'];
const SEATS_BEHIND = 3;

export interface DemoPsa {
  sandbox: ConnectWiseSandbox;
  /** After the close: each PSA customer's invoice per engagement, then the to-do queue. */
  report(): Promise<string[]>;
  /** A person approves the open to-dos, and the agreements follow the hub (so the drift act's queue holds only its own difference). */
  approve(financeKey: string): Promise<string[]>;
}

/** Before the close: connect, link companies, give projects their codes, sync time, reconcile seats. */
export async function demoPsa(api: Call, ctx: HubContext, partnerCenter: PartnerCenterSandbox, period: string): Promise<DemoPsa> {
  const sandbox = await startConnectWiseSandbox({ seed: 'demo', timeEntries: 30, period });
  const connectionId = await connect(api, sandbox);
  const linked = await linkCompanies(api, partnerCenter);
  const sync = await syncConnectWiseTime({ connectionId }, ctx);
  await lagOneAgreement(api, ctx, sandbox, connectionId, linked);
  await reconcileConnectWiseSeats({ connectionId }, ctx);
  return { sandbox, report: () => report(api, period, linked, sync.changed), approve: (key) => approveTodos(api, key) };
}

/** Approves every open to-do as finance and waits until each is written to ConnectWise. */
async function approveTodos(api: Call, financeKey: string): Promise<string[]> {
  // A to-do without a write (no agreement to add the product to) is for a person in ConnectWise.
  const open = (await api<{ items: { id: string; plannedWrite: unknown }[] }>('GET', '/v1/psa-todos?limit=50')).items.filter((t) => t.plannedWrite !== null);
  for (const todo of open) await api('POST', `/v1/psa-todos/${todo.id}/approve`, { comment: 'Bill what Microsoft bills us' }, financeKey);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const written = (await api<{ items: { id: string }[] }>('GET', '/v1/psa-todos?status=written&limit=50')).items.filter((t) => open.some((o) => o.id === t.id));
    if (written.length === open.length) break;
    if (Date.now() > deadline) throw new Error('demo: gave up waiting for the approved to-dos to be written');
    await new Promise((r) => setTimeout(r, 250));
  }
  return [`  approved     ${open.length} as finance: written to ConnectWise once each (POST /v1/psa-todos/{id}/approve)`];
}

async function connect(api: Call, sandbox: ConnectWiseSandbox): Promise<string> {
  const body = { credentials: { ...sandbox.credentials }, settings: { site: sandbox.url, requestsPerMinute: 600 } };
  const existing = (await api<{ items: { id: string; name: string }[] }>('GET', '/v1/connections?provider=connectwise')).items.find((c) => c.name === CONNECTION_NAME);
  if (existing) {
    // The sandbox listens on a new port each run.
    await api('PATCH', `/v1/connections/${existing.id}`, body);
    return existing.id;
  }
  return (await api<{ id: string }>('POST', '/v1/connections', { provider: 'connectwise', name: CONNECTION_NAME, ...body })).id;
}

interface Linked {
  customerId: string;
  name: string;
  companyId: number;
}

/**
 * The first USD customers of the Partner Center sandbox take the ConnectWise companies (the
 * cards invoice in USD, and labour is priced in the customer's currency); each company's
 * project becomes the code of one of the customer's project nodes.
 */
async function linkCompanies(api: Call, partnerCenter: PartnerCenterSandbox): Promise<Linked[]> {
  type Customer = { id: string; name: string; billingCurrency: string; externalLinks: { system: string; externalId: string }[] };
  const customers = (await api<{ items: Customer[] }>('GET', '/v1/customers?limit=500')).items;
  const byTenant = new Map(customers.flatMap((c) => c.externalLinks.filter((l) => l.system === 'partner-center').map((l) => [l.externalId, c] as const)));
  const usd = partnerCenter.portfolio.customers.map((t) => byTenant.get(t.id)).filter((c): c is Customer => c?.billingCurrency === 'USD');
  const linked: Linked[] = [];
  for (const [i, company] of COMPANIES.entries()) {
    const customer = usd.find((c) => c.externalLinks.some((l) => l.system === 'connectwise' && l.externalId === String(company.id))) ?? usd[i];
    if (!customer) break;
    if (!customer.externalLinks.some((l) => l.system === 'connectwise')) {
      await api('POST', `/v1/customers/${customer.id}/external-links`, { system: 'connectwise', externalId: String(company.id) });
    }
    const project = PROJECTS.find((p) => p.companyId === company.id)!;
    const nodes = (await api<{ items: { id: string; name: string }[] }>('GET', `/v1/customers/${customer.id}/cost-nodes`)).items;
    const node = nodes.find((n) => n.name === ENGAGEMENTS[i]);
    if (node) await api('PATCH', `/v1/customers/${customer.id}/cost-nodes/${node.id}`, { psaProjectCode: String(project.id) });
    linked.push({ customerId: customer.id, name: customer.name, companyId: company.id });
  }
  return linked;
}

/**
 * The first linked customer's largest licence SKU maps to its agreement's product, and the
 * agreement bills a few seats fewer than Microsoft does: the drift MSPs know.
 */
async function lagOneAgreement(api: Call, ctx: HubContext, sandbox: ConnectWiseSandbox, connectionId: string, linked: Linked[]) {
  const first = linked[0];
  if (!first) return;
  const seats = await ctx.db
    .selectFrom('subscriptions')
    .select(['offer_id', (eb) => eb.fn.sum<string>('quantity').as('quantity')])
    .where('customer_id', '=', first.customerId)
    .where('billing_type', '=', 'license')
    .where('status', '=', 'active')
    .where('offer_id', 'is not', null)
    .groupBy('offer_id')
    .orderBy('quantity', 'desc')
    .executeTakeFirst();
  if (!seats?.offer_id) return;
  const agreement = AGREEMENTS.find((a) => a.companyId === first.companyId)!;
  const addition = agreement.additions[0]!;
  const product = PRODUCTS.find((p) => p.id === addition.productId)!;
  await api('PUT', `/v1/connections/${connectionId}/psa-product-mappings`, { items: [{ sku: seats.offer_id, product: product.identifier }] });
  sandbox.account.patchAddition(agreement.id, addition.id, { quantity: Math.max(0, Number(seats.quantity) - SEATS_BEHIND) });
}

async function report(api: Call, period: string, linked: Linked[], synced: number): Promise<string[]> {
  const lines = ['', `PSA: ${synced} ConnectWise (sandbox) time entries synced before the close; combined invoices (labour and infrastructure per engagement)`];
  for (const customer of linked) {
    const listed = (await api<{ items: { id: string }[] }>('GET', `/v1/invoices?customerId=${customer.customerId}&period=${period}&status=issued`)).items[0];
    if (!listed) {
      lines.push(`  ${customer.name}: no invoice`);
      continue;
    }
    const invoice = await api<any>('GET', `/v1/invoices/${listed.id}`);
    // Infrastructure: everything but labour (Microsoft's charges with their minimum and rounding).
    const infrastructure = new Decimal(invoice.totals.total).minus(invoice.totals.labour).toFixed(2);
    lines.push(`  ${invoice.number} ${customer.name}: infrastructure ${infrastructure}, labour ${invoice.totals.labour}, total ${invoice.currency} ${invoice.totals.total}`);
    // As the documents show it: an engagement's infrastructure is its subtotal less its labour.
    const labourOn = new Map<string | null, Decimal>();
    for (const e of invoice.labour?.engagements ?? []) labourOn.set(e.costNodeId, new Decimal(e.amount));
    for (const node of invoice.subtotalsByCostNode as { costNodeId: string; name: string | null; amount: string }[]) {
      const labour = labourOn.get(node.costNodeId);
      if (!labour || labour.isZero()) continue;
      const subtotal = new Decimal(node.amount);
      lines.push(`    engagement ${node.name ?? node.costNodeId}: labour ${labour.toFixed(2)} + infrastructure ${subtotal.minus(labour).toFixed(2)} = subtotal ${subtotal.toFixed(2)}`);
    }
    const outside = labourOn.get(null);
    if (outside && !outside.isZero()) lines.push(`    labour outside any project: ${outside.toFixed(2)}`);
  }
  const todos = (await api<{ items: { customerId: string; kind: string; sku: string; evidence: Record<string, string | null> }[] }>('GET', '/v1/psa-todos?limit=50')).items;
  const nameOf = new Map(linked.map((l) => [l.customerId, l.name]));
  lines.push(`PSA to-dos   ${todos.length} open (GET /v1/psa-todos; approve as finance or sales_ops, nothing is written to ConnectWise before)`);
  for (const t of todos) {
    lines.push(`  ${t.kind.padEnd(9)} ${nameOf.get(t.customerId) ?? t.customerId} ${t.sku}: Microsoft ${t.evidence.microsoftQuantity ?? '-'} seats, ConnectWise ${t.evidence.psaQuantity ?? '-'}`);
  }
  return lines;
}
