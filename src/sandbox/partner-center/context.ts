/** Everything the route modules share: built once per sandbox in server.ts. */
import type { SandboxClock } from './clock.ts';
import type { ExportRegistry } from './exports.ts';
import type { GdapRegistry } from './gdap.ts';
import type { LicenceAssignments } from './licence-assignments.ts';
import type { SandboxCredentials, SandboxStats } from './interfaces.ts';
import type { LineSources } from './line-sources.ts';
import type { Portfolio } from './portfolio.ts';
import type { Throttle } from './throttle.ts';
import type { TokenService } from './tokens.ts';

export interface SandboxContext {
  portfolio: Portfolio;
  credentials: SandboxCredentials;
  tokens: TokenService;
  throttle: Throttle;
  stats: SandboxStats;
  /** Customer ids whose GDAP consent is revoked. */
  revoked: Set<string>;
  sources: LineSources;
  exports: ExportRegistry;
  /** Business time: what is published, which invoices exist. */
  clock: SandboxClock;
  /** Real time: token and SAS expiry, throttle windows. */
  wallClock: () => number;
  exportRetryAfterSeconds: number;
  /** GDAP relationships, as Graph lists them. */
  gdap: GdapRegistry;
  /** Licence assignment in each customer's tenant (Graph `subscribedSkus`). */
  licences: LicenceAssignments;
}

export function emptyStats(): SandboxStats {
  return { calls: 0, served: 0, throttled: 0, retryAfterSecondsRequested: 0, unauthorized: 0, forbidden: 0, tokensIssued: 0, blobsServed: 0 };
}

/** Query parameters with lower-cased names: Microsoft's own examples mix `currencyCode` and `currencycode`. */
export function lowerQuery(query: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (query && typeof query === 'object') {
    for (const [k, v] of Object.entries(query)) if (typeof v === 'string') out[k.toLowerCase()] = v;
  }
  return out;
}
