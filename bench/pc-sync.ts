/**
 * pc-sync: a full Partner Center sync (`kind: full`, period 2026-10) of a 200-customer
 * portfolio through the hub's real path — POST /v1/connections/{id}/sync, a
 * graphile-worker running the partner_center:* jobs at the hub's default concurrency,
 * PostgreSQL — against the Partner Center sandbox, which accepts R calls/s on its API
 * surfaces (Partner Center and Graph counted together, a sliding one-second window) and
 * answers every 50th call 429 with Retry-After: 1. The connection's documented limits are
 * set to match, requestsPerMinute = graphRequestsPerMinute = R × 60, as they would be
 * set from Microsoft's published figures. The sandbox runs in a child process, as
 * Microsoft runs elsewhere: its CPU work (rendering export blobs) must not stall the
 * hub's event loop, nor the hub's its clock. It is warmed first: its first GET /v1/invoices
 * totals every invoice line in one synchronous step (~0.4 s that freezes all its
 * endpoints at once, as Microsoft's front door would not); the throttle and the
 * statistics start afresh after that.
 *
 * Target: elapsed ÷ ideal ≤ 1.15 — the client wastes no time beyond what the limit and
 * the server demand — with zero usage lines lost.
 *   elapsed = from the POST that starts the run to the run's finished_at.
 *   ideal   = calls ÷ R + the Retry-After seconds the sandbox sent with its 429s
 *             (its stats(): `calls` counts every Partner Center and Graph call, 429s
 *             included; tokens and blob downloads are not throttled and not counted;
 *             `retryAfterSecondsRequested` sums the Retry-After of 429s only).
 *   Not in the ideal: the export's own Retry-After on its 202 and `running` polls (the
 *   sandbox does not count it; the hub must hide it behind other calls), and any 429
 *   the hub caused — by sending more than R calls on one API within a second (also a
 *   miss), or by sending R on Partner Center and R on Graph at once, which the sandbox
 *   counts in one window where Microsoft keeps two budgets. Those calls and their
 *   Retry-After are taken out of the ideal, never added to it. Which 429 is which is read
 *   from the hub's own send times (every vendor call goes through a fetch wrapper).
 *
 * Zero lines lost: the sandbox's own generator renders every usage export the run
 * requested (each scope exactly as its blobs serve it), and the period's exports must all
 * have been requested. Mapped to natural keys, the published lines must equal
 * usage_lines exactly: every key present, none extra, each with the billed values where
 * an invoice carries the line (a billed line is final), else the unbilled ones.
 *
 * Flags: --rate R (calls/s, default 20), --customers N (200), --resources N (Azure
 * resources per subscription, 2: enough usage to ingest for real, little enough to stay
 * call-bound), --every-nth N (50), --concurrency N (worker slots; default
 * WORKER_CONCURRENCY, else the hub's 4). PC_SYNC_TRACE=file writes every vendor call
 * (ms, duration, status, path); LOG_LEVEL=info logs each job's duration.
 *
 * @example
 *   npm run bench -- pc-sync
 *   npm run bench -- pc-sync --rate 10
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import type { HubContext } from '../src/context.ts';
import { webhookRegistry } from '../src/connectors/webhooks.ts';
import { parseJsonExact } from '../src/connectors/http/exact-json.ts';
import { createApiKey } from '../src/db/api-keys.ts';
import { openDatabase } from '../src/db/database.ts';
import { startWorker, type RunningWorker } from '../src/jobs/worker.ts';
import { mapUsageLine } from '../src/mappings/partner-center/lines.ts';
import { dayOf, monthIndexOfDay, parsePeriod } from '../src/sandbox/partner-center/calendar.ts';
import {
  createPortfolio,
  startPartnerCenterSandbox,
  UsageLineSource,
  type PartnerCenterSandboxOptions,
  type Portfolio,
  type SandboxCredentials,
  type SandboxStats,
  type UsageScope,
} from '../src/sandbox/partner-center/index.ts';
import { BILLED_AS_OF, WRITERS } from '../src/sandbox/partner-center/writers.ts';
import { SecretBox } from '../src/security/secret-box.ts';
import { buildApp } from '../src/server/app.ts';
import { count, finish, intFlag, parseFlags, peakRssMb, processCpuSeconds, seconds, startBenchDatabase } from './support.ts';

const NAME = 'pc-sync';
const flags = parseFlags(process.argv.slice(2), ['rate', 'customers', 'resources', 'every-nth', 'concurrency']);
const RATE = intFlag(flags, 'rate', 20);
const CUSTOMERS = intFlag(flags, 'customers', 200);
const RESOURCES = intFlag(flags, 'resources', 2);
const EVERY_NTH = intFlag(flags, 'every-nth', 50);
const CONCURRENCY = intFlag(flags, 'concurrency', loadConfig().workerConcurrency);
const TARGET = 1.15;
const RETRY_AFTER_SECONDS = 1;
const EXPORT_RETRY_AFTER_SECONDS = 1;
const EXPORT_POLLS_BEFORE_READY = 1;
const PERIOD = '2026-10';
/** November's unbilled month is running and October's invoices are out (ready on the 8th). */
const NOW = new Date('2026-11-25T06:00:00Z');

/** The sandbox runs in a child process: Microsoft's CPU is not the hub's, and its event loop must not stall the hub's. */
const SANDBOX_OPTIONS: PartnerCenterSandboxOptions = {
  seed: NAME,
  customers: CUSTOMERS,
  subscriptionsPerCustomer: 3,
  resourcesPerSubscription: RESOURCES,
  period: PERIOD,
  now: NOW,
  throttle: { limit: RATE, windowSeconds: 1, everyNth: EVERY_NTH, everyNthRetryAfterSeconds: RETRY_AFTER_SECONDS },
  exportPollsBeforeReady: EXPORT_POLLS_BEFORE_READY,
  exportRetryAfterSeconds: EXPORT_RETRY_AFTER_SECONDS,
};
const SANDBOX_ROLE = 'PC_SYNC_SANDBOX';

interface RemoteSandbox {
  url: string;
  credentials: SandboxCredentials;
  /** The same portfolio the child serves (same options, same seed: byte for byte). */
  portfolio: Portfolio;
  stats(): Promise<SandboxStats>;
  resetStats(): Promise<void>;
  close(): Promise<void>;
}

/** Child side: serve the sandbox until the parent goes away. */
async function serveSandbox(): Promise<void> {
  const sandbox = await startPartnerCenterSandbox(SANDBOX_OPTIONS);
  // The sandbox totals every line of every invoice on the first GET /v1/invoices
  // (~0.4 s of synchronous CPU that freezes all its other endpoints at once, which
  // Microsoft's front door does not do). Pay it here, then start the throttle and
  // the statistics afresh.
  const { tenantId, clientId, clientSecret } = sandbox.credentials;
  const token = await fetch(`${sandbox.authorityUrl}/${tenantId}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, resource: 'https://api.partnercenter.microsoft.com' }),
  }).then((r) => r.json() as Promise<{ access_token: string }>);
  const invoices = await fetch(`${sandbox.partnerCenterUrl}/v1/invoices`, { headers: { authorization: `Bearer ${token.access_token}` } });
  if (!invoices.ok) throw new Error(`warming the sandbox: GET /v1/invoices answered ${invoices.status}`);
  await invoices.arrayBuffer();
  sandbox.setThrottle(SANDBOX_OPTIONS.throttle!);
  sandbox.resetStats();
  const stop = () => void sandbox.close().finally(() => process.exit(0));
  process.on('disconnect', stop);
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.send!({ url: sandbox.url, credentials: sandbox.credentials });
}

async function startRemoteSandbox(): Promise<RemoteSandbox> {
  const child = fork(fileURLToPath(import.meta.url), process.argv.slice(2), { env: { ...process.env, [SANDBOX_ROLE]: '1' }, stdio: 'inherit' });
  const exited = once(child, 'exit');
  const [ready] = (await Promise.race([once(child, 'message'), exited.then(() => Promise.reject(new Error('the sandbox process exited before it was ready')))])) as [
    { url: string; credentials: SandboxCredentials },
  ];
  const control = async (method: 'GET' | 'POST', path: string) => {
    const res = await fetch(`${ready.url}/_sandbox/${path}`, { method });
    if (!res.ok) throw new Error(`sandbox ${method} ${path}: ${res.status}`);
    return res.json();
  };
  return {
    url: ready.url,
    credentials: ready.credentials,
    portfolio: createPortfolio(SANDBOX_OPTIONS, NOW),
    stats: () => control('GET', 'stats') as Promise<SandboxStats>,
    resetStats: async () => void (await control('POST', 'stats/reset')),
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.disconnect();
        await exited;
      }
    },
  };
}

interface VendorCall {
  /** performance.now() when the hub handed the request to fetch. */
  sentAt: number;
  ms: number;
  status: number;
  path: string;
  /** Partner Center or Graph: the surfaces the sandbox throttles (not tokens, not blobs). */
  throttled: boolean;
  retryAfterSeconds: number | undefined;
}

/**
 * Every vendor call the hub makes, seen from the hub's side. It tells a 429 the hub
 * caused (it had already sent R accepted calls in the second before) from one the
 * sandbox sent of its own accord: every Nth call, or calls sent apart that arrived
 * together while it was busy rendering a blob. PC_SYNC_TRACE=file writes it out.
 */
const calls: VendorCall[] = [];
function recordVendorCalls(): void {
  const original = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const sentAt = performance.now();
    const res = await original(input, init);
    const path = String(input instanceof Request ? input.url : input).replace(/^https?:\/\/[^/]+/, '').split('?')[0]!;
    if (!path.startsWith('/_sandbox/')) {
      const retryAfter = res.headers.get('retry-after');
      calls.push({
        sentAt,
        ms: performance.now() - sentAt,
        status: res.status,
        path,
        throttled: /^\/(v1|v1\.0|beta)\//.test(path),
        retryAfterSeconds: retryAfter === null ? undefined : Number(retryAfter),
      });
    }
    return res;
  };
}

type Surface = 'partner-center' | 'graph';
const surfaceOf = (path: string): Surface => (path.startsWith('/v1/') ? 'partner-center' : 'graph');

interface Pacing {
  /** The most accepted calls the hub sent on one API within any one second. */
  busiestSecond: Record<Surface, number>;
  /** 429s after the hub had already sent R accepted calls on that API in the second before: its own fault. */
  earned: { calls: number; retryAfterSeconds: number };
  /**
   * 429s after R accepted calls on both APIs together, but not on the API itself: each
   * API kept its documented limit, the sandbox counts both in one window (Microsoft
   * does not). Not the hub's fault, not a demand of Microsoft's either.
   */
  shared: { calls: number; retryAfterSeconds: number };
}

/** Reads the hub's own pacing from its calls: how close it came to R, and which 429s it caused. */
function clientPacing(rate: number): Pacing {
  const sent = calls.filter((c) => c.throttled).sort((a, b) => a.sentAt - b.sentAt);
  const accepted = sent.filter((c) => c.status !== 429);
  const busiestSecond = { 'partner-center': 0, graph: 0 };
  for (const surface of ['partner-center', 'graph'] as const) {
    const times = accepted.filter((c) => surfaceOf(c.path) === surface).map((c) => c.sentAt);
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[j]! <= times[i]! - 1000) j++;
      busiestSecond[surface] = Math.max(busiestSecond[surface], i - j + 1);
    }
  }
  const earned = { calls: 0, retryAfterSeconds: 0 };
  const shared = { calls: 0, retryAfterSeconds: 0 };
  for (const c of sent) {
    if (c.status !== 429) continue;
    const before = accepted.filter((a) => a.sentAt > c.sentAt - 1000 && a.sentAt < c.sentAt);
    const into = before.filter((a) => surfaceOf(a.path) === surfaceOf(c.path)).length >= rate ? earned : before.length >= rate ? shared : undefined;
    if (into) {
      into.calls++;
      into.retryAfterSeconds += c.retryAfterSeconds ?? 0;
    }
  }
  return { busiestSecond, earned, shared };
}

async function main(): Promise<void> {
  recordVendorCalls();
  console.log(
    `${NAME}: full sync of ${count(CUSTOMERS)} customers (${RESOURCES} resources per Azure subscription), period ${PERIOD}; ` +
      `sandbox limit ${RATE} calls/s, 429 + Retry-After ${RETRY_AFTER_SECONDS} s on every ${EVERY_NTH}th call; worker concurrency ${CONCURRENCY}`,
  );
  const database = await startBenchDatabase();
  // The pool a hub process opens (openRuntime's default), shared by Kysely and graphile-worker.
  const hubDb = openDatabase(database.url, { max: 10 });
  const sandbox = await startRemoteSandbox();
  const ctx: HubContext = {
    db: hubDb.db,
    pool: hubDb.pool,
    config: { ...loadConfig({}), databaseUrl: database.url, workerConcurrency: CONCURRENCY },
    logger: pino({ level: process.env.LOG_LEVEL ?? 'error' }),
    secrets: new SecretBox(randomBytes(32)),
    webhookProviders: webhookRegistry([]),
  };
  const app = await buildApp(ctx);
  let worker: RunningWorker | undefined;
  try {
    const admin = (await createApiKey(ctx.db, { name: 'bench admin', roles: ['admin'], customerId: null }, { actor: 'system:bench' })).key;
    const ops = (await createApiKey(ctx.db, { name: 'bench ops', roles: ['billing_ops'], customerId: null }, { actor: 'system:bench' })).key;
    const call = async (method: 'GET' | 'POST', url: string, key: string, payload?: object) => {
      const res = await app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload && { payload }) });
      if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
      return res.json();
    };
    const connection = await call('POST', '/v1/connections', admin, {
      provider: 'partner-center',
      name: 'bench sandbox',
      credentials: sandbox.credentials,
      settings: {
        // One server stands in for Entra ID, Partner Center, Graph and blob storage.
        partnerCenterBaseUrl: sandbox.url,
        graphBaseUrl: `${sandbox.url}/v1.0`,
        authorityUrl: sandbox.url,
        blobBaseUrl: sandbox.url,
        // The sandbox's documented limit, as Microsoft's would be configured.
        requestsPerMinute: RATE * 60,
        graphRequestsPerMinute: RATE * 60,
      },
    });
    worker = await startWorker(ctx.pool, ctx, { concurrency: CONCURRENCY, crontab: '' });
    await sandbox.resetStats();

    const cpu0 = { node: processCpuSeconds(), postgres: await database.serverCpuSeconds() };
    const startedAt = Date.now();
    const started = await call('POST', `/v1/connections/${connection.id}/sync`, ops, { kind: 'full', period: PERIOD });
    let run: Record<string, any>;
    for (;;) {
      run = await call('GET', `/v1/sync-runs/${started.id}`, ops);
      if (!['queued', 'running'].includes(run.status)) break;
      if (Date.now() - startedAt > 30 * 60_000) throw new Error(`run still ${run.status} after 30 minutes: ${JSON.stringify(run.progress)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const elapsedMs = Date.parse(run.finishedAt) - startedAt;
    const runRssMb = peakRssMb();
    const stats = await sandbox.stats();
    const cpu = { node: processCpuSeconds() - cpu0.node, postgres: (await database.serverCpuSeconds()) - cpu0.postgres };
    await worker.stop();
    worker = undefined;

    // The ideal, from what the sandbox saw, less the 429s the hub caused (see clientPacing).
    const pacing = clientPacing(RATE);
    const nthThrottled = Math.floor(stats.calls / EVERY_NTH);
    const windowThrottled = stats.throttled - nthThrottled;
    const excluded = { calls: pacing.earned.calls + pacing.shared.calls, retryAfterSeconds: pacing.earned.retryAfterSeconds + pacing.shared.retryAfterSeconds };
    const idealMs = ((stats.calls - excluded.calls) / RATE + stats.retryAfterSecondsRequested - excluded.retryAfterSeconds) * 1000;
    const ratio = elapsedMs / idealMs;
    const exports = await exportsOf(ctx, run.id, sandbox.portfolio);
    const exportWaits = calls.filter((c) => c.throttled && c.retryAfterSeconds !== undefined && c.status !== 429).reduce((n, c) => n + c.retryAfterSeconds!, 0);
    const tokens = calls.filter((c) => c.path.includes('/oauth2/')).length;
    const blobs = calls.filter((c) => c.path.startsWith('/blobs/')).length;

    console.log(`  run         ${run.status}: ${run.progress.customersDone}/${run.progress.customersTotal} customers, ${count(run.progress.pages)} pages, ${count(run.progress.lines)} lines (usage and licence), ${run.progress.retries} retries, ${run.progress.errors} errors`);
    for (const e of run.errors.slice(0, 5)) console.log(`              error: ${e.job} ${e.message}`);
    console.log(`  sandbox     ${count(stats.calls)} calls on Partner Center and Graph, ${count(stats.served)} served, ${stats.throttled} answered 429 (${nthThrottled} as every ${EVERY_NTH}th call, ${windowThrottled} by the ${RATE}/s window), ${stats.retryAfterSecondsRequested} s of Retry-After requested with them; ${tokens} token requests and ${blobs} blob downloads (not throttled)`);
    console.log(`  pacing      the hub's busiest second: ${pacing.busiestSecond['partner-center']} accepted Partner Center calls, ${pacing.busiestSecond.graph} Graph calls sent (limit ${RATE} each)`);
    console.log(`              429s after more than ${RATE} calls on one API in a second: ${pacing.earned.calls}; after ${RATE} on both APIs together (the sandbox's one window): ${pacing.shared.calls}`);
    console.log(`              (any other 429 from the window followed calls sent apart that reached the sandbox together while it was busy)`);
    console.log(`  exports     ${exports.length}: ${exports.map((e) => e.key).join(', ')}; ${exportWaits} s of Retry-After on their 202s and running polls, not counted by the sandbox and not in the ideal`);
    console.log(`  ideal       calls ÷ R + Retry-After seconds of the 429s = ${stats.calls - excluded.calls} ÷ ${RATE} + ${stats.retryAfterSecondsRequested - excluded.retryAfterSeconds} s = ${seconds(idealMs)}${excluded.calls ? ` (without the ${excluded.calls} 429s above and their ${excluded.retryAfterSeconds} s)` : ''}`);
    console.log(`  elapsed     ${seconds(elapsedMs)}, from POST …/sync to the run's finished_at (calls ÷ R alone: ${seconds((stats.calls / RATE) * 1000)})`);
    console.log(`  cpu         the hub used ${cpu.node.toFixed(1)} s in node (one event loop) and ${cpu.postgres.toFixed(1)} s in PostgreSQL meanwhile; peak RSS ${runRssMb} MB by the run's end`);

    if (process.env.PC_SYNC_TRACE) {
      const t0 = calls[0]?.sentAt ?? 0;
      writeFileSync(process.env.PC_SYNC_TRACE, calls.map((c) => `${(c.sentAt - t0).toFixed(1)}\t${c.ms.toFixed(1)}\t${c.status}\t${c.path}`).join('\n') + '\n');
    }
    const lost = await checkLines(ctx, sandbox.portfolio, exports);
    console.log(`  ratio       ${ratio.toFixed(3)} = ${seconds(elapsedMs)} ÷ ${seconds(idealMs)} (target ≤ ${TARGET}); peak RSS ${peakRssMb()} MB`);
    const missed = run.status !== 'succeeded' || lost > 0 || pacing.earned.calls > 0;
    if (run.status !== 'succeeded') console.log(`MISS: the run ended ${run.status}`);
    if (lost > 0) console.log(`MISS: ${lost} usage lines lost or wrong`);
    if (pacing.earned.calls > 0) console.log(`MISS: the hub sent more than ${RATE} calls in a second ${pacing.earned.calls} times and was answered 429`);
    const ok = finish({ name: NAME, ratio, target: TARGET });
    if (!ok || missed) process.exitCode = 1;
  } finally {
    if (worker) await worker.stop().catch(() => {});
    await app.close().catch(() => {});
    await sandbox.close();
    await hubDb.close();
    await database.close();
  }
}

interface RequestedExport {
  key: string;
  scope: UsageScope;
}

/**
 * The usage exports the run asked for (its saved operation cursors), each as the
 * sandbox scope it was served from; they must be every export the period calls for.
 */
async function exportsOf(ctx: HubContext, runId: string, portfolio: Portfolio): Promise<RequestedExport[]> {
  const prefix = `run:${runId}:usage-export:`;
  const rows = await ctx.db.selectFrom('sync_cursors').select('scope').where('scope', 'like', `${prefix}%`).execute();
  return rows
    .map((r) => r.scope.slice(prefix.length))
    .sort()
    .map((key) => ({ key, scope: scopeOf(key, portfolio) }));
}

function scopeOf(key: string, portfolio: Portfolio): UsageScope {
  const [kind, a, b] = key.split(':') as [string, string, string | undefined];
  if (kind === 'billed') {
    const invoice = portfolio.invoices(NOW.getTime()).find((i) => i.id === a);
    if (!invoice) throw new Error(`the run exported invoice ${a}, which the sandbox never issued`);
    return { billingMonth: invoice.monthIndex, currency: invoice.currency, asOfMs: BILLED_AS_OF, invoiceNumber: invoice.id };
  }
  const month = monthIndexOfDay(dayOf(NOW.getTime()));
  return { billingMonth: a === 'current' ? month : month - 1, currency: b as UsageScope['currency'], asOfMs: NOW.getTime(), invoiceNumber: '' };
}

/**
 * Every line the sandbox published for the run's exports, against usage_lines: returns
 * how many are missing, extra or carry other values. A key an invoice carries must
 * hold the billed values; an unbilled-only key the unbilled ones.
 */
async function checkLines(ctx: HubContext, portfolio: Portfolio, exports: RequestedExport[]): Promise<number> {
  const octIndex = parsePeriod(PERIOD);
  const wanted = [
    // Unbilled usage in every currency the partner is billed in (src/jobs/partner-center/currencies.ts).
    ...portfolio.currencies().flatMap((currency) => [`unbilled:current:${currency}`, `unbilled:last:${currency}`]),
    ...portfolio.invoices(NOW.getTime()).filter((i) => i.monthIndex === octIndex).map((i) => `billed:${i.id}`),
  ].sort();
  const got = exports.map((e) => e.key);
  let problems = 0;
  if (JSON.stringify(got) !== JSON.stringify(wanted)) {
    console.log(`  MISSING EXPORTS: the run exported [${got.join(', ')}], the period calls for [${wanted.join(', ')}]`);
    problems += Math.max(1, wanted.filter((w) => !got.includes(w)).length);
  }

  const expected = new Map<string, { value: string; billed: boolean }>();
  let published = 0;
  for (const { key, scope } of exports) {
    const billed = key.startsWith('billed:');
    const source = new UsageLineSource(portfolio, scope);
    for (const line of source.rendered(WRITERS.usageBlobFull)) {
      published++;
      const mapped = mapUsageLine(parseJsonExact(line) as Record<string, unknown>);
      if (!mapped.ok) throw new Error(`a published line does not map: ${JSON.stringify(mapped.errors)}`);
      const r = mapped.row;
      const k = `${r.usage_date}|${r.line_key}`;
      const value = `${canonicalDecimal(r.quantity)}|${canonicalDecimal(r.billing_pre_tax_total)}|${r.invoice_number ?? ''}`;
      const known = expected.get(k);
      if (!known || (billed && !known.billed)) expected.set(k, { value, billed });
    }
  }
  const rows = await ctx.pool.query<{ k: string; v: string }>(
    `select usage_date::text || '|' || line_key as k, quantity::text || '|' || billing_pre_tax_total::text || '|' || coalesce(invoice_number, '') as v from usage_lines`,
  );
  const stored = new Map(rows.rows.map((r) => [r.k, canonicalValue(r.v)]));
  let missing = 0;
  let wrong = 0;
  for (const [k, { value }] of expected) {
    const v = stored.get(k);
    if (v === undefined) missing++;
    else if (v !== value) {
      if (wrong < 3) console.log(`  WRONG ${k}: stored ${v}, published ${value}`);
      wrong++;
    }
  }
  const extra = [...stored.keys()].filter((k) => !expected.has(k)).length;
  console.log(`  lines       ${count(published)} published by the sandbox for these exports = ${count(expected.size)} distinct lines (billed versions final); usage_lines holds ${count(stored.size)}: ${missing} missing, ${extra} extra, ${wrong} with other values`);
  return problems + missing + extra + wrong;
}

/** Decimal text without trailing zeros, so numeric(…) output and the published text compare. */
function canonicalDecimal(text: string | null | undefined): string {
  if (text === null || text === undefined) return '';
  if (!text.includes('.')) return text;
  return text.replace(/0+$/, '').replace(/\.$/, '');
}

function canonicalValue(v: string): string {
  const [q, t, inv] = v.split('|');
  return `${canonicalDecimal(q)}|${canonicalDecimal(t)}|${inv ?? ''}`;
}

if (process.env[SANDBOX_ROLE]) await serveSandbox();
else await main();
