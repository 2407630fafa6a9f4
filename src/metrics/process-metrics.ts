import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import type { VendorCallFailure } from '../connectors/http/errors.ts';
import type { FlushedCount } from './counter-flush.ts';

/**
 * What one process counts as it runs: Node's own process metrics, every vendor call
 * attempt, and every webhook intake. Counters live per process (a worker's vendor calls
 * are counted in the worker); figures that must agree across processes are read from
 * PostgreSQL at scrape time instead (health-figures.ts).
 */
export const processRegistry = new Registry();

collectDefaultMetrics({ register: processRegistry, prefix: 'hub_' });

/**
 * Counted in whichever process makes the call, mostly a worker that serves no /metrics, so
 * it is in no registry: a worker flushes it to PostgreSQL (counter-flush.ts) and the
 * exposition adds every process's totals to this one's.
 */
export const vendorRequests = new Counter({
  name: 'hub_vendor_requests_total',
  help: 'Vendor API call attempts by vendor, call and outcome (ok, throttled, server_error, client_error, timeout, network, invalid_response), summed over the API and every worker process',
  labelNames: ['vendor', 'call', 'outcome'] as const,
  registers: [],
});

/** The counters a process without a /metrics of its own flushes to PostgreSQL. */
export const FLUSHED_COUNTERS: readonly Counter[] = [vendorRequests];

export const webhookIntake = new Counter({
  name: 'hub_webhook_intake_total',
  help: 'Webhook requests received by provider and result (accepted, refused, invalid, error)',
  labelNames: ['provider', 'result'] as const,
  registers: [processRegistry],
});

export type VendorOutcome = 'ok' | 'throttled' | 'server_error' | 'client_error' | 'timeout' | 'network' | 'invalid_response';

/** How an attempt ended, in the few words an operator alerts on. */
export function vendorOutcome(attempt: { ok: boolean; status?: number | undefined; reason?: VendorCallFailure | undefined }): VendorOutcome {
  if (attempt.ok) return 'ok';
  if (attempt.reason === 'timeout' || attempt.reason === 'network' || attempt.reason === 'invalid_response') return attempt.reason;
  if (attempt.status === 429 || attempt.reason === 'rate_limited') return 'throttled';
  if (attempt.status === undefined) return 'network';
  return attempt.status >= 500 ? 'server_error' : 'client_error';
}

export type WebhookResult = 'accepted' | 'refused' | 'invalid' | 'error';

/** A webhook's answer, as intake result: 401 is a refused signature, other 4xx a bad request. */
export function webhookResult(statusCode: number): WebhookResult {
  if (statusCode < 300) return 'accepted';
  if (statusCode === 401) return 'refused';
  return statusCode < 500 ? 'invalid' : 'error';
}

/** Vendor call attempts and their success share, per vendor and call: this process's count plus the other processes' flushed totals. */
export async function vendorCallSummary(otherProcesses: readonly FlushedCount[] = []): Promise<{ vendor: string; call: string; attempts: number; succeeded: number; successRate: number | null }[]> {
  const metric = await vendorRequests.get();
  const byCall = new Map<string, { vendor: string; call: string; attempts: number; succeeded: number }>();
  const flushed = otherProcesses.filter((f) => f.metric === metric.name);
  for (const v of [...metric.values, ...flushed]) {
    const vendor = String(v.labels.vendor);
    const call = String(v.labels.call);
    const key = `${vendor}\u0000${call}`;
    const row = byCall.get(key) ?? { vendor, call, attempts: 0, succeeded: 0 };
    row.attempts += v.value;
    if (v.labels.outcome === 'ok') row.succeeded += v.value;
    byCall.set(key, row);
  }
  return [...byCall.values()]
    .sort((a, b) => (a.vendor === b.vendor ? (a.call < b.call ? -1 : 1) : a.vendor < b.vendor ? -1 : 1))
    .map((r) => ({ ...r, successRate: r.attempts === 0 ? null : r.succeeded / r.attempts }));
}
