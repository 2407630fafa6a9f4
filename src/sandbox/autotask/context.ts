import type { Throttle } from '../partner-center/throttle.ts';
import type { AutotaskAccount } from './account.ts';

export interface AutotaskSandboxCredentials {
  username: string;
  secret: string;
  integrationCode: string;
}

export interface AutotaskSandboxStats {
  /** REST calls received (zone information excluded). */
  calls: number;
  served: number;
  /** Refused with 429 by the throttle. */
  throttled: number;
  /** Refused for a 4th concurrent request on one endpoint. */
  threadRejections: number;
  unauthorized: number;
  zoneLookups: number;
  /** Creates and updates taken (ContractServiceAdjustments, ContractServices). */
  writes: number;
  /** Successful answers per query page (entity, filter and first id), to prove each page is fetched once. */
  pages: Record<string, number>;
  /** The most requests in flight on one endpoint at once. */
  maxInFlight: number;
}

export interface AutotaskSandboxContext {
  account: AutotaskAccount;
  credentials: AutotaskSandboxCredentials;
  throttle: Throttle;
  stats: AutotaskSandboxStats;
  /** Requests in flight per integration code and endpoint. */
  inFlight: Map<string, number>;
  /** Added to every answer, so concurrent requests overlap in tests. */
  latencyMs: number;
  /** Requests per rolling hour before the database refuses (Autotask: 10,000). */
  requestsPerHour: number;
  hourWindow: number[];
}

export const emptyStats = (): AutotaskSandboxStats => ({ calls: 0, served: 0, throttled: 0, threadRejections: 0, unauthorized: 0, zoneLookups: 0, writes: 0, pages: {}, maxInFlight: 0 });

/** Autotask's error body: a list of messages. */
export const atError = (...messages: string[]) => ({ errors: messages });
