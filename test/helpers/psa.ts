import { expect } from 'vitest';
import type { TestHub } from './test-hub.ts';

/**
 * Hub customers for a sandbox PSA's companies (linked by company id under `system`),
 * each with a project cost node whose psaProjectCode is the company's sandbox project id.
 */
export async function linkPsaCompanies(
  hub: TestHub,
  system: 'connectwise' | 'autotask',
  companies: readonly { id: number; name: string }[],
  projects: readonly { id: number; companyId: number }[],
): Promise<Map<number, { customerId: string; projectNodeId: string }>> {
  const out = new Map<number, { customerId: string; projectNodeId: string }>();
  for (const company of companies) {
    const created = await hub.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: hub.auth(hub.keys.admin),
      payload: { name: company.name, billingCurrency: 'USD', externalLinks: [{ system, externalId: String(company.id) }] },
    });
    expect(created.statusCode, created.body).toBe(201);
    const customerId = created.json().id as string;
    const project = projects.find((p) => p.companyId === company.id)!;
    const node = await hub.app.inject({
      method: 'POST',
      url: `/v1/customers/${customerId}/cost-nodes`,
      headers: hub.auth(hub.keys.admin),
      payload: { name: `Project ${project.id}`, kind: 'project', psaProjectCode: String(project.id) },
    });
    expect(node.statusCode, node.body).toBe(201);
    out.set(company.id, { customerId, projectNodeId: node.json().id });
  }
  return out;
}

/** A PSA connection's labour lines, every version, by entry id then version. */
export function labourLinesOf(hub: TestHub, connectionId: string) {
  return hub.ctx.db.selectFrom('labour_lines').selectAll().where('connection_id', '=', connectionId).orderBy('entry_id').orderBy('version').execute();
}

/** The lines of a PSA connection that are current (neither superseded nor deleted). */
export async function currentLabourLines(hub: TestHub, connectionId: string) {
  return (await labourLinesOf(hub, connectionId)).filter((l) => l.status === 'current');
}
