import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { Selectable } from 'kysely';
import type { HubContext } from '../../context.ts';
import { writeAudit } from '../../db/audit.ts';
import type { NotificationChannelsTable, NotificationDeliveriesTable } from '../../db/types.ts';
import { enqueueJob } from '../../jobs/enqueue.ts';
import { channelSecretBinding } from '../../jobs/notify/deliver.ts';
import { DELIVERY_ATTEMPTS, EVENT_TYPES, publishEvent } from '../../notifications/events.ts';
import { actorOf } from '../plugins/auth.ts';
import { ApiProblem, badRequest, notFound } from '../problem.ts';
import { PageQuery, decodeCursor, pageOf, paginate } from '../pagination.ts';
import { Timestamp } from '../wire-types.ts';

// Where the MSP hears about what happened: signed webhooks and e-mail lists, each taking
// the event types it names. Every attempt is recorded on a delivery; one that runs out of
// attempts is dead-lettered, listed here, and can be retried by a person.

const Uuid = Type.String({ format: 'uuid' });
const EventType = Type.Union(EVENT_TYPES.map((t) => Type.Literal(t)));
const Events = Type.Array(EventType, { uniqueItems: true, description: 'The event types the channel takes; empty or absent: all of them' });
const Url = Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000, description: 'Where the signed POSTs go', examples: ['https://ops.example.com/hooks/billing'] });
const Recipients = Type.Array(Type.String({ format: 'email', maxLength: 254 }), { minItems: 1, maxItems: 50, uniqueItems: true, examples: [['billing-ops@northwind.example']] });
const Name = Type.String({ minLength: 1, maxLength: 200 });

const channelFields = {
  id: Uuid,
  name: Type.String(),
  kind: Type.Union([Type.Literal('webhook'), Type.Literal('email')]),
  url: Type.Union([Type.String(), Type.Null()]),
  recipients: Type.Array(Type.String()),
  events: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
};
const Channel = Type.Object(channelFields, { $id: 'NotificationChannel' });
const CreatedChannel = Type.Object({ ...channelFields, signingSecret: Type.Union([Type.String(), Type.Null()], { description: 'Shown once; null for e-mail' }) });

const Delivery = Type.Object({
  id: Uuid,
  channelId: Uuid,
  eventId: Uuid,
  eventType: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('dead')], { description: 'dead: out of attempts (the dead-letter list); retry to send again' }),
  attempts: Type.Integer(),
  lastStatus: Type.Union([Type.Integer(), Type.Null()], { description: "The receiver's HTTP status or the mail server's reply code at the last attempt" }),
  lastError: Type.Union([Type.String(), Type.Null()]),
  deliveredAt: Type.Union([Timestamp, Type.Null()]),
  payload: Type.Unknown({ description: 'The body sent: { id, type, occurredAt, title, data }' }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

const channelView = (c: Selectable<NotificationChannelsTable>) => ({
  id: c.id,
  name: c.name,
  kind: c.kind as 'webhook' | 'email',
  url: c.url,
  recipients: c.recipients,
  events: c.events,
  enabled: c.enabled,
  createdAt: c.created_at.toISOString(),
  updatedAt: c.updated_at.toISOString(),
});

const deliveryView = (d: Selectable<NotificationDeliveriesTable>) => ({
  id: d.id,
  channelId: d.channel_id,
  eventId: d.event_id,
  eventType: d.event_type,
  status: d.status as 'pending' | 'delivered' | 'dead',
  attempts: d.attempts,
  lastStatus: d.last_status,
  lastError: d.last_error,
  deliveredAt: d.delivered_at?.toISOString() ?? null,
  payload: d.payload,
  createdAt: d.created_at.toISOString(),
  updatedAt: d.updated_at.toISOString(),
});

export function notificationRoutes(app: FastifyInstance, ctx: HubContext): void {
  app.addSchema(Channel);
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const admin = { auth: { roles: ['admin' as const] } };

  r.post(
    '/v1/notification-channels',
    {
      config: admin,
      schema: {
        tags: ['notifications'],
        summary: 'Add a signed webhook or an e-mail list for alerts, sync failures and close completion',
        description:
          'A webhook channel gets a signing secret, answered once as `signingSecret`: every POST carries `x-hub-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. ' +
          'An e-mail channel needs the hub to have HUB_SMTP_URL. Audited.',
        body: Type.Object(
          { name: Name, kind: Type.Union([Type.Literal('webhook'), Type.Literal('email')]), url: Type.Optional(Url), recipients: Type.Optional(Recipients), events: Type.Optional(Events) },
          { additionalProperties: false },
        ),
        response: { 201: CreatedChannel },
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (body.kind === 'webhook' && !body.url) throw badRequest('url', 'a webhook channel needs the URL to POST to');
      if (body.kind === 'webhook' && body.recipients) throw badRequest('recipients', 'only an e-mail channel has recipients');
      if (body.kind === 'email' && !body.recipients) throw badRequest('recipients', 'an e-mail channel needs at least one address');
      if (body.kind === 'email' && body.url) throw badRequest('url', 'only a webhook channel has a URL');
      if (body.kind === 'email' && !ctx.config.smtpUrl) throw badRequest('kind', 'e-mail is not configured on this hub: set HUB_SMTP_URL');
      const id = randomUUID();
      const secret = body.kind === 'webhook' ? `whsec_${randomBytes(24).toString('base64url')}` : null;
      const created = await ctx.db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('notification_channels')
          .values({
            id,
            name: body.name,
            kind: body.kind,
            url: body.url ?? null,
            secret_encrypted: secret ? ctx.secrets.seal(secret, channelSecretBinding(id)) : null,
            recipients: body.recipients ?? [],
            events: body.events ?? [],
            created_by: actorOf(request).actor,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await writeAudit(trx, { ...actorOf(request), action: 'notification_channel.create', entity: 'notification_channel', entityId: id, after: channelView(row) });
        return row;
      });
      return reply.code(201).send({ ...channelView(created), signingSecret: secret });
    },
  );

  r.get(
    '/v1/notification-channels',
    { config: { auth: { roles: ['admin', 'auditor'] } }, schema: { tags: ['notifications'], summary: 'The notification channels (secrets never shown)', response: { 200: Type.Object({ items: Type.Array(Type.Ref('NotificationChannel')) }) } } },
    async () => ({ items: (await ctx.db.selectFrom('notification_channels').selectAll().orderBy('created_at').orderBy('id').execute()).map(channelView) }),
  );

  r.patch(
    '/v1/notification-channels/:id',
    {
      config: admin,
      schema: {
        tags: ['notifications'],
        summary: 'Rename, retarget, change the events of, enable or disable a channel (audited)',
        params: Type.Object({ id: Uuid }),
        body: Type.Object({ name: Type.Optional(Name), url: Type.Optional(Url), recipients: Type.Optional(Recipients), events: Type.Optional(Events), enabled: Type.Optional(Type.Boolean()) }, { additionalProperties: false, minProperties: 1 }),
        response: { 200: Type.Ref('NotificationChannel') },
      },
    },
    async (request) => {
      const { id } = request.params;
      return ctx.db.transaction().execute(async (trx) => {
        const before = await trx.selectFrom('notification_channels').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
        if (!before) throw notFound('notification channel', id);
        const b = request.body;
        if (b.url !== undefined && before.kind !== 'webhook') throw badRequest('url', 'only a webhook channel has a URL');
        if (b.recipients !== undefined && before.kind !== 'email') throw badRequest('recipients', 'only an e-mail channel has recipients');
        const after = await trx
          .updateTable('notification_channels')
          .set({ ...(b.name !== undefined ? { name: b.name } : {}), ...(b.url !== undefined ? { url: b.url } : {}), ...(b.recipients !== undefined ? { recipients: b.recipients } : {}), ...(b.events !== undefined ? { events: b.events } : {}), ...(b.enabled !== undefined ? { enabled: b.enabled } : {}) })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow();
        await writeAudit(trx, { ...actorOf(request), action: 'notification_channel.update', entity: 'notification_channel', entityId: id, before: channelView(before), after: channelView(after) });
        return channelView(after);
      });
    },
  );

  r.post(
    '/v1/notification-channels/:id/test',
    {
      config: admin,
      schema: {
        tags: ['notifications'],
        summary: 'Send a notification.test event to this channel only, to check the receiver or the mailbox',
        params: Type.Object({ id: Uuid }),
        response: { 202: Type.Object({ deliveryId: Uuid }) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const deliveryIds = await ctx.db.transaction().execute(async (trx) => {
        const channel = await trx.selectFrom('notification_channels').select(['id', 'enabled']).where('id', '=', id).executeTakeFirst();
        if (!channel) throw notFound('notification channel', id);
        if (!channel.enabled) throw new ApiProblem(409, 'conflict', 'Conflict', 'the channel is disabled: enable it first', { field: 'enabled' });
        const eventId = randomUUID();
        return publishEvent(trx, { id: eventId, type: 'notification.test', occurredAt: new Date(), title: 'Test notification from the billing hub', data: { requestedBy: actorOf(request).actor } }, { channelIds: [id], anyType: true });
      });
      return reply.code(202).send({ deliveryId: deliveryIds[0]! });
    },
  );

  r.get(
    '/v1/notification-deliveries',
    {
      config: { auth: { roles: ['admin', 'auditor'] } },
      schema: {
        tags: ['notifications'],
        summary: 'Deliveries, newest first; status=dead is the dead-letter list',
        querystring: Type.Object(
          { ...PageQuery, status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('dead')])), channelId: Type.Optional(Uuid) },
          { additionalProperties: false },
        ),
        response: { 200: pageOf(Delivery) },
      },
    },
    async (request) => {
      const { limit = 50, cursor, status, channelId } = request.query;
      const position = decodeCursor(cursor);
      let q = ctx.db.selectFrom('notification_deliveries').selectAll();
      if (status) q = q.where('status', '=', status);
      if (channelId) q = q.where('channel_id', '=', channelId);
      if (position) q = q.where((eb) => eb.or([eb('created_at', '<', position.createdAt), eb.and([eb('created_at', '=', position.createdAt), eb('id', '<', position.id)])]));
      const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
      const page = paginate(rows, limit);
      return { items: page.rows.map(deliveryView), nextCursor: page.nextCursor };
    },
  );

  r.post(
    '/v1/notification-deliveries/:id/retry',
    {
      config: admin,
      schema: {
        tags: ['notifications'],
        summary: 'Send a dead-lettered delivery again, with a fresh set of attempts (audited)',
        params: Type.Object({ id: Uuid }),
        response: { 202: Delivery },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const retried = await ctx.db.transaction().execute(async (trx) => {
        const before = await trx.selectFrom('notification_deliveries').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
        if (!before) throw notFound('notification delivery', id);
        if (before.status !== 'dead') throw new ApiProblem(409, 'conflict', 'Conflict', `the delivery is ${before.status}: only a dead one is retried`, { field: 'status' });
        const after = await trx.updateTable('notification_deliveries').set({ status: 'pending' }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
        await enqueueJob(trx, 'notify:deliver', { deliveryId: id }, { jobKey: `notify:${id}:retry:${before.attempts}`, maxAttempts: DELIVERY_ATTEMPTS });
        await writeAudit(trx, { ...actorOf(request), action: 'notification_delivery.retry', entity: 'notification_delivery', entityId: id, before: deliveryView(before), after: deliveryView(after) });
        return after;
      });
      return reply.code(202).send(deliveryView(retried));
    },
  );
}
