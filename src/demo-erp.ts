import { CHARGE_CATEGORIES } from './engine/categories.ts';
import { startXeroSandbox, type XeroSandbox } from './sandbox/xero/server.ts';

// The demo's ERP step: last month's invoices and its revenue journal posted to the sandbox
// Xero through the public API, as finance would: connect, map accounts and cost centres,
// approve the close for posting, post the period's journals, and print the ERP's ids.
// DEMO_ERP=off skips it.

type Call = <T = any>(method: string, path: string, body?: unknown, key?: string) => Promise<T>;

const until = async <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`demo: gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
};

/** The sandbox's chart: licences on 210, other charges on 200, minimums, rounding and labour on 260, deferred revenue 2450. */
const ACCOUNTS = { licenses: '210', other: '200', lineKinds: '260', deferred: '2450' } as const;

/** The lines the demo prints; the sandbox Xero is stopped when the step is done. */
export async function demoErp(api: Call, keys: { finance: string }, period: string, billingRunId: string, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  if (/^(off|false|0|no)$/i.test(env.DEMO_ERP ?? '')) return [];
  const sandbox = await startXeroSandbox();
  try {
    return await postToXero(api, keys, period, billingRunId, sandbox);
  } finally {
    await sandbox.close();
  }
}

async function postToXero(api: Call, keys: { finance: string }, period: string, billingRunId: string, sandbox: XeroSandbox): Promise<string[]> {
  const name = 'Xero (sandbox)';
  const credentials = { clientId: sandbox.credentials.clientId, clientSecret: sandbox.credentials.clientSecret, refreshToken: sandbox.credentials.refreshToken };
  // The sandbox enforces no limit, so the demo raises the connection's own (Xero's is 60 a minute) to keep the step short.
  const settings = { tenantId: sandbox.credentials.tenantId, apiUrl: sandbox.apiUrl, tokenUrl: sandbox.tokenUrl, createMissingCustomers: true, baseCurrency: 'USD', requestsPerMinute: 600 };
  const existing = (await api<{ items: { id: string; name: string }[] }>('GET', '/v1/connections?provider=xero')).items.find((c) => c.name === name);
  // The sandbox listens on a new port each run: a second demo run points the connection at it.
  const connection = existing
    ? await api<{ id: string }>('PATCH', `/v1/connections/${existing.id}`, { settings, credentials })
    : await api<{ id: string }>('POST', '/v1/connections', { provider: 'xero', name, credentials, settings });

  await api('PUT', '/v1/accounting-mappings', { system: 'xero', mappings: await mappings(api), justification: 'Demo chart of accounts' }, keys.finance);
  const posted = await api<{ queued: number; alreadyPosted: number; blocked: { invoiceNumber: string }[] }>('POST', `/v1/billing-runs/${billingRunId}/post`, { connectionId: connection.id }, keys.finance);
  const invoices = (await api<{ items: { id: string; number: string; currency: string; totals: { total: string } }[] }>('GET', `/v1/invoices?period=${period}&limit=500`)).items;
  const postings = await until('the invoices to post to Xero', async () => {
    const all = await Promise.all(invoices.map(async (i) => ({ invoice: i, posting: (await api<{ items: Record<string, any>[] }>('GET', `/v1/invoices/${i.id}/postings`)).items.find((p) => p.connectionId === connection.id) })));
    return all.every((a) => a.posting && ['posted', 'blocked', 'failed', 'voided'].includes(a.posting.status)) ? all : undefined;
  });

  await api('POST', '/v1/revenue-journals', { period, connectionId: connection.id }, keys.finance);
  // A journal comes only when some revenue of the period was deferred (upfront terms): the stored schedules say whether to wait for one.
  const schedules = (await api<{ items: { deferred: boolean }[] }>('GET', `/v1/revenue-schedules?period=${period}&limit=500`)).items;
  const journals = !schedules.some((s) => s.deferred)
    ? []
    : await until('the revenue journals', async () => {
        const items = (await api<{ items: Record<string, any>[] }>('GET', `/v1/revenue-journals?period=${period}&connectionId=${connection.id}`)).items;
        return items.length > 0 && items.every((j) => j.status === 'posted' || j.status === 'failed') ? items : undefined;
      });

  const lines = ['', `ERP: ${period} posted to Xero (sandbox) through xero-node`];
  lines.push(`  invoices     ${postings.filter((p) => p.posting?.status === 'posted').length} posted, ${posted.blocked.length} blocked`);
  for (const { invoice, posting } of postings) {
    lines.push(`    ${invoice.number}  ${invoice.currency} ${invoice.totals.total.padStart(10)}  ${posting?.status === 'posted' ? `Xero invoice ${posting.documentId}` : `${posting?.status ?? 'not posted'}: ${posting?.lastError ?? ''}`}`);
  }
  lines.push(`  schedules    ${schedules.length} revenue schedules recognise in ${period}, ${schedules.filter((s) => s.deferred).length} of them deferred (GET /v1/revenue-schedules?period=${period})`);
  lines.push('  revenue journals (Dr deferred revenue / Cr revenue; GET /v1/revenue-journals)');
  if (journals.length === 0) lines.push('    none: nothing billed upfront recognises in this month');
  for (const j of journals) {
    lines.push(`    ${j.number}  ${j.currency} ${String(j.total).padStart(10)}  ${j.status === 'posted' ? `Xero manual journal ${j.documentId}` : `not posted: ${j.lastError}`}`);
  }
  return lines;
}

/** Every charge category, the special line kinds, the deferred revenue account, and every customer's top cost nodes on the Cost centre tracking category. */
async function mappings(api: Call): Promise<Record<string, unknown>[]> {
  const entries: Record<string, unknown>[] = [
    ...CHARGE_CATEGORIES.map((category) => ({ kind: 'category', value: category, account: category === 'licenses' ? ACCOUNTS.licenses : ACCOUNTS.other, taxCode: 'NONE' })),
    ...['minimum', 'rounding', 'labour'].map((kind) => ({ kind: 'lineKind', value: kind, account: ACCOUNTS.lineKinds, taxCode: 'NONE' })),
    { kind: 'deferredRevenue', value: '*', account: ACCOUNTS.deferred },
  ];
  const customers = (await api<{ items: { id: string }[] }>('GET', '/v1/customers?limit=500')).items;
  for (const customer of customers) {
    const nodes = (await api<{ items: { id: string; parentId: string | null; kind: string }[] }>('GET', `/v1/customers/${customer.id}/cost-nodes`)).items;
    for (const node of nodes.filter((n) => n.parentId === null)) {
      entries.push({ kind: 'costNode', value: node.id, dimensions: { tracking: [{ name: 'Cost centre', option: node.kind === 'unallocated' ? 'Unallocated' : 'Operations' }] } });
    }
  }
  return entries;
}
