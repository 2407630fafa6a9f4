import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { HubContext } from '../../context.ts';
import { enqueueJob } from '../../jobs/enqueue.ts';
import { ApiProblem, unauthorized } from '../problem.ts';

// Everything the vendor sent, except credentials a proxy might have added.
const DROPPED_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

/**
 * Webhooks are stored raw before anything else happens, and processed by a job:
 * a crash after the 2xx never loses an event, and a redelivery is recognised by
 * the vendor's event id.
 */
export async function webhookRoutes(app: FastifyInstance, ctx: HubContext): Promise<void> {
  await app.register(async (scope) => {
    // The signature covers the exact bytes the vendor sent: keep them, parse nothing.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 5 * 1024 * 1024 }, (_req, body, done) => done(null, body));

    const r = scope.withTypeProvider<TypeBoxTypeProvider>();
    r.post(
      '/webhooks/:provider',
      {
        config: { auth: 'public' },
        schema: {
          tags: ['webhooks'],
          summary: 'Receive a signed vendor webhook',
          description: 'Authenticated by the vendor signature, not an API key. 401 and nothing stored when the signature fails.',
          params: Type.Object({ provider: Type.String() }),
          response: { 202: Type.Object({ id: Type.String({ format: 'uuid' }), duplicate: Type.Boolean() }) },
        },
      },
      async (request, reply) => {
        const provider = ctx.webhookProviders.get(request.params.provider);
        if (!provider) throw new ApiProblem(404, 'not-found', 'Not found', `no webhook provider "${request.params.provider}"`);
        const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const incoming = { headers: request.headers, rawBody };
        if (!(await provider.verify(incoming))) throw unauthorized(`the ${provider.name} signature does not match`);
        const eventId = provider.eventId(incoming);
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(request.headers)) {
          if (!DROPPED_HEADERS.has(name) && value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        const result = await ctx.db.transaction().execute(async (trx) => {
          const inserted = await trx
            .insertInto('webhook_inbox')
            .values({ provider: provider.name, event_id: eventId, headers: JSON.stringify(headers), body: rawBody.toString('utf8') })
            .onConflict((oc) => oc.columns(['provider', 'event_id']).doNothing())
            .returning('id')
            .executeTakeFirst();
          if (!inserted) {
            const existing = await trx
              .selectFrom('webhook_inbox')
              .select('id')
              .where('provider', '=', provider.name)
              .where('event_id', '=', eventId)
              .executeTakeFirstOrThrow();
            return { id: existing.id, duplicate: true };
          }
          await enqueueJob(trx, 'webhook:process', { inboxId: inserted.id }, { jobKey: `webhook:${inserted.id}` });
          return { id: inserted.id, duplicate: false };
        });
        return reply.code(202).send(result);
      },
    );
  });
}
