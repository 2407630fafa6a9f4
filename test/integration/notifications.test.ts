import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger, runOnce } from 'graphile-worker';
import { sql } from 'kysely';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markConsentLapsed } from '../../src/db/consents.ts';
import { addProgress } from '../../src/jobs/partner-center/run-progress.ts';
import { buildTaskList } from '../../src/jobs/task-list.ts';
import { DELIVERY_ATTEMPTS } from '../../src/notifications/events.ts';
import { verifySignature } from '../../src/notifications/signature.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// Alerts out, end to end: channels made through the API, events published by the code
// that raises them, deliveries made by the real job against a real HTTP receiver (which
// checks the signature as a receiver would) and a real SMTP server.

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  signatureValid: boolean;
}

/** A receiver that answers the given statuses in turn (the last one from then on) and verifies every signature. */
async function startReceiver(statuses: number[]) {
  const received: Received[] = [];
  let secret = '';
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = req.headers['x-hub-signature'];
      received.push({ headers: req.headers, body, signatureValid: verifySignature(secret, typeof header === 'string' ? header : undefined, body, Math.floor(Date.now() / 1000)) });
      res.statusCode = statuses[Math.min(received.length - 1, statuses.length - 1)]!;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/billing`,
    received,
    setSecret: (s: string) => (secret = s),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const mails: { from: string; to: string[]; raw: string }[] = [];
let smtp: SMTPServer;
let smtpPort = 0;
let hub: TestHub;
const cleanup: (() => Promise<void>)[] = [];

const send = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown, key = hub.keys.admin) =>
  hub.app.inject({ method, url, headers: hub.auth(key), ...(payload === undefined ? {} : { payload: payload as object }) });

// The failures below are on purpose: keep graphile-worker from printing each one.
const quiet = new Logger(() => () => {});

/**
 * Runs the due jobs once; then, once graphile-worker has recorded how they ended (it may
 * do so just after runOnce returns), makes any job waiting out its backoff due now, as
 * time passing would.
 */
async function work(): Promise<void> {
  await runOnce({ pgPool: hub.database.pool, taskList: buildTaskList(hub.ctx), logger: quiet });
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from graphile_worker._private_jobs where locked_at is not null`.execute(hub.ctx.db);
    if (rows[0]!.n === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await sql`update graphile_worker._private_jobs set run_at = now() where locked_at is null`.execute(hub.ctx.db);
}

const delivery = (id: string) => hub.ctx.db.selectFrom('notification_deliveries').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

async function webhookChannel(url: string, events?: string[]): Promise<{ id: string; secret: string }> {
  const res = await send('POST', '/v1/notification-channels', { name: 'Ops hook', kind: 'webhook', url, ...(events ? { events } : {}) });
  expect(res.statusCode, res.body).toBe(201);
  return { id: res.json().id, secret: res.json().signingSecret };
}

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  hub = await createTestHub({ env: { HUB_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, HUB_MAIL_FROM: 'Billing Hub <hub@northwind.example>' } });
});

afterAll(async () => {
  for (const c of cleanup) await c();
  await hub?.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

describe('a signed webhook channel', () => {
  it('is retried after a 500 and delivered on the 200, every request signed as documented', async () => {
    const receiver = await startReceiver([500, 200]);
    cleanup.push(receiver.close);
    const channel = await webhookChannel(receiver.url);
    expect(channel.secret).toMatch(/^whsec_/);
    receiver.setSecret(channel.secret);
    // The secret is shown once and never again.
    expect(JSON.stringify((await send('GET', '/v1/notification-channels', undefined, hub.keys.auditor)).json())).not.toContain(channel.secret);

    const test = await send('POST', `/v1/notification-channels/${channel.id}/test`);
    expect(test.statusCode, test.body).toBe(202);
    const { deliveryId } = test.json();

    await work();
    expect(await delivery(deliveryId)).toMatchObject({ status: 'pending', attempts: 1, last_status: 500, last_error: 'the receiver answered HTTP 500' });
    await work();
    expect(await delivery(deliveryId)).toMatchObject({ status: 'delivered', attempts: 2, last_status: 200, last_error: null });

    expect(receiver.received).toHaveLength(2);
    for (const r of receiver.received) {
      expect(r.signatureValid).toBe(true);
      expect(r.headers['x-hub-event']).toBe('notification.test');
      expect(r.headers['x-hub-delivery']).toBe(deliveryId);
      expect(r.headers['content-type']).toBe('application/json');
    }
    expect(JSON.parse(receiver.received[1]!.body)).toMatchObject({ type: 'notification.test', title: 'Test notification from the billing hub' });
    // A receiver with the wrong secret, or a body changed by one byte, would refuse it.
    const { headers, body } = receiver.received[1]!;
    const now = Math.floor(Date.now() / 1000);
    expect(verifySignature('whsec_wrong', headers['x-hub-signature'] as string, body, now)).toBe(false);
    expect(verifySignature(channel.secret, headers['x-hub-signature'] as string, body.replace('test', 'tesT'), now)).toBe(false);
    expect(verifySignature(channel.secret, headers['x-hub-signature'] as string, body, now + 301)).toBe(false);
  });

  it('dead-letters a delivery after its last attempt, lists it, and a person can retry it', async () => {
    const receiver = await startReceiver([503]);
    cleanup.push(receiver.close);
    const channel = await webhookChannel(receiver.url);
    const { deliveryId } = (await send('POST', `/v1/notification-channels/${channel.id}/test`)).json();
    for (let i = 0; i < DELIVERY_ATTEMPTS; i++) await work();
    expect(await delivery(deliveryId)).toMatchObject({ status: 'dead', attempts: DELIVERY_ATTEMPTS, last_status: 503 });
    expect(receiver.received).toHaveLength(DELIVERY_ATTEMPTS);
    await work();
    expect(receiver.received).toHaveLength(DELIVERY_ATTEMPTS); // no job is left to try again

    const dead = await send('GET', `/v1/notification-deliveries?status=dead&channelId=${channel.id}`, undefined, hub.keys.auditor);
    expect(dead.statusCode, dead.body).toBe(200);
    expect(dead.json().items.map((d: { id: string }) => d.id)).toEqual([deliveryId]);

    expect((await send('POST', `/v1/notification-deliveries/${deliveryId}/retry`, {}, hub.keys.auditor)).statusCode).toBe(403);
    const retried = await send('POST', `/v1/notification-deliveries/${deliveryId}/retry`, {});
    expect(retried.statusCode, retried.body).toBe(202);
    expect(retried.json().status).toBe('pending');
    expect((await send('POST', `/v1/notification-deliveries/${deliveryId}/retry`, {})).statusCode).toBe(409);
    // The receiver is back.
    receiver.setSecret(channel.secret);
    const fixed = await startReceiver([200]);
    cleanup.push(fixed.close);
    fixed.setSecret(channel.secret);
    expect((await send('PATCH', `/v1/notification-channels/${channel.id}`, { url: fixed.url })).statusCode).toBe(200);
    await work();
    expect(await delivery(deliveryId)).toMatchObject({ status: 'delivered' });
    expect(fixed.received.map((r) => r.signatureValid)).toEqual([true]);
    const audit = await hub.ctx.db.selectFrom('audit_log').select('action').where('entity_id', '=', deliveryId).execute();
    expect(audit.map((a) => a.action)).toEqual(['notification_delivery.retry']);
  });
});

describe('events', () => {
  it('reach only the channels that take their type, once however often they are published', async () => {
    const alerts = await startReceiver([200]);
    const closes = await startReceiver([200]);
    cleanup.push(alerts.close, closes.close);
    const alertChannel = await webhookChannel(alerts.url, ['alert.raised']);
    const closeChannel = await webhookChannel(closes.url, ['billing_run.finished']);
    alerts.setSecret(alertChannel.secret);
    closes.setSecret(closeChannel.secret);
    const customer = (await send('POST', '/v1/customers', { name: 'Lapsed Ltd' })).json().id as string;
    const connection = (await hub.ctx.db.insertInto('connections').values({ provider: 'partner-center', name: 'PC', credentials_encrypted: 'x' }).returning('id').executeTakeFirstOrThrow()).id;

    expect(await markConsentLapsed(hub.ctx.db, { customerId: customer, connectionId: connection, detail: 'HTTP 403' }, { actor: 'system:test' })).toBe(true);
    // Marked again: already lapsed, no second alert and no second event.
    expect(await markConsentLapsed(hub.ctx.db, { customerId: customer, connectionId: connection, detail: 'HTTP 403' }, { actor: 'system:test' })).toBe(false);
    const run = await send('POST', '/v1/billing-runs', { period: '2026-01' }, hub.keys.billing_ops);
    expect(run.statusCode, run.body).toBe(202);
    for (let i = 0; i < 4; i++) await work();

    expect(alerts.received).toHaveLength(1);
    const alert = JSON.parse(alerts.received[0]!.body);
    expect(alert).toMatchObject({ type: 'alert.raised', data: { kind: 'consent.lapsed', severity: 'critical', customerId: customer, connectionId: connection } });
    expect(alerts.received[0]!.signatureValid).toBe(true);

    expect(closes.received).toHaveLength(1);
    expect(JSON.parse(closes.received[0]!.body)).toMatchObject({ id: run.json().id, type: 'billing_run.finished', title: 'Month-end close for 2026-01: succeeded', data: { billingRunId: run.json().id, period: '2026-01', status: 'succeeded' } });
  });

  it('tell of a sync that ended with errors, and not of one that succeeded', async () => {
    const syncs = await startReceiver([200]);
    cleanup.push(syncs.close);
    await webhookChannel(syncs.url, ['sync_run.failed']);
    const connection = (await hub.ctx.db.insertInto('connections').values({ provider: 'partner-center', name: 'PC 2', credentials_encrypted: 'x' }).returning('id').executeTakeFirstOrThrow()).id;
    const run = (errors: number) => hub.ctx.db.insertInto('sync_runs').values({ connection_id: connection, kind: 'full', period: '2026-10', trigger: 'manual', status: 'running', pending_jobs: 1, error_count: errors }).returning('id').executeTakeFirstOrThrow();
    const failed = await run(2);
    const clean = await run(0);
    await addProgress(hub.ctx.db, failed.id, { pendingJobs: -1 });
    await addProgress(hub.ctx.db, clean.id, { pendingJobs: -1 });
    await work();
    expect(syncs.received.map((r) => JSON.parse(r.body))).toEqual([
      expect.objectContaining({ id: failed.id, type: 'sync_run.failed', title: 'Partner Center sync full 2026-10 ended partial with 2 errors', data: expect.objectContaining({ status: 'partial', errorCount: 2 }) }),
    ]);
  });
});

describe('an e-mail channel', () => {
  it('sends over SMTP to its recipients', async () => {
    const res = await send('POST', '/v1/notification-channels', { name: 'Billing team', kind: 'email', recipients: ['billing-ops@northwind.example', 'cfo@northwind.example'], events: ['billing_run.finished'] });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().signingSecret).toBeNull();
    const { deliveryId } = (await send('POST', `/v1/notification-channels/${res.json().id}/test`)).json();
    await work();
    expect(await delivery(deliveryId)).toMatchObject({ status: 'delivered', attempts: 1 });
    const mail = mails.at(-1)!;
    expect(mail.from).toBe('hub@northwind.example');
    expect(mail.to).toEqual(['billing-ops@northwind.example', 'cfo@northwind.example']);
    expect(mail.raw).toMatch(/^Subject: \[Billing hub\] Test notification from the billing hub$/m);
    expect(mail.raw).toContain('"type": "notification.test"');
  });
});

describe('bad channels', () => {
  it('are refused naming the field', async () => {
    const refused = async (body: Record<string, unknown>, field: string) => {
      const res = await send('POST', '/v1/notification-channels', body);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().field).toBe(field);
    };
    await refused({ name: 'x', kind: 'webhook' }, 'url');
    await refused({ name: 'x', kind: 'email' }, 'recipients');
    await refused({ name: 'x', kind: 'email', recipients: ['a@b.example'], url: 'https://x.example' }, 'url');
    await refused({ name: 'x', kind: 'webhook', url: 'ftp://x.example/' }, 'url');
    await refused({ name: 'x', kind: 'webhook', url: 'https://x.example/', events: ['nonsense'] }, 'events.0');
    expect((await send('POST', '/v1/notification-channels', { name: 'x', kind: 'webhook', url: 'https://x.example/' }, hub.keys.finance)).statusCode).toBe(403);

    const noSmtp = await createTestHub();
    try {
      const res = await noSmtp.app.inject({ method: 'POST', url: '/v1/notification-channels', headers: noSmtp.auth(noSmtp.keys.admin), payload: { name: 'x', kind: 'email', recipients: ['a@b.example'] } });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({ field: 'kind', detail: 'kind: e-mail is not configured on this hub: set HUB_SMTP_URL' });
    } finally {
      await noSmtp.close();
    }
  });
});
