/**
 * The credentials fixture the sandbox authority accepts: an app registration
 * (client id + secret) in the partner tenant and a Secure Application Model
 * refresh token. Derived from the seed so a demo can print them.
 *
 * @example
 *   const creds = credentialsFor(portfolio.partner.tenantId, 7);
 */
import { Rng, seedFrom } from '../prng.ts';
import type { SandboxCredentials } from './interfaces.ts';

export function credentialsFor(tenantId: string, seed: number | string, overrides: Partial<SandboxCredentials> = {}): SandboxCredentials {
  const rng = new Rng(seedFrom(seed, 'credentials'));
  return {
    tenantId,
    clientId: overrides.clientId ?? rng.uuid(),
    clientSecret: overrides.clientSecret ?? `sbx~${rng.hex(36)}`,
    refreshToken: overrides.refreshToken ?? `0.ASandbox.${rng.hex(64)}`,
  };
}
