/**
 * Starts the Partner Center sandbox: one HTTP server standing in for several
 * Microsoft hosts, told apart by path —
 *   login.microsoftonline.com   → /{tenant}/oauth2/token, /{tenant}/oauth2/v2.0/token
 *   api.partnercenter.microsoft.com → /v1/…
 *   graph.microsoft.com         → /v1.0/…, /beta/…
 *   blob storage (export files) → /blobs/…
 *   sandbox control             → /_sandbox/…
 *
 * @example
 *   const sandbox = await startPartnerCenterSandbox({ seed: 42, customers: 20, now: new Date('2026-09-20T12:00:00Z') });
 *   const { tenantId, clientId, clientSecret, refreshToken } = sandbox.credentials;
 *   // point the connector at sandbox.authorityUrl, sandbox.partnerCenterUrl and sandbox.graphUrl
 *   await sandbox.close();
 */
import fastify, { type FastifyInstance } from 'fastify';
import { SandboxClock } from './clock.ts';
import { emptyStats, type SandboxContext } from './context.ts';
import { credentialsFor } from './credentials.ts';
import { ExportRegistry } from './exports.ts';
import { GdapRegistry, type GdapOverride } from './gdap.ts';
import { LicenceAssignments, type LicenceOverride } from './licence-assignments.ts';
import type { PortfolioOptions, SandboxCredentials, SandboxStats, ThrottleOptions } from './interfaces.ts';
import { LineSources } from './line-sources.ts';
import { createPortfolio, type Portfolio } from './portfolio.ts';
import { registerAuthorityRoutes } from './routes/authority.ts';
import { registerBlobRoutes } from './routes/blobs.ts';
import { registerControlRoutes } from './routes/control.ts';
import { registerGdapRoutes } from './routes/gdap.ts';
import { registerLicenceRoutes } from './routes/licences.ts';
import { registerGraphRoutes } from './routes/graph.ts';
import { registerPartnerCenterRoutes } from './routes/partner-center.ts';
import { Throttle } from './throttle.ts';
import { TokenService } from './tokens.ts';

export interface PartnerCenterSandboxOptions extends PortfolioOptions {
  /** Business time (publication, invoices). A Date pins it; a function lets it run. Default: real time. */
  now?: Date | (() => Date);
  /** Real time in ms for token/SAS expiry and the throttle window. Default Date.now. */
  wallClock?: () => number;
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  throttle?: ThrottleOptions;
  /** Access token lifetime (expires_in). Default 3600. */
  tokenLifetimeSeconds?: number;
  /** Status reads that still answer `running` before an export succeeds. Default 1. */
  exportPollsBeforeReady?: number;
  /** Retry-After on export 202s and running polls. Default 1. */
  exportRetryAfterSeconds?: number;
  /** Lines per export blob; larger exports are split. Default 100,000. */
  linesPerBlob?: number;
  /** SAS token lifetime. Default 12 h. */
  sasLifetimeSeconds?: number;
  /** How long an export operation's and manifest's links live before answering 410 Gone. Default 24 h. */
  operationLifetimeSeconds?: number;
  credentials?: Partial<SandboxCredentials>;
}

export interface PartnerCenterSandbox {
  /** Base URL of the server, e.g. http://127.0.0.1:53421 */
  url: string;
  port: number;
  /** Token endpoint root: POST `${authorityUrl}/${tenantId}/oauth2/token`. */
  authorityUrl: string;
  /** Partner Center root: paths start with /v1. */
  partnerCenterUrl: string;
  /** Graph root including the version: `${graphUrl}/reports/partners/billing/...`. */
  graphUrl: string;
  credentials: SandboxCredentials;
  portfolio: Portfolio;
  stats(): SandboxStats;
  resetStats(): void;
  revokeConsent(customerId: string): void;
  restoreConsent(customerId: string): void;
  now(): Date;
  setNow(now: Date | (() => Date)): void;
  setThrottle(options: ThrottleOptions): void;
  /** Invalidates every refresh token (the partner user's sessions were revoked). */
  revokeRefreshTokens(): void;
  /** Change a customer's GDAP relationship (end date, status, assigned roles, or none at all). */
  setGdap(customerId: string, change: GdapOverride): void;
  /** Set one SKU's seats in a customer's tenant (by Graph skuPartNumber, e.g. SPE_E3). */
  setLicences(customerId: string, skuPartNumber: string, change: LicenceOverride): void;
  close(): Promise<void>;
}

/** Builds the app without listening: for `app.inject()` tests. */
export function createPartnerCenterSandboxApp(options: PartnerCenterSandboxOptions = {}): { app: FastifyInstance; context: SandboxContext } {
  const clock = new SandboxClock(options.now);
  const wallClock = options.wallClock ?? Date.now;
  const portfolio = createPortfolio(options, new Date(clock.nowMs()));
  const credentials = credentialsFor(portfolio.partner.tenantId, portfolio.options.seed, options.credentials);
  const tokens = new TokenService({ tenantId: credentials.tenantId, clock: wallClock, accessTokenSeconds: options.tokenLifetimeSeconds ?? 3600 });
  tokens.registerRefresh(credentials.refreshToken);
  const sources = new LineSources(portfolio);
  const context: SandboxContext = {
    portfolio,
    credentials,
    tokens,
    throttle: new Throttle(options.throttle ?? {}, wallClock),
    stats: emptyStats(),
    revoked: new Set(),
    sources,
    exports: new ExportRegistry({
      seed: portfolio.options.seed,
      partnerTenantId: portfolio.partner.tenantId,
      sources,
      wallClock,
      businessClock: () => clock.nowMs(),
      pollsBeforeReady: options.exportPollsBeforeReady ?? 1,
      linesPerBlob: options.linesPerBlob ?? 100_000,
      sasLifetimeSeconds: options.sasLifetimeSeconds ?? 12 * 3600,
      operationLifetimeSeconds: options.operationLifetimeSeconds ?? 24 * 3600,
    }),
    clock,
    wallClock,
    exportRetryAfterSeconds: options.exportRetryAfterSeconds ?? 1,
    // Relationship dates are real dates (the hub judges them against its own clock), not business time.
    gdap: new GdapRegistry(portfolio.options.seed, portfolio.partner.tenantId, portfolio.customers, wallClock()),
    licences: new LicenceAssignments(portfolio.options.seed),
  };

  const app = fastify({ logger: false, bodyLimit: 1024 * 1024 });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  registerAuthorityRoutes(app, context);
  registerPartnerCenterRoutes(app, context);
  registerGraphRoutes(app, context);
  registerGdapRoutes(app, context);
  registerLicenceRoutes(app, context);
  registerBlobRoutes(app, context);
  registerControlRoutes(app, context);
  return { app, context };
}

export async function startPartnerCenterSandbox(options: PartnerCenterSandboxOptions = {}): Promise<PartnerCenterSandbox> {
  const { app, context } = createPartnerCenterSandboxApp(options);
  const host = options.host ?? '127.0.0.1';
  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  const url = `http://${host}:${port}`;
  return {
    url,
    port,
    authorityUrl: url,
    partnerCenterUrl: url,
    graphUrl: `${url}/v1.0`,
    credentials: context.credentials,
    portfolio: context.portfolio,
    stats: () => ({ ...context.stats }),
    resetStats: () => void Object.assign(context.stats, emptyStats()),
    revokeConsent: (customerId) => void context.revoked.add(requireCustomer(context, customerId)),
    restoreConsent: (customerId) => void context.revoked.delete(requireCustomer(context, customerId)),
    now: () => new Date(context.clock.nowMs()),
    setNow: (now) => context.clock.set(now),
    setThrottle: (throttle) => context.throttle.configure(throttle),
    revokeRefreshTokens: () => context.tokens.revokeRefreshTokens(),
    setGdap: (customerId, change) => context.gdap.override(requireCustomer(context, customerId), change),
    setLicences: (customerId, skuPartNumber, change) => context.licences.override(requireCustomer(context, customerId), skuPartNumber, change),
    close: () => app.close(),
  };
}

function requireCustomer(context: SandboxContext, customerId: string): string {
  const customer = context.portfolio.customer(customerId);
  if (!customer) throw new Error(`unknown customer ${customerId}`);
  return customer.id;
}
