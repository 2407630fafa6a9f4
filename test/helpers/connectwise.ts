import { expect } from 'vitest';
import type { ConnectWiseSandbox } from '../../src/sandbox/connectwise/index.ts';
import { linkPsaCompanies } from './psa.ts';
import type { TestHub } from './test-hub.ts';

/** A ConnectWise connection on the hub pointed at the sandbox. */
export async function connectConnectWise(hub: TestHub, sandbox: ConnectWiseSandbox, name = 'Sandbox PSA'): Promise<string> {
  const res = await hub.app.inject({
    method: 'POST',
    url: '/v1/connections',
    headers: hub.auth(hub.keys.admin),
    payload: { provider: 'connectwise', name, credentials: { ...sandbox.credentials }, settings: { site: sandbox.url, requestsPerMinute: 60_000 } },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

/** Hub customers for the sandbox's companies, each with its project's cost node (see linkPsaCompanies). */
export function linkSandboxCompanies(hub: TestHub, companies: readonly { id: number; name: string }[], projects: readonly { id: number; companyId: number }[]): ReturnType<typeof linkPsaCompanies> {
  return linkPsaCompanies(hub, 'connectwise', companies, projects);
}
