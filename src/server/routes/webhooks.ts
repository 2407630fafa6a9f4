import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { HubContext } from '../../context.ts';
import { isRefusal } from '../../connectors/webhooks.ts';
import { InboxWriter } from '../../db/webhook-inbox-writer.ts';
import { ApiProblem, unauthorized } from '../problem.ts';

// Everything the vendor sent, except credentials a proxy might have added.
const DROPPED_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

/**
 * Webhooks are stored raw before anything else happens, and processed by a job:
 * a crash after the 2xx never loses an event, and a redelivery is recognised by
 * the vendor's event id.
 */
export async function webhookRoutes(app: FastifyInstance, ctx: HubContext): Promise<void> {
  const inbox = new InboxWriter(ctx.db);
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
            'Authenticated by the vendor signature (or, for Salesforce Outbound Messages, which are unsigned, by the connected OrganizationId), not an API key. 401 (signature, stale timestamp, unknown sender or org) or 400 (malformed body) with the reason, and nothing stored. A batch is stored event by event, each de-duplicated on its own.',
          params: Type.Object({ provider: Type.String() }),
          response: {
            200: Type.Union([Type.String(), Type.Null()], { description: 'Vendors that require their own answer: a Salesforce Outbound Message gets the SOAP notificationsResponse with Ack true (text/xml); Xero gets 200 with no body, whether the events were stored or it was its endpoint check' }),
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
        // Xero wants 200 and no body at all, so the reply skips the JSON serializer.
        const okEmpty = provider.answer === 'ok-empty';
        if (accepted.length === 0 && okEmpty) return reply.code(200).serializer(() => '').send(null);
        if (accepted.length === 0) throw new ApiProblem(400, 'validation', 'Invalid request', 'the request carries no event', { field: 'body' });
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(request.headers)) {
          if (!DROPPED_HEADERS.has(name) && value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        // Stored with its jobs and committed (in one commit shared with concurrent requests) before the answer.
        const events = await inbox.store(provider.name, headers, accepted);
        if (okEmpty) return reply.code(200).serializer(() => '').send(null);
        const answer = provider.respond?.(accepted);
        if (answer) return reply.code(answer.status).type(answer.contentType).send(answer.body);
        return reply.code(202).send({ id: events[0]!.id, duplicate: events.every((e) => e.duplicate), events });
      },
    );
  });
}
