import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { HubConfig } from './config.ts';
import { demoAnomaly } from './demo-anomaly.ts';
import { demoCrmDeals } from './demo-crm.ts';
import { demoLogging } from './demo-logging.ts';
import { customersWithoutInvoice, type CustomerWithoutInvoice } from './demo-report.ts';
import { runHub } from './run-hub.ts';
import { createApiKey } from './db/api-keys.ts';
import type { Db } from './db/database.ts';
import { periodOf, previousPeriod } from './jobs/partner-center/periods.ts';
import { Decimal } from './engine/decimal.ts';
import { ProgressBar } from './progress-bar.ts';
import { startPartnerCenterSandbox, type PartnerCenterSandbox } from './sandbox/partner-center/index.ts';
import { demoDrift, type DemoDrift } from './demo-drift.ts';
import { demoErp } from './demo-erp.ts';
import { demoPsa, type DemoPsa } from './demo-psa.ts';

const DEMO_ACTOR = { actor: 'system:demo' };

/**
 * `npm run demo`: the hub on embedded PostgreSQL against the sandbox Partner Center.
 * Everything goes through the public API, as an integration partner would drive it:
 * connect, price (rate cards with dual approval), allocate, sync, close last month,
 * and write each invoice to ./out as PDF, HTML and CSV. Then one deal is won in the
 * sandbox HubSpot and one opportunity in the sandbox Salesforce, and the hub's pending
 * card versions and baselines for them are shown.
 */
export async function runDemo(config: HubConfig): Promise<number> {
  let sandbox: PartnerCenterSandbox | undefined;
  let drift: DemoDrift | undefined;
  let psa: DemoPsa | undefined;
  const logging = demoLogging(config, process.env);
  if (logging.logFile) process.stdout.write(`Starting the hub (log: ${logging.logFile})\n`);
  try {
    return await runHub({ ...config, ...logging }, { api: true, worker: true }, async (runtime, address) => {
      const now = new Date();
      const period = previousPeriod(periodOf(now, config.billingTimeZone));
      sandbox = await startPartnerCenterSandbox({
        seed: 2026,
        customers: Number(process.env.DEMO_CUSTOMERS ?? 12),
        subscriptionsPerCustomer: 4,
        resourcesPerSubscription: 6,
        // A well-kept estate: nine resources in ten carry the project tag the allocation rules use.
        tagCoverage: 0.9,
        period,
        now,
        exportRetryAfterSeconds: 1,
        linesPerBlob: 20_000,
      });
      // One customer's GDAP relationship ends in 12 days: the consent review flags it (still synced).
      sandbox.setGdap(sandbox.portfolio.customers[1]!.id, { endDateTime: new Date(now.getTime() + 12 * 86_400_000).toISOString() });
      const keys = await demoKeys(runtime.ctx.db);
      const api = client(address!, keys.admin);

      await api('PUT', '/v1/settings/invoice-seller', demoSeller(sandbox));
      const connectionId = await connect(api, sandbox);
      // Customers arrive with the sync; then each gets prices and cost allocation.
      const run = await sync(api, connectionId, period);
      await priceEveryone(api, keys, sandbox, period);
      await allocateByProject(api, period);
      await allocateLicences(api, sandbox, period);
      psa = await demoPsa(api, runtime.ctx, sandbox, period);
      const close = await closePeriod(api, period);
      const written = await writeInvoices(api, period);
      const customers = (await api<{ items: { id: string; name: string }[] }>('GET', '/v1/customers?limit=500')).items;
      printSummary(period, run, close, written, customersWithoutInvoice(customers, close, new Set(written.map((w) => w.customerId)), period));
      process.stdout.write(`${(await psa.report()).join('\n')}\n`);
      process.stdout.write(`${(await psa.approve(keys.finance)).join('\n')}\n`);
      printConsent(await api('GET', '/v1/consents?limit=500'));
      process.stdout.write(`${(await demoErp(api, keys, period, close.id)).join('\n')}\n`);
      process.stdout.write(`${(await demoAnomaly(api, runtime.ctx, sandbox, connectionId)).join('\n')}\n`);
      // After the close: the CRM's new customers have pending cards and nothing to invoice yet.
      await demoCrmDeals(api, runtime.ctx.db, address!);
      // Last: Contoso's won HubSpot deal becomes its approved card, then a price changes in HubSpot.
      drift = await demoDrift(api, address!, keys);
      process.stdout.write(`${drift.lines.join('\n')}\n`);
      process.stdout.write(
        [
          '',
          'The hub is running',
          `  API        ${address}`,
          `  Docs       ${address}/docs`,
          `  Console    ${address}/console (sign in with the admin key)`,
          `  Metrics    ${address}/metrics (Prometheus; send the admin key as a bearer token)`,
          `  Invoices   ${resolve('out', period)}`,
          `  Admin key  ${keys.admin}`,
          ...(logging.logFile ? [`  Log        ${logging.logFile}`] : []),
          `  Try        curl -H "Authorization: Bearer ${keys.admin}" "${address}/v1/invoices?period=${period}"`,
          '  Stop       Ctrl-C (drains requests and jobs, then stops the embedded database)',
          '',
        ].join('\n') + '\n',
      );
    });
  } finally {
    await sandbox?.close();
    await drift?.sandbox.close();
    await psa?.sandbox.close();
  }
}

type Api = (<T = any>(method: string, path: string, body?: unknown, key?: string) => Promise<T>) & {
  /** A GET whose answer is a file (PDF, HTML, CSV), not JSON. */
  file(path: string): Promise<{ filename: string; body: Buffer }>;
};

function client(address: string, adminKey: string): Api {
  const call = async (method: string, path: string, body?: unknown, key = adminKey) => {
    const res = await fetch(`${address}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as never;
  };
  const file = async (path: string) => {
    const res = await fetch(`${address}${path}`, { headers: { authorization: `Bearer ${adminKey}` } });
    if (!res.ok) throw new Error(`GET ${path} answered ${res.status}: ${await res.text()}`);
    const disposition = res.headers.get('content-disposition') ?? '';
    const filename = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? path.split('/').at(-2) ?? 'document';
    return { filename, body: Buffer.from(await res.arrayBuffer()) };
  };
  return Object.assign(call, { file });
}

/** Separate people for separate duties: rate cards need a sales_ops and a finance approval besides the requester. */
async function demoKeys(db: Db) {
  const make = async (role: 'admin' | 'sales_ops' | 'finance') =>
    (await createApiKey(db, { name: `demo ${role} ${new Date().toISOString()}`, roles: [role], customerId: null }, DEMO_ACTOR)).key;
  return { admin: await make('admin'), salesOps: await make('sales_ops'), finance: await make('finance') };
}

/** The MSP as its invoices present it (PDFs otherwise carry a placeholder seller). */
function demoSeller(sandbox: PartnerCenterSandbox) {
  return {
    name: sandbox.portfolio.partner.name,
    addressLines: ['500 Pine Street, Suite 1200', 'Seattle, WA 98101', 'United States'],
    taxId: 'US 91-2345678',
    email: 'billing@contosocloud.example',
    paymentTermsDays: 30,
  };
}

async function connect(api: Api, sandbox: PartnerCenterSandbox): Promise<string> {
  const settings = {
    partnerCenterBaseUrl: sandbox.partnerCenterUrl,
    graphBaseUrl: sandbox.graphUrl,
    authorityUrl: sandbox.authorityUrl,
    blobBaseUrl: sandbox.url,
    requestsPerMinute: 3000,
    graphRequestsPerMinute: 300,
    // The partner's billing currencies, as an MSP knows them: unbilled data comes one currency at a time.
    currencies: sandbox.portfolio.currencies(),
  };
  const existing = (await api<{ items: { id: string; name: string }[] }>('GET', '/v1/connections?provider=partner-center')).items.find((c) => c.name === 'Partner Center (sandbox)');
  if (existing) {
    // The sandbox listens on a new port each run: point the connection at it.
    await api('PATCH', `/v1/connections/${existing.id}`, { settings, credentials: sandbox.credentials });
    return existing.id;
  }
  const created = await api<{ id: string }>('POST', '/v1/connections', { provider: 'partner-center', name: 'Partner Center (sandbox)', credentials: sandbox.credentials, settings });
  return created.id;
}

async function sync(api: Api, connectionId: string, period: string) {
  const bar = new ProgressBar('Sync');
  const started = await api<{ id: string }>('POST', `/v1/connections/${connectionId}/sync`, { kind: 'full', period });
  for (;;) {
    const run = await api<any>('GET', `/v1/sync-runs/${started.id}`);
    const p = run.progress;
    bar.update(p.customersDone + (p.pendingJobs === 0 ? 1 : 0), p.customersTotal + 1, `customers ${p.customersDone}/${p.customersTotal}  lines ${p.lines.toLocaleString('en')}  retries ${p.retries}`);
    if (!['queued', 'running'].includes(run.status)) {
      bar.done(`${run.status}: ${p.lines.toLocaleString('en')} usage lines, ${p.customersTotal} customers`);
      return run;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** One MSP template (margins by category) and a card per customer inheriting it, each approved by two people. */
async function priceEveryone(api: Api, keys: { admin: string; salesOps: string; finance: string }, sandbox: PartnerCenterSandbox, period: string) {
  const effectiveFrom = `${period}-01`;
  const cards = (await api<{ items: { id: string; template: boolean; customerId: string | null }[] }>('GET', '/v1/rate-cards?limit=500')).items;
  let template = cards.find((c) => c.template);
  if (!template) {
    template = await api('POST', '/v1/rate-cards', {
      name: 'MSP standard margins',
      template: true,
      currency: 'USD',
      effectiveFrom,
      rounding: { scope: 'invoice', mode: 'half_up' },
      fx: { source: 'microsoft' },
      targetMarginPercent: '15',
      justification: 'Demo: the MSP standard price list',
      rules: [
        { match: { category: 'compute' }, basis: 'cost', markupPercent: '15' },
        { match: { category: 'storage' }, basis: 'cost', markupPercent: '20' },
        { match: { category: 'networking' }, basis: 'cost', markupPercent: '10' },
        { match: { category: 'databases' }, basis: 'cost', markupPercent: '18' },
        { match: { category: 'licenses' }, basis: 'cost', markupPercent: '20' },
        { match: { default: true }, basis: 'cost', markupPercent: '12' },
      ],
    });
    await approve(api, keys, template!.id, 1);
  }
  const customers = (await api<{ items: { id: string; name: string; externalLinks: { system: string }[] }[] }>('GET', '/v1/customers?limit=500')).items;
  const bar = new ProgressBar('Rate cards');
  const billable = customers.filter((c) => c.externalLinks.some((l) => l.system === 'partner-center'));
  // Customers appear with the first sync; price the ones the sandbox will bring as they come.
  const expected = sandbox.portfolio.customers.length;
  let done = 0;
  for (const customer of billable) {
    if (!cards.some((c) => c.customerId === customer.id)) {
      const card = await api<{ id: string }>('POST', '/v1/rate-cards', {
        name: `${customer.name} prices`,
        customerId: customer.id,
        templateId: template!.id,
        currency: 'USD',
        effectiveFrom,
        rounding: { scope: 'invoice', mode: 'half_up' },
        fx: { source: 'microsoft' },
        minimumMonthly: '50.00',
        justification: 'Demo: signed quote',
        rules: [],
      });
      await approve(api, keys, card.id, 1);
    }
    bar.update(++done, Math.max(expected, billable.length), customer.name);
  }
  if (billable.length > 0) bar.done(`${billable.length} customers priced (sales_ops + finance approved)`);
}

async function approve(api: Api, keys: { salesOps: string; finance: string }, cardId: string, version: number) {
  await api('POST', `/v1/rate-cards/${cardId}/versions/${version}/approve`, { comment: 'Margins checked' }, keys.salesOps);
  await api('POST', `/v1/rate-cards/${cardId}/versions/${version}/approve`, { comment: 'Approved for billing' }, keys.finance);
}

/** Each customer gets a cost node per project tag, and a rule sending tagged cost there. */
async function allocateByProject(api: Api, period: string) {
  const customers = (await api<{ items: { id: string }[] }>('GET', '/v1/customers?limit=500')).items;
  for (const customer of customers) {
    const rules = (await api<{ items: unknown[] }>('GET', `/v1/customers/${customer.id}/allocation-rules`)).items;
    if (rules.length > 0) continue;
    const projects = ['apollo', 'atlas', 'hermes', 'orion', 'phoenix', 'zephyr', 'nova', 'vega'];
    const unit = await api<{ id: string }>('POST', `/v1/customers/${customer.id}/cost-nodes`, { name: 'Projects', kind: 'business_unit' });
    for (const [i, project] of projects.entries()) {
      const node = await api<{ id: string }>('POST', `/v1/customers/${customer.id}/cost-nodes`, { name: project, parentId: unit.id, kind: 'project', psaProjectCode: `P-${project.toUpperCase()}` });
      await api('POST', `/v1/customers/${customer.id}/allocation-rules`, {
        priority: 10 + i,
        match: { tag: { key: 'project', value: project } },
        splits: [{ costNodeId: node.id, percent: '100' }],
        justification: 'Demo: cost follows the project tag',
        effectiveFrom: `${period}-01`,
      });
    }
  }
}

/** Microsoft 365 seats serve the whole workplace: each licence subscription's cost goes to the customer's Workplace node. */
async function allocateLicences(api: Api, sandbox: PartnerCenterSandbox, period: string) {
  const customers = (await api<{ items: { id: string; externalLinks: { system: string; externalId: string }[] }[] }>('GET', '/v1/customers?limit=500')).items;
  for (const customer of customers) {
    const tenant = customer.externalLinks.find((l) => l.system === 'partner-center')?.externalId;
    const licences = (tenant && sandbox.portfolio.customer(tenant)?.licenseSubscriptions) || [];
    const nodes = (await api<{ items: { name: string }[] }>('GET', `/v1/customers/${customer.id}/cost-nodes`)).items;
    if (licences.length === 0 || nodes.some((n) => n.name === 'Workplace')) continue;
    const node = await api<{ id: string }>('POST', `/v1/customers/${customer.id}/cost-nodes`, { name: 'Workplace', kind: 'department' });
    for (const [i, licence] of licences.entries()) {
      await api('POST', `/v1/customers/${customer.id}/allocation-rules`, {
        priority: 100 + i,
        match: { subscriptionId: licence.id },
        splits: [{ costNodeId: node.id, percent: '100' }],
        justification: `Demo: ${licence.friendlyName} seats serve the whole workplace`,
        effectiveFrom: `${period}-01`,
      });
    }
  }
}

async function closePeriod(api: Api, period: string) {
  const bar = new ProgressBar('Close');
  const started = await api<{ id: string }>('POST', '/v1/billing-runs', { period });
  for (;;) {
    const run = await api<any>('GET', `/v1/billing-runs/${started.id}`);
    const p = run.progress ?? {};
    bar.update(p.customersDone ?? 0, p.customersTotal ?? 1, `customers ${p.customersDone ?? 0}/${p.customersTotal ?? '?'}`);
    if (!['queued', 'running'].includes(run.status)) {
      bar.done(`${run.status}`);
      return run;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface Written {
  customerId: string;
  customer: string;
  invoiceNumber: string;
  currency: string;
  cost: string;
  total: string;
  files: string[];
}

async function writeInvoices(api: Api, period: string): Promise<Written[]> {
  const dir = join('out', period);
  await mkdir(dir, { recursive: true });
  const invoices = (await api<{ items: any[] }>('GET', `/v1/invoices?period=${period}&limit=500`)).items;
  const bar = new ProgressBar('Documents');
  const written: Written[] = [];
  for (const [i, invoice] of invoices.entries()) {
    const files: string[] = [];
    for (const [format, type] of [['detailed', 'pdf'], ['summary', 'pdf'], ['detailed', 'html'], ['detailed', 'csv']] as const) {
      const res = await api.file(`/v1/invoices/${invoice.id}/document?format=${format}&type=${type}`);
      const file = join(dir, res.filename);
      await writeFile(file, res.body);
      files.push(file);
    }
    written.push({ customerId: invoice.customerId, customer: invoice.customerName, invoiceNumber: invoice.number, currency: invoice.currency, cost: invoice.cost, total: invoice.totals.total, files });
    bar.update(i + 1, invoices.length, invoice.number);
  }
  bar.done(`${written.length} invoices written to ${dir}`);
  return written;
}

function printSummary(period: string, sync: any, close: any, written: Written[], missing: CustomerWithoutInvoice[]) {
  const head = ['Customer', 'Invoice', 'Cur', 'MS cost', 'Invoiced', 'Margin'];
  const rows = written.map((w) => {
    // Microsoft's cost is exact (fx at full precision); shown here to the cent.
    const cost = new Decimal(w.cost).toDecimalPlaces(2);
    return [w.customer, w.invoiceNumber, w.currency, cost.toFixed(2), w.total, new Decimal(w.total).minus(cost).toFixed(2)];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  const report = close.report;
  process.stdout.write(
    [
      '',
      `Month-end close for ${period}: ${close.status}`,
      `  synced        ${sync.progress.lines.toLocaleString('en')} usage and licence lines from ${sync.progress.customersTotal} customers`,
      `  closed        ${report.lines.usage.toLocaleString('en')} usage lines, ${report.lines.license.toLocaleString('en')} licence lines, ${report.lines.latePickedUp} late lines picked up`,
      `  invoices      ${report.customers.issued} issued, ${report.customers.reused} unchanged, ${report.customers.noRateCard + report.customers.unpriced} held`,
      `  checks        ${report.unmappedLines} unmapped lines, ${report.costDiscrepancies} cost discrepancies against Microsoft's formulas`,
      ...report.totals.map(
        (t: any) =>
          `  ${t.currency.padEnd(13)} cost ${new Decimal(t.cost).toFixed(2)}  price ${t.price}  margin ${new Decimal(t.margin).toFixed(2)} (${new Decimal(t.marginPercent ?? 0).toFixed(1)} %)  unallocated ${new Decimal(t.unallocated ?? 0).toFixed(2)} (${percentOf(t.unallocated, t.price)} % of price)`,
      ),
      '',
      line(head),
      line(widths.map((w) => '-'.repeat(w))),
      ...rows.map(line),
      '',
      ...(missing.length === 0
        ? ['Every customer has an invoice.']
        : ['Without an invoice:', ...missing.map((m) => `  ${m.customer.padEnd(Math.max(...missing.map((x) => x.customer.length)))}  ${m.reason}`)]),
      '',
    ].join('\n') + '\n',
  );
}

/** The GDAP consent review in a few lines: counts per state, then each customer needing action. */
function printConsent(review: { counts: Record<string, number>; items: { customerName: string; state: string; daysLeft: number | null; reason: string | null }[] }) {
  const counts = Object.entries(review.counts).filter(([, n]) => n > 0).map(([state, n]) => `${n} ${state.replace('_', ' ')}`);
  const attention = review.items.filter((i) => i.state !== 'active');
  process.stdout.write(
    [
      `GDAP consent  ${counts.join(', ')} (GET /v1/consents)`,
      ...attention.map((i) => `  ${i.customerName}: ${i.state}${i.state === 'expiring' ? ` in ${i.daysLeft} days, renew its relationship in Partner Center` : `, ${i.reason}`}`),
      '',
    ].join('\n') + '\n',
  );
}

function percentOf(part: string | null | undefined, whole: string): string {
  const w = new Decimal(whole);
  return w.isZero() ? '0.0' : new Decimal(part ?? 0).div(w).times(100).toFixed(1);
}
