import { Counter, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flushCounters, startCounterFlush } from '../../src/metrics/counter-flush.ts';
import { vendorRequests } from '../../src/metrics/process-metrics.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// A `hub worker` process counts its vendor calls in a registry of its own and serves no
// /metrics. Here such a worker is a counter in a registry of its own, flushed under its own
// process id; the API (this process) must show its own calls plus the worker's.

let hub: TestHub;

beforeAll(async () => {
  hub = await createTestHub();
}, 120_000);

afterAll(async () => {
  await hub?.close();
});

function workerCounter(): Counter<'vendor' | 'call' | 'outcome'> {
  return new Counter({ name: 'hub_vendor_requests_total', help: 'worker copy', labelNames: ['vendor', 'call', 'outcome'], registers: [new Registry()] });
}

/** The value of the sample carrying every one of the labels; null when there is none. */
function sample(text: string, metric: string, labels: Record<string, string>): number | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return null;
}

describe('vendor call counters of worker-only processes in the API /metrics', () => {
  it("adds a worker's flushed counts to the API's own, per label set, in /metrics and /v1/health-metrics", async () => {
    vendorRequests.inc({ vendor: 'flush-test', call: 'customers.list', outcome: 'ok' }, 2);

    const worker = workerCounter();
    worker.inc({ vendor: 'flush-test', call: 'customers.list', outcome: 'ok' }, 3);
    worker.inc({ vendor: 'flush-test', call: 'customers.list', outcome: 'throttled' }, 1);
    worker.inc({ vendor: 'flush-test', call: 'usage.export', outcome: 'server_error' }, 4);
    await flushCounters(hub.ctx.db, 'worker-host:101:aaaa', [worker]);
    // A flush repeats the running totals: it replaces, never adds.
    await flushCounters(hub.ctx.db, 'worker-host:101:aaaa', [worker]);

    const text = (await hub.app.inject({ method: 'GET', url: '/metrics', headers: hub.auth(hub.keys.auditor) })).body;
    const m = 'hub_vendor_requests_total';
    expect(sample(text, m, { vendor: 'flush-test', call: 'customers.list', outcome: 'ok' })).toBe(5);
    expect(sample(text, m, { vendor: 'flush-test', call: 'customers.list', outcome: 'throttled' })).toBe(1);
    expect(sample(text, m, { vendor: 'flush-test', call: 'usage.export', outcome: 'server_error' })).toBe(4);
    expect(text.match(/^# TYPE hub_vendor_requests_total counter$/gm)).toHaveLength(1);

    const figures = (await hub.app.inject({ method: 'GET', url: '/v1/health-metrics', headers: hub.auth(hub.keys.auditor) })).json();
    const calls = (figures.vendorCalls as { vendor: string }[]).filter((c) => c.vendor === 'flush-test');
    expect(calls).toEqual([
      { vendor: 'flush-test', call: 'customers.list', attempts: 6, succeeded: 5, successRate: 5 / 6 },
      { vendor: 'flush-test', call: 'usage.export', attempts: 4, succeeded: 0, successRate: 0 },
    ]);
  });

  it("keeps a stopped worker's totals and adds its successor's, flushing once more as it stops", async () => {
    const successor = workerCounter();
    const flush = startCounterFlush(hub.ctx.db, { processId: 'worker-host:202:bbbb', counters: [successor], intervalMs: 60_000, onError: (err) => { throw err; } });
    successor.inc({ vendor: 'flush-test', call: 'usage.export', outcome: 'ok' }, 7);
    await flush.stop();

    const text = (await hub.app.inject({ method: 'GET', url: '/metrics', headers: hub.auth(hub.keys.auditor) })).body;
    expect(sample(text, 'hub_vendor_requests_total', { vendor: 'flush-test', call: 'usage.export', outcome: 'ok' })).toBe(7);
    expect(sample(text, 'hub_vendor_requests_total', { vendor: 'flush-test', call: 'usage.export', outcome: 'server_error' })).toBe(4);
    expect(sample(text, 'hub_vendor_requests_total', { vendor: 'flush-test', call: 'customers.list', outcome: 'ok' })).toBe(5);
  });
});
