import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteToCash } from '../../src/jobs/hubspot/quote-to-cash.ts';
import { startHubSpotSandbox, type HubSpotSandbox } from '../../src/sandbox/hubspot/index.ts';
import { connectHubSpotSandbox } from '../helpers/hubspot-connection.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// The console's triage pages (anomalies, drift findings, PSA to-dos) and field mappings: each renders for a role its API
// admits, is refused with the API's 403 (and left out of the menu) for one it does not,
// and its forms write through the API with the session's CSRF token and a reason.

let hub: TestHub;
let customerId: string;

beforeAll(async () => {
  hub = await createTestHub();
  customerId = (await hub.ctx.db.insertInto('customers').values({ name: 'Triage Ltd' }).returning('id').executeTakeFirstOrThrow()).id;
});
afterAll(async () => {
  await hub?.close();
});

async function session(key: string) {
  const res = await hub.app.inject({ method: 'POST', url: '/v1/sessions', headers: hub.auth(key) });
  expect(res.statusCode, res.body).toBe(200);
  return { cookie: String(res.headers['set-cookie']).split(';')[0]!, csrf: res.json().session.csrfToken as string };
}

const get = async (key: string, url: string) => hub.app.inject({ method: 'GET', url, headers: { cookie: (await session(key)).cookie } });

async function post(key: string, url: string, fields: Record<string, string>, withCsrf = true) {
  const { cookie, csrf } = await session(key);
  const payload = new URLSearchParams({ ...fields, ...(withCsrf ? { _csrf: csrf } : {}) }).toString();
  return hub.app.inject({ method: 'POST', url, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload });
}

describe('console anomalies page', () => {
  let anomalyId: string;
  beforeAll(async () => {
    anomalyId = (
      await hub.ctx.db
        .insertInto('anomalies')
        .values({
          customer_id: customerId,
          rule: 'spend_above_forecast',
          subject: '2026-11-03',
          severity: 'critical',
          observed_on: '2026-11-03',
          amount_at_stake: '412.50',
          currency: 'EUR',
          message: 'Spend 1,250.00 EUR is 149% of the forecast',
          evidence: JSON.stringify({ spend: '1250.00', forecast: '837.50', forecastSource: 'trailing' }),
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
  });

  it('lists open anomalies with their evidence for billing_ops, with the triage form', async () => {
    const res = await get(hub.keys.billing_ops, '/console/anomalies');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain('412.50 EUR');
    expect(res.body).toContain('forecastSource');
    expect(res.body).toContain(`/console/anomalies/${anomalyId}/acknowledge`);
    expect(res.body).toContain('href="/console/anomalies" aria-current="page"');
  });

  it('shows an auditor the list without forms, and filters on the server by status', async () => {
    const res = await get(hub.keys.auditor, '/console/anomalies');
    expect(res.body).toContain('412.50 EUR');
    expect(res.body).not.toContain(`/console/anomalies/${anomalyId}/acknowledge`);
    const resolved = await get(hub.keys.auditor, '/console/anomalies?status=resolved');
    expect(resolved.body).not.toContain('412.50 EUR');
    expect(resolved.body).toContain('No resolved anomalies.');
  });

  it('refuses sales_ops (the API answers 403) and leaves the page out of its menu', async () => {
    const res = await get(hub.keys.sales_ops, '/console/anomalies');
    expect(res.statusCode).toBe(403);
    const dashboard = await get(hub.keys.sales_ops, '/console/dashboard');
    expect(dashboard.body).not.toContain('href="/console/anomalies"');
  });

  it('acknowledges then resolves with a reason, only with the CSRF token', async () => {
    const forged = await post(hub.keys.finance, `/console/anomalies/${anomalyId}/acknowledge`, { reason: 'x' }, false);
    expect(forged.statusCode).toBe(403);
    const ack = await post(hub.keys.finance, `/console/anomalies/${anomalyId}/acknowledge`, { reason: 'Asked the customer' });
    expect(ack.statusCode, ack.body).toBe(303);
    const done = await post(hub.keys.finance, `/console/anomalies/${anomalyId}/resolve`, { reason: 'Planned migration' });
    expect(done.headers.location).toBe('/console/anomalies?done=resolve');
    const row = await hub.ctx.db.selectFrom('anomalies').select(['status', 'status_reason']).where('id', '=', anomalyId).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'resolved', status_reason: 'Planned migration' });
  });
});

describe('console drift findings page', () => {
  let findingId: string;
  beforeAll(async () => {
    const connection = await hub.ctx.db.insertInto('connections').values({ provider: 'hubspot', name: 'HubSpot', credentials_encrypted: 'x' }).returning('id').executeTakeFirstOrThrow();
    findingId = (
      await hub.ctx.db
        .insertInto('drift_findings')
        .values({
          finding_key: 'test:markup',
          connection_id: connection.id,
          customer_id: customerId,
          system: 'hubspot',
          field: 'rate_card.markup_percent',
          subject: 'category:compute',
          owner: 'hub',
          owner_value: '12',
          other_value: '15',
          money_at_stake: '37.20',
          currency: 'EUR',
          vendor_ref: JSON.stringify({ dealId: '981' }),
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
  });

  it('lists open findings with both values and the money at stake, filtered on the server', async () => {
    const res = await get(hub.keys.sales_ops, '/console/drift?system=hubspot');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain('hub: 12');
    expect(res.body).toContain('hubspot: 15');
    expect(res.body).toContain('37.20 EUR');
    expect(res.body).toContain(`/console/drift/${findingId}/resolve`);
    const other = await get(hub.keys.sales_ops, '/console/drift?system=salesforce');
    expect(other.body).toContain('No open drift findings.');
  });

  it("names the customer and filters by customer on the server (the API's customerId)", async () => {
    const elsewhere = (await hub.ctx.db.insertInto('customers').values({ name: 'Elsewhere GmbH' }).returning('id').executeTakeFirstOrThrow()).id;
    const all = await get(hub.keys.sales_ops, '/console/drift');
    expect(all.body).toContain(`<a href="/console/drift?status=open&amp;customerId=${customerId}" title="Only this customer's findings">Triage Ltd</a>`);
    expect(all.body).toContain(`<option value="${elsewhere}">Elsewhere GmbH</option>`);
    const mine = await get(hub.keys.sales_ops, `/console/drift?customerId=${customerId}`);
    expect(mine.body).toContain('37.20 EUR');
    expect(mine.body).toContain(`<option value="${customerId}" selected>Triage Ltd</option>`);
    const theirs = await get(hub.keys.sales_ops, `/console/drift?customerId=${elsewhere}`);
    expect(theirs.body).toContain('No open drift findings.');
    // Not an id: no filter rather than an API error.
    expect((await get(hub.keys.sales_ops, '/console/drift?customerId=nonsense')).body).toContain('37.20 EUR');
  });

  it('shows billing_ops the findings without the resolve form (its role may not resolve)', async () => {
    const res = await get(hub.keys.billing_ops, '/console/drift');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('37.20 EUR');
    expect(res.body).not.toContain(`/console/drift/${findingId}/resolve`);
  });

  it('hides the page from a portal key, whose API answer is 403', async () => {
    const portal = await hub.keyFor(['portal'], customerId);
    const res = await get(portal, '/console/drift');
    expect(res.statusCode).toBe(403);
    const home = await get(portal, `/console/customers/${customerId}`);
    expect(home.body).not.toContain('href="/console/drift"');
  });

  it('counts the open finding and its money on the dashboard queue', async () => {
    const res = await get(hub.keys.sales_ops, '/console/dashboard');
    expect(res.body).toMatch(/<a href="\/console\/drift">Drift findings \(money at stake a month\)<\/a><\/td><td class="num">1<\/td>\s*<td class="num">37.2 EUR<\/td>/);
  });

  it('ignores a finding with a reason', async () => {
    const res = await post(hub.keys.finance, `/console/drift/${findingId}/resolve`, { action: 'ignore', reason: 'HubSpot copy is a quote-only field' });
    expect(res.statusCode, res.body).toBe(303);
    const row = await hub.ctx.db.selectFrom('drift_findings').select(['status', 'resolution', 'resolution_note']).where('id', '=', findingId).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'ignored', resolution: 'ignore', resolution_note: 'HubSpot copy is a quote-only field' });
  });
});

describe('console PSA to-do page', () => {
  const todos: string[] = [];
  beforeAll(async () => {
    const connection = await hub.ctx.db.insertInto('connections').values({ provider: 'connectwise', name: 'ConnectWise', credentials_encrypted: 'x' }).returning('id').executeTakeFirstOrThrow();
    // The customer's approved card is in GBP: the to-dos' money is in its currency.
    const card = await hub.app.inject({
      method: 'POST',
      url: '/v1/rate-cards',
      headers: hub.auth(hub.keys.admin),
      payload: { name: 'Triage card', customerId, currency: 'GBP', effectiveFrom: '2026-09-01', justification: 'Agreed prices', rules: [{ match: { default: true }, basis: 'cost', markupPercent: '10' }] },
    });
    expect(card.statusCode, card.body).toBe(201);
    for (const key of [hub.keys.sales_ops, hub.keys.finance]) {
      expect((await hub.app.inject({ method: 'POST', url: `/v1/rate-cards/${card.json().id}/versions/1/approve`, headers: hub.auth(key), payload: {} })).statusCode).toBe(200);
    }
    for (const [sku, psaQuantity, price] of [['CFQ7TTC0LCHC:0002', '18', '21.00'], ['CFQ7TTC0LF8R:0001', '4', '34.20']] as const) {
      const row = await hub.ctx.db
        .insertInto('psa_todos')
        .values({
          connection_id: connection.id,
          customer_id: customerId,
          kind: 'increase',
          sku,
          product: `M365-${sku.slice(-4)}`,
          agreement_id: '77',
          addition_id: '501',
          microsoft_quantity: '20',
          psa_quantity: psaQuantity,
          approved_unit_price: price,
          planned_write: JSON.stringify({ method: 'PATCH', path: '/finance/agreements/77/additions/501', operations: [{ op: 'replace', path: 'quantity', value: 20 }] }),
          fingerprint: `test:${sku}`,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      todos.push(row.id);
    }
  });

  it('lists open to-dos with the seats on both sides, and the decide forms for finance', async () => {
    const res = await get(hub.keys.finance, '/console/psa-todos');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain('CFQ7TTC0LCHC:0002');
    expect(res.body).toMatch(/<td class="num">18<\/td>/);
    expect(res.body).toContain(`/console/psa-todos/${todos[0]}/approve`);
    expect(res.body).toContain(`/console/psa-todos/${todos[0]}/dismiss`);
  });

  it('counts the open to-dos and their money on the dashboard queue and in the API', async () => {
    // (20 − 18) × 21.00 = 42.00 and (20 − 4) × 34.20 = 547.20: 589.20 GBP a month.
    const items = (await hub.app.inject({ method: 'GET', url: '/v1/psa-todos', headers: hub.auth(hub.keys.auditor) })).json().items;
    expect(items.map((t: { evidence: object }) => t.evidence).sort((a: { moneyAtStakePerMonth: string }, b: { moneyAtStakePerMonth: string }) => a.moneyAtStakePerMonth.localeCompare(b.moneyAtStakePerMonth))).toMatchObject([
      { moneyAtStakePerMonth: '42.00', currency: 'GBP' },
      { moneyAtStakePerMonth: '547.20', currency: 'GBP' },
    ]);
    const res = await get(hub.keys.sales_ops, '/console/dashboard');
    expect(res.body).toMatch(/<a href="\/console\/psa-todos">PSA to-dos \(money at stake a month\)<\/a><\/td><td class="num">2<\/td>\s*<td class="num">589.2 GBP<\/td>/);
  });

  it('gives an auditor the list without forms, and refuses a portal key', async () => {
    const res = await get(hub.keys.auditor, '/console/psa-todos');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('CFQ7TTC0LCHC:0002');
    expect(res.body).not.toContain(`/console/psa-todos/${todos[0]}/approve`);
    expect(res.body).not.toContain('action="/console/psa-todos/preview"');
    const portal = await hub.keyFor(['portal'], customerId);
    expect((await get(portal, '/console/psa-todos')).statusCode).toBe(403);
  });

  it('previews the PSA writes of the ticked to-dos without changing them', async () => {
    const res = await post(hub.keys.sales_ops, '/console/psa-todos/preview', { [`pick:${todos[1]}`]: '1' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain('/finance/agreements/77/additions/501');
    expect(res.body).toContain(todos[1]!.slice(0, 8));
    expect(res.body).not.toContain(todos[0]!.slice(0, 8));
    const statuses = await hub.ctx.db.selectFrom('psa_todos').select('status').where('id', 'in', todos).execute();
    expect(statuses.map((s) => s.status)).toEqual(['open', 'open']);
  });

  it('dismisses with a reason and approves (queueing the write)', async () => {
    const dismissed = await post(hub.keys.sales_ops, `/console/psa-todos/${todos[0]}/dismiss`, { reason: 'Two seats are on a separate agreement' });
    expect(dismissed.headers.location).toBe('/console/psa-todos?done=dismiss');
    const approved = await post(hub.keys.finance, `/console/psa-todos/${todos[1]}/approve`, {});
    expect(approved.statusCode, approved.body).toBe(303);
    const rows = await hub.ctx.db.selectFrom('psa_todos').select(['id', 'status', 'reason']).where('id', 'in', todos).execute();
    expect(Object.fromEntries(rows.map((r) => [r.id, [r.status, r.reason]]))).toEqual({
      [todos[0]!]: ['dismissed', 'Two seats are on a separate agreement'],
      [todos[1]!]: ['approved', null],
    });
  });
});

describe('console field mappings page', () => {
  let sandbox: HubSpotSandbox;
  let connectionId: string;
  beforeAll(async () => {
    sandbox = await startHubSpotSandbox();
    connectionId = await connectHubSpotSandbox(hub, sandbox);
    await sandbox.winDeal('9001');
    expect(await quoteToCash({ connectionId, dealId: '9001' }, hub.ctx)).toMatchObject({ outcome: 'quoted' });
  }, 60_000);
  afterAll(async () => {
    await sandbox?.close();
  });
  const detail = () => `/console/connections/${connectionId}/mappings/deal`;

  it('leads from the connections to the deal mapping in force, with its rules', async () => {
    const list = await get(hub.keys.auditor, '/console/mappings');
    expect(list.statusCode, list.body).toBe(200);
    expect(list.body).toContain(`href="/console/connections/${connectionId}/mappings"`);
    const objects = await get(hub.keys.auditor, `/console/connections/${connectionId}/mappings`);
    expect(objects.body).toContain(`href="${detail()}"`);
    const res = await get(hub.keys.auditor, detail());
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('hubspot deal mapping, version 0');
    expect(res.body).toContain('quote.azureMonthlyBudget');
    // An auditor reads; previewing is for admin and billing_ops.
    expect(res.body).not.toContain('Preview the draft');
  });

  it('refuses finance (the API answers 403) and leaves the page out of its menu', async () => {
    expect((await get(hub.keys.finance, detail())).statusCode).toBe(403);
    expect((await get(hub.keys.finance, '/console/dashboard')).body).not.toContain('href="/console/mappings"');
  });

  it('previews a draft against the last deal read: before and after per field, writing nothing', async () => {
    const draft = [
      { id: 'currency', source: 'deal.properties.deal_currency_code', target: 'quote.currency', transform: { type: 'copy' } },
      { id: 'azure-budget', source: 'deal.properties.azure_budget', target: 'quote.azureMonthlyBudget', transform: { type: 'decimal', scale: 2 } },
    ];
    const res = await post(hub.keys.billing_ops, `${detail()}/preview`, { draft: JSON.stringify(draft) });
    expect(res.statusCode, res.body).toBe(200);
    // The built-in rule took the Azure lines (1150 + 240); the deal has no azure_budget property yet.
    expect(res.body).toMatch(/<tr class="changed"><th scope="row">quote.azureMonthlyBudget \(changes\)<\/th><td>1390<\/td><td class="after">—<\/td><\/tr>/);
    expect(await hub.ctx.db.selectFrom('field_mappings').select('id').execute()).toEqual([]);
    const broken = await post(hub.keys.billing_ops, `${detail()}/preview`, { draft: '{"not": "rules"' });
    expect(broken.body).toContain('The draft must be a JSON array of rules.');
  });

  it('saves a draft as a new version with its reason through PUT, shows the history, and rolls back; billing_ops may only preview', async () => {
    const current = (await hub.app.inject({ method: 'GET', url: `/v1/connections/${connectionId}/mappings/deal`, headers: hub.auth(hub.keys.admin) })).json();
    const budget = { id: 'azure-budget', source: 'deal.properties.azure_budget', target: 'quote.azureMonthlyBudget', transform: { type: 'decimal', scale: 2 } };
    const draft = JSON.stringify(current.rules.map((r: { id: string }) => (r.id === 'azure-budget' ? budget : r)));
    expect((await get(hub.keys.billing_ops, detail())).body).not.toContain('Save as a new version');

    // Refused by the API (a reason is required; a wrong type names the rule): the draft stays on the page, nothing is stored.
    const noReason = await post(hub.keys.admin, `${detail()}/save`, { draft, reason: '' });
    expect(noReason.statusCode).toBe(200);
    expect(noReason.body).toContain('The draft was not saved: reason');
    expect(noReason.body).toContain('deal.properties.azure_budget');
    const wrongType = await post(hub.keys.admin, `${detail()}/save`, { draft: draft.replace('"type":"decimal","scale":2', '"type":"copy"'), reason: 'budget property' });
    expect(wrongType.body).toContain('rule azure-budget: quote.azureMonthlyBudget holds decimal, but the rule yields string');
    const noCsrf = await post(hub.keys.admin, `${detail()}/save`, { draft, reason: 'budget property' }, false);
    expect(noCsrf.statusCode).toBe(403);
    expect(await hub.ctx.db.selectFrom('field_mappings').select('id').execute()).toEqual([]);

    const saved = await post(hub.keys.admin, `${detail()}/save`, { draft, reason: 'Azure budget negotiated per deal' });
    expect(saved.statusCode, saved.body).toBe(303);
    expect(saved.headers.location).toBe(`${detail()}?done=${encodeURIComponent('Saved as version 1.')}`);
    const audit = await hub.ctx.db.selectFrom('audit_log').select(['action', 'justification']).where('action', 'like', 'mapping.%').execute();
    expect(audit).toEqual([{ action: 'mapping.version', justification: 'Azure budget negotiated per deal' }]);

    const page = await get(hub.keys.admin, detail());
    expect(page.body).toContain('hubspot deal mapping, version 1');
    expect(page.body).toMatch(/<td class="num">1 \(in force\)<\/td>\s*<td>Azure budget negotiated per deal<\/td>/);
    expect(page.body).toContain('Built-in default');
    expect(page.body).toContain('Roll back to version 0');
    expect(page.body).not.toContain('Roll back to version 1');

    const rolledBack = await post(hub.keys.admin, `${detail()}/rollback`, { version: '0', reason: 'finance wants the line totals back' });
    expect(rolledBack.statusCode, rolledBack.body).toBe(303);
    expect(rolledBack.headers.location).toBe(`${detail()}?done=${encodeURIComponent('Version 0 is back in force as version 2.')}`);
    const versions = await hub.ctx.db.selectFrom('field_mappings').select(['version', 'copied_from', 'reason']).where('object', '=', 'deal').orderBy('version').execute();
    expect(versions).toEqual([
      { version: 1, copied_from: null, reason: 'Azure budget negotiated per deal' },
      { version: 2, copied_from: 0, reason: 'finance wants the line totals back' },
    ]);
    const after = await get(hub.keys.admin, `${detail()}?done=x`);
    expect(after.body).toContain('(copy of version 0)');
    expect(after.body).toContain('Roll back to version 1');
    // billing_ops may preview but not roll back: the API refuses it.
    expect((await post(hub.keys.billing_ops, `${detail()}/rollback`, { version: '1', reason: 'try' })).statusCode).toBe(403);
  });
});
