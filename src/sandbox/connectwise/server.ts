/**
 * Starts the ConnectWise PSA sandbox: company info (codebase discovery), the REST API
 * under /{codebase}apis/3.0 (time entries, work roles, agreements and their additions,
 * forward-only and navigable paging, 429 with Retry-After) and a control API.
 *
 * @example
 *   const sandbox = await startConnectWiseSandbox({ timeEntries: 2500 });
 *   sandbox.account.editTimeEntry(10001, { actualHours: 3 });
 */
import fastify, { type FastifyInstance } from 'fastify';
import { Throttle } from '../partner-center/throttle.ts';
import type { ThrottleOptions } from '../partner-center/interfaces.ts';
import { ConnectWiseAccount, type AccountOptions } from './account.ts';
import { CODEBASE, COMPANY_ID } from './catalog.ts';
import { emptyStats, type ConnectWiseSandboxContext, type ConnectWiseSandboxCredentials, type ConnectWiseSandboxStats } from './context.ts';
import { registerApiRoutes } from './routes/api.ts';
import { registerControlRoutes } from './routes/control.ts';
import { callbackDelivery, registerCallbackKeyRoute, type CallbackDelivery, type CallbackInput } from './callbacks.ts';

export interface ConnectWiseSandboxOptions extends AccountOptions {
  host?: string;
  port?: number;
  throttle?: ThrottleOptions;
}

export interface ConnectWiseSandbox {
  /** The site origin (what a connection's `site` setting holds). */
  url: string;
  /** The REST root the hub discovers from company info. */
  apiUrl: string;
  credentials: ConnectWiseSandboxCredentials;
  account: ConnectWiseAccount;
  stats(): ConnectWiseSandboxStats;
  setThrottle(options: ThrottleOptions): void;
  /** A signed (or wrongly signed, or unsigned) callback delivery, as ConnectWise would POST it. */
  callback(input: CallbackInput): CallbackDelivery;
  close(): Promise<void>;
}

export function createConnectWiseSandboxApp(options: ConnectWiseSandboxOptions = {}): { app: FastifyInstance; context: ConnectWiseSandboxContext } {
  const context: ConnectWiseSandboxContext = {
    account: new ConnectWiseAccount(options),
    credentials: { companyId: COMPANY_ID, publicKey: 'sandbox-public', privateKey: 'sandbox-private', clientId: '00000000-0000-4000-8000-00000000c0de' },
    throttle: new Throttle(options.throttle ?? {}, Date.now),
    stats: emptyStats(),
  };
  const app = fastify({ logger: false });
  registerApiRoutes(app, context);
  registerControlRoutes(app, context);
  registerCallbackKeyRoute(app, context);
  return { app, context };
}

export async function startConnectWiseSandbox(options: ConnectWiseSandboxOptions = {}): Promise<ConnectWiseSandbox> {
  const { app, context } = createConnectWiseSandboxApp(options);
  const host = options.host ?? '127.0.0.1';
  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  const url = `http://${host}:${typeof address === 'object' && address ? address.port : options.port}`;
  return {
    url,
    apiUrl: `${url}/${CODEBASE}apis/3.0`,
    credentials: context.credentials,
    account: context.account,
    stats: () => structuredClone(context.stats),
    setThrottle: (throttle) => context.throttle.configure(throttle),
    callback: (input) => callbackDelivery(url, input),
    close: () => app.close(),
  };
}
