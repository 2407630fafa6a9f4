import type { Throttle } from '../partner-center/throttle.ts';
import type { ConnectWiseAccount } from './account.ts';

export interface ConnectWiseSandboxCredentials {
  companyId: string;
  publicKey: string;
  privateKey: string;
  clientId: string;
}

export interface ConnectWiseSandboxStats {
  /** API calls received (company info excluded). */
  calls: number;
  served: number;
  throttled: number;
  unauthorized: number;
  /** PATCH and POST calls that changed an agreement addition. */
  writes: number;
  /** Successful answers per list page (path + pageId or page), to prove each page is fetched once. */
  pages: Record<string, number>;
}

export interface ConnectWiseSandboxContext {
  account: ConnectWiseAccount;
  credentials: ConnectWiseSandboxCredentials;
  throttle: Throttle;
  stats: ConnectWiseSandboxStats;
}

export const emptyStats = (): ConnectWiseSandboxStats => ({ calls: 0, served: 0, throttled: 0, unauthorized: 0, writes: 0, pages: {} });

/** ConnectWise's error body. */
export function cwError(code: string, message: string, errors?: { code: string; message: string; resource: string; field: string }[]) {
  return { code, message, ...(errors ? { errors } : {}) };
}
