/**
 * `npm run bench -- webhook-intake [--seconds 10] [--connections 20]`: signed HubSpot
 * batches of 10 events posted by autocannon to the hub's API process (`hub serve`, its
 * own process, on a throwaway PostgreSQL), against a bare Fastify route returning 200 in
 * another process, in the same run and with the same load generator. Every request
 * carries 10 new events, so the inbox, counted after the run, must hold every event of
 * each 2xx answer and nothing beyond the events sent (a request in flight when the load
 * stops may be stored unanswered).
 *
 * Ends with `webhook-intake: ratio=<hub req/s ÷ bare req/s> target=0.3 p99_ms=<hub p99>
 * peak_rss_mb=<n>` and exits 1 when the ratio is under 0.3, the p99 is 50 ms or more, or
 * the count is off.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import { openDatabase } from '../src/db/database.ts';
import { SecretBox } from '../src/security/secret-box.ts';
import { intFlag, parseFlags, peakRssMb, startBenchDatabase } from './support.ts';

const NAME = 'webhook-intake';
const TARGET_RATIO = 0.3;
const P99_LIMIT_MS = 50;
const EVENTS_PER_BATCH = 10;
const SECRET = 'bench-client-secret';
const PORTAL = 62515;

const flags = parseFlags(process.argv.slice(2), ['seconds', 'connections']);
const SECONDS = intFlag(flags, 'seconds', 10);
const CONNECTIONS = intFlag(flags, 'connections', 20);

const BARE_SERVER = `
  import fastify from 'fastify';
  const app = fastify({ logger: false });
  app.post('/webhooks/hubspot', async (_req, reply) => reply.code(200).send({ ok: true }));
  await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
`;

function startProcess(args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  child.on('exit', (code) => {
    if (code) console.error(`${args.join(' ')} exited with ${code}`);
  });
  return child;
}

async function waitForPort(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      await fetch(url, { method: 'POST', body: '[]' });
      return;
    } catch {
      await delay(100);
    }
  }
  throw new Error(`nothing answers at ${url}`);
}

/** A load of fresh signed batches: each request gets 10 events no other request has. */
async function load(url: string) {
  let nextEvent = 0;
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          const occurredAt = Date.now();
          const events = Array.from({ length: EVENTS_PER_BATCH }, () => ({
            eventId: ++nextEvent,
            subscriptionId: 2001,
            portalId: PORTAL,
            appId: 54321,
            occurredAt,
            subscriptionType: 'contact.propertyChange',
            attemptNumber: 0,
            objectId: 1000 + (nextEvent % 500),
            propertyName: 'email',
            propertyValue: 'x@example.test',
            changeSource: 'CRM_UI',
          }));
          const body = JSON.stringify(events);
          const timestamp = String(Date.now());
          const signature = createHmac('sha256', SECRET).update(`POST${url}${body}${timestamp}`).digest('base64');
          return {
            ...request,
            body,
            headers: { 'content-type': 'application/json', 'x-hubspot-signature-v3': signature, 'x-hubspot-request-timestamp': timestamp },
          };
        },
      },
    ],
  });
}

async function main(): Promise<number> {
  const database = await startBenchDatabase();
  const secretKey = randomBytes(32);
  const hubDb = openDatabase(database.url, { max: 2 });
  const children: ChildProcess[] = [];
  try {
    // The connection whose client secret signs the batches (event types the hub only stores).
    const id = (await sql<{ id: string }>`select gen_random_uuid() as id`.execute(hubDb.db)).rows[0]!.id;
    await hubDb.db
      .insertInto('connections')
      .values({
        id,
        provider: 'hubspot',
        name: 'bench',
        credentials_encrypted: new SecretBox(secretKey).sealJson({ accessToken: 'pat', clientSecret: SECRET }, id),
        credential_fields: ['accessToken', 'clientSecret'],
        settings: JSON.stringify({ portalId: String(PORTAL) }),
      })
      .execute();

    const hubPort = 40_000 + Math.floor(Math.random() * 10_000);
    const barePort = hubPort + 1;
    const hubUrl = `http://127.0.0.1:${hubPort}/webhooks/hubspot`;
    const bareUrl = `http://127.0.0.1:${barePort}/webhooks/hubspot`;
    children.push(
      startProcess([new URL('../src/cli.ts', import.meta.url).pathname, 'serve'], {
        DATABASE_URL: database.url,
        HUB_SECRET_KEY: secretKey.toString('hex'),
        PORT: String(hubPort),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'error',
      }),
      startProcess(['--input-type=module', '-e', BARE_SERVER], { PORT: String(barePort) }),
    );
    await Promise.all([waitForPort(hubUrl), waitForPort(bareUrl)]);

    console.log(`${NAME}: ${SECONDS} s per target, ${CONNECTIONS} connections, signed batches of ${EVENTS_PER_BATCH} events`);
    const bare = await load(bareUrl);
    const hub = await load(hubUrl);
    const stored = Number((await sql<{ n: string }>`select count(*) as n from webhook_inbox`.execute(hubDb.db)).rows[0]!.n);
    // Requests still in flight when the load stopped may be stored without being counted as answered.
    const accepted = hub['2xx'] * EVENTS_PER_BATCH;
    const sent = hub.requests.sent * EVENTS_PER_BATCH;
    const refused = hub.non2xx;
    const ratio = hub.requests.average / bare.requests.average;
    const p99 = hub.latency.p99;
    console.log(`bare route: ${bare.requests.average.toFixed(0)} req/s, p99 ${bare.latency.p99} ms`);
    console.log(`hub intake: ${hub.requests.average.toFixed(0)} req/s (${(hub.requests.average * EVENTS_PER_BATCH).toFixed(0)} events/s), p99 ${p99} ms, ${refused} refused, ${hub.errors} errors, ${hub.timeouts} timeouts`);
    console.log(`events answered 2xx ${accepted}, sent ${sent}, stored ${stored} (each once: the inbox key is unique)`);
    console.log(`${NAME}: ratio=${ratio.toFixed(3)} target=${TARGET_RATIO} p99_ms=${p99} peak_rss_mb=${peakRssMb().toFixed(0)}`);
    const ok = ratio >= TARGET_RATIO && p99 < P99_LIMIT_MS && stored >= accepted && stored <= sent && refused === 0;
    return ok ? 0 : 1;
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await hubDb.close();
    await database.close();
  }
}

process.exitCode = await main();
