import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import type { Db } from './db/database.ts';
import { Decimal } from './engine/decimal.ts';
import { startHubSpotSandbox, type HubSpotSandbox } from './sandbox/hubspot/index.ts';
import { OPPORTUNITIES, startSalesforceSandbox, type SalesforceSandbox } from './sandbox/salesforce/index.ts';

// The demo's CRM part: one deal won in the sandbox HubSpot and one opportunity won in the
// sandbox Salesforce, each delivered to the hub's webhook as the vendor would, then what
// the hub made of them: the quote, its baseline and thresholds, the pending card version.

type Call = <T = any>(method: string, path: string, body?: unknown) => Promise<T>;

const HUBSPOT_DEAL = '9001';
const SALESFORCE_OPPORTUNITY = OPPORTUNITIES[0]!.Id;

interface WonQuote {
  system: string;
  dealId: string;
  deal: string;
  customer: string;
  revision: number;
  currency: string;
  monthlyTotal: string;
  azureBudget: string;
  alertPercents: number[];
  cardVersion: number;
  cardStatus: string;
  seats: { sku: string; seats: string }[];
}

/** Connects both sandbox CRMs (or re-points the connections a previous run made), wins one deal in each, and prints the outcome. */
export async function demoCrmDeals(api: Call, db: Db, address: string): Promise<void> {
  let hubspot: HubSpotSandbox | undefined;
  let salesforce: SalesforceSandbox | undefined;
  try {
    hubspot = await startHubSpotSandbox();
    salesforce = await startSalesforceSandbox();
    const h = hubspot.credentials;
    await upsertConnection(api, 'hubspot', 'HubSpot (sandbox)', { accessToken: h.privateAppToken, clientSecret: h.clientSecret }, { baseUrl: hubspot.url, portalId: String(h.portalId) });
    const s = salesforce.credentials;
    await upsertConnection(
      api,
      'salesforce',
      'Salesforce (sandbox)',
      { clientId: s.clientId, username: s.username, privateKey: s.privateKeyPem },
      { instanceUrl: salesforce.url, loginUrl: salesforce.url, organizationId: s.organizationId },
    );
    await hubspot.winDeal(HUBSPOT_DEAL, { deliverTo: `${address}/webhooks/hubspot` });
    await salesforce.winOpportunity(SALESFORCE_OPPORTUNITY, { deliverTo: `${address}/webhooks/salesforce` });
    const won = await waitForQuotes(db, [
      { system: 'hubspot', dealId: HUBSPOT_DEAL },
      { system: 'salesforce', dealId: SALESFORCE_OPPORTUNITY },
    ]);
    printWon(won);
  } finally {
    await hubspot?.close();
    await salesforce?.close();
  }
}

async function upsertConnection(api: Call, provider: string, name: string, credentials: Record<string, string>, settings: Record<string, unknown>): Promise<void> {
  const existing = (await api<{ items: { id: string; name: string }[] }>('GET', `/v1/connections?provider=${provider}`)).items.find((c) => c.name === name);
  // The sandboxes listen on new ports (and the Salesforce one on a new key) each run.
  if (existing) await api('PATCH', `/v1/connections/${existing.id}`, { settings, credentials });
  else await api('POST', '/v1/connections', { provider, name, credentials, settings });
}

/**
 * The newest quote of each deal, once the worker has taken in the webhooks and run the
 * quote-to-cash jobs they queued (a won state the hub already had, as on a second run the
 * same day, keeps its revision).
 */
async function waitForQuotes(db: Db, deals: { system: string; dealId: string }[], timeoutMs = 60_000): Promise<WonQuote[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const busy = await sql<{ n: number }>`
      select (select count(*) from graphile_worker.jobs where task_identifier in ('webhook:process', 'hubspot:quote_to_cash', 'salesforce:quote_to_cash'))
           + (select count(*) from webhook_inbox where status not in ('processed', 'ignored')) as n`.execute(db);
    const found = Number(busy.rows[0]?.n ?? 0) === 0 ? await latestQuotes(db, deals) : [];
    if (found.length === deals.length) return found;
    if (Date.now() > deadline) throw new Error(`the won CRM deals did not become quotes within ${timeoutMs / 1000} s (see GET /v1/quote-exceptions)`);
    await sleep(250);
  }
}

async function latestQuotes(db: Db, deals: { system: string; dealId: string }[]): Promise<WonQuote[]> {
  const found: WonQuote[] = [];
  for (const { system, dealId } of deals) {
    const quote = await db
      .selectFrom('quotes as q')
      .innerJoin('external_links as l', (j) => j.onRef('l.entity_id', '=', 'q.deal_id').on('l.entity', '=', 'deal'))
      .innerJoin('deals as d', 'd.id', 'q.deal_id')
      .innerJoin('customers as c', 'c.id', 'q.customer_id')
      .innerJoin('rate_card_versions as v', (j) => j.onRef('v.rate_card_id', '=', 'q.rate_card_id').onRef('v.version', '=', 'q.rate_card_version'))
      .select(['q.id', 'q.revision', 'q.currency', 'q.monthly_total', 'q.azure_monthly_budget', 'q.budget_alert_percents', 'q.rate_card_version', 'v.status', 'd.name as deal', 'c.name as customer'])
      .where('l.system', '=', system)
      .where('l.external_id', '=', dealId)
      .orderBy('q.revision', 'desc')
      .executeTakeFirst();
    if (!quote) continue;
    const seats = await db.selectFrom('quote_expected_seats').select(['sku', 'seats']).where('quote_id', '=', quote.id).orderBy('sku').execute();
    found.push({
      system,
      dealId,
      deal: quote.deal,
      customer: quote.customer,
      revision: quote.revision,
      currency: quote.currency,
      monthlyTotal: quote.monthly_total,
      azureBudget: quote.azure_monthly_budget,
      alertPercents: quote.budget_alert_percents,
      cardVersion: quote.rate_card_version,
      cardStatus: quote.status,
      seats,
    });
  }
  return found;
}

function printWon(won: WonQuote[]): void {
  const money = (v: string) => new Decimal(v).toFixed(2);
  const lines = ['', 'CRM deals won (quote-to-cash)'];
  for (const q of won) {
    const thresholds = q.alertPercents.map((p) => `${p} % = ${money(new Decimal(q.azureBudget).times(p).div(100).toString())}`).join(', ');
    lines.push(
      `  ${q.system === 'hubspot' ? 'HubSpot   ' : 'Salesforce'} ${q.deal} → ${q.customer}`,
      `    quote        revision ${q.revision}, ${q.currency} ${money(q.monthlyTotal)} a month`,
      `    baseline     ${q.seats.map((s) => `${s.seats} seats of ${s.sku}`).join(', ') || 'no seats'}; Azure ${q.currency} ${money(q.azureBudget)} a month (alerts at ${thresholds})`,
      `    rate card    version ${q.cardVersion}, ${q.cardStatus}${q.cardStatus === 'pending' ? ' (awaiting sales ops and finance)' : ''}`,
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
}
