import { expect } from 'vitest';
import type { TestHub } from './test-hub.ts';

export interface ImportSummary {
  importId: string;
  kind: string;
  accepted: number;
  duplicates: number;
  rejected: number;
  errors: { row: number; field: string; reason: string }[];
}

/** Poll GET /v1/imports/{id} as a client would until the import's job has finished; the record as it ends. */
export async function waitForImport(hub: TestHub, importId: string, timeoutMs = 60_000): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await hub.app.inject({ method: 'GET', url: `/v1/imports/${importId}`, headers: hub.auth(hub.keys.auditor) });
    expect(res.statusCode, res.body).toBe(200);
    const record = res.json();
    if (record.status === 'completed' || record.status === 'failed') return record;
    if (Date.now() > deadline) throw new Error(`import ${importId} still ${record.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Upload a file to POST /v1/imports/partner-center (202), wait for its job, and answer
 * the summary `hub import` prints. The hub must run a worker (createTestHub({ worker: true })).
 */
export async function importThroughApi(
  hub: TestHub,
  body: string,
  options: { contentType?: string; key?: string; query?: string; headers?: Record<string, string> } = {},
): Promise<ImportSummary> {
  const res = await hub.app.inject({
    method: 'POST',
    url: `/v1/imports/partner-center${options.query ?? '?createCustomers=true'}`,
    headers: { ...hub.auth(options.key ?? hub.keys.billing_ops), 'content-type': options.contentType ?? 'text/csv', ...options.headers },
    payload: body,
  });
  expect(res.statusCode, res.body).toBe(202);
  const record = await waitForImport(hub, res.json().importId);
  expect(record.status, record.failure).toBe('completed');
  return { importId: record.id, kind: record.kind, accepted: record.accepted, duplicates: record.duplicates, rejected: record.rejected, errors: record.errors };
}
