/**
 * Starts the Autotask PSA sandbox: zone information, the REST API under
 * /ATServicesRest/V1.0 (JSON filter queries with nextPageUrl paging, time entries,
 * contracts with services, units and adjustments, 429s, the 3-thread limit) and a
 * control API.
 *
 * @example
 *   const sandbox = await startAutotaskSandbox({ timeEntries: 2500 });
 *   sandbox.account.editTimeEntry(10001, { hoursWorked: 3 });
 */
import fastify, { type FastifyInstance } from 'fastify';
import { Throttle } from '../partner-center/throttle.ts';
import type { ThrottleOptions } from '../partner-center/interfaces.ts';
import { AutotaskAccount, type AccountOptions } from './account.ts';
import { API_USER } from './catalog.ts';
import { emptyStats, type AutotaskSandboxContext, type AutotaskSandboxCredentials, type AutotaskSandboxStats } from './context.ts';
import { registerApiRoutes } from './routes/api.ts';
import { registerControlRoutes } from './routes/control.ts';

export interface AutotaskSandboxOptions extends AccountOptions {
  host?: string;
  port?: number;
  throttle?: ThrottleOptions;
  latencyMs?: number;
  requestsPerHour?: number;
}

export interface AutotaskSandbox {
  url: string;
  /** What a connection's zoneInformationUrl setting holds to discover this sandbox. */
  zoneInformationUrl: string;
  credentials: AutotaskSandboxCredentials;
  account: AutotaskAccount;
  stats(): AutotaskSandboxStats;
  setThrottle(options: ThrottleOptions): void;
  setLatency(ms: number): void;
  close(): Promise<void>;
}

export function createAutotaskSandboxApp(options: AutotaskSandboxOptions = {}): { app: FastifyInstance; context: AutotaskSandboxContext } {
  const context: AutotaskSandboxContext = {
    account: new AutotaskAccount(options),
    credentials: { username: API_USER, secret: 'sandbox-secret', integrationCode: 'SANDBOXTRACKINGID0000000000' },
    throttle: new Throttle(options.throttle ?? {}, Date.now),
    stats: emptyStats(),
    inFlight: new Map(),
    latencyMs: options.latencyMs ?? 0,
    requestsPerHour: options.requestsPerHour ?? 10_000,
    hourWindow: [],
  };
  // Autotask's paths are case-insensitive.
  const app = fastify({ logger: false, routerOptions: { caseSensitive: false } });
  registerApiRoutes(app, context);
  registerControlRoutes(app, context);
  return { app, context };
}

export async function startAutotaskSandbox(options: AutotaskSandboxOptions = {}): Promise<AutotaskSandbox> {
  const { app, context } = createAutotaskSandboxApp(options);
  const host = options.host ?? '127.0.0.1';
  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  const url = `http://${host}:${typeof address === 'object' && address ? address.port : options.port}`;
  return {
    url,
    zoneInformationUrl: `${url}/atservicesrest/v1.0/zoneInformation`,
    credentials: context.credentials,
    account: context.account,
    stats: () => structuredClone(context.stats),
    setThrottle: (throttle) => context.throttle.configure(throttle),
    setLatency: (ms) => {
      context.latencyMs = ms;
    },
    close: () => app.close(),
  };
}
