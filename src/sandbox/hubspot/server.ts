/**
 * Starts the HubSpot sandbox: the CRM API (v3 objects, v4 associations), the OAuth token
 * endpoint and a control API, on one HTTP server. Point @hubspot/api-client at it with
 * `basePath: sandbox.url`.
 *
 * @example
 *   const sandbox = await startHubSpotSandbox();
 *   const hs = new Client({ accessToken: sandbox.credentials.privateAppToken, basePath: sandbox.url });
 *   await hs.crm.deals.basicApi.getById('9001', ['dealname']);
 *   await sandbox.winDeal('9001', { deliverTo: 'http://127.0.0.1:3000/webhooks/hubspot' });
 */
import fastify, { type FastifyInstance } from 'fastify';
import { Throttle } from '../partner-center/throttle.ts';
import type { ThrottleOptions } from '../partner-center/interfaces.ts';
import { HubSpotAccount } from './account.ts';
import { APP_ID, PORTAL_ID } from './catalog.ts';
import { emptyStats, type HubSpotSandboxContext, type HubSpotSandboxCredentials, type HubSpotSandboxStats } from './context.ts';
import { changeStage, type DeliveryResult } from './delivery.ts';
import { registerControlRoutes } from './routes/control.ts';
import { registerCrmRoutes } from './routes/crm.ts';
import { registerOAuthRoutes } from './routes/oauth.ts';

export interface HubSpotSandboxOptions {
  now?: () => Date;
  host?: string;
  port?: number;
  /** Rolling-window limit on CRM calls (limit per windowSeconds), or every Nth call refused. */
  throttle?: ThrottleOptions;
  credentials?: Partial<HubSpotSandboxCredentials>;
  /** OAuth access token lifetime (expires_in). Default 1800, as HubSpot. */
  accessTokenSeconds?: number;
}

export interface HubSpotSandbox {
  url: string;
  credentials: HubSpotSandboxCredentials;
  stats(): HubSpotSandboxStats;
  setThrottle(options: ThrottleOptions): void;
  winDeal(dealId: string, options?: { deliverTo?: string; redeliveries?: number }): Promise<DeliveryResult[]>;
  reopenDeal(dealId: string, options?: { deliverTo?: string }): Promise<DeliveryResult[]>;
  /** Changes properties as a person in HubSpot would: no webhook, not counted as an API write. */
  editObject(type: 'deals' | 'line_items' | 'companies', id: string, properties: Record<string, string>): void;
  close(): Promise<void>;
}

export function createHubSpotSandboxApp(options: HubSpotSandboxOptions = {}): { app: FastifyInstance; context: HubSpotSandboxContext } {
  const now = options.now ?? (() => new Date());
  let eventId = 1000;
  const context: HubSpotSandboxContext = {
    account: new HubSpotAccount(now),
    credentials: {
      portalId: PORTAL_ID,
      appId: APP_ID,
      privateAppToken: 'pat-na1-sandbox-0001',
      clientId: 'sandbox-client-0001',
      clientSecret: 'sandbox-client-secret-0001',
      refreshToken: 'sandbox-refresh-0001',
      ...options.credentials,
    },
    throttle: new Throttle(options.throttle ?? {}, () => now().getTime()),
    accessTokens: new Map(),
    accessTokenSeconds: options.accessTokenSeconds ?? 1800,
    stats: emptyStats(),
    now,
    nextEventId: () => ++eventId,
  };
  const app = fastify({ logger: false });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  registerOAuthRoutes(app, context);
  registerCrmRoutes(app, context);
  registerControlRoutes(app, context);
  return { app, context };
}

export async function startHubSpotSandbox(options: HubSpotSandboxOptions = {}): Promise<HubSpotSandbox> {
  const { app, context } = createHubSpotSandboxApp(options);
  const host = options.host ?? '127.0.0.1';
  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  const url = `http://${host}:${typeof address === 'object' && address ? address.port : options.port}`;
  const stage = async (dealId: string, action: 'win' | 'reopen', deliverTo?: string, redeliveries = 0) => {
    const changed = await changeStage(context, dealId, action, deliverTo, redeliveries);
    if (!changed) throw new Error(`unknown deal ${dealId}`);
    return changed.deliveries;
  };
  return {
    url,
    credentials: context.credentials,
    stats: () => ({ ...context.stats }),
    setThrottle: (throttle) => context.throttle.configure(throttle),
    winDeal: (dealId, o = {}) => stage(dealId, 'win', o.deliverTo, o.redeliveries),
    reopenDeal: (dealId, o = {}) => stage(dealId, 'reopen', o.deliverTo),
    editObject: (type, id, properties) => {
      if (!context.account.update(type, id, properties)) throw new Error(`unknown ${type} ${id}`);
    },
    close: () => app.close(),
  };
}
