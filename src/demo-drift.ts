import { startHubSpotSandbox, type HubSpotSandbox } from './sandbox/hubspot/index.ts';

// The demo's last act: a won HubSpot deal becomes Contoso's rate card, someone changes a
// price in HubSpot behind the hub's back, and the drift queue shows the difference with
// the money at stake and how to resolve it.

type Call = <T = any>(method: string, path: string, body?: unknown, key?: string) => Promise<T>;

const until = async <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`demo: gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
};

export interface DemoDrift {
  sandbox: HubSpotSandbox;
  lines: string[];
}

export async function demoDrift(api: Call, address: string, keys: { admin: string; salesOps: string; finance: string }): Promise<DemoDrift> {
  const sandbox = await startHubSpotSandbox();
  const credentials = { accessToken: sandbox.credentials.privateAppToken, clientSecret: sandbox.credentials.clientSecret };
  const settings = { baseUrl: sandbox.url, portalId: String(sandbox.credentials.portalId), requestsPerTenSeconds: 1000 };
  const name = 'HubSpot (sandbox)';
  const existing = (await api<{ items: { id: string; name: string }[] }>('GET', '/v1/connections?provider=hubspot')).items.find((c) => c.name === name);
  // The sandbox listens on a new port each run: a second demo run points the connection at it.
  const connection = existing
    ? await api<{ id: string }>('PATCH', `/v1/connections/${existing.id}`, { settings, credentials })
    : await api<{ id: string }>('POST', '/v1/connections', { provider: 'hubspot', name, credentials, settings });
  await sandbox.winDeal('9001', { deliverTo: `${address}/webhooks/hubspot` });
  const card = await until('the won deal to become a rate card', async () => {
    const customers = (await api<{ items: { id: string; externalLinks: { system: string; externalId: string }[] }[] }>('GET', '/v1/customers?limit=500')).items;
    const customer = customers.find((c) => c.externalLinks.some((l) => l.system === 'hubspot' && l.externalId === '3001'));
    if (!customer) return undefined;
    return (await api<{ items: { id: string }[] }>('GET', `/v1/rate-cards?customerId=${customer.id}`)).items[0];
  });
  const { versions } = await api<{ versions: { version: number; status: string }[] }>('GET', `/v1/rate-cards/${card.id}`);
  const pending = versions.find((v) => v.status === 'pending');
  if (pending) {
    await api('POST', `/v1/rate-cards/${card.id}/versions/${pending.version}/approve`, { comment: 'Quote checked' }, keys.salesOps);
    await api('POST', `/v1/rate-cards/${card.id}/versions/${pending.version}/approve`, { comment: 'Approved for billing' }, keys.finance);
  }
  // A salesperson edits the Azure compute line in HubSpot: 1,200 on a 1,000 cost is 20 %, the card says 15 %.
  sandbox.editObject('line_items', '7003', { price: '1200.00' });
  await api('POST', '/v1/drift-runs');
  const finding = await until('the drift finding', async () => {
    const open = (await api<{ items: any[] }>('GET', `/v1/drift-findings?status=open&system=hubspot`)).items;
    return open.find((f) => f.connectionId === connection.id);
  });
  const open = (await api<{ items: unknown[] }>('GET', '/v1/drift-findings?status=open')).items.length;
  return {
    sandbox,
    lines: [
      `Drift queue   ${open} open finding${open === 1 ? '' : 's'} (someone changed a price in HubSpot)`,
      `  ${finding.field} ${finding.subject}: ${finding.owner} (owner) says ${finding.ownerValue}, ${finding.system} says ${finding.otherValue}; ${finding.moneyAtStakePerMonth} ${finding.currency} a month at stake`,
      `  Resolve     curl -X POST -H "Authorization: Bearer ${keys.admin}" -H 'content-type: application/json' \\`,
      `                -d '{"action":"push-owner-value","reason":"the contract says 15 %"}' ${address}/v1/drift-findings/${finding.id}/resolve`,
    ],
  };
}
