import { expect } from 'vitest';
import type { AutotaskSandbox } from '../../src/sandbox/autotask/index.ts';
import { linkPsaCompanies } from './psa.ts';
import type { TestHub } from './test-hub.ts';

/** An Autotask connection on the hub whose zone discovery points at the sandbox. */
export async function connectAutotask(hub: TestHub, sandbox: AutotaskSandbox, name = 'Sandbox Autotask'): Promise<string> {
  const res = await hub.app.inject({
    method: 'POST',
    url: '/v1/connections',
    headers: hub.auth(hub.keys.admin),
    payload: { provider: 'autotask', name, credentials: { ...sandbox.credentials }, settings: { zoneInformationUrl: sandbox.zoneInformationUrl, requestsPerHour: 3_600_000 } },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

/** Hub customers for the sandbox's companies, each with its project's cost node (see linkPsaCompanies). */
export function linkAutotaskCompanies(hub: TestHub, companies: readonly { id: number; companyName: string }[], projects: readonly { id: number; companyID: number }[]): ReturnType<typeof linkPsaCompanies> {
  return linkPsaCompanies(hub, 'autotask', companies.map((c) => ({ id: c.id, name: c.companyName })), projects.map((p) => ({ id: p.id, companyId: p.companyID })));
}
