import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type, { type Static } from 'typebox';
import type { HubContext } from '../../context.ts';
import { isRefusal } from '../../connectors/webhooks.ts';
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
    const Stored = Type.Object({
      id: Type.String({ format: 'uuid', description: 'The inbox entry of the event' }),
      eventId: Type.String({ description: "The vendor's event identity the inbox de-duplicates on" }),
      duplicate: Type.Boolean({ description: 'true when the event was already stored (a redelivery): it is not processed again' }),
    });
    r.post(
      '/webhooks/:provider',
      {
        config: { auth: 'public' },
        schema: {
          tags: ['webhooks'],
          summary: 'Receive a signed vendor webhook',
          description:
            'Authenticated by the vendor signature, not an API key. 401 (signature, stale timestamp, unknown sender) or 400 (malformed body) with the reason, and nothing stored. A batch is stored event by event, each de-duplicated on its own.',
          params: Type.Object({ provider: Type.String() }),
          response: {
            202: Type.Object({
              id: Type.String({ format: 'uuid', description: 'The first event (the only one for vendors that send one per request)' }),
              duplicate: Type.Boolean({ description: 'true when every event of the request was already stored' }),
              events: Type.Array(Stored),
            }),
          },
        },
      },
      async (request, reply) => {
        const provider = ctx.webhookProviders.get(request.params.provider);
        if (!provider) throw new ApiProblem(404, 'not-found', 'Not found', `no webhook provider "${request.params.provider}"`);
        const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const base = ctx.config.publicUrl ?? `${request.protocol}://${request.host}`;
        const incoming = { method: request.method, uri: `${base}${request.url}`, headers: request.headers, rawBody };
        const accepted = await provider.accept(incoming, ctx);
        if (isRefusal(accepted)) {
          if (accepted.status === 400) throw new ApiProblem(400, 'validation', 'Invalid request', accepted.reason, { field: 'body' });
          throw unauthorized(accepted.reason);
        }
        if (accepted.length === 0) throw new ApiProblem(400, 'validation', 'Invalid request', 'the request carries no event', { field: 'body' });
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(request.headers)) {
          if (!DROPPED_HEADERS.has(name) && value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        const events = await ctx.db.transaction().execute(async (trx) => {
          const stored: Static<typeof Stored>[] = [];
          for (const event of accepted) {
            const inserted = await trx
              .insertInto('webhook_inbox')
              .values({ provider: provider.name, event_id: event.eventId, headers: JSON.stringify(headers), body: event.body })
              .onConflict((oc) => oc.columns(['provider', 'event_id']).doNothing())
              .returning('id')
              .executeTakeFirst();
            if (!inserted) {
              const existing = await trx
                .selectFrom('webhook_inbox')
                .select('id')
                .where('provider', '=', provider.name)
                .where('event_id', '=', event.eventId)
                .executeTakeFirstOrThrow();
              stored.push({ id: existing.id, eventId: event.eventId, duplicate: true });
              continue;
            }
            await enqueueJob(trx, 'webhook:process', { inboxId: inserted.id }, { jobKey: `webhook:${inserted.id}` });
            stored.push({ id: inserted.id, eventId: event.eventId, duplicate: false });
          }
          return stored;
        });
        return reply.code(202).send({ id: events[0]!.id, duplicate: events.every((e) => e.duplicate), events });
      },
    );
  });
}
