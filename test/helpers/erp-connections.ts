import { expect } from 'vitest';
import type { NetSuiteSandbox } from '../../src/sandbox/netsuite/server.ts';
import { startQuickBooksSandbox, type QuickBooksSandbox } from '../../src/sandbox/quickbooks/server.ts';
import { startXeroSandbox, type XeroSandbox } from '../../src/sandbox/xero/server.ts';
import { closeSmallMonth, type ClosedMonth } from './closed-month.ts';
import { createTestHub, type TestHub } from './test-hub.ts';

// Sandbox ids (src/sandbox/quickbooks/company.ts): classes Web and Unallocated, department 1 (North).
export const CLASS_WEB = '5000000000000012345';
export const CLASS_UNALLOCATED = '5000000000000012347';

/**
 * Xero's documented 60 calls a minute spaces a connection's calls a second apart, so a
 * test that posts a few documents would mostly wait. The sandboxes enforce no rate unless
 * a test sets one, and the pacing has tests of its own (test/unit/connectors/http-limits.test.ts).
 */
export const UNPACED = { requestsPerMinute: 60_000 } as const;

/** A QuickBooks connection on the hub pointed at the sandbox (with the webhook verifier token when given). */
export async function connectQuickBooksSandbox(hub: TestHub, qbo: QuickBooksSandbox, webhookVerifierToken?: string): Promise<string> {
  const res = await hub.app.inject({
    method: 'POST',
    url: '/v1/connections',
    headers: hub.auth(hub.keys.admin),
    payload: {
      provider: 'quickbooks',
      name: 'QuickBooks sandbox',
      credentials: { clientId: qbo.credentials.clientId, clientSecret: qbo.credentials.clientSecret, refreshToken: qbo.credentials.refreshToken, ...(webhookVerifierToken ? { webhookVerifierToken } : {}) },
      settings: { realmId: qbo.credentials.realmId, endpoint: qbo.endpoint, tokenUrl: qbo.tokenUrl, ...UNPACED },
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

/**
 * Connects the hub to a Xero and a QuickBooks sandbox (with their webhook keys), maps the
 * small month's lines and cost nodes in both (Xero: 200/210 with 15 % OUTPUT tax and
 * tracking; QuickBooks: 79/80, classes, department 1) and makes its customer exist in
 * both ERPs. Answers the two connection ids.
 */
export async function connectBothErps(hub: TestHub, month: ClosedMonth, xero: XeroSandbox, qbo: QuickBooksSandbox): Promise<{ xero: string; quickbooks: string }> {
  const connect = async (payload: object) => {
    const res = await hub.app.inject({ method: 'POST', url: '/v1/connections', headers: hub.auth(hub.keys.admin), payload });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  };
  const connections = { xero: '', quickbooks: '' };
  connections.xero = await connect({
    provider: 'xero',
    name: 'Xero sandbox',
    credentials: { clientId: xero.credentials.clientId, clientSecret: xero.credentials.clientSecret, refreshToken: xero.credentials.refreshToken, webhookKey: xero.receivables.webhookKey },
    settings: { tenantId: xero.credentials.tenantId, apiUrl: xero.apiUrl, tokenUrl: xero.tokenUrl, ...UNPACED },
  });
  connections.quickbooks = await connectQuickBooksSandbox(hub, qbo, qbo.receivables.verifierToken);
  for (const [system, mappings] of [
    [
      'xero',
      [
        { kind: 'category', value: 'compute', account: '200', taxCode: 'OUTPUT' },
        { kind: 'category', value: 'storage', account: '200', taxCode: 'OUTPUT' },
        { kind: 'category', value: 'licenses', account: '210', taxCode: 'OUTPUT' },
        { kind: 'costNode', value: month.nodes.web, dimensions: { tracking: [{ name: 'Cost centre', option: 'Web' }] } },
        { kind: 'costNode', value: month.nodes.unallocated, dimensions: { tracking: [{ name: 'Cost centre', option: 'Unallocated' }] } },
      ],
    ],
    [
      'quickbooks',
      [
        { kind: 'category', value: 'compute', account: '79', taxCode: 'TAX' },
        { kind: 'category', value: 'storage', account: '79', taxCode: 'TAX' },
        { kind: 'category', value: 'licenses', account: '80', taxCode: 'NON' },
        { kind: 'costNode', value: month.nodes.web, dimensions: { class: CLASS_WEB, department: '1' } },
        { kind: 'costNode', value: month.nodes.unallocated, dimensions: { class: CLASS_UNALLOCATED, department: '1' } },
      ],
    ],
  ] as const) {
    const res = await hub.app.inject({ method: 'PUT', url: '/v1/accounting-mappings', headers: hub.auth(hub.keys.finance), payload: { system, mappings } });
    expect(res.statusCode, res.body).toBe(200);
  }
  xero.organisation.createContact({ Name: 'Fabrikam Ltd', ContactNumber: month.customerId });
  qbo.company.createCustomer({ DisplayName: 'Fabrikam Ltd' });
  return connections;
}

export interface HubWithBothErps {
  hub: TestHub;
  xero: XeroSandbox;
  qbo: QuickBooksSandbox;
  month: ClosedMonth;
  connections: { xero: string; quickbooks: string };
}

/** What the two-ERP posting tests start from: a hub with its worker, the small month closed, both sandboxes connected. */
export async function startHubWithBothErps(): Promise<HubWithBothErps> {
  const hub = await createTestHub({ worker: true });
  const xero = await startXeroSandbox();
  const qbo = await startQuickBooksSandbox();
  const month = await closeSmallMonth(hub);
  return { hub, xero, qbo, month, connections: await connectBothErps(hub, month, xero, qbo) };
}

export async function stopHubWithBothErps(env: Partial<HubWithBothErps> | undefined): Promise<void> {
  await env?.hub?.close();
  await env?.xero?.close();
  await env?.qbo?.close();
}

// NetSuite sandbox ids (src/sandbox/netsuite/account.ts): income accounts 54 (licences) and
// 55 (Azure), departments 1 and 5, classes 3 and 4, location 1, tax codes 11 and 12, USD = 1.
export const NETSUITE_UNALLOCATED = { department: '1', class: '3', location: '1' };
export const NETSUITE_WEB = { department: '5', class: '4', location: '1' };

/** Connects the hub to a NetSuite sandbox (subsidiary 1, customers made when missing); answers the connection id. */
export async function connectNetSuite(hub: TestHub, ns: NetSuiteSandbox): Promise<string> {
  const { accountId, ...secrets } = ns.credentials;
  const created = await hub.app.inject({
    method: 'POST',
    url: '/v1/connections',
    headers: hub.auth(hub.keys.admin),
    payload: { provider: 'netsuite', name: 'NetSuite sandbox', credentials: secrets, settings: { accountId, baseUrl: ns.url, subsidiaryId: '1', createMissingCustomers: true } },
  });
  expect(created.statusCode, created.body).toBe(201);
  return created.json().id as string;
}

/** The small month's NetSuite mappings: Azure on 55 with tax code 11, licences on 54 with 12, the two cost nodes' segments. */
export async function mapSmallMonthInNetSuite(hub: TestHub, month: ClosedMonth): Promise<void> {
  const mapped = await hub.app.inject({
    method: 'PUT',
    url: '/v1/accounting-mappings',
    headers: hub.auth(hub.keys.finance),
    payload: {
      system: 'netsuite',
      mappings: [
        { kind: 'category', value: 'compute', account: '55', taxCode: '11' },
        { kind: 'category', value: 'storage', account: '55', taxCode: '11' },
        { kind: 'category', value: 'licenses', account: '54', taxCode: '12' },
        { kind: 'costNode', value: month.nodes.web, dimensions: NETSUITE_WEB },
        { kind: 'costNode', value: month.nodes.unallocated, dimensions: NETSUITE_UNALLOCATED },
      ],
    },
  });
  expect(mapped.statusCode, mapped.body).toBe(200);
}

/** Connects the hub to a Xero sandbox through the API (with a webhook key when given) and answers the connection id. */
export async function connectXeroSandbox(hub: TestHub, xero: XeroSandbox, webhookKey?: string): Promise<string> {
  const res = await hub.app.inject({
    method: 'POST',
    url: '/v1/connections',
    headers: hub.auth(hub.keys.admin),
    payload: {
      provider: 'xero',
      name: 'Xero sandbox',
      credentials: { clientId: xero.credentials.clientId, clientSecret: xero.credentials.clientSecret, refreshToken: xero.credentials.refreshToken, ...(webhookKey ? { webhookKey } : {}) },
      settings: { tenantId: xero.credentials.tenantId, apiUrl: xero.apiUrl, tokenUrl: xero.tokenUrl, ...UNPACED },
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}
