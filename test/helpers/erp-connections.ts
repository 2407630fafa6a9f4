import { expect } from 'vitest';
import type { QuickBooksSandbox } from '../../src/sandbox/quickbooks/server.ts';
import type { XeroSandbox } from '../../src/sandbox/xero/server.ts';
import type { ClosedMonth } from './closed-month.ts';
import type { TestHub } from './test-hub.ts';

// Sandbox ids (src/sandbox/quickbooks/company.ts): classes Web and Unallocated, department 1 (North).
export const CLASS_WEB = '5000000000000012345';
export const CLASS_UNALLOCATED = '5000000000000012347';

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
    settings: { tenantId: xero.credentials.tenantId, apiUrl: xero.apiUrl, tokenUrl: xero.tokenUrl },
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
      settings: { tenantId: xero.credentials.tenantId, apiUrl: xero.apiUrl, tokenUrl: xero.tokenUrl },
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

/** Connects the hub to a QuickBooks sandbox through the API (with a webhook verifier token when given) and answers the connection id. */
export async function connectQuickBooksSandbox(hub: TestHub, qbo: QuickBooksSandbox, webhookVerifierToken?: string): Promise<string> {
  const res = await hub.app.inject({
    method: 'POST',
    url: '/v1/connections',
    headers: hub.auth(hub.keys.admin),
    payload: {
      provider: 'quickbooks',
      name: 'QuickBooks sandbox',
      credentials: { clientId: qbo.credentials.clientId, clientSecret: qbo.credentials.clientSecret, refreshToken: qbo.credentials.refreshToken, ...(webhookVerifierToken ? { webhookVerifierToken } : {}) },
      settings: { realmId: qbo.credentials.realmId, endpoint: qbo.endpoint, tokenUrl: qbo.tokenUrl },
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}
