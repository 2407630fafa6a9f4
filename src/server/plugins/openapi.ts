import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { ProblemSchema } from '../problem.ts';

export const API_VERSION = '0.1.0';

/** The OpenAPI document is generated from the route schemas: one source for validation, types and docs. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  app.addSchema(ProblemSchema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'CSP Billing Hub API',
        version: API_VERSION,
        description:
          'Bill Microsoft CSP (Partner Center) consumption and seats with your own rate cards. ' +
          'Money is always a decimal string ("1234.56"); errors are application/problem+json (RFC 9457) ' +
          'with a stable `type`; lists are cursor-paginated newest first (`limit`, `cursor`, `nextCursor`); ' +
          'POSTs that create or trigger honour `Idempotency-Key`.',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      servers: [{ url: '/' }],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key created with `hub api-key create`.' },
        },
      },
      tags: [
        { name: 'system', description: 'Health and readiness' },
        { name: 'customers', description: "The MSP's clients, their identities in other systems and their cost hierarchy" },
        { name: 'rate-cards', description: 'Versioned price rules per customer or template, approved by sales ops and finance; charge categories' },
        { name: 'fx-rates', description: 'Exchange rates by source and date' },
        { name: 'connections', description: 'Vendor accounts the hub syncs with; credentials are write-only' },
        { name: 'imports', description: 'Partner Center reconciliation files downloaded from the portal, imported as CSV or JSON lines' },
        { name: 'usage', description: 'Usage and licence lines; late lines waiting for a close' },
        { name: 'audit', description: 'The append-only, hash-chained record of every change' },
        { name: 'webhooks', description: 'Signed vendor webhooks, stored before processing' },
        { name: 'portal', description: "What a client's portal key may read: its own prices, quantities, periods and documents, never the MSP's cost or margin" },
        { name: 'crm', description: 'Won CRM deals turned into billing setup: quotes, baselines, and the deals that need review' },
        { name: 'revenue', description: 'ASC 606 revenue recognition schedules and their journals' },
        { name: 'accounting', description: 'Where invoice lines land in the ERP (GL accounts, tax codes, cost-centre dimensions) and the postings to it' },
        { name: 'sessions', description: 'An API key exchanged for a session cookie, as the web console signs in; who a request is' },
        { name: 'psa', description: 'PSA (ConnectWise) labour sync errors, the SKU ↔ PSA product mapping, and the seat to-do queue approved before anything is written to the PSA' },
        { name: 'mappings', description: 'Which vendor field feeds which canonical field: versioned, audited field mappings per connection, with preview and rollback' },
      ],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get(
    '/openapi.json',
    { config: { auth: 'public' }, schema: { hide: true } },
    async () => app.swagger(),
  );
}
