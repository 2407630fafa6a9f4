/**
 * Starts the Salesforce sandbox: the OAuth token endpoint (JWT bearer, client
 * credentials), the REST API's SOQL query with its limits, and a control API, on one
 * HTTP server that is both the login URL and the instance URL. Point jsforce at it with
 * `instanceUrl: sandbox.url`.
 *
 * @example
 *   const sandbox = await startSalesforceSandbox();
 *   const conn = new Connection({ loginUrl: sandbox.url, oauth2: { clientId, clientSecret, loginUrl: sandbox.url }, version: '66.0' });
 *   await conn.authorize({ grant_type: 'client_credentials' });
 *   await conn.query("SELECT Id, IsWon FROM Opportunity WHERE Id = '006…'");
 *   await sandbox.winOpportunity(id, { deliverTo: 'http://127.0.0.1:3000/webhooks/salesforce' });
 */
import { generateKeyPairSync } from 'node:crypto';
import fastify, { type FastifyInstance } from 'fastify';
import { ORG_ID } from './catalog.ts';
import { emptyStats, type LimitOptions, type SalesforceSandboxContext, type SalesforceSandboxCredentials, type SalesforceSandboxStats } from './context.ts';
import { deliver, type DeliveryResult } from './delivery.ts';
import { sfId } from './ids.ts';
import { SalesforceOrg, type SRecord } from './org.ts';
import { registerControlRoutes } from './routes/control.ts';
import { registerOAuthRoutes } from './routes/oauth.ts';
import { registerRestRoutes } from './routes/rest.ts';

export interface SalesforceSandboxOptions {
  now?: () => Date;
  host?: string;
  port?: number;
  credentials?: Partial<SalesforceSandboxCredentials>;
  /** How long an access token is accepted. Default 7,200 s (a 2-hour session timeout). */
  sessionSeconds?: number;
  limits?: LimitOptions;
  batchSize?: number;
}

export interface StageOptions {
  deliverTo?: string;
  via?: 'outbound-message' | 'flow';
  redeliveries?: number;
}

export interface SalesforceSandbox {
  url: string;
  credentials: SalesforceSandboxCredentials;
  org: SalesforceOrg;
  stats(): SalesforceSandboxStats;
  setLimits(limits: LimitOptions): void;
  expireSessions(): void;
  winOpportunity(id: string, options?: StageOptions): Promise<DeliveryResult[]>;
  reopenOpportunity(id: string, options?: StageOptions): Promise<DeliveryResult[]>;
  close(): Promise<void>;
}

export function createSalesforceSandboxApp(options: SalesforceSandboxOptions = {}): { app: FastifyInstance; context: SalesforceSandboxContext; setUrl(url: string): void } {
  const now = options.now ?? (() => new Date());
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let url = '';
  let notification = 0;
  const context: SalesforceSandboxContext = {
    org: new SalesforceOrg(now),
    credentials: {
      organizationId: ORG_ID,
      clientId: '3MVG9sandbox.consumer.key.0001',
      clientSecret: 'sandbox-consumer-secret-0001',
      username: 'integration@msp-sandbox.example',
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      flowSecret: 'sandbox-flow-secret-0001',
      ...options.credentials,
    },
    url: () => url,
    sessions: new Map(),
    sessionSeconds: options.sessionSeconds ?? 7200,
    limits: { dailyLimit: 100_000, used: 0, ...options.limits },
    batchSize: options.batchSize ?? 2000,
    stats: emptyStats(),
    now,
    nextNotificationId: () => sfId('04l', ++notification),
  };
  const app = fastify({ logger: false });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  registerOAuthRoutes(app, context);
  registerRestRoutes(app, context);
  registerControlRoutes(app, context);
  return { app, context, setUrl: (u) => (url = u) };
}

export async function startSalesforceSandbox(options: SalesforceSandboxOptions = {}): Promise<SalesforceSandbox> {
  const { app, context, setUrl } = createSalesforceSandboxApp(options);
  const host = options.host ?? '127.0.0.1';
  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  const url = `http://${host}:${typeof address === 'object' && address ? address.port : options.port}`;
  setUrl(url);
  const stage = async (id: string, change: (id: string) => SRecord | undefined, o: StageOptions = {}) => {
    const record = change(id);
    if (!record) throw new Error(`unknown opportunity ${id}`);
    return o.deliverTo ? deliver(context, o.deliverTo, record, { ...(o.via ? { via: o.via } : {}), redeliveries: o.redeliveries ?? 0 }) : [];
  };
  return {
    url,
    credentials: context.credentials,
    org: context.org,
    stats: () => ({ ...context.stats }),
    setLimits: (limits) => Object.assign(context.limits, limits),
    expireSessions: () => context.sessions.clear(),
    winOpportunity: (id, o) => stage(id, (i) => context.org.win(i), o),
    reopenOpportunity: (id, o) => stage(id, (i) => context.org.reopen(i), o),
    close: () => app.close(),
  };
}
